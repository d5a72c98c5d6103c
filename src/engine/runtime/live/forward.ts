// Forwarding 127.0.0.1:<port> on this machine into a running container, without recreating it: a
// TCP proxy in this process. Each connection goes to the container's IP on its network (servers
// that listen on 0.0.0.0); when nothing answers there, through a relay inside the container's
// network namespace to its 127.0.0.1 / ::1 (servers that listen only on the container's own
// localhost, as Vite and many dev servers do by default).
//
// The relay is this same Node binary started on the host with `nsenter -t <container pid> -n`: it
// runs in the container's network namespace but keeps the host's file system, so it listens on a
// unix socket in the host's temp folder, and each connection asks it for one port. Nothing is
// installed in or exec'd into the container, whatever its image has. It needs root (entering a
// network namespace needs CAP_SYS_ADMIN), nsenter, and an engine on this machine; without them a
// server bound to the container's localhost cannot be reached, and the forwarder says so.
import type { ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PortForward } from '../../../protocol';
import type { Engine } from '../engine/docker';
import { RuntimeError } from '../errors';
import { dropLease, portHolder, readLease, specKey, takenMessage, writeLease, type PortSpec } from './ports';
import { childProcess, which } from '../../util/program';

/** Where a forwarded port leads: a container and its port. */
export interface ForwardTarget {
  containerId: string;
  port: number;
}

/** The relay program, run with `node -e` inside the container's network namespace (argv[1]: the socket path). */
const RELAY = String.raw`
const net = require('net'), fs = require('fs');
const sock = process.argv[1];
try { fs.unlinkSync(sock); } catch {}
const server = net.createServer((c) => {
  let buf = Buffer.alloc(0);
  const onData = (d) => {
    buf = Buffer.concat([buf, d]);
    const nl = buf.indexOf(10);
    if (nl < 0) return;
    c.removeListener('data', onData);
    c.pause();
    const port = Number(buf.subarray(0, nl).toString());
    const rest = buf.subarray(nl + 1);
    const tryHost = (hosts) => {
      const u = net.connect(port, hosts[0]);
      u.once('connect', () => {
        u.removeAllListeners('error');
        u.on('error', () => c.destroy());
        c.on('error', () => u.destroy());
        c.write('+\n');
        if (rest.length) u.write(rest);
        c.pipe(u);
        u.pipe(c);
        c.resume();
      });
      u.once('error', () => (hosts.length > 1 ? tryHost(hosts.slice(1)) : c.destroy()));
    };
    tryHost(['127.0.0.1', '::1']);
  };
  c.on('data', onData);
  c.on('error', () => undefined);
});
server.listen(sock, () => { fs.chmodSync(sock, 0o600); process.stdout.write('ready\n'); });
const bye = () => { try { fs.unlinkSync(sock); } catch {} process.exit(0); };
process.stdin.on('end', bye);
process.stdin.on('error', bye);
process.stdin.resume();
`;


/** Where nsenter is looked for when PATH lacks the sbin folders. */
const SYSTEM_DIRS = ['/usr/bin', '/usr/sbin', '/bin', '/sbin'];

/** Why a relay into a container's network namespace is impossible here, or undefined when it is possible. */
export function relayUnavailable(engine: Engine, pid: number): string | undefined {
  if (os.platform() !== 'linux') return 'the engine runs in a VM on this system, so its containers\' network namespaces are out of reach';
  const o = engine.endpoint.options;
  if (!o.socketPath) return `the engine at ${engine.endpoint.host} is not on this machine`;
  if (process.getuid?.() !== 0) return 'entering a container\'s network namespace needs root, and HyperBox runs as a normal user';
  if (!which('nsenter', process.env, SYSTEM_DIRS)) return 'nsenter is not installed (Debian: util-linux)';
  if (!pid || !existsSync(`/proc/${pid}/ns/net`)) return 'the container\'s process is not visible from here (an engine in another PID namespace, such as rootless Podman)';
  return undefined;
}

