// What the HyperBox view in the activity bar shows: one node per project (a workspace folder with a
// dev container config), and under it its container, ports, mounts, lifecycle commands and the
// extensions its config recommends. Pure: no run-time import of `vscode`; containersView.ts turns
// these nodes into TreeItems, and tests read them directly.
import { LIFECYCLE_COMMANDS, seccompText, type ContainerSummary, type MountSummary, type PortForward, type TimelineEntry, type UpTimeline } from '../protocol';
import { describeContainer, type ActionId, type ContainerView } from './containerState';
import { BuiltinCommands, Commands } from './contributions';
import { describeEntry, describeReload, type ReloadState } from './reloadState';
import type { ProjectState } from './status';

/** A codicon, optionally tinted with a theme colour id. */
export interface TreeIcon {
  id: string;
  color?: string;
}

export type NodeKind =
  | 'project'
  | 'config'
  | 'container'
  | 'info'
  | 'ports'
  | 'port'
  | 'forwardPort'
  | 'mounts'
  | 'mount'
  | 'lifecycle'
  | 'hook'
  | 'extensions'
  | 'extension'
  | 'reload'
  | 'reloadEntry';

export interface TreeNode {
  /** Unique and stable across refreshes, so VS Code keeps what the user expanded. */
  id: string;
  kind: NodeKind;
  label: string;
  description?: string;
  tooltip?: string;
  icon?: TreeIcon;
  /**
   * `viewItem` in package.json's menus: the kind, then the actions that apply now, separated by
   * spaces (e.g. `project stop openTerminal showContainerLogs openConfig`), matched with
   * `viewItem =~ /^project\b.*\bstop\b/`.
   */
  contextValue: string;
  /** Undefined for a leaf. */
  children?: TreeNode[];
  /** Shown expanded the first time. */
  expanded?: boolean;
  /** What a click runs. */
  command?: { command: string; title: string; arguments: unknown[] };
  /** The project's folder (absolute path): commands run on a node find their project by it. */
  folder: string;
  /** Port nodes: the port. */
  port?: PortForward;
  /** Extension nodes: the extension's id. */
  extensionId?: string;
}

/** Everything the view needs to know about one project. */
export interface ProjectInput {
  /** Absolute path of the workspace folder. */
  folder: string;
  folderName: string;
  /** The config in use, relative to the folder (undefined while none is chosen). */
  configLabel?: string;
  state: ProjectState;
  container: ContainerView;
  summary?: ContainerSummary;
  /** The last ports the engine reported (RuntimePorts, RuntimePortsChanged); else the summary's. */
  ports?: PortForward[];
  /** The last `up`'s timeline: undefined while not known, null when there was none. */
  timeline?: UpTimeline | null;
  /** The config's lifecycle commands (the ones it names), in the order they run. */
  hooks: string[];
  /** `customizations.vscode.extensions` of the config. */
  extensions: string[];
  /** What can be done with the container now (as the status bar's quick pick). */
  actions: ActionId[];
  /** A Compose config (ports may be given as service:port). */
  compose?: boolean;
  /** The folder's configs are still being looked for: not shown until it is known whether it has one. */
  discovering?: boolean;
  /** Hot reload as the engine last reported it. */
  reload?: ReloadState;
}

export interface TreeInput {
  engineRunning: boolean;
  /** Workspace Trust; false in Restricted Mode, where HyperBox asks nothing about containers. Default true. */
  trusted?: boolean;
  projects: ProjectInput[];
  /** Ids (any case) of the extensions installed in this window. */
  installedExtensions: ReadonlySet<string>;
}

/** The lifecycle commands of the spec, in the order they run. */
export const LIFECYCLE_HOOKS = LIFECYCLE_COMMANDS;

/** The root nodes; empty when the engine is not running or no folder has a config (the view then shows its welcome). */
export function buildTree(input: TreeInput): TreeNode[] {
  if (!input.engineRunning) return [];
  return input.projects.filter((p) => !p.discovering && p.state.kind !== 'none').map((p) => projectNode(p, input));
}

const CONTAINER_WORDS: Record<ContainerView['kind'], string> = {
  unknown: 'checking…',
  missing: 'no container',
  stopped: 'stopped',
  starting: 'starting…',
  stopping: 'stopping…',
  running: 'running',
  stale: 'stale',
  error: 'error',
  noDocker: 'Docker not reachable',
};

