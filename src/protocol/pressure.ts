// Pressure: PSI (pressure stall information) for the host and each dev container, sampled every
// second by the engine's pressure sampler (src/engine/pressure/sampler.ts), and memory use against
// the limit from the container's cgroup. `hb pressure --json` prints these; the Pressure panel
// draws them.

/** One PSI line: the share of wall time some (or all, `full`) tasks stalled on the resource. */
export interface PsiLine {
  /** Running averages over 10 s, 60 s, 300 s, in percent. */
  avg10: number;
  avg60: number;
  avg300: number;
  /** Total stall time since boot (or since the cgroup was made), in microseconds. */
  total: number;
  /** Stall time since the previous sample, in microseconds; null on the first sample. */
  delta: number | null;
}

export interface PsiResource {
  some: PsiLine;
  /** Absent for the host's CPU line on kernels before 5.13. */
  full?: PsiLine;
}

export interface PressureFigures {
  /** Absent when the file cannot be read; `missing` says why. */
  cpu?: PsiResource;
  memory?: PsiResource;
  io?: PsiResource;
  /** Bytes in use and the limit (null: no limit), from the cgroup itself (containers only). */
  memoryUsage?: { usage: number; limit: number | null };
  /** What could not be read and why, e.g. "no cgroup v2 directory: ...". */
  missing: string[];
}

export interface ContainerPressure extends PressureFigures {
  containerId: string;
  name: string;
  /** The dev container's folder (its devcontainer.local_folder label), when it has one. */
  folder?: string;
  /** The cgroup v2 directory the PSI files were read from. */
  cgroupDir?: string;
  /** The container stopped (its cgroup is gone): reported once, then left out of later samples. */
  gone?: boolean;
}

export interface PressureSample {
  /** ISO time of the sample. */
  time: string;
  /** Milliseconds since the previous sample (the deltas' interval); null on the first. */
  intervalMs: number | null;
  host: PressureFigures;
  containers: ContainerPressure[];
}
