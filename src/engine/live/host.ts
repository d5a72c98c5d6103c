// The live host: the one place where work that lives with a dev container is started and ended.
// A capability (port forwarding today; hot reload, pressure and traces next) registers once and is
// told when a container of a project the engine serves runs — brought up by this engine, started
// again with `docker start`, or found running when the editor first asks about its project (after
// an engine restart) — with an AbortSignal that ends when the container stops, is recreated or
// removed, or the engine shuts down; the function it returns is then called with the reason.
// Transitions of one project happen one at a time, in the order Docker reported them. A
// capability that throws is logged under its name; the others carry on. See README "Layout".
import type { ValidConfig } from '../devcontainer/config';
import type { ContainerInspectInfo } from 'dockerode';
import type { ContainerEvent } from '../../protocol';
import type { EventWatch } from '../runtime/live/events';

/** A dev container's project: the local folder and config file (the reference labels on the container). */
export interface LiveProject {
  folder: string;
  configFile: string;
}

/** What a capability is told about a running container. */
export interface LiveContainer {
  id: string;
  project: LiveProject;
  /** The config as read now (config, paths, workspace). */
  resolved: ValidConfig;
  /** The container as the engine reported it when it started running. */
  info: ContainerInspectInfo;
}

/** Why a container's live work ends. */
export type LiveEndReason = 'stopped' | 'recreated' | 'removed' | 'shutdown';

/** Called once when a container's live work ends (after its signal aborted). */
export type LiveStop = (reason: LiveEndReason) => void | Promise<void>;

export interface LiveCapability {
  /** For messages: "port forwarding", "hot reload", ... */
  readonly name: string;
  /**
   * A container of a served project runs. Work started here lives until `signal` aborts (its
   * reason is a LiveEndReason); the returned function, if any, is called then to clean up.
   */
  start(container: LiveContainer, signal: AbortSignal): void | LiveStop | Promise<void | LiveStop>;
  /** The engine shuts down (after every container's work ended): release engine-wide resources. */
  shutdown?(): void | Promise<void>;
}

/** Where the host learns about containers: Docker in the engine, a fake in tests. */
export interface LiveBackend {
  /** Follows dev container events until closed. */
  watch(onEvent: (e: ContainerEvent) => void, onError: (e: Error) => void): EventWatch;
  /** The project's running container, if it has one. */
  findRunning(project: LiveProject): Promise<string | undefined>;
  /** The container as capabilities see it; undefined when it does not run (any more). */
  describe(id: string, project: LiveProject): Promise<LiveContainer | undefined>;
}

export interface LiveLog {
  warn(message: string): void;
  debug(message: string): void;
}

interface Session {
  id: string;
  project: LiveProject;
  controller: AbortController;
  stops: { name: string; stop: LiveStop }[];
}

export const projectKey = (p: { folder: string; configFile: string | null }) => `${p.folder}\0${p.configFile ?? ''}`;

const RUNNING: ContainerEvent['action'][] = ['start', 'restart', 'unpause'];
const STOPPED: ContainerEvent['action'][] = ['die', 'stop'];

export class LiveHost {
  private readonly served = new Map<string, LiveProject>();
  private readonly sessions = new Map<string, Session>();
  private readonly queues = new Map<string, Promise<void>>();
  private watcher: EventWatch | undefined;
  private closed = false;

  constructor(
    private readonly backend: LiveBackend,
    private readonly capabilities: readonly LiveCapability[],
    private readonly log: LiveLog,
    /** Every dev container event, served project or not (the editor's RuntimeContainerChanged). */
    private readonly onEvent?: (e: ContainerEvent) => void,
  ) {}

  /** Starts following the engine's events (once); resolves when the subscription is open. */
  async watch(): Promise<void> {
    if (this.closed) throw new Error('The live host is shut down.');
    if (!this.watcher) {
      const w = this.backend.watch(
        (e) => this.handle(e),
        (err) => this.log.warn(`Docker events: ${err.message}; trying again.`),
      );
      this.watcher = w;
      try {
        await w.ready;
      } catch (e) {
        w.close();
        if (this.watcher === w) this.watcher = undefined;
        throw e;
      }
    } else await this.watcher.ready;
  }