/**
 * One relay process per container start (its main pid): `program` (default: the ports relay above)
 * run by this Node binary in the container's network namespace with the socket path and `args`;
 * it prints a line once ready and ends when its stdin closes. The traces relay (live/traces.ts)
 * runs the reverse one.
 */
export class NetnsRelay {
  readonly socket: string;
  private child?: ChildProcess;
  private ready?: Promise<void>;
  constructor(
    readonly pid: number,
    private readonly program = RELAY,
    private readonly args: string[] = [],
    kind = 'relay',
  ) {
    this.socket = path.join(os.tmpdir(), `hb-${kind}-${process.pid}-${pid}.sock`);
  }
  start(): Promise<void> {
    this.ready ??= new Promise<void>((resolve, reject) => {
      const child = childProcess().spawn(which('nsenter', process.env, SYSTEM_DIRS)!, ['-t', String(this.pid), '-n', '--', process.execPath, '-e', this.program, this.socket, ...this.args], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', NODE_OPTIONS: '' },
      });
      this.child = child;
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.stdout.once('data', () => resolve());
      child.once('error', (e) => reject(e));
      child.once('exit', (code) => {
        this.ready = undefined;
        this.child = undefined;
        reject(new Error(`the relay exited (${code}): ${err.trim() || 'no output'}`));
      });
    });
    return this.ready;
  }
  stop(): void {
    this.child?.stdin?.end();
    this.child?.kill();
    this.child = undefined;
    this.ready = undefined;
    fs.unlink(this.socket).catch(() => undefined);
  }
}

interface Resolved {
  ip?: string;
  pid: number;
  running: boolean;
  name: string;
  at: number;
}

interface Listener {
  spec: PortSpec;
  hostPort: number;
  target: ForwardTarget;
  server: net.Server;
  via?: 'bridge' | 'netns-relay';
  sockets: Set<net.Socket>;
  warned?: string;
}

export interface ForwarderOptions {
  engine: Engine;
  env: NodeJS.ProcessEnv;
  /** The dev container's folder, for lease files and messages. */
  folder: string;
  /** Who forwards, for `hb ports` and conflict messages: "HyperBox engine", "hb ports --forward". */
  what: string;
  /** Things a user should hear about (a server that cannot be reached, a relay that failed). */
  onMessage?: (message: string) => void;
  /** A listener's state changed (e.g. the first connection went through the relay). */
  onChange?: () => void;
}

/**
 * Forwards host ports to container ports. Each `add` listens on 127.0.0.1 at once; connections
 * find the container afresh (its IP and pid change when it restarts), so a container that stops
 * and starts again keeps its forwards.
 */
export class PortForwarder {
  private readonly listeners = new Map<number, Listener>();
  private readonly relays = new Map<number, NetnsRelay>();
  private readonly cache = new Map<string, Resolved>();
  constructor(private readonly opts: ForwarderOptions) {}

  get ports(): number[] {
    return [...this.listeners.keys()];
  }

  has(hostPort: number): boolean {
    return this.listeners.has(hostPort);
  }

  /** How a forwarded port is doing, for PortForward. */
  describe(hostPort: number): Pick<PortForward, 'state' | 'by' | 'via' | 'message'> | undefined {
    const l = this.listeners.get(hostPort);
    if (!l) return undefined;
    return { state: 'forwarded', by: { pid: process.pid, what: this.opts.what }, via: l.via, message: l.warned };
  }

