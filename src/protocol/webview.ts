// Messages between the extension and its webviews (media/<panel>/main.ts), typed once and shared
// by both sides like the engine protocol. Every message is `{ type, params }`. The webview sends
// `ready` once its script runs; the host pushes state only after that, and validates every
// message a webview sends (a webview is a web page: treat what comes from it as untrusted input).
// Pure: no run-time imports, so the browser bundles can use it.
import type { ContainerSummary, DetectionEvidence, PortForward, Problem, UpTimeline } from './index';

/** A message type and which way it travels. */
export interface WebviewMessageType<P, D extends 'toWebview' | 'toHost'> {
  readonly type: string;
  readonly direction: D;
  /** Phantom: the params' type. */
  readonly _params?: P;
}

function message<P, D extends 'toWebview' | 'toHost'>(type: string, direction: D): WebviewMessageType<P, D> {
  return { type, direction };
}

export interface WebviewMessage<P = unknown> {
  type: string;
  params: P;
}

/** webview → host: the script runs and listens; the host answers with the state. */
export const WebviewReady = message<Record<string, never>, 'toHost'>('ready', 'toHost');

// ---------------------------------------------------------------------------------------------
// The Dev Container panel (media/devContainer)

/** The panel's view type (package.json's onWebviewPanel activation event names it). */
export const DEV_CONTAINER_VIEW_TYPE = 'hyperbox.devContainer';

/** What the panel's buttons ask for. */
export const DEV_CONTAINER_ACTIONS = ['start', 'stop', 'rebuild', 'openTerminal', 'showContainerLogs', 'openConfig', 'refresh'] as const;
export type DevContainerAction = (typeof DEV_CONTAINER_ACTIONS)[number];

export interface DevContainerDetection {
  label: string;
  languageName: string;
  frameworkName: string | null;
  packageManagerName: string | null;
  devCommand: string | null;
  ports: number[];
  evidence: DetectionEvidence[];
  parts: { path: string; label: string; role: string }[];
  notes: string[];
}

export interface DevContainerState {
  /** The workspace folder (URI string): the webview keeps it with setState so a reload restores the panel. */
  folderUri: string;
  folderName: string;
  /** The config in use (absolute path), or null when the folder has none (yet). */
  configFile: string | null;
  /** The container's state in words (what the status bar's tooltip says). */
  containerText: string;
  /** The container's state as the status bar names it (`dev container running`, `rebuilding dev container`, `Docker not running`...). */
  stateWord: string;
  /** The container view's kind (`running`, `error`, `starting`...): the badge's colour. */
  stateKind: string;
  /** Every port as it is now (who forwards it, or why nothing does): the same list as the HyperBox view's. */
  ports: PortForward[];
  /** The last state the engine gave, or null. */
  container: ContainerSummary | null;
  /** An operation under way (`Starting the container: ...`). */
  busy: string | null;
  /** The resolved config (ConfigResolve): the config after substitution and its problems. */
  resolved: { config: Record<string, unknown> | null; kind: string | null; devcontainerId: string | null; problems: Problem[] } | null;
  /** What the folder is (ProjectDetect), or null when nothing was recognised or it is not known yet. */
  detection: DevContainerDetection | null;
  /** The last up's timeline, or null when there was none. */
  timeline: UpTimeline | null;
  /** Buttons that apply now. */
  actions: DevContainerAction[];
  /** Why data is missing (engine not running, Restricted Mode). */
  notice: string | null;
}

/** host → webview: everything the panel shows. */
export const DevContainerStateMessage = message<DevContainerState, 'toWebview'>('state', 'toWebview');
/** webview → host: a button was pressed. */
export const DevContainerActionMessage = message<{ action: DevContainerAction }, 'toHost'>('action', 'toHost');

/** What the panel's webview keeps across reloads (vscode.setState; the serializer gets it). */
export interface DevContainerWebviewState {
  folderUri: string;
  /** Timeline rows the user opened (`step#index`). */
  expanded: string[];
}

// ---------------------------------------------------------------------------------------------
// Validation (host side: every message from a webview)

export type DevContainerToHost = { type: typeof WebviewReady.type; params: Record<string, never> } | { type: typeof DevContainerActionMessage.type; params: { action: DevContainerAction } };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A message from the Dev Container panel's webview, checked; undefined when it is not one it may send. */
export function validateDevContainerMessage(raw: unknown): DevContainerToHost | undefined {
  if (!isObject(raw) || typeof raw.type !== 'string') return undefined;
  const params = raw.params === undefined ? {} : raw.params;
  if (!isObject(params)) return undefined;
  if (raw.type === WebviewReady.type) return Object.keys(params).length === 0 ? { type: 'ready', params: {} } : undefined;
  if (raw.type === DevContainerActionMessage.type) {
    const action = params.action;
    if (Object.keys(params).length !== 1 || typeof action !== 'string' || !(DEV_CONTAINER_ACTIONS as readonly string[]).includes(action)) return undefined;
    return { type: 'action', params: { action: action as DevContainerAction } };
  }
  return undefined;
}

/** The state a restored panel starts from (what the webview saved), checked; undefined when unusable. */
export function validateDevContainerWebviewState(raw: unknown): DevContainerWebviewState | undefined {
  if (!isObject(raw) || typeof raw.folderUri !== 'string' || !/^file:\/\//.test(raw.folderUri)) return undefined;
  const expanded = Array.isArray(raw.expanded) ? raw.expanded.filter((e): e is string => typeof e === 'string').slice(0, 200) : [];
  return { folderUri: raw.folderUri, expanded };
}
