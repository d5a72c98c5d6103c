// The ports of a folder's dev container as users see them (hb ports, RuntimePorts), and the
// ForwardManager that keeps a process's forwards in line with what the container should have:
// the engine runs one for the editor; `hb ports --forward` runs one in the foreground.
import * as path from 'node:path';
import type { ContainerInspectInfo } from 'dockerode';
import type { PortForward, PortsResult } from '../../../protocol';
import { findContainer, loadConfig, mergedForContainer, portsOf } from '../container';
import { withEngine, type Engine } from '../engine/docker';
import { RuntimeError } from '../errors';
import { composeTarget, PortForwarder, type ForwardTarget } from './forward';
import { LABEL_METADATA } from '../create/labels';
import { configEntry, parseMetadataLabel } from '../build/metadata';
import { attributesFor, changeOverrides, desiredPorts, mergedPortsAttributes, parsePortSpec, readLease, readOverrides, specKey, type PortSpec } from './ports';

type Resolved = Awaited<ReturnType<typeof loadConfig>>;

interface Wanted {
  spec: PortSpec;
  source: 'forwardPorts' | 'added';
}

/** What the container should have forwarded, and the attributes of every port. */
async function wantedFor(env: NodeJS.ProcessEnv, resolved: Resolved, info: ContainerInspectInfo) {
  const merged = mergedForContainer(info.Config.Labels, resolved.config);
  const imageEntries = parseMetadataLabel(info.Config.Labels?.[LABEL_METADATA]).slice(0, -1);
  const attrs = mergedPortsAttributes([...imageEntries, configEntry(resolved.config)]);
  const overrides = await readOverrides(env, info.Id);
  const wanted: Wanted[] = desiredPorts(merged.forwardPorts, overrides);
  const published = portsOf(info).filter((p) => p.hostPort > 0);
  return { wanted, attrs, published };
}

function withAttrs(p: PortForward, spec: PortSpec, attrs: ReturnType<typeof mergedPortsAttributes>): PortForward {
  const a = attributesFor(spec, attrs.portsAttributes, attrs.otherPortsAttributes);
  if (a.label) p.label = a.label;
  if (a.protocol) p.protocol = a.protocol;
  if (a.onAutoForward) p.onAutoForward = a.onAutoForward;
  return p;
}

/**
 * The ports of a container: published ones (appPort), then the ones to forward with their state:
 * forwarded by this process (`forwarder`), by another HyperBox process (a live lease), or not.
 */
export async function describePorts(
  env: NodeJS.ProcessEnv,
  resolved: Resolved,
  info: ContainerInspectInfo | undefined,
  local?: { forwarder?: PortForwarder; errors?: Map<string, string> },
): Promise<PortsResult> {
  const result: PortsResult = { folder: resolved.workspaceFolder, containerId: info?.Id ?? null, ports: [] };
  if (!info) return result;
  const { wanted, attrs, published } = await wantedFor(env, resolved, info);
  const seenHost = new Set<number>();
  for (const p of published) {
    if (seenHost.has(p.hostPort)) continue; // IPv4 and IPv6 bindings of one port
    seenHost.add(p.hostPort);
    result.ports.push(withAttrs({ containerPort: p.containerPort, hostPort: p.hostPort, source: 'appPort', state: 'published' }, { port: p.containerPort }, attrs));
  }
  for (const w of wanted) {
    if (!w.spec.service && published.some((p) => p.containerPort === w.spec.port && p.hostPort === w.spec.port)) continue;
    const base: PortForward = { containerPort: w.spec.port, hostPort: w.spec.port, source: w.source, state: 'not-forwarded' };
    if (w.spec.service) base.service = w.spec.service;
    const err = local?.errors?.get(specKey(w.spec));
    const mine = local?.forwarder?.describe(w.spec.port);
    if (mine) Object.assign(base, mine);
    else if (err) Object.assign(base, { state: err.startsWith('Port ') && err.includes('already taken') ? 'conflict' : 'error', message: err });
    else {
      const lease = await readLease(env, w.spec.port);
      if (lease && (lease.containerId === info.Id || w.spec.service) && lease.containerPort === w.spec.port) {
        Object.assign(base, { state: 'forwarded', by: { pid: lease.pid, what: lease.what }, via: lease.via });
      } else if (lease) {
        Object.assign(base, {
          state: 'conflict',
          message: `Port ${w.spec.port} on 127.0.0.1 is forwarded by ${lease.what} (pid ${lease.pid}) to the dev container of ${lease.folder}.`,
        });
      } else if (!info.State.Running) {
        base.message = 'the container is stopped';
      }
    }
    result.ports.push(withAttrs(base, w.spec, attrs));
  }
  return result;
}