  /**
   * Starts forwarding 127.0.0.1:hostPort (default: the same port) to `target`. A taken host port is
   * a RuntimeError (code `port-taken`) naming who holds it; never another port.
   */
  async add(spec: PortSpec, target: ForwardTarget, hostPort = spec.port): Promise<void> {
    const existing = this.listeners.get(hostPort);
    if (existing) {
      if (existing.target.containerId === target.containerId && existing.target.port === target.port) return;
      throw new RuntimeError('port-taken', `Port ${hostPort} on 127.0.0.1 is already forwarded by this process to port ${existing.target.port} of container ${existing.target.containerId.slice(0, 12)}. Remove that forward first.`);
    }
    const listener: Listener = { spec, hostPort, target, server: net.createServer(), sockets: new Set() };
    listener.server.on('connection', (c) => this.onConnection(listener, c));
    try {
      await new Promise<void>((resolve, reject) => {
        listener.server.once('error', reject);
        listener.server.listen({ host: '127.0.0.1', port: hostPort, exclusive: true }, () => {
          listener.server.removeListener('error', reject);
          resolve();
        });
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') {
        const holder = await portHolder(this.opts.engine, this.opts.env, hostPort);
        throw new RuntimeError('port-taken', takenMessage(hostPort, holder, target.port));
      }
      if (code === 'EACCES') {
        throw new RuntimeError('port-taken', `Port ${hostPort} on 127.0.0.1 needs privileges to listen on (ports below 1024 need root or CAP_NET_BIND_SERVICE), so port ${target.port} of the container is not forwarded. Run HyperBox as root, or lower net.ipv4.ip_unprivileged_port_start.`);
      }
      throw e;
    }
    listener.server.on('error', (e) => this.opts.onMessage?.(`Forwarding of port ${hostPort} failed: ${(e).message}`));
    this.listeners.set(hostPort, listener);
    await writeLease(this.opts.env, hostPort, {
      pid: process.pid,
      what: this.opts.what,
      containerId: target.containerId,
      containerPort: target.port,
      service: spec.service,
      folder: this.opts.folder,
    });
  }

  async remove(hostPort: number): Promise<boolean> {
    const l = this.listeners.get(hostPort);
    if (!l) return false;
    this.listeners.delete(hostPort);
    for (const s of l.sockets) s.destroy();
    await new Promise<void>((r) => l.server.close(() => r()));
    await dropLease(this.opts.env, hostPort);
    return true;
  }

  async close(): Promise<void> {
    await Promise.all([...this.listeners.keys()].map((p) => this.remove(p)));
    for (const r of this.relays.values()) r.stop();
    this.relays.clear();
  }

  /** Forgets what is known about a container (it stopped, started or went away). */
  invalidate(containerId?: string): void {
    if (containerId) this.cache.delete(containerId);
    else this.cache.clear();
  }

  private async resolve(containerId: string): Promise<Resolved> {
    const hit = this.cache.get(containerId);
    if (hit && Date.now() - hit.at < 2000) return hit;
    const info = await this.opts.engine.docker.getContainer(containerId).inspect();
    const nets = Object.values(info.NetworkSettings?.Networks ?? {});
    const ip = nets.map((n) => n.IPAddress).find((a) => !!a) || info.NetworkSettings?.IPAddress || undefined;
    const r: Resolved = { ip, pid: info.State.Pid, running: info.State.Running, name: info.Name.replace(/^\//, ''), at: Date.now() };
    this.cache.set(containerId, r);
    for (const [pid, relay] of this.relays) {
      if (![...this.cache.values()].some((c) => c.pid === pid)) {
        relay.stop();
        this.relays.delete(pid);
      }
    }
    return r;
  }

  private warn(l: Listener, message: string): void {
    if (l.warned === message) return;
    l.warned = message;
    this.opts.onMessage?.(message);
    this.opts.onChange?.();
  }

  private onConnection(l: Listener, client: net.Socket): void {
    client.pause();
    l.sockets.add(client);
    client.on('close', () => l.sockets.delete(client));
    client.on('error', () => undefined);
    void this.connect(l, client).catch((e) => {
      client.destroy();
      this.warn(l, `Port ${l.hostPort}: ${(e as Error).message}`);
    });
  }

  private async connect(l: Listener, client: net.Socket): Promise<void> {
    let r: Resolved;
    try {
      r = await this.resolve(l.target.containerId);
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) throw new Error(`the container ${l.target.containerId.slice(0, 12)} no longer exists; hb up makes a new one.`);
      throw e;
    }
    if (!r.running) {
      this.invalidate(l.target.containerId);
      throw new Error(`the container ${r.name} is not running; hb up starts it.`);
    }
    // 1. the container's IP: a server listening on all its addresses
    if (r.ip) {
      const up = await dial(() => net.connect(l.target.port, r.ip)).catch((e: NodeJS.ErrnoException) => e);
      if (up instanceof net.Socket) return this.splice(l, client, up, 'bridge');
      if (up.code !== 'ECONNREFUSED' && up.code !== 'EHOSTUNREACH' && up.code !== 'ETIMEDOUT') throw up;
    }
    // 2. the relay in its network namespace: a server listening on its localhost only
    const why = relayUnavailable(this.opts.engine, r.pid);
    if (why) {
      throw new Error(
        `nothing answers on port ${l.target.port} at the container's address${r.ip ? ` ${r.ip}` : ''}. If the server listens only on the container's localhost, HyperBox cannot relay to it here: ${why}. ` +
          'Make the server listen on all addresses (e.g. "vite --host 0.0.0.0", "--bind 0.0.0.0"), or publish it with appPort.',
      );
    }
    let relay = this.relays.get(r.pid);
    if (!relay) {
      relay = new NetnsRelay(r.pid);
      this.relays.set(r.pid, relay);
    }
    try {
      await relay.start();
    } catch (e) {
      this.relays.delete(r.pid);
      throw new Error(`the relay into the container's network namespace could not start: ${(e as Error).message}`);
    }
    const up = await dial(() => net.connect(relay.socket)).catch((e: Error) => e);
    if (!(up instanceof net.Socket)) throw new Error(`the relay into the container's network namespace does not answer: ${up.message}`);
    up.write(`${l.target.port}\n`);
    const ok = await new Promise<boolean>((resolve) => {
      let got = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length < 2) return;
        up.removeListener('data', onData);
        up.pause();
        if (got.length > 2) up.unshift(got.subarray(2));
        resolve(got[0] === 0x2b);
      };
      up.on('data', onData);
      up.resume();
      up.once('close', () => resolve(false));
      up.once('error', () => resolve(false));
    });
    if (!ok) {
      up.destroy();
      throw new Error(`nothing listens on port ${l.target.port} in the container ${r.name} (not on its address, nor on its localhost). Start the server, or check the port.`);
    }
    this.splice(l, client, up, 'netns-relay');
  }

