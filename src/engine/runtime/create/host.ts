// hostRequirements: the spec's minimums (cpus, memory, storage, gpu) checked against the machine
// the engine runs on. cpus, memory and storage that fall short are warnings: they are minimums
// for choosing a machine (the spec leaves warn or fail to the tool), a local machine cannot be
// changed by failing, and the container usually still works, only slower. `gpu: true` with no GPU
// is an error: a config that requires a GPU fails later in confusing ways without one, and
// `"optional"` is the spec's way to say "use one when present".
import type { DevContainerConfig } from '../../devcontainer/config';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import { RuntimeError } from '../errors';
import { describeGpu, detectGpu, type GpuInfo, type GpuProbeOptions } from './gpu';

export interface HostRequirements {
  cpus?: number;
  memory?: string;
  storage?: string;
  gpu?: boolean | 'optional' | { cores?: number; memory?: string };
}

export interface HostFacts {
  cpus: number;
  memory: number;
  /** Free bytes where the engine keeps images and containers; undefined when it cannot be measured. */
  storageFree?: number;
  storagePath?: string;
  gpu?: GpuInfo;
}

export interface HostCheck {
  warnings: string[];
  /** Set when the container cannot be made as asked (gpu: true without a GPU). */
  error?: string;
  /** Use the GPU (gpu true or optional, and one is present). */
  useGpu: boolean;
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

/** "4gb", "512mb", "1.5tb" (the spec's forms) in bytes; undefined when it is not one. */
export function parseSize(v: unknown): number | undefined {
  if (typeof v === 'number' && v >= 0) return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(tb|gb|mb|kb|b)?\s*$/i.exec(String(v ?? ''));
  if (!m) return undefined;
  return Math.round(parseFloat(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]);
}

export function formatSize(bytes: number): string {
  for (const [unit, n] of [['TB', 1024 ** 4], ['GB', 1024 ** 3], ['MB', 1024 ** 2]] as const) {
    if (bytes >= n) return `${(bytes / n).toFixed(bytes % n === 0 ? 0 : 1)} ${unit}`;
  }
  return `${bytes} B`;
}

export function hostRequirementsOf(config: DevContainerConfig): HostRequirements | undefined {
  return config.hostRequirements;
}

export function gpuWanted(req: HostRequirements | undefined): 'required' | 'optional' | undefined {
  const g = req?.gpu;
  if (g === 'optional') return 'optional';
  if (g === true || (g && typeof g === 'object')) return 'required';
  return undefined;
}

/** Compares the requirements with the facts: pure, so tests give any machine. */
export function checkHostRequirements(req: HostRequirements | undefined, facts: HostFacts, where = 'hostRequirements'): HostCheck {
  const out: HostCheck = { warnings: [], useGpu: false };
  if (!req) return out;
  if (typeof req.cpus === 'number' && facts.cpus < req.cpus) {
    out.warnings.push(`${where}.cpus asks for at least ${req.cpus} CPUs; this machine has ${facts.cpus}. The container will run, but slower than its authors expect.`);
  }
  const mem = parseSize(req.memory);
  if (req.memory !== undefined && mem === undefined) out.warnings.push(`${where}.memory "${req.memory}" is not a size like "4gb": not checked.`);
  // the kernel keeps some memory for itself, so a "16gb" machine reports a little less: allow 5%
  if (mem !== undefined && facts.memory < mem * 0.95) {
    out.warnings.push(`${where}.memory asks for at least ${formatSize(mem)}; this machine has ${formatSize(facts.memory)}. Builds and tools in the container may run out of memory.`);
  }
  const storage = parseSize(req.storage);
  if (req.storage !== undefined && storage === undefined) out.warnings.push(`${where}.storage "${req.storage}" is not a size like "32gb": not checked.`);
  if (storage !== undefined && facts.storageFree !== undefined && facts.storageFree < storage) {
    out.warnings.push(
      `${where}.storage asks for at least ${formatSize(storage)}; ${facts.storagePath ?? 'the engine\'s data root'} has ${formatSize(facts.storageFree)} free. Free some space (docker system prune) or the container may fill the disk.`,
    );
  }
  const gpu = gpuWanted(req);
  if (gpu && facts.gpu) {
    if (facts.gpu.present) out.useGpu = true;
    else if (gpu === 'required') {
      out.error =
        `${where}.gpu requires a GPU, and this machine has ${describeGpu(facts.gpu)}. ` +
        'Run it on a machine with a GPU, or set "gpu": "optional" to use one only when present.';
    }
  }
  return out;
}

/**
 * The facts about the engine's machine: CPUs and memory as the engine reports them (its /info,
 * which for a local engine is this machine), free space of its data root (when that folder is
 * on this machine), and the GPU (only looked for when asked).
 */
export async function gatherHostFacts(
  engineInfo: { NCPU?: number; MemTotal?: number; DockerRootDir?: string } | undefined,
  opts: { local: boolean; gpu: boolean; probe?: GpuProbeOptions },
): Promise<HostFacts> {
  const facts: HostFacts = { cpus: engineInfo?.NCPU || os.cpus().length, memory: engineInfo?.MemTotal || os.totalmem() };
  const root = engineInfo?.DockerRootDir;
  if (opts.local && root) {
    try {
      const s = await fs.statfs(root);
      facts.storageFree = s.bavail * s.bsize;
      facts.storagePath = root;
    } catch {
      // not readable from here (rootless engine, another user): not checked
    }
  }
  if (opts.gpu) facts.gpu = await detectGpu(opts.probe);
  return facts;
}

export function hostError(message: string): RuntimeError {
  return new RuntimeError('config', message);
}