  /**
   * The engine serves this project from now on: its containers' live work follows their events.
   * `runningId`: its container that runs now, or null when the caller knows none does (when
   * undefined, it is looked for).
   */
  async serve(project: LiveProject, runningId?: string | null): Promise<void> {
    if (this.closed) return;
    this.served.set(projectKey(project), project);
    await this.watch();
    await this.enqueue(project, async () => {
      const id = runningId === undefined ? await this.backend.findRunning(project) : runningId;
      if (id) await this.begin(id, project);
    });
  }

  /** The containers with live work now (their ids). */
  running(): string[] {
    return [...this.sessions.values()].map((s) => s.id);
  }

  /** One Docker event: live work starts, or ends, for containers of served projects. */
  handle(e: ContainerEvent): void {
    this.onEvent?.(e);
    if (this.closed || !e.configFile) return;
    const project = this.served.get(projectKey(e));
    if (!project) return;
    if (RUNNING.includes(e.action)) void this.enqueue(project, () => this.begin(e.containerId, project));
    else if (STOPPED.includes(e.action)) void this.enqueue(project, () => this.end(project, e.containerId, 'stopped'));
    else if (e.action === 'destroy') void this.enqueue(project, () => this.end(project, e.containerId, 'removed'));
  }

  /** Ends every container's live work, then tells each capability; no events are followed after. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    await Promise.all([...this.queues.values()]);
    await Promise.all([...this.sessions.values()].map((s) => this.finish(s, 'shutdown')));
    for (const c of this.capabilities) await this.guard(c.name, 'shutting down', async () => void (await c.shutdown?.()));
  }

  /** Runs the project's transitions one after another (each one's failure is its own). */
  private enqueue(project: LiveProject, fn: () => Promise<void>): Promise<void> {
    const key = projectKey(project);
    const next = (this.queues.get(key) ?? Promise.resolve()).then(fn).catch((e) => this.log.warn(`Live work for ${project.folder}: ${(e as Error).message}`));
    this.queues.set(key, next);
    void next.then(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
    return next;
  }

  private async begin(id: string, project: LiveProject): Promise<void> {
    if (this.closed) return;
    const key = projectKey(project);
    const current = this.sessions.get(key);
    if (current?.id === id) return;
    const container = await this.backend.describe(id, project);
    if (!container || this.closed) return;
    // another container of the project runs now: the project's container was recreated
    if (current) await this.finish(current, 'recreated');
    const session: Session = { id, project, controller: new AbortController(), stops: [] };
    this.sessions.set(key, session);
    await Promise.all(
      this.capabilities.map((c) =>
        this.guard(c.name, `starting for ${project.folder}`, async () => {
          const stop = await c.start(container, session.controller.signal);
          // an event that ends this work waits in the project's queue until every start is done
          if (typeof stop === 'function') session.stops.push({ name: c.name, stop });
        }),
      ),
    );
  }

  private async end(project: LiveProject, id: string, reason: LiveEndReason): Promise<void> {
    const current = this.sessions.get(projectKey(project));
    if (current?.id === id) await this.finish(current, reason);
  }

  private async finish(session: Session, reason: LiveEndReason): Promise<void> {
    const key = projectKey(session.project);
    if (this.sessions.get(key) === session) this.sessions.delete(key);
    if (session.controller.signal.aborted) return;
    session.controller.abort(reason);
    await Promise.all(session.stops.map((s) => this.guard(s.name, `stopping for ${session.project.folder}`, async () => void (await s.stop(reason)))));
  }

  /** One capability's step; its error is logged and goes no further. */
  private async guard(name: string, what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.log.warn(`${name}, ${what}: ${(e as Error)?.message ?? String(e)}`);
    }
  }
}