export interface PortsTarget {
  folder: string;
  configFile?: string;
  env: NodeJS.ProcessEnv;
}

async function locate(engine: Engine, opts: PortsTarget) {
  const resolved = await loadConfig(path.resolve(opts.folder), opts.configFile, opts.env);
  const found = await findContainer(engine, resolved.workspaceFolder, resolved.configFile!);
  const info = found ? await engine.docker.getContainer(found.Id).inspect() : undefined;
  return { resolved, info };
}

/** hb ports / RuntimePorts without a forwarder of its own. */
export async function listPorts(opts: PortsTarget): Promise<PortsResult> {
  return withEngine(opts.env, async (engine) => {
    const { resolved, info } = await locate(engine, opts);
    return describePorts(opts.env, resolved, info);
  });
}

/**
 * Adds or removes a port of the folder's dev container (remembered for that container). With a
 * manager (the engine, hb ports --forward) the forward starts or stops at once; any other
 * HyperBox process forwarding this container picks the change up from the file.
 */
export async function changePort(opts: PortsTarget & { port: number | string; op: 'add' | 'remove'; manager?: ForwardManager }): Promise<PortsResult> {
  const spec = parsePortSpec(opts.port);
  if (!spec) throw new RuntimeError('config', `"${opts.port}" is not a port: give a number from 1 to 65535, or service:port for a Compose service.`);
  return withEngine(opts.env, async (engine) => {
    const { resolved, info } = await locate(engine, opts);
    if (!info) throw new RuntimeError('not-found', `${resolved.workspaceFolder} has no dev container. Run hb up first.`);
    await changeOverrides(opts.env, info.Id, spec, opts.op);
    if (opts.manager) {
      const r = await opts.manager.sync(resolved, info);
      const p = r.ports.find((x) => x.containerPort === spec.port && (x.service ?? '') === (spec.service ?? ''));
      if (opts.op === 'add' && p && (p.state === 'conflict' || p.state === 'error')) throw new RuntimeError('port-taken', p.message ?? `Port ${spec.port} could not be forwarded.`);
      return r;
    }
    return describePorts(opts.env, resolved, info);
  });
}

interface Session {
  resolved: Resolved;
  containerId: string;
  forwarder: PortForwarder;
  errors: Map<string, string>;
}

export interface ForwardManagerOptions {
  env: NodeJS.ProcessEnv;
  /** Who forwards, for leases and messages. */
  what: string;
  onMessage?: (message: string) => void;
  /** The ports of a container changed (a forward started or stopped, a conflict). */
  onChange?: (result: PortsResult) => void;
  /** Where a `service:port` entry leads (Compose); default: the service's container in the dev container's Compose project. */
  resolveTarget?: (engine: Engine, devContainerId: string, spec: PortSpec) => Promise<ForwardTarget>;
}

/** Keeps this process's forwards equal to what each dev container it was given should have. */
export class ForwardManager {
  private readonly sessions = new Map<string, Session>();
  private readonly last = new Map<string, string>();
  constructor(
    private readonly engine: Engine,
    private readonly opts: ForwardManagerOptions,
  ) {}

