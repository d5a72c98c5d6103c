// What the engine keeps doing between requests: following the Docker engine's events (so a
// `docker stop` from a terminal reaches the editor as RuntimeContainerChanged) and forwarding the
// ports of the dev containers it brought up (RuntimePorts*). Started by RuntimeWatch, or by the
// first `up`; nothing here connects to Docker before that.
import type { MessageConnection } from 'vscode-jsonrpc';
import { RuntimeContainerChanged, RuntimePorts, RuntimePortsAdd, RuntimePortsChanged, RuntimePortsRemove, RuntimeWatch, type RuntimeTarget, type UpResult } from '../../protocol';
import type { EngineLog } from '../services';
import { findContainer, loadConfig } from './container';
import { connectEngine, engineError, type Engine } from './docker';
import { watchContainerEvents, type EventWatch } from './events';
import { changePort, ForwardManager, listPorts } from './portsOps';

export interface Live {
  /** After a successful up: follow events and forward the container's ports. */
  afterUp(target: RuntimeTarget, result: UpResult): void;
}

/** How often forwards are checked against ports added or removed by other processes (hb ports add). */
const REFRESH_MS = 1500;

export function registerLive(conn: MessageConnection, log: EngineLog, toResponseError: (e: unknown) => unknown): Live {
  let engine: Engine | undefined;
  let watch: EventWatch | undefined;
  let manager: ForwardManager | undefined;
  let timer: NodeJS.Timeout | undefined;

  const ensure = async (): Promise<{ engine: Engine; manager: ForwardManager }> => {
    engine ??= await connectEngine(process.env);
    const e = engine;
    manager ??= new ForwardManager(e, {
      env: process.env,
      what: `HyperBox engine`,
      onMessage: (m) => log.warn(m),
      onChange: (r) => void conn.sendNotification(RuntimePortsChanged, r).catch(() => undefined),
    });
    const m = manager;
    if (!timer) {
      timer = setInterval(() => {
        for (const id of m.containers()) void m.refresh(id).catch(() => undefined);
      }, REFRESH_MS);
      timer.unref();
    }
    if (!watch) {
      watch = watchContainerEvents(
        e,
        (ev) => {
          void conn.sendNotification(RuntimeContainerChanged, ev).catch(() => undefined);
          m.forwarderOf(ev.containerId)?.invalidate(ev.containerId);
          if (ev.action === 'destroy') void m.drop(ev.containerId);
          else if (ev.action === 'start') void m.refresh(ev.containerId).catch(() => undefined);
        },
        (err) => log.warn(`Docker events: ${err.message}; trying again.`),
      );
      const w = watch;
      try {
        await w.ready;
      } catch (err) {
        w.close();
        watch = undefined;
        throw engineError(err, e.endpoint);
      }
    }
    return { engine: e, manager: m };
  };

  const wrap = <T>(p: Promise<T>) => p.catch((e) => Promise.reject(toResponseError(e)));

  conn.onRequest(RuntimeWatch, () => wrap(ensure().then(() => ({ watching: true }))));
  conn.onRequest(RuntimePorts, (p) =>
    wrap(
      (async () => {
        if (manager && engine) {
          const resolved = await loadConfig(p.folder, p.configFile, process.env);
          const found = await findContainer(engine, resolved.workspaceFolder, resolved.configFile!);
          if (found && manager.forwarderOf(found.Id)) return (await manager.describe(found.Id))!;
        }
        return listPorts({ folder: p.folder, configFile: p.configFile, env: process.env });
      })(),
    ),
  );
  conn.onRequest(RuntimePortsAdd, (p) =>
    wrap(ensure().then(({ manager: m }) => changePort({ folder: p.folder, configFile: p.configFile, env: process.env, port: p.port, op: 'add', manager: m }))),
  );
  conn.onRequest(RuntimePortsRemove, (p) =>
    wrap(ensure().then(({ manager: m }) => changePort({ folder: p.folder, configFile: p.configFile, env: process.env, port: p.port, op: 'remove', manager: m }))),
  );

  return {
    afterUp(target, result) {
      if (!result.containerId || !result.running) return;
      void (async () => {
        const { engine: e, manager: m } = await ensure();
        const resolved = await loadConfig(target.folder, target.configFile, process.env);
        const info = await e.docker.getContainer(result.containerId!).inspect();
        await m.sync(resolved, info);
      })().catch((err) => log.warn(`Port forwarding for ${target.folder}: ${(err as Error).message}`));
    },
  };
}
