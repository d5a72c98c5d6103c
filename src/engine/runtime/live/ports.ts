// Ports of a dev container: which ones it should have forwarded (forwardPorts from the config and
// image metadata, plus ports added or removed while it runs), their portsAttributes labels, who
// forwards each one now (lease files written by the forwarding process), and who holds a host port
// that is taken (a container's published port, a HyperBox forwarder, or any process, found from
// /proc/net/tcp and the socket inodes in /proc/<pid>/fd).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { PortForward } from '../../../protocol';
import { cacheDir, readJson, writeJson } from '../dirs';
import type { Engine } from '../engine/docker';
import { processAlive } from '../up/lock';

export interface PortSpec {
  port: number;
  service?: string;
}

/** `3000`, `"3000"` or `"db:5432"`; undefined for anything else. */
export function parsePortSpec(p: unknown): PortSpec | undefined {
  if (typeof p === 'number') return Number.isInteger(p) && p > 0 && p < 65536 ? { port: p } : undefined;
  if (typeof p !== 'string') return undefined;
  const m = /^(?:([A-Za-z0-9][A-Za-z0-9_.-]*):)?(\d{1,5})$/.exec(p.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return m[1] ? { port, service: m[1] } : { port };
}

export const specKey = (s: PortSpec) => (s.service ? `${s.service}:${s.port}` : String(s.port));

export interface PortAttributes {
  label?: string;
  protocol?: string;
  onAutoForward?: string;
}

/**
 * portsAttributes for a port: keys are a port ("3000"), a range ("8000-8010") or `service:port`;
 * an exact key wins over a range. otherPortsAttributes applies to ports no key names.
 */
export function attributesFor(spec: PortSpec, portsAttributes: unknown, otherPortsAttributes?: unknown): PortAttributes {
  const table = portsAttributes && typeof portsAttributes === 'object' ? (portsAttributes as Record<string, unknown>) : {};
  const pick = (v: unknown): PortAttributes => {
    const o = v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
    const out: PortAttributes = {};
    if (typeof o.label === 'string') out.label = o.label;
    if (typeof o.protocol === 'string') out.protocol = o.protocol;
    if (typeof o.onAutoForward === 'string') out.onAutoForward = o.onAutoForward;
    return out;
  };
  const exact = table[specKey(spec)] ?? table[String(spec.port)];
  if (exact !== undefined) return pick(exact);
  for (const [k, v] of Object.entries(table)) {
    const r = /^(\d+)-(\d+)$/.exec(k);
    if (r && spec.port >= Number(r[1]) && spec.port <= Number(r[2])) return pick(v);
  }
  return otherPortsAttributes ? pick(otherPortsAttributes) : {};
}

/** portsAttributes merged over the image metadata entries and the config (later entries win per key). */
export function mergedPortsAttributes(entries: Record<string, unknown>[]): { portsAttributes: Record<string, unknown>; otherPortsAttributes?: unknown } {
  const portsAttributes: Record<string, unknown> = {};
  let otherPortsAttributes: unknown;
  for (const e of entries) {
    if (e.portsAttributes && typeof e.portsAttributes === 'object') Object.assign(portsAttributes, e.portsAttributes);
    if (e.otherPortsAttributes !== undefined) otherPortsAttributes = e.otherPortsAttributes;
  }
  return { portsAttributes, otherPortsAttributes };
}

// ---- ports added and removed while the container runs (per container, in the cache folder)

export interface PortOverrides {
  added: string[];
  removed: string[];
}
const overridesFile = (env: NodeJS.ProcessEnv, containerId: string) => path.join(cacheDir(env), 'ports', `${containerId}.json`);

export async function readOverrides(env: NodeJS.ProcessEnv, containerId: string): Promise<PortOverrides> {
  const o = await readJson<PortOverrides>(overridesFile(env, containerId));
  return { added: Array.isArray(o?.added) ? o.added : [], removed: Array.isArray(o?.removed) ? o.removed : [] };
}

export async function changeOverrides(env: NodeJS.ProcessEnv, containerId: string, spec: PortSpec, op: 'add' | 'remove'): Promise<PortOverrides> {
  const o = await readOverrides(env, containerId);
  const key = specKey(spec);
  o.added = o.added.filter((k) => k !== key);
  o.removed = o.removed.filter((k) => k !== key);
  (op === 'add' ? o.added : o.removed).push(key);
  await writeJson(overridesFile(env, containerId), o);
  return o;
}

/** The ports to forward: forwardPorts, then added ones, minus removed ones. */
export function desiredPorts(forwardPorts: unknown[], overrides: PortOverrides): { spec: PortSpec; source: 'forwardPorts' | 'added' }[] {
  const out: { spec: PortSpec; source: 'forwardPorts' | 'added' }[] = [];
  const seen = new Set<string>();
  const push = (p: unknown, source: 'forwardPorts' | 'added') => {
    const spec = parsePortSpec(p);
    if (!spec) return;
    const key = specKey(spec);
    if (seen.has(key) || overrides.removed.includes(key)) return;
    seen.add(key);
    out.push({ spec, source });
  };
  for (const p of forwardPorts) push(p, 'forwardPorts');
  for (const p of overrides.added) push(p, 'added');
  return out;
}

// ---- leases: which process forwards which host port now

export interface Lease {
  pid: number;
  /** `HyperBox engine` or `hb ports --forward`. */
  what: string;
  containerId: string;
  containerPort: number;
  service?: string;
  folder: string;
  via?: 'bridge' | 'netns-relay';
}
const leaseFile = (env: NodeJS.ProcessEnv, hostPort: number) => path.join(cacheDir(env), 'forwards', `${hostPort}.json`);

/** The live lease of a host port, if a process still holds it. */
export async function readLease(env: NodeJS.ProcessEnv, hostPort: number): Promise<Lease | undefined> {
  const l = await readJson<Lease>(leaseFile(env, hostPort));
  return l && typeof l.pid === 'number' && processAlive(l.pid) ? l : undefined;
}
export async function writeLease(env: NodeJS.ProcessEnv, hostPort: number, lease: Lease): Promise<void> {
  await writeJson(leaseFile(env, hostPort), lease).catch(() => undefined);
}
export async function dropLease(env: NodeJS.ProcessEnv, hostPort: number, pid = process.pid): Promise<void> {
  const l = await readJson<Lease>(leaseFile(env, hostPort));
  if (l?.pid === pid) await fs.unlink(leaseFile(env, hostPort)).catch(() => undefined);
}

// ---- who holds a host port

export interface ProcSocket {
  localPort: number;
  /** Local address as text (IPv4 dotted, or IPv6 hex groups). */
  localAddress: string;
  state: number;
  inode: number;
}

/** Parses /proc/net/tcp or /proc/net/tcp6. */
export function parseProcNetTcp(text: string): ProcSocket[] {
  const out: ProcSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [addr, port] = f[1].split(':');
    if (!addr || !port) continue;
    let localAddress = addr;
    if (addr.length === 8) {
      // IPv4, little-endian
      const n = parseInt(addr, 16);
      localAddress = [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
    }
    out.push({ localPort: parseInt(port, 16), localAddress, state: parseInt(f[3], 16), inode: Number(f[9]) });
  }
  return out;
}

const TCP_LISTEN = 0x0a;

export interface PortHolder {
  kind: 'container' | 'hyperbox' | 'process' | 'unknown';
  /** For people: "container web-1 (abc123def456)", "node server.js (pid 4242)". */
  description: string;
  pid?: number;
  containerId?: string;
}

/** The process listening on the port, from /proc (root sees every process; others see their own). */
export async function processHoldingPort(port: number, proc = '/proc'): Promise<{ pid: number; command: string } | undefined> {
  const inodes = new Set<number>();
  for (const f of ['net/tcp', 'net/tcp6']) {
    const text = await fs.readFile(path.join(proc, f), 'utf8').catch(() => '');
    for (const s of parseProcNetTcp(text)) if (s.localPort === port && s.state === TCP_LISTEN && s.inode) inodes.add(s.inode);
  }
  if (!inodes.size) return undefined;
  const pids = (await fs.readdir(proc).catch(() => [] as string[])).filter((d) => /^\d+$/.test(d));
  for (const pid of pids) {
    const fds = await fs.readdir(path.join(proc, pid, 'fd')).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await fs.readlink(path.join(proc, pid, 'fd', fd)).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(Number(m[1]))) {
        const raw = await fs.readFile(path.join(proc, pid, 'cmdline'), 'utf8').catch(() => '');
        const command = raw.split('\0').filter(Boolean).join(' ') || (await fs.readFile(path.join(proc, pid, 'comm'), 'utf8').catch(() => '?')).trim();
        return { pid: Number(pid), command };
      }
    }
  }
  return undefined;
}

