// `hb doctor`: what this host can do for dev containers — kernel, PSI, cgroups, storage, OCI
// runtimes, GPUs, CPU architecture — and what to change. Each probe reads under `root` (fixture
// trees in tests). The engine's part comes from one /info request straight over its socket with a
// short timeout (dockerode is loaded only for TLS or ssh engines), so the doctor stays fast and
// still answers when the engine does not.
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import * as path from 'node:path';
import type { Availability, DoctorFinding, DoctorReport } from '../../protocol';
import { cgroupVersion, readCgroupMounts } from '../pressure/cgroup';
import { PSI_RESOURCES } from '../pressure/psi';
import { resolveEndpoint, isLocalEngine, type DockerEndpoint } from '../runtime/engine/endpoint';
import { connectEngine, engineError } from '../runtime/engine/docker';
import { detectGpu, type GpuInfo } from '../runtime/create/gpu';
import { parseRuntimes, runtimeKind } from '../runtime/engine/runtimes';
import { cmdlineParam, enabled, option, readKernelFacts, type KernelFacts } from './kernel';
import { findOnPath, probeStorage, type EngineStorageInfo } from './probe';

/** The part of the engine's /info the doctor uses. */
export interface EngineInfoForDoctor extends EngineStorageInfo {
  Runtimes?: Record<string, { path?: string; runtimeType?: string } | undefined>;
  DefaultRuntime?: string;
  CgroupDriver?: string;
  CgroupVersion?: string;
  Architecture?: string;
  OperatingSystem?: string;
}

export type EngineAnswer = { info: EngineInfoForDoctor; local: boolean } | { error: string };

/** GET /info over the engine's socket (or plain tcp), at most `timeoutMs`. */
function rawInfo(endpoint: DockerEndpoint, timeoutMs: number): Promise<EngineInfoForDoctor> {
  return new Promise((resolve, reject) => {
    const o = endpoint.options;
    const req = request(
      o.socketPath ? { socketPath: o.socketPath, path: '/info', method: 'GET' } : { host: o.host, port: o.port, path: '/info', method: 'GET' },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`the engine answered /info with HTTP ${res.statusCode}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (e) {
            reject(new Error(`the engine's /info is not JSON: ${(e as Error).message}`));
          }
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT', syscall: 'connect', address: endpoint.host })));
    req.on('error', reject);
    req.end();
  });
}

/** The engine's /info, or why it could not be had. Never throws. */
export async function askEngine(env: NodeJS.ProcessEnv, timeoutMs = 1500): Promise<EngineAnswer> {
  let endpoint: DockerEndpoint | undefined;
  try {
    endpoint = await resolveEndpoint(env);
    const local = isLocalEngine(endpoint, env);
    if (endpoint.options.socketPath || endpoint.options.protocol === 'http') return { info: await rawInfo(endpoint, timeoutMs), local };
    // TLS or ssh: through dockerode, which knows how (loaded only now)
    const engine = await connectEngine(env);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT', syscall: 'connect', address: endpoint!.host })), timeoutMs);
    });
    try {
      return { info: (await Promise.race([engine.docker.info(), timeout])) as EngineInfoForDoctor, local };
    } finally {
      clearTimeout(timer);
    }
  } catch (e) {
    const err = endpoint ? engineError(e, endpoint) : e;
    return { error: (err as Error).message ?? String(err) };
  }
}

const finding = (available: Availability, ...evidence: string[]): DoctorFinding => ({ available, evidence });

export function probePsi(k: KernelFacts): DoctorReport['psi'] {
  const resources: DoctorReport['psi']['resources'] = [];
  const errors: string[] = [];
  for (const r of PSI_RESOURCES) {
    try {
      const text = readFileSync(path.join(k.root, 'proc', 'pressure', r), 'utf8');
      if (text.startsWith('some ')) resources.push(r);
    } catch (e) {
      errors.push((e as NodeJS.ErrnoException).code ?? (e as Error).message);
    }
  }
  const param = cmdlineParam(k, 'psi');
  const psi = option(k, 'CONFIG_PSI');
  const defaultOff = option(k, 'CONFIG_PSI_DEFAULT_DISABLED');
  if (resources.length) {
    const evidence = [`/proc/pressure/${resources.join(', ')} can be read`];
    if (enabled(defaultOff) && param) evidence.push(`turned on by psi=${param} on the kernel command line (the kernel is built with CONFIG_PSI_DEFAULT_DISABLED=y)`);
    return { ...finding('yes', ...evidence), resources };
  }
  const evidence: string[] = [];
  if (param === '0' || param === 'n' || param === 'off') evidence.push('psi=0 on the kernel command line turns it off: remove it (or boot with psi=1)');
  else if (psi === 'n') evidence.push(`the kernel is built without PSI (CONFIG_PSI is not set in ${k.configSource}): use a kernel with CONFIG_PSI=y`);
  else if (enabled(defaultOff) && !param) evidence.push(`the kernel is built with PSI off by default (CONFIG_PSI_DEFAULT_DISABLED=y in ${k.configSource}): boot with psi=1`);
  if (errors.includes('EOPNOTSUPP')) evidence.push('/proc/pressure files exist but reading them fails with EOPNOTSUPP: PSI is turned off');
  else if (errors.every((c) => c === 'ENOENT')) evidence.push('there is no /proc/pressure');
  else evidence.push(`/proc/pressure cannot be read (${[...new Set(errors)].join(', ')})`);
  return { ...finding('no', ...evidence), resources };
}

