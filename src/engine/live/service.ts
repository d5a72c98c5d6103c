// The live host in the engine: Docker's event stream (so a `docker stop` from a terminal reaches
// the editor as RuntimeContainerChanged) and the live capabilities of the projects the editor
// works on — a project is served once it is brought up, or its state or ports are asked for
// (RuntimeStatus, RuntimePorts*). Started by RuntimeWatch, or by the first of those; nothing
// here connects to Docker before that. A new capability is added to CAPABILITIES below.
import type { MessageConnection } from 'vscode-jsonrpc';
import {
  LiveSettingsUpdate,
  PrewarmRequest,
  PressureChanged,
  ReloadChanged,
  RuntimeContainerChanged,
  RuntimePortsChanged,
  RuntimeWatch,
  TracesRecreateOffer,
  TracesSidecarProblemNotice,
  type ContainerSummary,
  type LiveSettings,
  type RuntimeTarget,
  type UpResult,
} from '../../protocol';
import { mapErrors } from '../rpc/errors';
import type { EngineLog } from '../serviceTypes';
import { findContainer, loadConfig } from '../runtime/container';
import { isTrusted } from '../runtime/create/trust';
import { connectEngine, engineError, type Engine } from '../runtime/engine/docker';
import { watchContainerEvents } from '../runtime/live/events';
import { tracesHub } from '../traces/hub';
import { LiveHost, type LiveBackend, type LiveCapability } from './host';
import { DEFAULT_THRESHOLDS } from '../pressure/alert';
import { PortsCapability } from './ports';
import { ReloadCapability } from '../reload/capability';
import { prewarm } from './prewarm';
import { PressureCapability } from './pressure';
import { TracesCapability } from './traces';

export interface Live {
  /** A summary of a folder's container (after up or status): its project is served from now on. */
  served(summary: ContainerSummary): void;
  /** The editor's settings now (LiveSettingsUpdate), for the contributions of a container made now. */
  settings(): LiveSettings;
  /** Ends every container's live work (the engine shuts down). */
  shutdown(): Promise<void>;
}

/** Docker as the live host's backend. */
function dockerBackend(engine: () => Promise<Engine>, env: NodeJS.ProcessEnv): LiveBackend {
  return {
    watch(onEvent, onError) {
      let close = false;
      let inner: ReturnType<typeof watchContainerEvents> | undefined;
      const ready = engine().then(async (e) => {
        if (close) return;
        inner = watchContainerEvents(e, onEvent, onError);
        await inner.ready.catch((err) => Promise.reject(engineError(err, e.endpoint)));
      });
      ready.catch(() => undefined);
      return {
        ready,
        close() {
          close = true;
          inner?.close();
        },
      };
    },
    async findRunning(project) {
      const found = await findContainer(await engine(), project.folder, project.configFile);
      return found?.State === 'running' ? found.Id : undefined;
    },
    async describe(id, project) {
      const e = await engine();
      const info = await e.docker.getContainer(id).inspect().catch(() => undefined);
      if (!info?.State.Running) return undefined;
      const resolved = await loadConfig(project.folder, project.configFile, env);
      return { id, project, resolved, info };
    },
  };
}