/** The themed icon of a container state. */
export function containerIcon(c: ContainerView): TreeIcon {
  switch (c.kind) {
    case 'unknown':
      return { id: 'loading~spin' };
    case 'missing':
      return { id: 'circle-large-outline' };
    case 'stopped':
      return { id: 'primitive-square', color: 'disabledForeground' };
    case 'starting':
    case 'stopping':
      return { id: 'sync~spin' };
    case 'running':
      return { id: 'vm-running', color: 'testing.iconPassed' };
    case 'stale':
      return { id: 'warning', color: 'list.warningForeground' };
    case 'error':
      return { id: 'error', color: 'list.errorForeground' };
    case 'noDocker':
      return { id: 'debug-disconnect', color: 'list.errorForeground' };
  }
}

/** The words of a container state in the view (a rebuild says so). */
export function containerWord(c: ContainerView): string {
  if (c.kind === 'starting' && c.rebuild) return 'rebuilding…';
  if (c.kind === 'stopping' && c.removing) return 'removing…';
  return CONTAINER_WORDS[c.kind];
}

function projectNode(p: ProjectInput, input: TreeInput): TreeNode {
  const id = `project:${p.folder}`;
  const base = { folder: p.folder };
  const s = p.state;
  const node: TreeNode = { ...base, id, kind: 'project', label: p.folderName, contextValue: ['project', ...p.actions].join(' '), expanded: true };
  const exists = !!p.summary?.containerId && p.container.kind !== 'missing' && p.container.kind !== 'unknown';
  // problems of the config sit beside a container that exists (it runs as it was made), never in its place
  if (s.kind !== 'checked' || (s.errors > 0 && !exists)) {
    // Nothing about the container can be known before the config is usable: say what blocks it.
    switch (s.kind) {
      case 'ask':
        node.description = `${s.candidates} configs: select one`;
        node.icon = { id: 'list-selection', color: 'list.warningForeground' };
        node.command = { command: Commands.selectConfig, title: 'Select Dev Container Config', arguments: [node] };
        break;
      case 'checking':
        node.description = 'checking the config…';
        node.icon = { id: 'loading~spin' };
        break;
      case 'unknown':
        node.description = 'config not checked';
        node.tooltip = s.message;
        node.icon = { id: 'warning', color: 'list.warningForeground' };
        break;
      case 'checked':
        node.description = `${s.errors} error${s.errors === 1 ? '' : 's'} in ${s.configLabel}`;
        node.tooltip = s.firstProblem ? `${s.firstProblem}\nFix the config (see the Problems panel) to start its container.` : undefined;
        node.icon = { id: 'error', color: 'list.errorForeground' };
        node.command = { command: Commands.openConfig, title: 'Open Config', arguments: [node] };
        break;
    }
    node.children = [];
    node.expanded = false;
    return node;
  }
  if (input.trusted === false) {
    node.description = 'Restricted Mode';
    node.tooltip = `${p.folder}\nRestricted Mode: HyperBox builds and runs nothing (no image build, no lifecycle command, no container) until you trust this folder.`;
    node.icon = { id: 'shield', color: 'list.warningForeground' };
    node.command = { command: BuiltinCommands.manageTrust, title: 'Manage Workspace Trust', arguments: [] };
    node.children = p.extensions.length > 0 ? [extensionsNode(p, input.installedExtensions)] : [];
    return node;
  }
  const c = p.container;
  const errors = s.errors > 0 ? `${s.errors} config error${s.errors === 1 ? '' : 's'}` : '';
  node.description = `${containerWord(c)}${errors ? ` · ${errors}` : ''}`;
  node.icon = containerIcon(c);
  node.tooltip = `${p.folder}\nConfig: ${s.configLabel}${errors ? ` (${errors}: ${s.firstProblem ?? 'see the Problems panel'})` : ''}\n${describeContainer(c)}`;
  const children: TreeNode[] = [];
  if (errors) {
    children.push({
      id: `config:${p.folder}`,
      kind: 'config',
      folder: p.folder,
      label: 'Config',
      description: `${errors} in ${s.configLabel}`,
      tooltip: `${s.firstProblem ?? ''}\nThe container keeps running as it was made; fix the config (see the Problems panel), then Rebuild to apply it.`.trim(),
      icon: { id: 'error', color: 'list.errorForeground' },
      contextValue: 'config',
      command: { command: Commands.openConfig, title: 'Open Config', arguments: [{ folder: p.folder }] },
    });
  }
  children.push(containerNode(p));
  if (exists) children.push(portsNode(p));
  if (exists) children.push(mountsNode(p));
  children.push(lifecycleNode(p));
  children.push(reloadNode(p));
  if (p.extensions.length > 0) children.push(extensionsNode(p, input.installedExtensions));
  node.children = children;
  return node;
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

function containerNode(p: ProjectInput): TreeNode {
  const id = `container:${p.folder}`;
  const c = p.container;
  const s = p.summary;
  if (!s?.containerId || c.kind === 'missing') {
    const unknown = c.kind === 'unknown' || c.kind === 'noDocker';
    return {
      id,
      kind: 'container',
      folder: p.folder,
      label: c.kind === 'starting' ? 'Creating the container…' : unknown ? 'Container' : 'No container yet',
      description: c.kind === 'missing' ? 'Start creates it' : c.kind === 'error' ? 'the last up failed; Start tries again' : containerWord(c),
      tooltip: describeContainer(c),
      icon: containerIcon(c),
      contextValue: 'container',
    };
  }
  const info = (key: string, label: string, value: string, icon: string): TreeNode => ({
    id: `${id}:${key}`,
    kind: 'info',
    folder: p.folder,
    label,
    description: value,
    tooltip: `${label}: ${value}`,
    icon: { id: icon },
    contextValue: 'info',
  });
  const children: TreeNode[] = [];
  if (s.image) children.push(info('image', 'Image', s.image, 'package'));
  children.push(info('runtime', 'Runtime', s.runtime ?? 'runc (the engine\'s default)', 'server-process'));
  if (s.seccomp) children.push(info('seccomp', 'Seccomp', seccompText(s.seccomp), 'shield'));
  children.push(info('id', 'Container ID', shortId(s.containerId), 'symbol-key'));
  if (s.remoteUser) children.push(info('user', 'Remote user', s.remoteUser, 'account'));
  if (s.workspaceFolder) children.push(info('workspace', 'Workspace folder', s.workspaceFolder, 'folder'));
  if (s.madeBy === 'other') children.push(info('madeBy', 'Made by', 'another tool (Dev Containers); drift unknown', 'info'));
  return {
    id,
    kind: 'container',
    folder: p.folder,
    label: s.name ?? shortId(s.containerId),
    description: containerWord(c) + (c.kind === 'stale' ? ` (${s.running ? 'running' : 'stopped'}): rebuild` : ''),
    tooltip: describeContainer(c),
    icon: containerIcon(c),
    contextValue: 'container',
    children,
    expanded: false,
  };
}

/** Where a port is reached from this machine. */
export function portAddress(port: PortForward): string {
  return `127.0.0.1:${port.hostPort}`;
}

/** The URL "Open in Browser" opens: https when portsAttributes says so, else http. */
export function portUrl(port: PortForward): string {
  return `${port.protocol === 'https' ? 'https' : 'http'}://${portAddress(port)}`;
}

/** The port's name for people: its portsAttributes label, else "Port N" (with the Compose service). */
export function portLabel(port: PortForward): string {
  if (port.label) return port.label;
  return port.service ? `${port.service}:${port.containerPort}` : `Port ${port.containerPort}`;
}

/** Who forwards the port, or why nothing does, in a few words. */
export function portStateText(port: PortForward): string {
  switch (port.state) {
    case 'published':
      return 'published by Docker (appPort)';
    case 'forwarded':
      return port.by ? `forwarded by ${port.by.what} (pid ${port.by.pid})` : 'forwarded';
    case 'not-forwarded':
      return `not forwarded${port.message ? `: ${port.message}` : ''}`;
    case 'conflict':
      return `host port taken${port.message ? `: ${port.message}` : ''}`;
    case 'error':
      return `error${port.message ? `: ${port.message}` : ''}`;
  }
}

/** A port can be opened while something listens for it on this machine. */
export function portReachable(port: PortForward): boolean {
  return port.state === 'published' || port.state === 'forwarded';
}

/** Ports the engine publishes (appPort) stay until the container is made again; the others can be stopped. */
export function portStoppable(port: PortForward): boolean {
  return port.source !== 'appPort' && port.state !== 'published';
}

function portIcon(port: PortForward): TreeIcon {
  switch (port.state) {
    case 'published':
    case 'forwarded':
      return { id: 'plug', color: 'testing.iconPassed' };
    case 'not-forwarded':
      return { id: 'debug-disconnect' };
    case 'conflict':
      return { id: 'warning', color: 'list.warningForeground' };
    case 'error':
      return { id: 'error', color: 'list.errorForeground' };
  }
}

/** The ports to show: the engine's last report, else the status's, else the published ones. */
export function portsOf(p: Pick<ProjectInput, 'ports' | 'summary'>): PortForward[] {
  if (p.ports) return p.ports;
  if (p.summary?.forwards) return p.summary.forwards;
  return (p.summary?.ports ?? []).map((m) => ({ containerPort: m.containerPort, hostPort: m.hostPort, source: 'appPort', state: 'published' }));
}

export function portNode(p: Pick<ProjectInput, 'folder'>, port: PortForward): TreeNode {
  const flags = ['port'];
  if (portReachable(port)) flags.push('open', 'copy');
  if (portStoppable(port)) flags.push('stop');
  const target = `${port.service ? `${port.service}:` : ''}${port.containerPort}`;
  return {
    id: `port:${p.folder}:${port.service ?? ''}:${port.containerPort}`,
    kind: 'port',
    folder: p.folder,
    label: portLabel(port),
    description: `${portAddress(port)} → ${target} · ${portStateText(port)}`,
    tooltip: [
      `${portLabel(port)}: ${portAddress(port)} on this machine → port ${target} in the container`,
      `Source: ${port.source === 'appPort' ? 'appPort (published when the container was made)' : port.source === 'forwardPorts' ? 'forwardPorts in the config' : 'added while the container runs'}`,
      portStateText(port),
      port.via === 'netns-relay' ? "Reached through a relay in the container's network namespace (the server listens on the container's localhost)." : '',
    ]
      .filter(Boolean)
      .join('\n'),
    icon: portIcon(port),
    contextValue: flags.join(' '),
    port,
    command: portReachable(port) ? { command: Commands.openPortInBrowser, title: 'Open in Browser', arguments: [{ folder: p.folder, port }] } : undefined,
  };
}

function portsNode(p: ProjectInput): TreeNode {
  const ports = portsOf(p);
  const running = p.container.kind === 'running' || (p.container.kind === 'stale' && p.container.running);
  const children = ports.map((port) => portNode(p, port));
  if (running) {
    children.push({
      id: `forwardPort:${p.folder}`,
      kind: 'forwardPort',
      folder: p.folder,
      label: 'Forward a Port…',
      icon: { id: 'add' },
      contextValue: 'forwardPort',
      command: { command: Commands.forwardPort, title: 'Forward a Port…', arguments: [{ folder: p.folder }] },
    });
  }
  const reachable = ports.filter(portReachable).length;
  return {
    id: `ports:${p.folder}`,
    kind: 'ports',
    folder: p.folder,
    label: 'Ports',
    description:
      ports.length === 0 ? (running ? 'none forwarded' : 'none') : running ? `${reachable} of ${ports.length} reachable` : `none reachable: the container is not running`,
    icon: { id: 'plug' },
    contextValue: running ? 'ports running' : 'ports',
    children,
    expanded: ports.length > 0,
  };
}

const MOUNT_ICONS: Record<string, string> = { bind: 'folder', volume: 'database', tmpfs: 'circuit-board' };

export function mountNode(p: Pick<ProjectInput, 'folder'>, m: MountSummary): TreeNode {
  const source = m.source ?? (m.type === 'tmpfs' ? 'in memory' : '');
  return {
    id: `mount:${p.folder}:${m.target}`,
    kind: 'mount',
    folder: p.folder,
    label: m.target,
    description: `${m.type}${source ? ` ${source}` : ''}${m.readOnly ? ' (read-only)' : ''}`,
    tooltip: `${m.target} in the container ← ${m.type}${source ? ` ${source}` : ''}${m.readOnly ? ', read-only' : ''}`,
    icon: { id: MOUNT_ICONS[m.type] ?? 'file-symlink-directory' },
    contextValue: 'mount',
  };
}

function mountsNode(p: ProjectInput): TreeNode {
  const mounts = p.summary?.mounts;
  const children = (mounts ?? []).map((m) => mountNode(p, m));
  return {
    id: `mounts:${p.folder}`,
    kind: 'mounts',
    folder: p.folder,
    label: 'Mounts',
    description: mounts === undefined ? 'not reported by this engine' : String(mounts.length),
    icon: { id: 'file-symlink-directory' },
    contextValue: 'mounts',
    children,
    expanded: false,
  };
}

/** Hot reload: its state and latency figures; under it the recent reloads (files, action, latency, the failure). */
export function reloadNode(p: Pick<ProjectInput, 'folder' | 'reload'>): TreeNode {
  const r = p.reload;
  const toggle = { command: Commands.toggleReload, title: 'Toggle Hot Reload', arguments: [{ folder: p.folder }] };
  const children = (r?.recent ?? []).map((e, i): TreeNode => {
    const phases = e.phases ? Object.entries(e.phases).map(([k, v]) => `${k} ${v} ms`).join(', ') : '';
    return {
      id: `reloadEntry:${p.folder}:${e.at}:${i}`,
      kind: 'reloadEntry',
      folder: p.folder,
      label: e.count ? `${e.files.join(', ')}${e.count > e.files.length ? ` +${e.count - e.files.length}` : ''}` : 'forced reload',
      description: `${e.action} in ${seconds(e.ms)}${e.error ? ' · failed' : ''}`,
      tooltip: [`${describeEntry(e)} at ${new Date(e.at).toLocaleTimeString()}`, phases ? `Where the time went: ${phases}` : '', e.error ?? ''].filter(Boolean).join('\n'),
      icon: e.error ? { id: 'error', color: 'list.errorForeground' } : { id: 'check', color: 'testing.iconPassed' },
      contextValue: 'reloadEntry',
    };
  });
  const on = r && (r.state === 'running' || r.state === 'crashed' || r.state === 'suspended');
  return {
    id: `reload:${p.folder}`,
    kind: 'reload',
    folder: p.folder,
    label: 'Hot Reload',
    description: r ? describeReload(r) : 'off',
    tooltip: [r ? `Hot reload: ${describeReload(r)}` : 'Hot reload is off: turn it on to run the app in the container and reload it on every save.', r?.message ?? '', 'Click to turn it ' + (on ? 'off.' : 'on.')].filter(Boolean).join('\n'),
    icon: r?.state === 'crashed' || r?.state === 'failed' || r?.state === 'not-trusted' ? { id: 'zap', color: 'list.warningForeground' } : on ? { id: 'zap', color: 'testing.iconPassed' } : { id: 'zap' },
    contextValue: on ? 'reload on' : 'reload',
    command: toggle,
    children,
    expanded: false,
  };
}

/** A duration as people read it: "40 ms", "1.2 s", "12 s". */
const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`);

const HOOK_ICONS: Record<TimelineEntry['status'] | 'notRun', TreeIcon> = {
  ok: { id: 'pass', color: 'testing.iconPassed' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  cancelled: { id: 'circle-slash' },
  running: { id: 'sync~spin' },
  skipped: { id: 'debug-step-over', color: 'disabledForeground' },
  notRun: { id: 'circle-large-outline', color: 'disabledForeground' },
};

/** The line a lifecycle command's result reads as, e.g. "ok · 1.2 s" or "failed (exit 2) · 0.3 s". */
export function hookResult(e: TimelineEntry | undefined): string {
  if (!e) return 'not run yet';
  switch (e.status) {
    case 'ok':
      return `ok · ${seconds(e.ms)}`;
    case 'failed':
      return `failed${e.exitCode !== undefined ? ` (exit ${e.exitCode})` : ''} · ${seconds(e.ms)}`;
    case 'running':
      return `running… ${seconds(e.ms)}`;
    case 'cancelled':
      return 'cancelled';
    case 'skipped':
      return e.detail ? `skipped: ${e.detail}` : 'skipped';
  }
}

function hookNode(p: ProjectInput, hook: string, e: TimelineEntry | undefined, index: number): TreeNode {
  const lines = [`${hook}: ${hookResult(e)}`];
  if (e?.detail && e.status !== 'skipped') lines.push(e.detail);
  if (e?.output) lines.push('', e.output.trimEnd());
  return {
    id: `hook:${p.folder}:${hook}:${index}`,
    kind: 'hook',
    folder: p.folder,
    label: hook,
    description: hookResult(e),
    tooltip: lines.join('\n'),
    icon: HOOK_ICONS[e ? e.status : 'notRun'],
    contextValue: e?.output ? 'hook output' : 'hook',
  };
}

function lifecycleNode(p: ProjectInput): TreeNode {
  const t = p.timeline;
  const entries = t ? t.entries.filter((e) => e.kind === 'lifecycle') : [];
  // The config's commands in spec order, each with its last result; then any others the last up ran (from Features).
  const children: TreeNode[] = [];
  const used = new Set<TimelineEntry>();
  for (const hook of p.hooks) {
    const e = entries.find((x) => x.step === hook && !used.has(x));
    if (e) used.add(e);
    children.push(hookNode(p, hook, e, children.length));
  }
  for (const e of entries) if (!used.has(e)) children.push(hookNode(p, e.step, e, children.length));
  let description: string;
  let icon: TreeIcon = { id: 'checklist' };
  if (t === undefined) description = p.summary?.containerId ? 'checking…' : 'not run yet';
  else if (t === null) description = 'not run yet';
  else {
    const when = formatTime(t.startedAt);
    const ran = entries.length > 0;
    const outcome =
      t.outcome === 'ok' ? 'last up ok' : t.outcome === 'running' ? 'up running…' : t.outcome === 'failed' && !ran ? 'last up failed before any command ran' : `last up ${t.outcome}`;
    description = `${outcome} · ${seconds(t.totalMs)}${when ? ` · ${when}` : ''}${t.client === 'hb' ? ' (hb)' : ''}`;
    if (t.outcome === 'failed') icon = { id: 'checklist', color: 'testing.iconFailed' };
  }
  return {
    id: `lifecycle:${p.folder}`,
    kind: 'lifecycle',
    folder: p.folder,
    label: 'Lifecycle Commands',
    description: children.length === 0 && p.hooks.length === 0 && t?.outcome !== 'failed' ? `${description} · the config names none` : description,
    tooltip: t?.error ? `The last up failed: ${t.error}` : undefined,
    icon,
    contextValue: 'lifecycle',
    children,
    expanded: false,
  };
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function extensionsNode(p: ProjectInput, installed: ReadonlySet<string>): TreeNode {
  const has = (id: string) => installed.has(id.toLowerCase());
  const missing = p.extensions.filter((id) => !has(id)).length;
  return {
    id: `extensions:${p.folder}`,
    kind: 'extensions',
    folder: p.folder,
    label: 'Recommended Extensions',
    description: missing === 0 ? 'all installed' : `${missing} not installed`,
    icon: { id: 'extensions' },
    contextValue: 'extensions',
    expanded: missing > 0,
    children: p.extensions.map((id) => ({
      id: `extension:${p.folder}:${id}`,
      kind: 'extension' as const,
      folder: p.folder,
      label: id,
      description: has(id) ? 'installed' : 'not installed',
      tooltip: `${id}: recommended by customizations.vscode.extensions in the config${has(id) ? '; installed' : '; not installed (Install adds it to this editor)'}`,
      icon: has(id) ? { id: 'pass', color: 'testing.iconPassed' } : { id: 'extensions' },
      contextValue: has(id) ? 'extension' : 'extension installable',
      extensionId: id,
      command: { command: Commands.showExtension, title: 'Show in Extensions', arguments: [id] },
    })),
  };
}

/** The extensions a config recommends (`customizations.vscode.extensions`), without the `-id` exclusions. */
export function recommendedExtensions(config: Record<string, unknown> | null | undefined): string[] {
  const list = ((config?.customizations as { vscode?: { extensions?: unknown } } | undefined)?.vscode?.extensions);
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const x of list) {
    if (typeof x !== 'string') continue;
    const id = x.trim();
    if (!id || id.startsWith('-') || !/^[\w-]+\.[\w.-]+$/.test(id)) continue;
    if (!out.some((o) => o.toLowerCase() === id.toLowerCase())) out.push(id);
  }
  return out;
}

/** The lifecycle commands a config names, in the order they run. */
export function configHooks(config: Record<string, unknown> | null | undefined): string[] {
  return LIFECYCLE_HOOKS.filter((h) => {
    const v = config?.[h];
    return (typeof v === 'string' && v.trim() !== '') || (Array.isArray(v) && v.length > 0) || (!!v && typeof v === 'object' && Object.keys(v).length > 0);
  });
}

/**
 * The folder a command was run on: a tree node or `{ folder }` (the view), a Uri (the Explorer's
 * context menu), or nothing (the palette: the command then asks or uses the focused project).
 */
export function folderOfArg(arg: unknown): string | undefined {
  if (!arg || typeof arg !== 'object') return undefined;
  const a = arg as { folder?: unknown; scheme?: unknown; fsPath?: unknown };
  if (typeof a.folder === 'string' && a.folder) return a.folder;
  if (a.scheme === 'file' && typeof a.fsPath === 'string') return a.fsPath;
  return undefined;
}