  private splice(l: Listener, client: net.Socket, up: net.Socket, via: 'bridge' | 'netns-relay'): void {
    l.sockets.add(up);
    up.on('close', () => l.sockets.delete(up));
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
    client.pipe(up);
    up.pipe(client);
    client.resume();
    up.resume();
    if (l.via !== via || l.warned) {
      l.via = via;
      l.warned = undefined;
      this.opts.onChange?.();
      void writeLease(this.opts.env, l.hostPort, {
        pid: process.pid,
        what: this.opts.what,
        containerId: l.target.containerId,
        containerPort: l.target.port,
        service: l.spec.service,
        folder: this.opts.folder,
        via,
      });
    }
  }
}

function dial(make: () => net.Socket, timeoutMs = 3000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = make();
    s.pause();
    const t = setTimeout(() => {
      s.destroy();
      reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

/**
 * The container a port spec leads to: the dev container itself, or for `service:port` the
 * container of that Compose service in the dev container's Compose project (by the labels
 * docker compose / docker-compose set). Compose support can pass its own resolver instead.
 */
export async function composeTarget(engine: Engine, devContainerId: string, spec: PortSpec): Promise<ForwardTarget> {
  if (!spec.service) return { containerId: devContainerId, port: spec.port };
  const info = await engine.docker.getContainer(devContainerId).inspect();
  const project = info.Config.Labels?.['com.docker.compose.project'];
  if (!project) {
    throw new RuntimeError('not-found', `"${specKey(spec)}" names the Compose service ${spec.service}, but this dev container is not part of a Compose project. Use the port alone ("${spec.port}").`);
  }
  const list = await engine.docker.listContainers({
    filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`, `com.docker.compose.service=${spec.service}`] }),
  });
  if (!list.length) {
    throw new RuntimeError('not-running', `"${specKey(spec)}": the Compose service ${spec.service} of project ${project} has no running container. Start it (runServices), or fix the service name.`);
  }
  return { containerId: list[0].Id, port: spec.port };
}

export { readLease };