export function probeCgroup(root: string, engine: EngineInfoForDoctor | undefined): DoctorReport['cgroup'] {
  const mounts = readCgroupMounts(root);
  const version = cgroupVersion(mounts);
  const unified = mounts.unified?.mountPoint ?? null;
  const memoryV1 = mounts.v1.get('memory')?.mountPoint ?? null;
  const notes: string[] = [];
  let containers: string | null = null;
  if (unified) {
    // Docker's cgroupfs driver puts containers under docker/, the systemd driver in system.slice/docker-<id>.scope
    const driver = engine?.CgroupDriver;
    const u = (p: string) => path.posix.join(unified, p);
    if (driver === 'systemd' || (!driver && !existsSync(path.join(root, unified, 'docker')) && existsSync(path.join(root, unified, 'system.slice')))) containers = u('system.slice/docker-<id>.scope/');
    else if (driver === 'cgroupfs' || existsSync(path.join(root, unified, 'docker'))) containers = u('docker/<id>/');
    else notes.push(`no docker/ or system.slice/ under ${unified} yet: a container's cgroup is found from its init process when it runs`);
  }
  switch (version) {
    case 'hybrid':
      notes.push(
        `hybrid host: the engine uses cgroup v1 controllers${engine?.CgroupVersion ? ` (it reports cgroup v${engine.CgroupVersion})` : ''}, and the cgroup v2 hierarchy is mounted beside them at ${unified}; ` +
          `container PSI is read there, memory use from the v1 memory controller${memoryV1 ? ` at ${memoryV1}` : ' (not mounted: no memory figures)'}`,
      );
      break;
    case 'v1':
      notes.push('cgroup v1 only: there is no cgroup2 hierarchy, so no per-container PSI (host PSI still works); boot with systemd.unified_cgroup_hierarchy=1 for cgroup v2, or mount cgroup2 beside v1 (mount -t cgroup2 none /sys/fs/cgroup/unified)');
      break;
    case 'none':
      notes.push('no cgroup filesystem is mounted (/proc/self/mountinfo): containers cannot be limited or measured');
      break;
    default:
  }
  return { version, unified, memoryV1, containers, notes };
}

const RUNTIME_BINARIES = ['runc', 'crun', 'youki', 'runsc', 'kata-runtime', 'containerd-shim-kata-v2'];

export function probeRuntimes(root: string, env: NodeJS.ProcessEnv, engine: EngineAnswer): DoctorReport['runtimes'] {
  const installed = [...findOnPath(root, env, RUNTIME_BINARIES)].map(([bin, p]) => ({ kind: runtimeKind(bin, p), path: p }));
  if ('error' in engine) return { registered: null, installed, unregistered: [], error: engine.error };
  const list = parseRuntimes(engine.info);
  const kinds = new Set<string>(list.runtimes.map((r) => r.kind));
  return {
    registered: list.runtimes.map((r) => ({ name: r.name, kind: r.kind, ...(r.path ? { path: r.path } : {}), isDefault: r.isDefault })),
    installed,
    // a runtime binary on this machine is only relevant to a local engine
    unregistered: engine.local ? installed.filter((r) => !kinds.has(r.kind)) : [],
  };
}

/** Whether the engine can hand the GPUs found (runtime/gpu.ts) to a container, and how. */
export function gpuFinding(gpu: GpuInfo, engine: EngineAnswer): DoctorReport['gpu'] {
  let passthrough: Availability = 'no';
  let how: string;
  if (!gpu.present) how = 'no GPU on this machine';
  else if ('info' in engine && !engine.local) {
    passthrough = 'unknown';
    how = 'the engine runs on another machine: its GPUs are not the ones found here';
  } else if (gpu.nvidia.length) {
    const nvidiaRuntime = 'info' in engine && Object.keys(engine.info.Runtimes ?? {}).some((n) => /nvidia/.test(n));
    if (gpu.toolkit || nvidiaRuntime) {
      passthrough = 'yes';
      how = `NVIDIA GPUs through Docker's --gpus (${gpu.toolkit ? 'nvidia-container-runtime-hook is installed' : 'the engine has an nvidia runtime'})`;
    } else how = 'NVIDIA GPUs are present but the NVIDIA Container Toolkit (nvidia-container-runtime-hook) is not installed: install it so Docker can hand them to containers';
  } else {
    passthrough = 'yes';
    how = `the render node${gpu.renderNodes.length > 1 ? 's' : ''} (${gpu.renderNodes.join(', ')}) as devices (/dev/dri)`;
  }
  return { present: gpu.present, nvidia: gpu.nvidia, renderNodes: gpu.renderNodes, passthrough, how, details: gpu.details };
}

