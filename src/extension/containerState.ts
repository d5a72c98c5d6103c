// What a project's dev container is doing, as the status bar and the quick pick of actions see
// it, and which actions make sense in each state. Pure: no run-time import of `vscode`.
import { Capability, RuntimeErrorCodes, type CapabilityName, type ContainerSummary, type PortMapping, type RuntimeErrorCode } from '../protocol';

export type ContainerView =
  /** Not asked yet (engine starting, config being checked). */
  | { kind: 'unknown' }
  | { kind: 'missing' }
  | { kind: 'stopped'; name: string | null }
  /** An `up` (or a rebuild) is under way; `step` is its last progress message. */
  | { kind: 'starting'; rebuild: boolean; step?: string }
  /** A stop, or with `removing` a Remove Container, is under way. */
  | { kind: 'stopping'; removing?: boolean }
  | { kind: 'running'; name: string | null; image: string | null; ports: PortMapping[] }
  /** The container exists but its inputs changed since it was made: a rebuild applies them. */
  | { kind: 'stale'; running: boolean; changed: string[]; message?: string }
  | { kind: 'error'; message: string }
  /** No Docker engine answers (not running, socket missing, permission denied): the engine's words. */
  | { kind: 'noDocker'; message: string };

/** Per-project facts the view is computed from. */
export interface ContainerFacts {
  /** The last answer of RuntimeStatus (or of up/stop), if any. */
  summary?: ContainerSummary;
  /** An operation the extension has under way. */
  busy?: { kind: 'starting'; rebuild: boolean; step?: string } | { kind: 'stopping'; removing?: boolean };
  /** Why the last status, up or stop failed (already worded for the user). */
  failure?: string;
  /** The RuntimeErrorCode of that failure, when the engine gave one (e.g. `no-engine`). */
  failureCode?: RuntimeErrorCode;
  /** The checked config the engine was last asked about this container for (reset by a new engine session). */
  askedFor?: unknown;
}

/** A container exists for the project (running, stopped or stale), whatever the last operation said. */
export function containerExists(f: ContainerFacts): boolean {
  return !!f.summary?.containerId && f.summary.state !== 'missing';
}

export function containerView(f: ContainerFacts): ContainerView {
  if (f.busy) return f.busy.kind === 'starting' ? { kind: 'starting', rebuild: f.busy.rebuild, step: f.busy.step } : f.busy.removing ? { kind: 'stopping', removing: true } : { kind: 'stopping' };
  if (f.failure) return f.failureCode === RuntimeErrorCodes.noEngine ? { kind: 'noDocker', message: f.failure } : { kind: 'error', message: f.failure };
  const s = f.summary;
  if (!s) return { kind: 'unknown' };
  switch (s.state) {
    case 'missing':
      return { kind: 'missing' };
    case 'running':
      return { kind: 'running', name: s.name, image: s.image, ports: s.ports };
    case 'stopped':
      return { kind: 'stopped', name: s.name };
    case 'stale':
      return { kind: 'stale', running: s.running, changed: s.drift.changed, message: s.message };
    case 'error':
      return { kind: 'error', message: s.message ?? 'the container is in an unknown state' };
  }
}

/** Actions of the quick pick, in the order shown. Only those that make sense now are offered. */
export type ActionId = 'retryDocker' | 'start' | 'stop' | 'rebuild' | 'remove' | 'openTerminal' | 'openPorts' | 'reopenInContainer' | 'showContainerLogs' | 'showPanel' | 'manageTrust' | 'openConfig' | 'showLogs';

export interface ActionInput {
  /** Workspace Trust: in Restricted Mode nothing runs. */
  trusted: boolean;
  /** The config is chosen and has no errors. */
  configOk: boolean;
  container: ContainerView;
  /** The Dev Containers extension is installed and the window is local: it can reopen the folder in the container. */
  devContainers?: boolean;
  /**
   * A container exists (containerExists). Without one there is nothing to rebuild, stop or read the
   * logs of, whatever the state says (a failed first up is an `error` with no container).
   */
  exists?: boolean;
  /** What the engine can do (its handshake's capabilities); an action it lacks is not offered. Default: everything. */
  can?: (capability: CapabilityName) => boolean;
}

export function availableActions(a: ActionInput): ActionId[] {
  const out: ActionId[] = [];
  const c = a.container;
  const exists = a.exists ?? (c.kind === 'running' || c.kind === 'stopped' || c.kind === 'stale');
  const can = a.can ?? (() => true);
  if (!a.trusted) {
    out.push('manageTrust');
  } else if (c.kind === 'noDocker') {
    out.push('retryDocker');
  } else {
    const busy = c.kind === 'starting' || c.kind === 'stopping' || c.kind === 'unknown';
    const running = c.kind === 'running' || (c.kind === 'stale' && c.running);
    const rebuild = a.configOk && !busy && exists;
    // a stale container runs the old config: Rebuild is what applies the new one, so it comes first
    if (rebuild && c.kind === 'stale') out.push('rebuild');
    if (a.configOk && !busy && !running) out.push('start');
    if (running) out.push('stop');
    if (running && can(Capability.terminal)) out.push('openTerminal');
    if (running && can(Capability.ports)) out.push('openPorts');
    if (rebuild && c.kind !== 'stale') out.push('rebuild');
    // removing needs no usable config (hb down finds the container by its labels)
    if (exists && !busy && can(Capability.remove)) out.push('remove');
    // the Dev Containers extension attaches to the container HyperBox made (it carries its labels)
    if (a.devContainers && a.configOk && !busy && c.kind !== 'error') out.push('reopenInContainer');
  }
  // reading what a container printed runs nothing, so it is there in Restricted Mode too; without a container there is nothing to read
  if (exists && c.kind !== 'noDocker' && can(Capability.containerLogs)) out.push('showContainerLogs');
  // the Dev Container panel only shows what is known: in Restricted Mode too
  out.push('showPanel', 'openConfig', 'showLogs');
  return out;
}

/** Words for a container state, for tooltips and messages. */
export function describeContainer(c: ContainerView): string {
  switch (c.kind) {
    case 'unknown':
      return 'Container: not known yet.';
    case 'missing':
      return 'No dev container yet: Start creates it.';
    case 'stopped':
      return `Dev container${c.name ? ` ${c.name}` : ''} is stopped.`;
    case 'starting':
      return `${c.rebuild ? 'Rebuilding' : 'Starting'} the dev container${c.step ? `: ${c.step}` : '…'}`;
    case 'stopping':
      return c.removing ? 'Removing the dev container…' : 'Stopping the dev container…';
    case 'running': {
      const ports = c.ports.map((p) => `${p.hostPort}→${p.containerPort}`).join(', ');
      return `Dev container${c.name ? ` ${c.name}` : ''} is running${c.image ? ` (${c.image})` : ''}${ports ? `; ports ${ports}` : ''}.`;
    }
    case 'stale':
      return `Dev container is ${c.running ? 'running' : 'stopped'} but stale: ${c.changed.length ? `${c.changed.join(', ')} changed since it was made` : (c.message ?? 'its config changed')}. Rebuild to apply the changes.`;
    case 'error':
      return `Dev container error: ${c.message}`;
    case 'noDocker':
      return `HyperBox cannot reach Docker: ${c.message}`;
  }
}
