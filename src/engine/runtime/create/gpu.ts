// Is there a GPU a container could use? Only what is really there counts: NVIDIA device nodes
// (/dev/nvidia0, ...) with `nvidia-smi -L` listing a GPU, or a DRM render node (/dev/dri/renderD*).
// An installed NVIDIA runtime or driver package without a device is not a GPU. `root` lets tests
// point /dev and /proc at fixture trees; `PATH` in env finds nvidia-smi.
import { runProgram } from '../../util/program';
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface GpuInfo {
  present: boolean;
  /** NVIDIA GPUs nvidia-smi lists (e.g. "GPU 0: ... (UUID: ...)"), when the device nodes exist. */
  nvidia: string[];
  /** DRM render nodes (/dev/dri/renderD128, ...): AMD, Intel and other GPUs. */
  renderNodes: string[];
  /**
   * With NVIDIA GPUs: whether the NVIDIA Container Toolkit's hook (nvidia-container-runtime-hook),
   * which Docker needs to hand a GPU to a container, is on PATH.
   */
  toolkit?: boolean;
  /** What was looked at and what was missing, for messages. */
  details: string[];
}

export interface GpuProbeOptions {
  /** Where / is (fixture trees in tests); default "/". */
  root?: string;
  env?: NodeJS.ProcessEnv;
}

async function list(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}

async function nvidiaSmi(env: NodeJS.ProcessEnv): Promise<{ ok: boolean; out: string }> {
  const r = await runProgram('nvidia-smi', ['-L'], { env, timeoutMs: 5000 });
  const why = r.error?.code === 'ENOENT' ? 'not installed' : r.error ? r.error.message : r.code !== 0 ? `exit code ${r.code}` : '';
  return { ok: r.code === 0, out: `${r.stdout}${r.stderr}`.trim() || why };
}

export async function detectGpu(opts: GpuProbeOptions = {}): Promise<GpuInfo> {
  const root = opts.root ?? '/';
  const env = opts.env ?? process.env;
  const details: string[] = [];
  const dev = path.join(root, 'dev');
  const nodes = (await list(dev)).filter((n) => /^nvidia\d+$/.test(n));
  let nvidia: string[] = [];
  if (nodes.length) {
    const smi = await nvidiaSmi(env);
    const gpus = smi.out.split('\n').map((l) => l.trim()).filter((l) => /^GPU \d+:/.test(l));
    if (smi.ok && gpus.length) nvidia = gpus;
    else details.push(`/dev/${nodes.join(', /dev/')} exist${nodes.length === 1 ? 's' : ''} but nvidia-smi -L ${smi.ok ? 'lists no GPU' : `fails (${smi.out.split('\n')[0]})`}`);
  } else {
    const drivers = await list(path.join(root, 'proc', 'driver', 'nvidia', 'gpus'));
    details.push(drivers.length ? `the NVIDIA driver knows ${drivers.length} GPU(s) but there is no /dev/nvidiaN device node` : 'no NVIDIA device nodes (/dev/nvidia0, ...)');
  }
  const renderNodes = (await list(path.join(dev, 'dri'))).filter((n) => /^renderD\d+$/.test(n)).map((n) => `/dev/dri/${n}`);
  if (!renderNodes.length) details.push('no DRM render node (/dev/dri/renderD*)');
  const out: GpuInfo = { present: nvidia.length > 0 || renderNodes.length > 0, nvidia, renderNodes, details };
  if (nvidia.length) out.toolkit = await onPath('nvidia-container-runtime-hook', env);
  return out;
}

async function onPath(bin: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    try {
      await fs.access(path.join(dir, bin), fsConstants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

/**
 * What a container gets for a GPU that is present: all NVIDIA GPUs (as `--gpus all`) when Docker
 * can hand them over (the toolkit is there), else the render nodes.
 */
export function gpuHostConfig(gpu: GpuInfo): { DeviceRequests?: unknown[]; Devices?: unknown[] } {
  if (gpu.nvidia.length && gpu.toolkit !== false) return { DeviceRequests: [{ Driver: '', Count: -1, DeviceIDs: null, Capabilities: [['gpu']], Options: {} }] };
  if (gpu.renderNodes.length) return { Devices: [{ PathOnHost: '/dev/dri', PathInContainer: '/dev/dri', CgroupPermissions: 'rwm' }] };
  return {};
}

export function describeGpu(gpu: GpuInfo): string {
  if (gpu.nvidia.length) return `NVIDIA: ${gpu.nvidia.join('; ')}`;
  if (gpu.renderNodes.length) return `render node${gpu.renderNodes.length > 1 ? 's' : ''} ${gpu.renderNodes.join(', ')}`;
  return `no GPU (${gpu.details.join('; ')})`;
}
