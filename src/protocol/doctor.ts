// ---------------------------------------------------------------------------------------------
// Doctor: what this host can do for dev containers (`hb doctor --json`, src/engine/storage/).

export type Availability = 'yes' | 'no' | 'unknown';

export interface DoctorFinding {
  available: Availability;
  /** The evidence it was decided from (a file, a config option, a binary) or what is missing. */
  evidence: string[];
}

export interface DoctorReport {
  kernel: { release: string; version: [number, number] | null; config: string | null };
  psi: DoctorFinding & { resources: ('cpu' | 'memory' | 'io')[] };
  cgroup: {
    version: 'v2' | 'hybrid' | 'v1' | 'none';
    /** Where the cgroup2 hierarchy is mounted (PSI of containers lives there). */
    unified: string | null;
    /** Where the v1 memory controller is mounted (hybrid and v1 hosts). */
    memoryV1: string | null;
    /** Where containers' cgroups are, e.g. "/sys/fs/cgroup/unified/docker/<id>/". */
    containers: string | null;
    /** What is missing for per-container pressure, in plain words. */
    notes: string[];
  };
  storage: {
    overlayfs: DoctorFinding;
    fuse: DoctorFinding;
    erofs: DoctorFinding;
    erofsFileBacked: DoctorFinding;
    erofsOnDemand: DoctorFinding;
    composefs: DoctorFinding;
    /** The engine's storage driver (its /info Driver), null when the engine was not reached. */
    engineDriver: string | null;
    snapshotters: { nydus: DoctorFinding; stargz: DoctorFinding };
    recommended: { backend: string; reason: string };
  };
  runtimes: {
    /** null when the engine was not reached (`error` says why). */
    registered: { name: string; kind: string; path?: string; isDefault: boolean }[] | null;
    /** Runtime binaries found on PATH (runc, crun, youki, runsc, kata). */
    installed: { kind: string; path: string }[];
    /** Those of them the engine has not registered (empty when the engine was not reached or is on another machine). */
    unregistered: { kind: string; path: string }[];
    error?: string;
  };
  gpu: { present: boolean; nvidia: string[]; renderNodes: string[]; passthrough: Availability; how: string; details: string[] };
  arch: { arch: string; advice: string | null };
  recommendations: string[];
}