export function registerLive(conn: MessageConnection, log: EngineLog): Live {
  const env = process.env;
  let connecting: Promise<Engine> | undefined;
  const engine = () => {
    connecting ??= connectEngine(env);
    connecting.catch(() => (connecting = undefined));
    return connecting;
  };
  const ports = new PortsCapability(engine, env, log, (r) => void conn.sendNotification(RuntimePortsChanged, r).catch(() => undefined));
  const reload = new ReloadCapability(engine, env, log, (e) => void conn.sendNotification(ReloadChanged, e).catch(() => undefined));
  const pressure = new PressureCapability((u) => void conn.sendNotification(PressureChanged, u).catch(() => undefined));
  // per folder and config: the finding keys its last up in this engine was trusted for (UpResult.findings)
  const upTrust = new Map<string, Set<string>>();
  const trustKey = (folder: string, configFile: string) => `${folder}\0${configFile}`;
  const traces = new TracesCapability(
    engine,
    log,
    (o) => void conn.sendNotification(TracesRecreateOffer, o).catch(() => undefined),
    // the eBPF sidecar: trusted by the up that made or started the container, or by hb's trust store
    async (c, finding) => upTrust.get(trustKey(c.project.folder, c.project.configFile))?.has(finding.key) === true || isTrusted(env, c.project.folder, [finding], c.project.configFile),
  );
  traces.onSidecarProblem = (p) => void conn.sendNotification(TracesSidecarProblemNotice, p).catch(() => undefined);
  // every capability that lives with a container
  const CAPABILITIES: LiveCapability[] = [ports, reload, pressure, traces];
  // hyperbox.prewarm is off until the editor says otherwise (see README: prewarming spends CPU and disk unasked)
  let settings: Required<Pick<LiveSettings, 'pressure' | 'traces' | 'prewarm'>> = { pressure: { ...DEFAULT_THRESHOLDS }, traces: { enabled: false }, prewarm: false };
  const host = new LiveHost(dockerBackend(engine, env), CAPABILITIES, log, (e) => void conn.sendNotification(RuntimeContainerChanged, e).catch(() => undefined));

  const wrap = mapErrors;
  const serveTarget = async (t: RuntimeTarget) => {
    const resolved = await loadConfig(t.folder, t.configFile, env);
    await host.serve({ folder: resolved.workspaceFolder, configFile: resolved.configFile! });
  };
  conn.onRequest(RuntimeWatch, () => wrap(host.watch().then(() => ({ watching: true }))));
  ports.register(conn, serveTarget, wrap);
  reload.register(conn, serveTarget);
  pressure.register(conn);
  const prewarming = new Map<string, Promise<unknown>>();
  conn.onRequest(PrewarmRequest, (p, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    // one prewarm per folder at a time: a second request waits for the first's answer
    const key = `${p.folder}\0${p.configFile ?? ''}`;
    const run = (prewarming.get(key) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() =>
        prewarm(
          { folder: p.folder, configFile: p.configFile, trusted: p.trusted, enabled: settings.prewarm, acceptedFindings: p.acceptedFindings, runtime: p.runtime, container: p.container },
          { engine, env, settings, signal: controller.signal, report: { step: () => undefined, output: () => undefined, info: (m) => log.info(m), warn: (m) => log.warn(m) } },
        ),
      );
    prewarming.set(key, run);
    void run.finally(() => prewarming.get(key) === run && prewarming.delete(key)).catch(() => undefined);
    return wrap(run);
  });
  conn.onRequest(LiveSettingsUpdate, (p) =>
    wrap(
      (async () => {
        settings = { pressure: { ...settings.pressure, ...(p.pressure ?? {}) }, traces: p.traces ? { ...p.traces } : settings.traces, prewarm: p.prewarm ?? settings.prewarm };
        pressure.thresholds = settings.pressure;
        traces.update(settings);
        // the user's setting turns the receiver on (containers with traces start it themselves)
        if (p.traces?.enabled) await tracesHub.start(p.traces.port);
        return settings;
      })(),
    ),
  );

  return {
    served(summary) {
      if (!summary.configFile) return;
      const findings = (summary as Partial<UpResult>).findings;
      if (Array.isArray(findings)) {
        upTrust.set(trustKey(summary.folder, summary.configFile), new Set(findings.map((f) => f.key)));
        // a sidecar that waited for trust may start now
        traces.retrySidecars();
      }
      void host
        .serve({ folder: summary.folder, configFile: summary.configFile }, summary.running ? summary.containerId : null)
        .catch((e) => log.warn(`Live work for ${summary.folder}: ${(e as Error).message}`));
    },
    settings: () => settings,
    shutdown: () => host.shutdown(),
  };
}
