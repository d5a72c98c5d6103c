// Hot reload as a live capability: for a project whose devcontainer.json turns it on
// (customizations.hyperbox.reload.enabled), or that the editor turned on (ReloadToggle), the engine
// runs the app under supervision while the container runs and reloads it on every change. When
// the container stops (or is recreated) the session is suspended, not closed: the watcher keeps
// running, changes queue up, and when the container runs again the workspace is copied in again
// (copy-sync), the app started afresh and the queued changes replayed (deleted files removed, a
// changed lockfile reinstalled). It runs the dev command, so it needs the folder trusted the way
// `hb up` remembers it (or Workspace Trust when the editor turns it on). The editor's saves
// arrive as ReloadSaved.
import type { MessageConnection } from 'vscode-jsonrpc';
import { ReloadSaved, ReloadToggle, type ReloadEvent, type RuntimeTarget } from '../../protocol';
import { loadConfig } from '../runtime/container';
import type { Engine } from '../runtime/engine/docker';
import { isTrusted, rememberTrust } from '../runtime/create/trust';
import type { LiveCapability, LiveContainer, LiveEndReason } from '../live/host';
import { percentile, serveControl, type ControlServer } from './control';
import { alreadyRunning, planReload, reloadSettings, reloadTrustFindings, type ReloadPlan } from './plan';
import { ReloadSession } from './session';

interface Log {
  warn(m: string): void;
  debug(m: string): void;
}

interface Running {
  configFile: string;
  session: ReloadSession;
  control: ControlServer;
  plan: ReloadPlan;
}

export class ReloadCapability implements LiveCapability {
  readonly name = 'hot reload';
  /** By folder: the session, running or suspended (its container stopped). */
  private readonly sessions = new Map<string, Running>();
  /** By folder: the container that runs now, as the live host reported it. */
  private readonly live = new Map<string, LiveContainer>();
  /** By folder: the editor's choice (ReloadToggle), over the config's reload.enabled. */
  private readonly overrides = new Map<string, boolean>();

  constructor(
    private readonly engine: () => Promise<Engine>,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Log,
    private readonly notify: (e: ReloadEvent) => void,
  ) {}

