// What is known of each project besides its config and its container's state: its ports (who
// forwards each one), the timeline of its last `up` (the lifecycle commands' results) and the
// output of the up under way. The one store every surface reads (through Ctx.model): kept current
// from the engine's notifications (RuntimePortsChanged, RuntimeTimelineChanged, RuntimeOutput),
// and asked for again whenever the container changes (created, started, stopped, removed), and its
// hot reload as the engine's ReloadChanged events tell it (reloadState.ts).
import * as vscode from 'vscode';
import type { NotificationType } from 'vscode-jsonrpc';
import { Capability, ReloadChanged, RuntimePorts, RuntimePortsChanged, RuntimeTimeline, RuntimeTimelineChanged, type CapabilityName, type ContainerSummary, type PortForward, type UpTimeline } from '../protocol';
import { EngineUnavailableError } from './engineClient';
import { applyReloadEvent, type ReloadState } from './reloadState';
import type { Project, Projects, Requester } from './projects';

export interface DetailsDeps {
  projects: Projects;
  request: Requester;
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): vscode.Disposable;
  engineRunning(): boolean;
  /** Whether the running engine's handshake lists a capability. */
  engineHas(capability: CapabilityName): boolean;
  log: vscode.LogOutputChannel;
}

interface Entry {
  /** The summary the entry was last brought up to date with. */
  summary?: ContainerSummary;
  /** containerId and state: a change asks the engine again. */
  key?: string;
  ports?: PortForward[];
  /** undefined: not known yet; null: no `up` recorded (or an engine without timelines). */
  timeline?: UpTimeline | null;
  /** What the up under way (or the last one) printed, by source (`build`, `postCreateCommand`...), the last few KB of each. */
  output: Map<string, string>;
  /** Hot reload, once the engine reported on it. */
  reload?: ReloadState;
}

/** How much live output is kept per source: what the panel's running rows show. */
const OUTPUT_KEEP = 8 * 1024;

/** Whether a timeline is of this folder and config (a null config matches the folder's default). */
export function timelineMatches(t: UpTimeline, folder: string, configFile: string | null): boolean {
  return t.folder === folder && (!configFile || !t.configFile || t.configFile === configFile);
}

/**
 * Whether `next` may replace `current`: never an older up's timeline, and for the same up never
 * an earlier moment of it (answers to RuntimeTimeline and notifications may cross).
 */
export function newerTimeline(current: UpTimeline | null | undefined, next: UpTimeline): boolean {
  if (!current) return true;
  if (next.startedAt !== current.startedAt) return next.startedAt > current.startedAt;
  if (current.outcome !== 'running' && next.outcome === 'running') return false;
  return next.totalMs >= current.totalMs || (current.outcome === 'running' && next.outcome !== 'running');
}

export class ProjectDetails implements vscode.Disposable {
  private readonly byFolder = new Map<string, Entry>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[] = [];
  readonly onDidChange = this.changed.event;

  constructor(private readonly deps: DetailsDeps) {
    this.subscriptions.push(
      this.changed,
      deps.onNotification(RuntimePortsChanged, (r) => {
        this.entry(r.folder).ports = r.ports;
        this.changed.fire();
      }),
      deps.onNotification(RuntimeTimelineChanged, (t) => {
        // the up of another of the folder's configs is not this project's
        const p = deps.projects.list().find((x) => x.folder.uri.fsPath === t.folder);
        if (!timelineMatches(t, t.folder, p?.choice.kind === 'chosen' ? p.choice.configFile : null)) return;
        const e = this.entry(t.folder);
        if (!newerTimeline(e.timeline, t)) return;
        e.timeline = t;
        this.changed.fire();
      }),
      deps.onNotification(ReloadChanged, (e) => {
        const entry = this.entry(e.folder);
        entry.reload = applyReloadEvent(entry.reload, e);
        this.changed.fire();
      }),
      deps.projects.onDidChange(() => this.sync()),
    );
  }

  /** The last ports the engine reported for the project's container, if any. */
  ports(project: Project): PortForward[] | undefined {
    return this.byFolder.get(project.folder.uri.fsPath)?.ports;
  }

  /** The last `up`'s timeline: undefined while not known, null when there is none. */
  timeline(project: Project): UpTimeline | null | undefined {
    return this.byFolder.get(project.folder.uri.fsPath)?.timeline;
  }

  /** The project's hot reload as the engine last reported it; undefined before any report. */
  reload(project: Project): ReloadState | undefined {
    return this.byFolder.get(project.folder.uri.fsPath)?.reload;
  }

