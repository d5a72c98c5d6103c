// Traces in the dev container: with traces on (the user's hyperbox.traces.enabled setting, or the
// config's customizations.hyperbox.traces: true or {"port": N}) and the folder trusted, a new
// container gets OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL and OTEL_SERVICE_NAME
// (unless the config sets them) and a label saying how it reaches the receiver — a container
// contribution, so Compose services get the same, and no input of the drift hash (runtime/inputs.ts
// hashes the config's shaping properties, not contributions): turning traces on is not drift; the
// engine offers to recreate a running container made without them (TracesRecreateOffer).
//
// While such a container runs, the live capability below starts the engine's receiver
// (traces/hub.ts) and gives the container the receiver on ITS 127.0.0.1:<port>: a relay run in the
// container's network namespace (the reverse of the ports relay, runtime/forward.ts: the same
// `nsenter -t <pid> -n` mechanism) listens there and passes each connection to a unix socket this
// engine serves, which leads to the receiver on the host's loopback. Where that is impossible (no
// root, no nsenter, an engine in a VM), the container is pointed at its network's gateway address
// and the engine listens there only — never on all interfaces — passing POST /v1/traces alone on.
import { hyperboxOf, type DevContainerConfig } from '../devcontainer/config';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import type { LiveSettings, TracesSidecarProblem, TrustFinding } from '../../protocol';
import type { EngineLog } from '../serviceTypes';
import type { Engine } from '../runtime/engine/docker';
import { isLocalEngine } from '../runtime/engine/endpoint';
import { NetnsRelay, relayUnavailable } from '../runtime/live/forward';
import { sidecarFinding } from '../runtime/create/trust';
import { tracesHub, type TracesHub } from '../traces/hub';
import type { ContainerContributor, ContributionContext } from './contribution';
import type { LiveCapability, LiveContainer } from './host';

/** The OTLP/HTTP port (traces/receiver.ts's DEFAULT_TRACES_PORT; not imported, so the engine bundle stays without the receiver). */
const DEFAULT_TRACES_PORT = 4318;

/** On a container made with traces: how it reaches the receiver (JSON: TracesLabel). */
export const LABEL_TRACES = 'dev.hyperbox.traces';

export interface TracesLabel {
  port: number;
  /** relay: its own 127.0.0.1:<port>; gateway: <gateway>:<port> of its network. */
  via: 'relay' | 'gateway';
}

export const OTEL_VARS = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_SERVICE_NAME'] as const;

/** customizations.hyperbox.traces: true, false, or {"port": N}. */
export function customTraces(config: DevContainerConfig): { on: boolean; port?: number } {
  const t = hyperboxOf(config).traces;
  if (t === true) return { on: true };
  if (t && typeof t === 'object') return { on: t.enabled !== false, ...(t.port !== undefined ? { port: t.port } : {}) };
  return { on: false };
}

/** Whether traces are wanted for this config, and on which port (the user's setting first: the receiver is the user's). */
export function tracesWanted(config: DevContainerConfig, settings: LiveSettings | undefined): { on: boolean; port: number; by: string } {
  const custom = customTraces(config);
  const port = settings?.traces?.port ?? custom.port ?? DEFAULT_TRACES_PORT;
  if (settings?.traces?.enabled) return { on: true, port, by: 'the hyperbox.traces.enabled setting' };
  if (custom.on) return { on: true, port, by: 'customizations.hyperbox.traces' };
  return { on: false, port, by: '' };
}

/** The service name: the config's name, else the workspace folder's name. */
export const serviceName = (ctx: Pick<ContributionContext, 'resolved'>) =>
  (typeof ctx.resolved.config.name === 'string' && ctx.resolved.config.name.trim()) || path.basename(ctx.resolved.workspaceFolder);