  containers(): string[] {
    return [...this.sessions.keys()];
  }

  /** Starts and stops forwards so the container has what its config and hb ports add/remove say. */
  async sync(resolved: Resolved, info: ContainerInspectInfo): Promise<PortsResult> {
    let s = this.sessions.get(info.Id);
    if (!s) {
      const session: Session = {
        resolved,
        containerId: info.Id,
        errors: new Map(),
        forwarder: new PortForwarder({
          engine: this.engine,
          env: this.opts.env,
          folder: resolved.workspaceFolder,
          what: this.opts.what,
          onMessage: this.opts.onMessage,
          onChange: () => void this.describe(info.Id).then((r) => r && this.changed(r)).catch(() => undefined),
        }),
      };
      s = session;
      this.sessions.set(info.Id, s);
    }
    s.resolved = resolved;
    s.forwarder.invalidate(info.Id);
    const { wanted, published } = await wantedFor(this.opts.env, resolved, info);
    const keep = new Set<number>();
    for (const w of wanted) {
      const key = specKey(w.spec);
      if (!w.spec.service && published.some((p) => p.containerPort === w.spec.port && p.hostPort === w.spec.port)) continue;
      keep.add(w.spec.port);
      if (s.forwarder.has(w.spec.port)) continue;
      // another HyperBox process already forwards this very port of this container: leave it to it
      const lease = await readLease(this.opts.env, w.spec.port);
      if (lease && lease.pid !== process.pid && lease.containerId === info.Id && lease.containerPort === w.spec.port) {
        s.errors.delete(key);
        continue;
      }
      try {
        const target = await (this.opts.resolveTarget ?? composeTarget)(this.engine, info.Id, w.spec);
        await s.forwarder.add(w.spec, target);
        s.errors.delete(key);
      } catch (e) {
        const msg = (e as Error).message;
        if (s.errors.get(key) !== msg) this.opts.onMessage?.(msg);
        s.errors.set(key, msg);
      }
    }
    for (const p of s.forwarder.ports) if (!keep.has(p)) await s.forwarder.remove(p);
    for (const key of [...s.errors.keys()]) if (!wanted.some((w) => specKey(w.spec) === key)) s.errors.delete(key);
    const result = await describePorts(this.opts.env, resolved, info, { forwarder: s.forwarder, errors: s.errors });
    this.changed(result);
    return result;
  }

  private changed(result: PortsResult): void {
    if (!result.containerId) return;
    const text = JSON.stringify(result);
    if (this.last.get(result.containerId) === text) return;
    this.last.set(result.containerId, text);
    this.opts.onChange?.(result);
  }

  /** The ports of a container this manager forwards for, or undefined. */
  async describe(containerId: string): Promise<PortsResult | undefined> {
    const s = this.sessions.get(containerId);
    if (!s) return undefined;
    const info = await this.engine.docker.getContainer(containerId).inspect().catch(() => undefined);
    return describePorts(this.opts.env, s.resolved, info, { forwarder: s.forwarder, errors: s.errors });
  }

  /** Syncs again from the stored config (after hb ports add/remove elsewhere, or a restart). */
  async refresh(containerId: string): Promise<PortsResult | undefined> {
    const s = this.sessions.get(containerId);
    if (!s) return undefined;
    const info = await this.engine.docker.getContainer(containerId).inspect().catch(() => undefined);
    if (!info) {
      await this.drop(containerId);
      return undefined;
    }
    return this.sync(s.resolved, info);
  }

  /** The container went away: stop its forwards. */
  async drop(containerId: string): Promise<void> {
    const s = this.sessions.get(containerId);
    if (!s) return;
    this.sessions.delete(containerId);
    this.last.delete(containerId);
    await s.forwarder.close();
  }

  forwarderOf(containerId: string): PortForwarder | undefined {
    return this.sessions.get(containerId)?.forwarder;
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.drop(id)));
  }
}