  async start(c: LiveContainer, signal: AbortSignal) {
    const folder = c.project.folder;
    this.live.set(folder, c);
    const stop = async (reason: LiveEndReason) => {
      if (this.live.get(folder) === c) this.live.delete(folder);
      // stopped or recreated: the session waits for the container (changes queue); else it ends
      if (reason === 'removed' || reason === 'shutdown') await this.end(folder, 'stopped');
      else if (this.sessions.has(folder)) this.notify({ folder, configFile: c.project.configFile, kind: 'suspended', message: 'The dev container stopped; changes are queued and replayed when it runs again.' });
    };
    if (this.enabled(c)) await this.begin(c, signal);
    return stop;
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((f) => this.end(f)));
  }

  private enabled(c: LiveContainer): boolean {
    return this.overrides.get(c.project.folder) ?? reloadSettings(c.resolved.config).enabled;
  }

  /** Starts the folder's hot reload in the running container `c`, or resumes its suspended session there. */
  private async begin(c: LiveContainer, signal: AbortSignal): Promise<void> {
    const config = c.resolved.config;
    const { folder, configFile } = c.project;
    const base = { folder, configFile };
    const plan = await planReload(folder, config, this.env);
    if (!(await isTrusted(this.env, folder, reloadTrustFindings(plan.command), configFile))) {
      const message = `Hot reload is on for ${folder} but not started: it runs "${plan.command}" in the container, and the folder is not trusted for it. Run hb watch ${folder} once and answer y (or pass --trust), or turn it on with "HyperBox: Toggle Hot Reload" in a trusted window.`;
      this.log.warn(message);
      await this.end(folder);
      this.notify({ ...base, kind: 'not-trusted', message });
      return;
    }
    const engine = await this.engine();
    const why = await alreadyRunning(engine, c.info, config, plan.command, plan.ports);
    if (why) {
      await this.end(folder);
      this.notify({ ...base, kind: 'failed', message: why });
      this.log.warn(`Hot reload for ${folder}: ${why}`);
      return;
    }
    let running = this.sessions.get(folder);
    if (running && running.plan.command === plan.command && running.plan.strategy === plan.strategy) {
      await running.session.resume(c.info);
    } else {
      if (running) await this.end(folder);
      running = await this.open(c, plan, engine);
      if (!running) return;
    }
    if (signal.aborted) return;
    await running.control.update({
      owner: { pid: process.pid, kind: 'engine' },
      folder,
      containerId: c.id,
      command: plan.command,
      strategy: plan.strategy,
      pid: running.session.supervisor?.pid ?? null,
      startedAt: new Date().toISOString(),
    });
    this.notify({ ...base, kind: 'started', action: 'started', message: `${plan.command} (${plan.strategy})` });
  }

  private async open(c: LiveContainer, plan: ReloadPlan, engine: Engine): Promise<Running | undefined> {
    const { folder, configFile } = c.project;
    const base = { folder, configFile };
    const config = c.resolved.config;
    const ms: number[] = [];
    const session: ReloadSession = new ReloadSession({
      engine,
      info: c.info,
      config,
      root: folder,
      containerWorkspace: c.resolved.workspace?.containerWorkspaceFolder ?? c.info.Config.WorkingDir ?? '/',
      command: plan.command,
      strategy: plan.strategy,
      rebuildOn: plan.rebuildOn,
      preload: plan.preload,
      ports: plan.servePorts,
      ignore: reloadSettings(config).ignore,
      env: this.env,
      followRestarts: true,
      events: {
        output: (t) => this.log.debug(`[${plan.command}] ${t.trimEnd()}`),
        reloaded: (r) => {
          ms.push(r.ms);
          if (ms.length > 50) ms.shift();
          this.notify({ ...base, kind: 'reloaded', action: r.action, files: r.files, count: r.count, ms: r.ms, phases: r.phases, p50: percentile(ms, 50), p95: percentile(ms, 95), ...(r.error ? { message: r.error } : {}) });
        },
        crashed: (exitCode, output) => this.notify({ ...base, kind: 'crashed', exitCode, output }),
        rebuildOffered: (files) => this.notify({ ...base, kind: 'rebuild-offered', files }),
        warn: (m) => this.log.warn(`Hot reload for ${folder}: ${m}`),
      },
    });
    const control = await serveControl(this.env, folder, configFile, async () => {
      await session.force();
      return session.last;
    });
    const running = { configFile, session, control, plan };
    this.sessions.set(folder, running);
    try {
      await session.start();
    } catch (e) {
      await this.end(folder);
      throw e;
    }
    return running;
  }

  /** Ends the folder's session (if any): the app stops, the watcher and `hb reload`'s socket close. */
  private async end(folder: string, say?: 'stopped' | 'off'): Promise<void> {
    const running = this.sessions.get(folder);
    if (!running) return;
    this.sessions.delete(folder);
    await running.session.close();
    await running.control.close();
    if (say) this.notify({ folder, configFile: running.configFile, kind: say });
  }

  register(conn: MessageConnection, serve: (t: RuntimeTarget) => Promise<void>): void {
    // the editor's saves, fed to the folder's session beside its watcher (acted on without a quiet period)
    conn.onNotification(ReloadSaved, (p) => this.sessions.get(p.folder)?.session.saved(p.paths));
    conn.onRequest(ReloadToggle, async (p) => {
      const folder = p.folder;
      this.overrides.set(folder, p.enabled);
      if (!p.enabled) {
        const had = this.sessions.has(folder);
        await this.end(folder);
        if (had) this.notify({ folder, configFile: p.configFile ?? this.live.get(folder)?.project.configFile ?? '', kind: 'off' });
        return { enabled: false, message: had ? 'Hot reload is off; the app was stopped.' : 'Hot reload is off.' };
      }
      if (p.trusted) {
        // turned on in a trusted window: the user asked for the dev command to run
        const resolved = await loadConfig(folder, p.configFile, this.env);
        const plan = await planReload(folder, resolved.config, this.env);
        await rememberTrust(this.env, folder, reloadTrustFindings(plan.command), resolved.configFile);
      }
      const c = this.live.get(folder);
      if (!c) {
        // the live host tells start() when the folder's container runs
        await serve({ folder, configFile: p.configFile });
        const now = this.live.get(folder);
        if (!now) return { enabled: true, message: 'Hot reload is on; it starts with the dev container.' };
        return { enabled: true, message: this.sessions.has(folder) ? 'Hot reload runs.' : 'Hot reload is on but did not start (see the HyperBox log).' };
      }
      if (!this.sessions.get(folder)?.session.supervisor) await this.begin(c, new AbortController().signal);
      return { enabled: true, message: this.sessions.has(folder) ? 'Hot reload runs.' : 'Hot reload is on but did not start (see the HyperBox log).' };
    });
  }
}
