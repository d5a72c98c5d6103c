// The one state of a project that every surface renders: the status bar, the HyperBox view, the
// Dev Container panel and the walkthrough's context keys. Ctx.model() assembles it from the stores
// the engine feeds (Projects: config and container; ProjectDetails: ports, timeline, live output);
// the pure functions here say what is true when the stores' facts meet (ports of a stopped
// container are reachable by nobody; a running step shows what it has printed so far). Room for
// what comes next (hot reload, pressure, traces) is one field each here. No run-time `vscode`.
import type { ContainerSummary, PortForward, ResolvedConfig, UpTimeline } from '../protocol';
import type { ActionId, ContainerView } from './containerState';
import type { ReloadState } from './reloadState';
import type { ProjectView } from './status';

export interface ProjectModel {
  /** Absolute path and URI string of the workspace folder. */
  folder: string;
  folderUri: string;
  folderName: string;
  /** The config in use (absolute path), or null when none is chosen. */
  configFile: string | null;
  /** What the status bar shows of the project: config state, stack, container view. */
  view: ProjectView;
  container: ContainerView;
  /** A container exists (running, stopped or stale). */
  exists: boolean;
  /** The container's own state runs (running, or stale and running). */
  running: boolean;
  summary?: ContainerSummary;
  /** Every port as it is now: nobody forwards the ports of a container that is not running. */
  ports: PortForward[];
  /** The last up's timeline with the live output of its running steps; undefined while not known, null when there was none. */
  timeline?: UpTimeline | null;
  /** What can be done now (the quick pick, the view's menus, the panel's buttons). */
  actions: ActionId[];
  result?: ResolvedConfig;
  discovering: boolean;
  /** Hot reload as the engine last reported it (on, the last reload and its latency, recent reloads); undefined before any report. */
  reload?: ReloadState;
}

/** Whether the container runs in this view of it. */
export function isRunning(c: ContainerView): boolean {
  return c.kind === 'running' || (c.kind === 'stale' && c.running);
}

/**
 * The ports as they are: while the container does not run nothing answers on them, whatever the
 * last report said (a forwarder may still listen, but a request gets an empty reply).
 */
export function truthfulPorts(ports: readonly PortForward[], running: boolean): PortForward[] {
  if (running) return [...ports];
  return ports.map((p) =>
    p.state === 'published' || p.state === 'forwarded'
      ? { ...p, state: 'not-forwarded' as const, by: undefined, via: undefined, message: 'the container is not running' }
      : p,
  );
}

/** The timeline with what each running step printed so far (RuntimeOutput), where the engine's snapshot has less. */
export function withLiveOutput(t: UpTimeline | null | undefined, output: ReadonlyMap<string, string>): UpTimeline | null | undefined {
  if (!t || t.outcome !== 'running' || output.size === 0) return t;
  let changed = false;
  const entries = t.entries.map((e) => {
    const live = output.get(e.step) ?? (e.kind === 'build' ? output.get('build') : undefined);
    if (e.status !== 'running' || !live || (e.output && e.output.length >= live.length)) return e;
    changed = true;
    return { ...e, output: live };
  });
  return changed ? { ...t, entries } : t;
}
