// Hot reload as a live capability: for a project whose devcontainer.json turns it on
// (customizations.hyperbox.reload.enabled), the engine runs the app under supervision while the
// container runs and reloads it on every change; it ends with the container (the live host says
// when) and starts again when the container does — the full copy at start (copy-sync) and the app
// started afresh bring in what changed while it was stopped. It runs the dev command, so it needs
// the folder trusted the way `hb up` remembers it. The editor's saves arrive as ReloadSaved.
import type { MessageConnection } from 'vscode-jsonrpc';
import { ReloadChanged, ReloadSaved, type ReloadEvent } from '../../protocol';
import type { Engine } from '../runtime/docker';
import { isTrusted } from '../runtime/trust';
import type { LiveCapability, LiveContainer } from '../live/host';
import { percentile, serveControl } from './control';
import { alreadyRunning, planReload, reloadSettings, reloadTrustFindings } from './plan';
import { ReloadSession } from './session';

interface Log {
  warn(m: string): void;
  debug(m: string): void;
}

export class ReloadCapability implements LiveCapability {
  readonly name = 'hot reload';
  private readonly sessions = new Map<string, ReloadSession>();

  constructor(
    private readonly engine: () => Promise<Engine>,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Log,
    private readonly notify: (e: ReloadEvent) => void,
  ) {}

  async start(c: LiveContainer, signal: AbortSignal) {
    const config = c.resolved.config;
    if (!reloadSettings(config).enabled) return;
    const { folder, configFile } = c.project;
    const base = { folder, configFile };
    const plan = await planReload(folder, config, this.env);
    if (!(await isTrusted(this.env, folder, reloadTrustFindings(plan.command), configFile))) {
      const message = `Hot reload is on for ${folder} but not started: it runs "${plan.command}" in the container, and the folder is not trusted for it. Run hb watch ${folder} once and answer y (or pass --trust).`;
      this.log.warn(message);
      this.notify({ ...base, kind: 'not-trusted', message });
      return;
    }
    const engine = await this.engine();
    const why = await alreadyRunning(engine, c.info, config, plan.command, plan.ports);
    if (why) {
      this.notify({ ...base, kind: 'failed', message: why });
      this.log.warn(`Hot reload for ${folder}: ${why}`);
      return;
    }
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
      ignore: reloadSettings(config).ignore,
      env: this.env,
      events: {
        output: (t) => this.log.debug(`[${plan.command}] ${t.trimEnd()}`),
        reloaded: (r) => {
          ms.push(r.ms);
          if (ms.length > 50) ms.shift();
          this.notify({ ...base, kind: 'reloaded', action: r.action, files: r.files, count: r.count, ms: r.ms, p50: percentile(ms, 50), p95: percentile(ms, 95), ...(r.error ? { message: r.error } : {}) });
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
    this.sessions.set(folder, session);
    const end = async () => {
      if (this.sessions.get(folder) === session) this.sessions.delete(folder);
      await session.close();
      await control.close();
    };
    try {
      await session.start();
    } catch (e) {
      await end();
      throw e;
    }
    if (signal.aborted) return end();
    await control.update({
      owner: { pid: process.pid, kind: 'engine' },
      folder,
      containerId: c.id,
      command: plan.command,
      strategy: plan.strategy,
      pid: session.supervisor?.pid ?? null,
      startedAt: new Date().toISOString(),
    });
    this.notify({ ...base, kind: 'started', action: 'started', message: `${plan.command} (${plan.strategy})` });
    return async () => {
      await end();
      this.notify({ ...base, kind: 'stopped' });
    };
  }

  /** ReloadSaved: the editor's saves, fed to the folder's session beside its watcher. */
  register(conn: MessageConnection): void {
    conn.onNotification(ReloadSaved, (p) => {
      const s = this.sessions.get(p.folder);
      if (s) for (const f of p.paths) s.saved(f);
    });
  }
}