/** Whether this engine can run a relay in containers' network namespaces (the pid is checked when one starts). */
export function relayPossible(engine: Engine | undefined): string | undefined {
  if (!engine) return 'the engine is not connected';
  // this process stands for the container's: only the machine-wide conditions are checked here
  return relayUnavailable(engine, process.pid);
}

export const tracesContributor: ContainerContributor = {
  name: 'traces',
  async contribute(ctx) {
    const want = tracesWanted(ctx.resolved.config, ctx.settings);
    if (!want.on) return undefined;
    if (!ctx.trusted) {
      ctx.report.info(
        `Traces: ${ctx.resolved.workspaceFolder} is not known to be trusted, so its container is not set up to send traces (${want.by} asks for it). Trust the folder (the editor's Workspace Trust; hb: a trusted config that needs trust) and rebuild.`,
      );
      return undefined;
    }
    if (ctx.resolved.kind === 'compose' && ctx.engine && relayPossible(ctx.engine)) {
      // a Compose network's gateway is known only once compose made it: the relay is the only way
      ctx.report.warn(`Traces: the Compose service cannot reach the receiver: ${relayPossible(ctx.engine)}. Its programs can send to a receiver of their own instead.`);
      return undefined;
    }
    const why = relayPossible(ctx.engine);
    const via: TracesLabel['via'] = why ? 'gateway' : 'relay';
    if (why && ctx.engine && !isLocalEngine(ctx.engine.endpoint, ctx.env)) {
      ctx.report.warn(`Traces: the engine at ${ctx.engine.endpoint.host} is on another machine, so its containers cannot reach this machine's receiver. Run hb traces serve there instead.`);
      return undefined;
    }
    const host = via === 'relay' ? '127.0.0.1' : '__GATEWAY__';
    const set = new Set(Object.keys({ ...ctx.resolved.config.containerEnv, ...ctx.resolved.config.remoteEnv }));
    const defaults: Record<string, string> = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://${host}:${want.port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_SERVICE_NAME: serviceName(ctx),
    };
    for (const k of OTEL_VARS) if (set.has(k)) delete defaults[k];
    if (via === 'gateway') {
      const gw = await bridgeGateway(ctx);
      if (!gw) {
        ctx.report.warn(`Traces: the container cannot reach the receiver: ${why}, and it is not on the engine's default bridge network (whose gateway address the engine could listen on).`);
        return undefined;
      }
      if (defaults.OTEL_EXPORTER_OTLP_ENDPOINT) defaults.OTEL_EXPORTER_OTLP_ENDPOINT = `http://${gw}:${want.port}`;
      ctx.report.info(`Traces: ${why}, so the container sends to ${gw}:${want.port}, where the engine listens (that address only).`);
    }
    const label: TracesLabel = { port: want.port, via };
    return { envDefaults: defaults, labels: { [LABEL_TRACES]: JSON.stringify(label) } };
  },
};

/** The default bridge network's gateway address, for a container on it (no --network in runArgs). */
async function bridgeGateway(ctx: ContributionContext): Promise<string | undefined> {
  const args = ctx.resolved.config.runArgs ?? [];
  if (args.some((a) => typeof a === 'string' && /^--net(work)?(=|$)/.test(a))) return undefined;
  const bridge = await ctx.engine?.docker.getNetwork('bridge').inspect().catch(() => undefined);
  const configs = (bridge?.IPAM?.Config ?? []) as { Gateway?: string }[];
  return configs.find((c) => c.Gateway && !c.Gateway.includes(':'))?.Gateway;
}

/**
 * The reverse relay, run with `node -e` in the container's network namespace (argv: the engine's
 * unix socket, the port): listens on the container's 127.0.0.1:<port> and passes each connection
 * to the socket, which the engine serves on the host's file system (a network namespace does not
 * separate unix sockets that have a path).
 */