  /** What the project's up printed so far, by source. */
  output(project: Project): ReadonlyMap<string, string> {
    return this.byFolder.get(project.folder.uri.fsPath)?.output ?? new Map();
  }

  /** An up begins: its output replaces the last one's. */
  upStarted(folder: string): void {
    this.entry(folder).output = new Map();
    this.changed.fire();
  }

  /** Output of a build or lifecycle command of the folder's up (RuntimeOutput). */
  appendOutput(folder: string, source: string, text: string): void {
    const out = this.entry(folder).output;
    const all = (out.get(source) ?? '') + text;
    out.set(source, all.length > OUTPUT_KEEP ? all.slice(all.length - OUTPUT_KEEP) : all);
    this.changed.fire();
  }

  /** A new engine session knows nothing of the last one's answers. */
  engineStarted(): void {
    for (const e of this.byFolder.values()) e.key = undefined;
    this.sync();
  }

  /** Asks the engine again about every project (the view's Refresh). */
  async refresh(): Promise<void> {
    await Promise.all(this.deps.projects.list().map((p) => this.fetch(p, true)));
  }

  /** Asks for the ports of one project now (after a port was added or removed). */
  async refreshPorts(project: Project): Promise<PortForward[] | undefined> {
    await this.fetchPorts(project);
    return this.ports(project);
  }

  dispose(): void {
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }

  // -------------------------------------------------------------------------------------------

  private entry(folder: string): Entry {
    let e = this.byFolder.get(folder);
    if (!e) {
      e = { output: new Map() };
      this.byFolder.set(folder, e);
    }
    return e;
  }

  /** Brings each project's entry up to date with its container's summary. */
  private sync(): void {
    const folders = new Set<string>();
    for (const p of this.deps.projects.list()) {
      folders.add(p.folder.uri.fsPath);
      const s = p.container.summary;
      const e = this.entry(p.folder.uri.fsPath);
      if (s && s !== e.summary) {
        e.summary = s;
        // RuntimeStatus says who forwards each port; an up's answer does not, so then ask.
        if (s.forwards) e.ports = s.forwards;
        else if (!s.containerId) e.ports = [];
      }
      void this.fetch(p, false);
    }
    for (const f of [...this.byFolder.keys()]) if (!folders.has(f)) this.byFolder.delete(f);
  }

  private async fetch(p: Project, force: boolean): Promise<void> {
    const s = p.container.summary;
    if (p.choice.kind !== 'chosen' || !s || !this.deps.engineRunning()) return;
    const e = this.entry(p.folder.uri.fsPath);
    const key = `${s.containerId}|${s.state}|${s.running}|${p.container.busy?.kind ?? ''}`;
    if (!force && e.key === key) return;
    e.key = key;
    await Promise.all([s.running && (force || !s.forwards) ? this.fetchPorts(p) : undefined, this.fetchTimeline(p)]);
  }

  private async fetchPorts(p: Project): Promise<void> {
    if (p.choice.kind !== 'chosen') return;
    try {
      const r = await this.deps.request(RuntimePorts, { folder: p.folder.uri.fsPath, configFile: p.choice.configFile });
      this.entry(p.folder.uri.fsPath).ports = r.ports;
      this.changed.fire();
    } catch (e) {
      if (!(e instanceof EngineUnavailableError)) this.deps.log.warn(`Could not get the ports of the dev container of ${p.folder.uri.fsPath}: ${(e as Error).message}`);
    }
  }

  private async fetchTimeline(p: Project): Promise<void> {
    if (p.choice.kind !== 'chosen') return;
    const entry = this.entry(p.folder.uri.fsPath);
    // an engine without timelines (its handshake does not list them) is not asked
    if (!this.deps.engineHas(Capability.timeline)) {
      if (entry.timeline === undefined) {
        entry.timeline = null;
        this.changed.fire();
      }
      return;
    }
    try {
      const t = await this.deps.request(RuntimeTimeline, { folder: p.folder.uri.fsPath, configFile: p.choice.configFile });
      // a notification may have brought a later moment of the same up meanwhile
      if (t === null ? entry.timeline === undefined : newerTimeline(entry.timeline, t)) entry.timeline = t;
    } catch (e) {
      if (e instanceof EngineUnavailableError) return;
      this.deps.log.warn(`Could not get the lifecycle results of ${p.folder.uri.fsPath}: ${(e as Error).message}`);
      // shown as "not run yet": nothing is known of an earlier up
      entry.timeline ??= null;
    }
    this.changed.fire();
  }
}
