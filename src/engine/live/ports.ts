// Port forwarding as a live capability: while a dev container of a served project runs, the
// engine forwards its ports (forwardPorts, hb ports add) on 127.0.0.1 through a ForwardManager
// (runtime/portsOps.ts), checks every REFRESH_MS for ports added or removed by other processes,
// and stops forwarding when the container stops, is recreated or removed (the host ports are free
// again); a `docker start` brings the forwards back. Also answers RuntimePorts / Add / Remove.
import type { MessageConnection } from 'vscode-jsonrpc';
import { RuntimePorts, RuntimePortsAdd, RuntimePortsRemove, type PortsResult, type RuntimeTarget } from '../../protocol';
import type { EngineLog } from '../serviceTypes';
import { findContainer, loadConfig } from '../runtime/container';
import type { Engine } from '../runtime/engine/docker';
import { changePort, describePorts, ForwardManager, listPorts } from '../runtime/live/portsOps';
import type { LiveCapability, LiveContainer, LiveEndReason } from './host';

/** How often forwards are checked against ports added or removed by other processes (hb ports add). */
const REFRESH_MS = 1500;

export class PortsCapability implements LiveCapability {
  readonly name = 'port forwarding';
  private manager: ForwardManager | undefined;

  constructor(
    private readonly engine: () => Promise<Engine>,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: EngineLog,
    private readonly notify: (r: PortsResult) => void,
  ) {}

  private async forwards(): Promise<ForwardManager> {
    const engine = await this.engine();
    this.manager ??= new ForwardManager(engine, { env: this.env, what: 'HyperBox engine', onMessage: (m) => this.log.warn(m), onChange: this.notify });
    return this.manager;
  }

  async start(c: LiveContainer, signal: AbortSignal) {
    const m = await this.forwards();
    await m.sync(c.resolved, c.info);
    const timer = setInterval(() => void m.refresh(c.id).catch(() => undefined), REFRESH_MS);
    timer.unref();
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    return async (reason: LiveEndReason) => {
      clearInterval(timer);
      await m.drop(c.id);
      if (reason !== 'stopped') return;
      // the editor shows the ports as not forwarded, because the container is stopped
      const engine = await this.engine();
      const info = await engine.docker.getContainer(c.id).inspect().catch(() => undefined);
      if (info) this.notify(await describePorts(this.env, c.resolved, info));
    };
  }

  async shutdown(): Promise<void> {
    await this.manager?.close();
  }

  /** The RuntimePorts requests; `serve` makes the folder's project served first (its forwards follow the container). */
  register(conn: MessageConnection, serve: (target: RuntimeTarget) => Promise<void>, wrap: <T>(p: Promise<T>) => Promise<T>): void {
    conn.onRequest(RuntimePorts, (p) =>
      wrap(
        (async () => {
          if (this.manager) {
            const engine = await this.engine();
            const resolved = await loadConfig(p.folder, p.configFile, this.env);
            const found = await findContainer(engine, resolved.workspaceFolder, resolved.configFile!);
            if (found && this.manager.forwarderOf(found.Id)) return (await this.manager.describe(found.Id))!;
          }
          return listPorts({ folder: p.folder, configFile: p.configFile, env: this.env });
        })(),
      ),
    );
    const change = (op: 'add' | 'remove') => (p: RuntimeTarget & { port: number | string }) =>
      wrap(
        (async () => {
          await serve(p);
          return changePort({ folder: p.folder, configFile: p.configFile, env: this.env, port: p.port, op, manager: await this.forwards() });
        })(),
      );
    conn.onRequest(RuntimePortsAdd, change('add'));
    conn.onRequest(RuntimePortsRemove, change('remove'));
  }
}