const REVERSE_RELAY = String.raw`
const net = require('net');
const sock = process.argv[1], port = Number(process.argv[2]);
const server = net.createServer((c) => {
  const u = net.connect(sock);
  u.on('error', () => c.destroy());
  c.on('error', () => u.destroy());
  c.pipe(u);
  u.pipe(c);
});
server.on('error', (e) => { process.stderr.write(e.message + '\n'); process.exit(2); });
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
`;

const listen = (server: net.Server, ...args: unknown[]) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    (server.listen as (...a: unknown[]) => void)(...args, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
const closeServer = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

/** Connections to the engine's side of a relay go to the receiver on the host's loopback. */
function toReceiver(port: number): net.Server {
  return net.createServer((c) => {
    const u = net.connect(port, '127.0.0.1');
    u.on('error', () => c.destroy());
    c.on('error', () => u.destroy());
    c.pipe(u);
    u.pipe(c);
  });
}

/** An HTTP listener on a network's gateway address that passes POST /v1/traces (only) to the receiver. */
function gatewayProxy(port: number): http.Server {
  return http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url?.split('?')[0] !== '/v1/traces') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Only POST /v1/traces is passed to the HyperBox trace receiver here.\n');
      return;
    }
    const headers = { ...req.headers, host: `127.0.0.1:${port}` };
    delete headers.origin;
    const up = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/traces', headers, agent: false }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(503, { 'retry-after': '1', 'content-type': 'text/plain' });
      res.end(`The HyperBox trace receiver did not answer: ${e.message}\n`);
    });
    req.pipe(up);
  });
}

/** The label a container was made with, if it was made with traces. */
export function tracesLabel(labels: Record<string, string> | undefined): TracesLabel | undefined {
  const raw = labels?.[LABEL_TRACES];
  if (!raw) return undefined;
  try {
    const l = JSON.parse(raw) as TracesLabel;
    return Number.isInteger(l.port) && (l.via === 'relay' || l.via === 'gateway') ? l : undefined;
  } catch {
    return undefined;
  }
}

/** A running container that sends traces, and its eBPF sidecar (started with `image`), if any. */
interface Sending {
  c: LiveContainer;
  sidecar?: Promise<(() => Promise<void>) | undefined>;
  image?: string;
}

export class TracesCapability implements LiveCapability {
  readonly name = 'traces';
  settings: LiveSettings = {};
  private readonly gateways = new Map<string, { server: http.Server; users: number }>();
  /** The running containers that send traces (their sidecar, when one was started). */
  private readonly sending = new Map<string, Sending>();
  /** The running containers without traces, offered a recreate once traces are on. */
  private readonly without = new Map<string, LiveContainer>();
  /** Told when the eBPF sidecar the settings ask for cannot run (the engine sends it to the editor). */
  onSidecarProblem: (p: TracesSidecarProblem) => void = () => undefined;

  constructor(
    private readonly engine: () => Promise<Engine>,
    private readonly log: EngineLog,
    private readonly offer: (o: { folder: string; configFile: string; containerId: string; reason: string }) => void,
    /** Whether the folder is trusted for this finding (the sidecar's): its last up was, or hb's trust store says so. */
    private readonly trusted: (c: LiveContainer, finding: TrustFinding) => Promise<boolean>,
    private readonly hub: TracesHub = tracesHub,
  ) {}

  /** New settings: containers made without traces are offered a recreate when traces are now on. */
  update(settings: LiveSettings): void {
    this.settings = { ...this.settings, ...settings };
    for (const c of this.without.values()) this.offerFor(c);
    // hyperbox.traces.ebpf.* turned on or off: the running containers' sidecars follow
    for (const entry of this.sending.values()) this.syncSidecar(entry);
  }

  /** Trust may have changed (an up passed its gate): sidecars that waited for it try again. */
  retrySidecars(): void {
    for (const entry of this.sending.values()) this.syncSidecar(entry);
  }

