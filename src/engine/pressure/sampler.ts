// The pressure sampler: every second, the PSI of the host (/proc/pressure) and of each container
// added (its cgroup v2 directory, found through /proc/<pid>/cgroup of its init process and the
// cgroup2 mount of /proc/self/mountinfo), with the `total=` deltas since the last sample, and each
// container's memory use against its limit from the cgroup itself (pure v2: memory.current and
// memory.max; hybrid and v1 hosts: the v1 memory controller's memory.usage_in_bytes and
// memory.limit_in_bytes), not from Docker's stats API.
//
// Cheap on purpose (bench/pressure measures it with 50 containers): each file is opened once and
// then read at offset 0 into a buffer of its own (a PSI or cgroup file is generated afresh by the
// kernel on every read from offset 0, so no reopen and no seek is needed). The reads are
// synchronous: these are kernel-generated files that never wait on a disk, and one readSync costs a
// few microseconds where a thread-pool round trip per file would cost more than the read itself.
//
// Registering on the live-capability host (src/engine/live/): a "pressure" capability owns one
// sampler for the engine. When a project's container starts (or the engine finds it running) it
// calls `addContainer({containerId, name, folder, pid: State.Pid})`; when it stops, is recreated or
// goes away, `removeContainer(containerId)` (a recreated container is added again with its new
// pid). The capability `start()`s the sampler while at least one client subscribes (the Pressure
// panel, the status-bar item), forwards each sample as a protocol notification carrying a
// PressureSample (src/protocol), `stop()`s it when the last one leaves, and `dispose()`s it
// (closing every file) when the engine shuts down.
import { closeSync, openSync, readSync } from 'node:fs';
import * as path from 'node:path';
import type { ContainerPressure, PressureFigures, PressureSample, PsiResource } from '../../protocol';
import { processCgroupDirs, readCgroupMounts, type CgroupMounts } from './cgroup';
import { PSI_RESOURCES, parsePsi, type PsiResourceName } from './psi';

/** A kernel file kept open and read at offset 0. */
class OpenFile {
  private readonly buf = Buffer.allocUnsafe(512);
  private constructor(readonly file: string, private fd: number | undefined) {}

  static open(file: string): OpenFile | Error {
    try {
      return new OpenFile(file, openSync(file, 'r'));
    } catch (e) {
      return e as Error;
    }
  }

  read(): string | Error {
    if (this.fd === undefined) return new Error(`${this.file} is closed`);
    try {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
      return this.buf.toString('latin1', 0, n);
    } catch (e) {
      return e as Error;
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // already gone with its cgroup
    }
    this.fd = undefined;
  }
}

const code = (e: Error) => (e as NodeJS.ErrnoException).code ?? e.message;

/** A memory limit changes only with `docker update`: it is read once every this many samples. */
const LIMIT_EVERY = 10;

/** The PSI files of the host or one cgroup, and (containers) the memory files. */
class FigureSource {
  private readonly psi: { resource: PsiResourceName; file: OpenFile; last?: PsiResource }[] = [];
  private usage?: OpenFile;
  private limit?: OpenFile;
  private limitValue: number | null = null;
  private reads = 0;
  /** Why something cannot be read; fixed at open time, extended when reads start failing. */
  readonly missing: string[] = [];
  gone = false;

  constructor(psiFile: (r: PsiResourceName) => string | undefined, memory?: { usage: string; limit: string }) {
    for (const resource of PSI_RESOURCES) {
      const file = psiFile(resource);
      if (!file) continue;
      const f = OpenFile.open(file);
      if (f instanceof Error) this.missing.push(`${file}: ${explain(f)}`);
      else this.psi.push({ resource, file: f });
    }
    if (memory) {
      const u = OpenFile.open(memory.usage);
      const l = OpenFile.open(memory.limit);
      if (u instanceof Error) this.missing.push(`${memory.usage}: ${explain(u)}`);
      else this.usage = u;
      if (l instanceof Error) this.missing.push(`${memory.limit}: ${explain(l)}`);
      else this.limit = l;
    }
  }

  read(): PressureFigures {
    const out: PressureFigures = { missing: this.missing.length ? [...this.missing] : [] };
    for (const p of this.psi) {
      const text = p.file.read();
      if (text instanceof Error) {
        if (code(text) === 'ENODEV' || code(text) === 'ENOENT') {
          // the cgroup was removed: the container stopped
          this.gone = true;
          this.close();
          return { missing: [`the container stopped: its cgroup ${path.dirname(p.file.file)} is gone`] };
        }
        out.missing.push(`${p.file.file}: ${explain(text)}`);
        continue;
      }
      const parsed = parsePsi(text, p.last);
      if (!parsed) {
        out.missing.push(`${p.file.file} does not read as PSI: ${JSON.stringify(text.slice(0, 80))}`);
        continue;
      }
      p.last = parsed;
      out[p.resource] = parsed;
    }
    if (this.usage && this.limit) {
      const u = this.usage.read();
      const l = this.reads % LIMIT_EVERY === 0 ? this.limit.read() : undefined;
      if (u instanceof Error || l instanceof Error) out.missing.push(`memory use: ${explain((u instanceof Error ? u : l) as Error)}`);
      else {
        if (l !== undefined) this.limitValue = parseLimit(l);
        const usage = Number(u.trim());
        if (Number.isFinite(usage)) out.memoryUsage = { usage, limit: this.limitValue };
      }
    }
    this.reads++;
    return out;
  }