/** A container that publishes the port on this machine, from the engine's port bindings. */
export async function containerPublishing(engine: Engine, port: number): Promise<{ id: string; name: string; privatePort: number } | undefined> {
  const list = await engine.docker.listContainers({ filters: JSON.stringify({ publish: [String(port)] }) }).catch(() => []);
  for (const c of list) {
    const hit = (c.Ports ?? []).find((p) => p.PublicPort === port);
    if (hit) return { id: c.Id, name: c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12), privatePort: hit.PrivatePort };
  }
  return undefined;
}

/** Who holds a host port, best first: the engine's bindings, a HyperBox forwarder, any process. */
export async function portHolder(engine: Engine | undefined, env: NodeJS.ProcessEnv, port: number): Promise<PortHolder> {
  const c = engine ? await containerPublishing(engine, port) : undefined;
  if (c) return { kind: 'container', containerId: c.id, description: `container ${c.name} (${c.id.slice(0, 12)}), which publishes it for its port ${c.privatePort}` };
  const lease = await readLease(env, port);
  if (lease && lease.pid !== process.pid) {
    return { kind: 'hyperbox', pid: lease.pid, description: `${lease.what} (pid ${lease.pid}), forwarding it to port ${lease.containerPort} of the dev container of ${lease.folder}` };
  }
  const p = await processHoldingPort(port);
  if (p) return { kind: 'process', pid: p.pid, description: `${p.command.length > 120 ? p.command.slice(0, 117) + '...' : p.command} (pid ${p.pid})` };
  return { kind: 'unknown', description: 'a process this user cannot see (run as root, or look with "ss -ltnp")' };
}

export function takenMessage(port: number, holder: PortHolder, containerPort: number): string {
  const fix =
    holder.kind === 'container'
      ? `stop that container (docker stop ${holder.containerId?.slice(0, 12)}) or remove its port binding, then forward again`
      : holder.kind === 'hyperbox'
        ? 'stop that forwarder (Ctrl-C, or kill the pid), or hb ports remove the port there'
        : holder.kind === 'process'
          ? `stop it (kill ${holder.pid}) or make it use another port, then forward again`
          : 'free the port, then forward again';
  return `Port ${port} on 127.0.0.1 is already taken by ${holder.description}, so port ${containerPort} of the container is not forwarded (HyperBox never picks another port silently). Fix: ${fix}.`;
}

export type { PortForward };
