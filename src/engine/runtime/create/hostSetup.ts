// What `up` adds to a new container's create request from the host: the OCI runtime
// (runtimes.ts), hostRequirements checked and a GPU when asked for (host.ts, gpu.ts), and the
// SSH agent (userFiles.ts). One /info request serves all of them; it is made only at create time.
import type { DevContainerConfig } from '../../devcontainer/config';
import * as os from 'node:os';
import type { Engine } from '../engine/docker';
import { isLocalEngine } from '../engine/endpoint';
import { RuntimeError } from '../errors';
import type { GpuProbeOptions } from './gpu';
import { describeGpu, gpuHostConfig } from './gpu';
import { checkHostRequirements, gatherHostFacts, gpuWanted, hostRequirementsOf } from './host';
import type { ApiMount } from './mounts';
import type { Reporter } from '../report';
import { chooseRuntime, configuredRuntime, parseRuntimes, requestedRuntime } from '../engine/runtimes';
import { sshAgentForward, sshAgentSocket } from './userFiles';

export interface HostSetupOptions {
  engine: Engine;
  config: DevContainerConfig;
  /** hostRequirements merged from image metadata and the config (the config's wins). */
  hostRequirements?: unknown;
  /** The create request's body: HostConfig, Env (changed in place). */
  body: { HostConfig?: Record<string, unknown> | object; Env?: string[] };
  env: NodeJS.ProcessEnv;
  report: Reporter;
  /** A runtime over every other: hb up --runtime. */
  runtime?: string;
  /** A runtime for when neither runArgs nor the config names one: the editor's hyperbox.runtime setting. */
  defaultRuntime?: string;
  /** The folder is not trusted (the editor's Restricted Mode): the SSH agent stays out. */
  untrusted?: boolean;
  /** Tests: the host's architecture and where /dev and /proc are. */
  arch?: string;
  gpuProbe?: GpuProbeOptions;
}

export function engineIsLocal(engine: Engine, env: NodeJS.ProcessEnv = process.env): boolean {
  return isLocalEngine(engine.endpoint, env);
}

export async function applyHostSetup(opts: HostSetupOptions): Promise<{ runtime?: string; gpu: boolean; sshAgent: boolean }> {
  const { engine, config, body, env, report } = opts;
  const hostConfig = (body.HostConfig ??= {}) as Record<string, unknown>;
  const local = engineIsLocal(engine, env);
  const arch = opts.arch ?? os.arch();
  const req = (opts.hostRequirements ?? config.hostRequirements) as Record<string, unknown> | undefined;
  const requirements = req && typeof req === 'object' && Object.keys(req).length ? hostRequirementsOf({ hostRequirements: req }) : undefined;

  // the runtime: hb up --runtime, then runArgs --runtime, then the config, then the editor's setting (runtimes.ts)
  const requested = requestedRuntime({
    cli: opts.runtime,
    runArgs: typeof hostConfig.Runtime === 'string' ? hostConfig.Runtime : undefined,
    config: configuredRuntime(config),
    setting: opts.defaultRuntime,
  });
  // /info takes tens of milliseconds: asked only when something here needs it
  type Info = Parameters<typeof parseRuntimes>[0] & { NCPU?: number; MemTotal?: number; DockerRootDir?: string };
  const info: Info | undefined = requested || arch === 'arm64' || requirements ? ((await engine.docker.info()) as Info) : undefined;
  const choice = info ? chooseRuntime(parseRuntimes(info), requested, arch) : {};
  if (choice.runtime) {
    hostConfig.Runtime = choice.runtime;
    const over = requested?.over.length ? ` (over ${requested.over.map((r) => `${r.name} from ${r.from}`).join(', ')})` : '';
    report.info(`Using OCI ${choice.reason}${over}.`);
  }

  // hostRequirements: minimums (warnings), and a GPU that must really be there
  const wantGpu = gpuWanted(requirements);
  let gpu = false;
  if (requirements) {
    // the GPU is looked for on this machine: with an engine elsewhere it cannot be checked
    if (wantGpu && !local) report.warn(`hostRequirements.gpu cannot be checked: the Docker engine is on another machine (${engine.endpoint.host}). The container gets no GPU from HyperBox.`);
    const facts = await gatherHostFacts(info, { local, gpu: !!wantGpu && local, probe: { env, ...opts.gpuProbe } });
    const check = checkHostRequirements(requirements, facts);
    for (const w of check.warnings) report.warn(w);
    if (check.error) throw new RuntimeError('config', check.error);
    if (wantGpu === 'optional' && !check.useGpu && facts.gpu) report.info('hostRequirements.gpu is "optional" and this machine has no GPU: the container gets none.');
    if (check.useGpu && facts.gpu && facts.gpu.nvidia.length && !facts.gpu.renderNodes.length && facts.gpu.toolkit === false) {
      // Docker hands NVIDIA GPUs to containers through the toolkit's hook; without it create fails obscurely
      const why = `this machine has ${describeGpu(facts.gpu)}, but the NVIDIA Container Toolkit (nvidia-container-runtime-hook) is not installed, so Docker cannot give it to a container`;
      if (wantGpu === 'required') throw new RuntimeError('config', `hostRequirements.gpu requires a GPU: ${why}. Install the NVIDIA Container Toolkit and restart dockerd, or set "gpu": "optional".`);
      report.warn(`hostRequirements.gpu is "optional" and ${why}: the container gets none. Install the NVIDIA Container Toolkit to use it.`);
    } else if (check.useGpu && facts.gpu) {
      const extra = gpuHostConfig(facts.gpu);
      if (extra.DeviceRequests) hostConfig.DeviceRequests = [...((hostConfig.DeviceRequests as unknown[]) ?? []), ...extra.DeviceRequests];
      if (extra.Devices) hostConfig.Devices = [...((hostConfig.Devices as unknown[]) ?? []), ...extra.Devices];
      gpu = true;
      report.info(`hostRequirements.gpu: giving the container the GPU (${extra.DeviceRequests ? 'all NVIDIA GPUs' : facts.gpu.renderNodes.join(', ')}).`);
    }
  }

  // the SSH agent: only with an engine on this machine (a socket cannot be bind-mounted across machines)
  let sshAgent = false;
  const socket = local ? await sshAgentSocket(env) : undefined;
  if (socket && opts.untrusted) {
    report.info('Not forwarding your SSH agent or copying your .gitconfig into the container: the folder is not trusted.');
    return { runtime: choice.runtime, gpu, sshAgent: false };
  }
  if (socket && !(body.Env ?? []).some((e) => e.startsWith('SSH_AUTH_SOCK='))) {
    const fwd = sshAgentForward(socket);
    const mounts = (hostConfig.Mounts ??= []) as ApiMount[];
    if (!mounts.some((m) => m.Target === fwd.mount.Target)) {
      mounts.push(fwd.mount);
      (body.Env ??= []).push(fwd.env);
      sshAgent = true;
    }
  }
  return { runtime: choice.runtime, gpu, sshAgent };
}