  close(): void {
    for (const p of this.psi) p.file.close();
    this.psi.length = 0;
    this.usage?.close();
    this.limit?.close();
  }
}

function explain(e: Error): string {
  switch (code(e)) {
    case 'ENOENT':
      return 'missing';
    case 'ENODEV':
      return 'the cgroup is gone (the container stopped)';
    case 'EOPNOTSUPP':
      return 'PSI is turned off in this kernel (boot with psi=1)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (run the engine as a user that may read cgroup files)';
    default:
      return code(e);
  }
}

/** "max" (v2) or v1's "no limit" (a page-rounded 2^63-1) is null. */
export function parseLimit(text: string): number | null {
  const t = text.trim();
  if (t === 'max') return null;
  const n = Number(t);
  return Number.isFinite(n) && n < 2 ** 62 ? n : null;
}

export interface PressureTarget {
  containerId: string;
  name: string;
  folder?: string;
  /** The container's init process on this host (inspect State.Pid). */
  pid: number;
}

export interface PressureSamplerOptions {
  /** Where / is (fixture trees in tests); default "/". */
  root?: string;
  /** Milliseconds between samples; default 1000. */
  intervalMs?: number;
  /** Sample the host's /proc/pressure too; default true. */
  host?: boolean;
}

export type PressureListener = (sample: PressureSample) => void;

export class PressureSampler {
  private readonly root: string;
  private readonly intervalMs: number;
  private readonly mounts: CgroupMounts;
  private readonly hostSource?: FigureSource;
  private readonly containers = new Map<string, { target: PressureTarget; source: FigureSource; cgroupDir?: string }>();
  private readonly listeners = new Set<PressureListener>();
  private timer?: NodeJS.Timeout;
  private lastAt?: number;

  constructor(opts: PressureSamplerOptions = {}) {
    this.root = opts.root ?? '/';
    this.intervalMs = opts.intervalMs ?? 1000;
    this.mounts = readCgroupMounts(this.root);
    if (opts.host !== false) this.hostSource = new FigureSource((r) => path.join(this.root, 'proc', 'pressure', r));
  }

  /** Starts sampling a container (again, when it was added before: e.g. recreated with a new pid). */
  addContainer(target: PressureTarget): void {
    this.removeContainer(target.containerId);
    const dirs = processCgroupDirs(target.pid, this.mounts, this.root);
    const unified = dirs.unified;
    let memory: { usage: string; limit: string } | undefined;
    // pure v2: the memory controller is in the same directory; hybrid/v1: the v1 memory controller's
    if (unified && !dirs.memoryV1) memory = { usage: path.join(unified, 'memory.current'), limit: path.join(unified, 'memory.max') };
    else if (dirs.memoryV1) memory = { usage: path.join(dirs.memoryV1, 'memory.usage_in_bytes'), limit: path.join(dirs.memoryV1, 'memory.limit_in_bytes') };
    const source = new FigureSource((r) => (unified ? path.join(unified, `${r}.pressure`) : undefined), memory);
    source.missing.unshift(...dirs.missing);
    this.containers.set(target.containerId, { target, source, cgroupDir: unified });
  }

  removeContainer(containerId: string): void {
    this.containers.get(containerId)?.source.close();
    this.containers.delete(containerId);
  }

  containerIds(): string[] {
    return [...this.containers.keys()];
  }

  /** Reads every file once; deltas are against the previous sample (null on the first). */
  sample(): PressureSample {
    const now = Date.now();
    const sample: PressureSample = {
      time: new Date(now).toISOString(),
      intervalMs: this.lastAt === undefined ? null : now - this.lastAt,
      host: this.hostSource ? this.hostSource.read() : { missing: ['the host is not sampled'] },
      containers: [],
    };
    this.lastAt = now;
    for (const { target, source, cgroupDir } of [...this.containers.values()]) {
      const figures = source.read();
      const c: ContainerPressure = { containerId: target.containerId, name: target.name, ...figures };
      if (target.folder) c.folder = target.folder;
      if (cgroupDir) c.cgroupDir = cgroupDir;
      // reported once, then left out until it is added again (started anew)
      if (source.gone) {
        c.gone = true;
        this.removeContainer(target.containerId);
      }
      sample.containers.push(c);
    }
    return sample;
  }

  /** Calls `listener` with every sample from now on; returns the function that stops that. */
  subscribe(listener: PressureListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Samples at once (the baseline for the first deltas), then every interval. */
  start(): void {
    if (this.timer) return;
    this.emit(this.sample());
    this.timer = setInterval(() => this.emit(this.sample()), this.intervalMs);
  }

  /** Pauses sampling; files stay open, so `start()` resumes with deltas over the whole pause. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops and closes every file; the sampler cannot be used after. */
  dispose(): void {
    this.stop();
    this.hostSource?.close();
    for (const id of [...this.containers.keys()]) this.removeContainer(id);
    this.listeners.clear();
  }

  private emit(sample: PressureSample): void {
    for (const l of this.listeners) {
      try {
        l(sample);
      } catch {
        // a listener's failure is its own; the others still get the sample
      }
    }
  }
}