  private offerFor(c: LiveContainer): void {
    const want = tracesWanted(c.resolved.config, this.settings);
    if (!want.on) return;
    this.offer({
      folder: c.project.folder,
      configFile: c.project.configFile,
      containerId: c.id,
      reason: `Traces are on (${want.by}), but the container ${c.info.Name.replace(/^\//, '')} was made without them. Recreate it so its programs get ${OTEL_VARS.join(', ')} (this is not a config change).`,
    });
  }

  async start(c: LiveContainer, signal: AbortSignal) {
    const label = tracesLabel(c.info.Config.Labels);
    if (!label) {
      this.without.set(c.id, c);
      this.offerFor(c);
      return () => void this.without.delete(c.id);
    }
    const running = this.hub.current;
    if (running && running.port !== label.port) {
      this.log.warn(`Traces: ${c.info.Name.replace(/^\//, '')} sends to port ${label.port}, but the receiver is on ${running.port}. Recreate the container to use port ${running.port}.`);
      return;
    }
    await this.hub.start(label.port);
    if (signal.aborted) return;
    const stopReach = await (label.via === 'relay' ? this.relay(c, label.port) : this.gateway(c, label.port));
    if (!stopReach) return;
    const entry: Sending = { c };
    this.sending.set(c.id, entry);
    this.syncSidecar(entry);
    return async () => {
      this.sending.delete(c.id);
      await (await entry.sidecar)?.();
      await stopReach();
    };
  }

  /** Starts or stops a sending container's eBPF sidecar to match the settings now (another image: a new sidecar). */
  private syncSidecar(entry: Sending): void {
    const image = ebpfSidecarPlan(entry.c, this.settings)?.image;
    if (entry.sidecar && entry.image !== image) {
      const running = entry.sidecar;
      entry.sidecar = undefined;
      void running.then((stop) => stop?.());
    }
    if (image && !entry.sidecar) {
      const started: Sending['sidecar'] = this.sidecar(entry.c).catch((e) => {
        this.log.warn(`Traces: the eBPF sidecar of ${entry.c.info.Name.replace(/^\//, '')} did not start: ${(e as Error).message}`);
        return undefined;
      });
      entry.sidecar = started;
      entry.image = image;
      // none started (its image is missing, the engine refused): the next settings change tries again
      void started.then((stop) => {
        if (!stop && entry.sidecar === started) entry.sidecar = undefined;
      });
    }
  }