export function probeArch(arch: string, runtimes: DoctorReport['runtimes']): DoctorReport['arch'] {
  if (arch !== 'arm64' && arch !== 'arm') return { arch, advice: null };
  const registered = runtimes.registered ?? [];
  const def = registered.find((r) => r.isDefault);
  for (const kind of ['youki', 'crun']) {
    const r = registered.find((x) => x.kind === kind);
    if (r) return { arch, advice: def?.kind === kind ? `${r.name} is the engine's default runtime: right for this ARM host` : `hb up runs dev containers with ${r.name} here (it starts containers faster and uses less memory than runc on ARM boards)` };
  }
  const local = runtimes.unregistered.find((r) => r.kind === 'youki' || r.kind === 'crun');
  const unknown = runtimes.registered === null && runtimes.installed.find((r) => r.kind === 'youki' || r.kind === 'crun');
  if (unknown) return { arch, advice: `${unknown.path} is installed: with the engine registering it (dockerd --add-runtime ${unknown.kind}=${unknown.path}), hb up prefers it on this ARM host` };
  if (local) return { arch, advice: `${local.path} is installed but not registered: start dockerd with --add-runtime ${local.kind}=${local.path} (or "runtimes" in /etc/docker/daemon.json) and hb up will prefer it on this ARM host` };
  return { arch, advice: 'on ARM, youki or crun start containers faster and use less memory than runc: install crun (apt-get install crun), register it with dockerd --add-runtime crun=/usr/bin/crun, and hb up will prefer it' };
}

export interface DoctorOptions {
  /** Where / is (fixture trees in tests); default "/". */
  root?: string;
  env?: NodeJS.ProcessEnv;
  /** The engine's answer; asked when absent. */
  engine?: EngineAnswer;
  arch?: string;
}

export async function doctor(opts: DoctorOptions = {}): Promise<DoctorReport> {
  const root = opts.root ?? '/';
  const env = opts.env ?? process.env;
  // the engine's answer and the GPU probe (which may run nvidia-smi) run while the kernel files are read
  const waiting = Promise.all([opts.engine ?? askEngine(env), detectGpu({ root, env })]);
  const k = readKernelFacts(root);
  const psi = probePsi(k);
  const [engine, gpuInfo] = await waiting;
  const info = 'info' in engine ? engine.info : undefined;
  const gpu = gpuFinding(gpuInfo, engine);
  const cgroup = probeCgroup(root, info);
  const storage = probeStorage(k, env, info);
  const runtimes = probeRuntimes(root, env, engine);
  const arch = probeArch(opts.arch ?? (info?.Architecture ? normalizeArch(info.Architecture) : process.arch), runtimes);
  const report: DoctorReport = {
    kernel: { release: k.release || 'unknown', version: k.version, config: k.configSource },
    psi,
    cgroup,
    storage,
    runtimes,
    gpu,
    arch,
    recommendations: [],
  };
  report.recommendations = recommendations(report);
  return report;
}

/** The engine says x86_64 / aarch64; Node says x64 / arm64. */
function normalizeArch(a: string): string {
  return ({ x86_64: 'x64', aarch64: 'arm64', armv7l: 'arm', armhf: 'arm' } as Record<string, string>)[a] ?? a;
}

/** What to change, most useful first; empty when nothing is worth changing. */
export function recommendations(r: DoctorReport): string[] {
  const out: string[] = [];
  if (r.runtimes.error) out.push(`Start the Docker engine or point DOCKER_HOST at one: ${r.runtimes.error}`);
  if (r.psi.available !== 'yes') out.push(`Turn on PSI so HyperBox can show memory pressure before the OOM killer strikes: ${r.psi.evidence[0]}.`);
  if (r.cgroup.version === 'v1') out.push('Per-container pressure needs cgroup v2: boot with systemd.unified_cgroup_hierarchy=1 (or mount cgroup2 beside v1).');
  if (r.cgroup.version === 'none') out.push('Mount the cgroup filesystem (cgroup2 at /sys/fs/cgroup): without it containers cannot be limited or measured.');
  const s = r.storage;
  if (s.recommended.backend !== 'overlayfs' || (s.engineDriver && !/overlay/.test(s.engineDriver)))
    out.push(`Image storage: use ${s.recommended.backend}${s.engineDriver ? ` (the engine uses ${s.engineDriver})` : ''} — ${s.recommended.reason}.`);
  for (const u of r.runtimes.unregistered) out.push(`${u.path} (${u.kind}) is installed but the engine does not know it: register it with dockerd --add-runtime ${u.kind}=${u.path} to use it (hb up --runtime ${u.kind}).`);
  if (r.gpu.present && r.gpu.passthrough === 'no') out.push(r.gpu.how);
  if (r.arch.advice && !/right for this ARM host|hb up runs/.test(r.arch.advice)) out.push(r.arch.advice);
  return out;
}
