// Messages between the extension and its webviews (media/<panel>/main.ts), typed once and shared
// by both sides like the engine protocol. Every message is `{ type, params }`. The webview sends
// `ready` once its script runs; the host pushes state only after that, and validates every
// message a webview sends (a webview is a web page: treat what comes from it as untrusted input).
// Pure: no run-time imports, so the browser bundles can use it.
import type { ContainerSummary, DetectionEvidence, PortForward, PressureUpdate, Problem, SeccompView, ServiceSummary, TraceDetail, TraceQuery, TraceSummary, UpTimeline } from './index';

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
  /** Hot reload: its state and figures in words, and the recent reloads (newest first); null before the engine reported on it. */
  reload: DevContainerReload | null;
  /** Buttons that apply now. */
  actions: DevContainerAction[];
  /** Why data is missing (engine not running, Restricted Mode). */
  notice: string | null;
}

export interface DevContainerReload {
  /** "on · last 84 ms · p50 80 / p95 120 ms", "off", "waiting for the container (changes queued)"... */
  summary: string;
  /** Why it is not running, or what it runs. */
  message: string | null;
  recent: { at: number; files: string; action: string; ms: number; phases: string | null; error: string | null }[];
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

// ---------------------------------------------------------------------------------------------
// The Traces panel (media/traces): the engine's stored traces, one trace's waterfall, per-service
// figures. Span attributes come from programs in containers: the webview renders them as text.

export const TRACES_VIEW_TYPE = 'hyperbox.traces';

export interface TracesState {
  /** The receiver: `off` (traces are not on), `listening` or `forwarding`, with where. */
  receiver: { state: 'off' | 'listening' | 'forwarding'; host?: string; port?: number; storedSpans: number; evictedTraces: number };
  /** The traces matching the panel's query, newest first. */
  traces: TraceSummary[];
  services: ServiceSummary[];
  /** The query these traces answer (so a restored panel shows its filters). */
  query: TraceQuery;
  /** Why there is nothing to show (engine not running, traces off), in words. */
  notice: string | null;
}

/** host → webview: the list, the services and the receiver's state. */
export const TracesStateMessage = message<TracesState, 'toWebview'>('traces', 'toWebview');
/** host → webview: one trace's spans (null: no longer stored). */
export const TraceDetailMessage = message<{ traceId: string; detail: TraceDetail | null }, 'toWebview'>('trace', 'toWebview');
/** webview → host: the filters changed. */
export const TracesQueryMessage = message<TraceQuery, 'toHost'>('query', 'toHost');
/** webview → host: show one trace. */
export const TraceOpenMessage = message<{ traceId: string }, 'toHost'>('openTrace', 'toHost');
/** webview → host: open a span's `code.filepath` at `code.lineno` (the host checks it is inside a workspace folder). */
export const TraceSourceMessage = message<{ filepath: string; lineno?: number }, 'toHost'>('openSource', 'toHost');

/** webview → host: start the engine's receiver (loopback only; the button shown while traces are off). */
export const TracesStartMessage = message<Record<string, never>, 'toHost'>('startReceiver', 'toHost');

export interface TracesWebviewState {
  query: TraceQuery;
  traceId: string | null;
}

export type TracesToHost =
  | { type: typeof WebviewReady.type; params: Record<string, never> }
  | { type: 'query'; params: TraceQuery }
  | { type: 'openTrace'; params: { traceId: string } }
  | { type: 'openSource'; params: { filepath: string; lineno?: number } }
  | { type: 'startReceiver'; params: Record<string, never> };

const HEX = /^[0-9a-f]{32}$/;
const MAX_TEXT = 1024;
const text = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_TEXT;
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** A trace query from the webview, checked field by field; undefined when any field is unusable. */
export function validateTraceQuery(raw: unknown): TraceQuery | undefined {
  if (!isObject(raw)) return undefined;
  const allowed = ['service', 'operation', 'attribute', 'minDurationMs', 'maxDurationMs', 'limit'];
  if (Object.keys(raw).some((k) => !allowed.includes(k))) return undefined;
  const q: TraceQuery = {};
  if (raw.service !== undefined) {
    if (!text(raw.service)) return undefined;
    if (raw.service) q.service = raw.service;
  }
  if (raw.operation !== undefined) {
    if (!text(raw.operation)) return undefined;
    if (raw.operation) q.operation = raw.operation;
  }
  if (raw.attribute !== undefined) {
    const a = raw.attribute;
    if (!isObject(a) || !text(a.key) || (a.value !== undefined && !text(a.value))) return undefined;
    if (a.key) q.attribute = a.value === undefined || a.value === '' ? { key: a.key } : { key: a.key, value: a.value };
  }
  for (const k of ['minDurationMs', 'maxDurationMs'] as const) {
    if (raw[k] === undefined) continue;
    if (!finite(raw[k])) return undefined;
    q[k] = raw[k];
  }
  if (raw.limit !== undefined) {
    if (!finite(raw.limit) || !Number.isInteger(raw.limit) || raw.limit < 1 || raw.limit > 5000) return undefined;
    q.limit = raw.limit;
  }
  return q;
}

/** A message from the Traces panel's webview, checked; undefined when it is not one it may send. */
export function validateTracesMessage(raw: unknown): TracesToHost | undefined {
  if (!isObject(raw) || typeof raw.type !== 'string') return undefined;
  const params = raw.params === undefined ? {} : raw.params;
  if (!isObject(params)) return undefined;
  switch (raw.type) {
    case WebviewReady.type:
      return Object.keys(params).length === 0 ? { type: 'ready', params: {} } : undefined;
    case TracesStartMessage.type:
      return Object.keys(params).length === 0 ? { type: 'startReceiver', params: {} } : undefined;
    case TracesQueryMessage.type: {
      const q = validateTraceQuery(params);
      return q ? { type: 'query', params: q } : undefined;
    }
    case TraceOpenMessage.type:
      return Object.keys(params).length === 1 && typeof params.traceId === 'string' && HEX.test(params.traceId) ? { type: 'openTrace', params: { traceId: params.traceId } } : undefined;
    case TraceSourceMessage.type: {
      const { filepath, lineno } = params;
      if (!text(filepath) || filepath.length === 0 || filepath.includes('\0')) return undefined;
      if (lineno !== undefined && !(typeof lineno === 'number' && Number.isInteger(lineno) && lineno >= 1 && lineno <= 10_000_000)) return undefined;
      if (Object.keys(params).some((k) => k !== 'filepath' && k !== 'lineno')) return undefined;
      return { type: 'openSource', params: lineno === undefined ? { filepath } : { filepath, lineno } };
    }
  }
  return undefined;
}

/** The state a restored Traces panel starts from, checked. */
export function validateTracesWebviewState(raw: unknown): TracesWebviewState {
  if (!isObject(raw)) return { query: {}, traceId: null };
  return { query: validateTraceQuery(raw.query) ?? {}, traceId: typeof raw.traceId === 'string' && HEX.test(raw.traceId) ? raw.traceId : null };
}

// ---------------------------------------------------------------------------------------------
// The Pressure panel (media/pressure): PSI of the host and each dev container, every second.

export const PRESSURE_VIEW_TYPE = 'hyperbox.pressure';

/** host → webview: samples to add (`reset`: replace what the charts hold, e.g. after a reload). */
export const PressureSamplesMessage = message<{ samples: PressureUpdate[]; reset: boolean; notice: string | null }, 'toWebview'>('samples', 'toWebview');

export type PressureToHost = { type: typeof WebviewReady.type; params: Record<string, never> };

/** The Pressure panel's webview only says ready. */
export function validatePressureMessage(raw: unknown): PressureToHost | undefined {
  if (!isObject(raw) || raw.type !== WebviewReady.type) return undefined;
  const params = raw.params === undefined ? {} : raw.params;
  return isObject(params) && Object.keys(params).length === 0 ? { type: 'ready', params: {} } : undefined;
}

// ---------------------------------------------------------------------------------------------
// The Seccomp panel (media/seccomp): a folder's seccomp profile — the allowed syscalls by category
// with their argument rules, the recordings' counts and first process, the size against the
// engine's default, the last generate's difference and the last validation. Process names and
// syscall names come from programs in containers: the webview renders them as text.

export const SECCOMP_VIEW_TYPE = 'hyperbox.seccomp';

export interface SeccompState {
  /** The workspace folder (URI string): kept with setState so a reload restores the panel. */
  folderUri: string;
  folderName: string;
  /** The engine's view of the profile; null when there is none to show (`notice` says why). */
  view: SeccompView | null;
  /** A generate is running in the editor for this folder (its step). */
  busy: string | null;
  notice: string | null;
}

/** host → webview: the folder's profile. */
export const SeccompStateMessage = message<SeccompState, 'toWebview'>('seccomp', 'toWebview');
/** webview → host: record, generate and validate again (the command, with its progress). */
export const SeccompGenerateMessage = message<Record<string, never>, 'toHost'>('generate', 'toHost');
/** webview → host: open the profile file. */
export const SeccompOpenFileMessage = message<Record<string, never>, 'toHost'>('openFile', 'toHost');

export type SeccompToHost =
  | { type: typeof WebviewReady.type; params: Record<string, never> }
  | { type: 'generate'; params: Record<string, never> }
  | { type: 'openFile'; params: Record<string, never> };

/** A message from the Seccomp panel's webview, checked: it sends only parameterless requests. */
export function validateSeccompMessage(raw: unknown): SeccompToHost | undefined {
  if (!isObject(raw) || typeof raw.type !== 'string') return undefined;
  const params = raw.params === undefined ? {} : raw.params;
  if (!isObject(params) || Object.keys(params).length !== 0) return undefined;
  if (raw.type === WebviewReady.type || raw.type === SeccompGenerateMessage.type || raw.type === SeccompOpenFileMessage.type) return { type: raw.type, params: {} };
  return undefined;
}

/** The folder a restored Seccomp panel shows (a file: URI), or undefined. */
export function validateSeccompWebviewState(raw: unknown): { folderUri: string } | undefined {
  if (!isObject(raw) || typeof raw.folderUri !== 'string' || !raw.folderUri.startsWith('file:') || raw.folderUri.length > 4096) return undefined;
  return { folderUri: raw.folderUri };
}