  /**
   * OpenTelemetry eBPF Instrumentation beside the container, only when the user's machine-scope
   * setting allows it (never because of customizations alone) and its image is on this machine;
   * it shares the container's network namespace, so it sends to the same endpoint.
   */
  private async sidecar(c: LiveContainer): Promise<(() => Promise<void>) | undefined> {
    const plan = ebpfSidecarPlan(c, this.settings);
    if (!plan) return undefined;
    const name = c.info.Name.replace(/^\//, '');
    // the setting allows it on this machine; the folder must be trusted for it too (trust.ts)
    const finding = ebpfPlanFinding(plan);
    if (!(await this.trusted(c, finding))) {
      const message = `No eBPF sidecar runs for ${name}: hyperbox.traces.ebpf.enabled allows it on this machine, but ${c.project.folder} is not trusted for it (${finding.text}). Rebuild the dev container with the setting on (the editor's Workspace Trust covers it, and hb up asks), then it starts.`;
      this.log.warn(`Traces: ${message}`);
      this.onSidecarProblem({ folder: c.project.folder, containerId: c.id, missing: 'trust', message });
      return undefined;
    }
    const engine = await this.engine();
    const image = await engine.docker.getImage(plan.image).inspect().catch(() => undefined);
    if (!image) {
      const message = `hyperbox.traces.ebpf.enabled is on, but the image ${plan.image} is not on this machine, so no eBPF sidecar runs for ${name}. Pull it (docker pull ${plan.image}), or name a local image in hyperbox.traces.ebpf.image.`;
      this.log.warn(`Traces: ${message}`);
      this.onSidecarProblem({ folder: c.project.folder, containerId: c.id, missing: 'image', message });
      return undefined;
    }
    await engine.docker.getContainer(plan.name).remove({ force: true }).catch(() => undefined);
    const made = await engine.docker.createContainer(plan.create);
    try {
      await made.start();
    } catch (e) {
      await made.remove({ force: true }).catch(() => undefined);
      const why = (e as { json?: { message?: string } }).json?.message ?? (e as Error).message;
      this.onSidecarProblem({
        folder: c.project.folder,
        containerId: c.id,
        missing: 'privileged',
        message: `The eBPF sidecar of ${name} did not start: this Docker engine refuses privileged containers (${why.trim()}). eBPF instrumentation needs an engine that runs them; ${name} runs on, and its traces still arrive from its own OpenTelemetry SDK.`,
      });
      throw new Error(
        `the engine refused to start ${plan.name} (${plan.image}) privileged in this machine's PID namespace: ${why.trim()}. What is missing is an engine that runs privileged containers (eBPF instrumentation needs one; a rootless, user-namespaced or otherwise restricted engine cannot). Nothing else changed: ${name} runs on, and its traces still arrive from its own OpenTelemetry SDK.`,
      );
    }
    this.log.info(`Traces: the eBPF sidecar ${plan.name} (${plan.image}) runs beside ${c.info.Name.replace(/^\//, '')}: ${sidecarTrustFindings(plan).join('; ')}.`);
    return async () => {
      await made.remove({ force: true }).catch(() => undefined);
    };
  }

  /** The relay into the container's network namespace: its 127.0.0.1:<port> leads to the receiver. */
  private async relay(c: LiveContainer, port: number) {
    const engine = await this.engine();
    const pid = c.info.State.Pid;
    const why = relayUnavailable(engine, pid);
    if (why) {
      this.log.warn(`Traces: cannot give ${c.info.Name.replace(/^\//, '')} the receiver on its 127.0.0.1:${port}: ${why}. Recreate the container (it then sends to its network's gateway).`);
      return;
    }
    const relay = new NetnsRelay(pid, REVERSE_RELAY, [String(port)], 'traces');
    const server = toReceiver(port);
    await listen(server, relay.socket);
    try {
      await relay.start();
    } catch (e) {
      await closeServer(server);
      throw new Error(`the relay in ${c.info.Name.replace(/^\//, '')} could not listen on its 127.0.0.1:${port}: ${(e as Error).message}`);
    }
    this.log.debug(`Traces: ${c.info.Name.replace(/^\//, '')} reaches the receiver on its 127.0.0.1:${port}.`);
    return async () => {
      relay.stop();
      await closeServer(server);
    };
  }

  /** A listener on the container's network gateway address (that address only), shared by the containers on that network. */
  private async gateway(c: LiveContainer, port: number) {
    const nets = Object.values(c.info.NetworkSettings?.Networks ?? {});
    const gw = nets.map((n) => n.Gateway).find((g) => g && !g.includes(':'));
    if (!gw) {
      this.log.warn(`Traces: ${c.info.Name.replace(/^\//, '')} has no network gateway on this machine, so it cannot reach the receiver.`);
      return;
    }
    const key = `${gw}:${port}`;
    let g = this.gateways.get(key);
    if (!g) {
      const server = gatewayProxy(port);
      await listen(server, { host: gw, port, exclusive: true });
      g = { server, users: 0 };
      this.gateways.set(key, g);
    }
    g.users++;
    const entry = g;
    return async () => {
      if (--entry.users > 0) return;
      this.gateways.delete(key);
      await closeServer(entry.server);
    };
  }
}

/** The upstream OpenTelemetry eBPF Instrumentation image (hyperbox.traces.ebpf.image overrides it). */
export const DEFAULT_EBPF_IMAGE = 'otel/ebpf-instrument:main';
/** On the sidecar: the dev container it instruments. */
export const LABEL_EBPF_FOR = 'dev.hyperbox.ebpf-for';

export interface EbpfSidecarPlan {
  name: string;
  image: string;
  /** The create request (Docker API): privileged, the host's PID namespace, the dev container's network. */
  create: {
    name: string;
    Image: string;
    Env: string[];
    Labels: Record<string, string>;
    HostConfig: { Privileged: true; PidMode: 'host'; NetworkMode: string; Binds: string[]; AutoRemove: false };
  };
}

/** What the sidecar for a running dev container would be, or undefined when the user's setting does not allow one. */
export function ebpfSidecarPlan(c: Pick<LiveContainer, 'id' | 'info'>, settings: LiveSettings): EbpfSidecarPlan | undefined {
  const ebpf = settings.traces?.ebpf;
  if (!ebpf?.enabled) return undefined;
  const image = ebpf.image?.trim() || DEFAULT_EBPF_IMAGE;
  const env = Object.fromEntries((c.info.Config.Env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const name = `hb-ebpf-${c.id.slice(0, 12)}`;
  const vars = [
    `OTEL_EXPORTER_OTLP_ENDPOINT=${env.OTEL_EXPORTER_OTLP_ENDPOINT ?? `http://127.0.0.1:${DEFAULT_TRACES_PORT}`}`,
    'OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf',
    `OTEL_SERVICE_NAME=${env.OTEL_SERVICE_NAME ?? c.info.Name.replace(/^\//, '')}`,
  ];
  return {
    name,
    image,
    create: {
      name,
      Image: image,
      Env: vars,
      Labels: { [LABEL_EBPF_FOR]: c.id },
      // privileged and the host's PID namespace: what eBPF instrumentation needs to see the dev
      // container's processes; the dev container's network, so its endpoint (the relay) is the same
      HostConfig: { Privileged: true, PidMode: 'host', NetworkMode: `container:${c.id}`, Binds: ['/sys/fs/cgroup:/sys/fs/cgroup'], AutoRemove: false },
    },
  };
}

/**
 * What the eBPF sidecar will run with, in words, for the trust gate to show before it is allowed
 * (it runs privileged: a trust finding). Empty when the settings start no sidecar.
 */
export function sidecarTrustFindings(plan: EbpfSidecarPlan | undefined): string[] {
  if (!plan) return [];
  const h = plan.create.HostConfig;
  return [
    `runs the image ${plan.image}`,
    ...(h.Privileged ? ['privileged (every device and capability of this machine)'] : []),
    ...(h.PidMode === 'host' ? ["in this machine's PID namespace (it sees every process here)"] : []),
    ...h.Binds.map((b) => `with ${b.split(':')[0]} of this machine mounted`),
    "in the dev container's network namespace",
  ];
}

/**
 * The sidecar plan as one trust finding, keyed on the privileges it gets (not on the container: one
 * record serves every rebuild; nor on the image, which only the user's machine-scope setting
 * names, never the folder — the text still names it).
 */
function ebpfPlanFinding(plan: EbpfSidecarPlan): TrustFinding {
  const h = plan.create.HostConfig;
  return sidecarFinding('the eBPF instrumentation sidecar (hyperbox.traces.ebpf.enabled)', sidecarTrustFindings(plan), { privileged: h.Privileged, pid: h.PidMode, binds: h.Binds });
}

/**
 * The trust finding of the eBPF sidecar a container of this config gets with these settings, for
 * up's gate (so the prompt lists it before the container is made); undefined when none would start.
 */
export function ebpfTrustFinding(config: DevContainerConfig, settings: LiveSettings | undefined): TrustFinding | undefined {
  if (!settings?.traces?.ebpf?.enabled || !tracesWanted(config, settings).on) return undefined;
  const plan = ebpfSidecarPlan({ id: 'dev-container', info: { Name: '/dev-container', Config: { Env: [] } } } as never, settings);
  return plan && ebpfPlanFinding(plan);
}
