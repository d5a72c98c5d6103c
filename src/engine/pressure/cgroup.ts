// Where a process's cgroups are on this host, decided from the kernel's own tables rather than from
// a guess like /sys/fs/cgroup: the cgroup mounts of /proc/self/mountinfo (pure v2; hybrid, where
// Docker uses v1 controllers and the v2 hierarchy is mounted beside them, e.g. at
// /sys/fs/cgroup/unified; v1 only) and a process's own lines in /proc/<pid>/cgroup. Every path is
// taken under `root`, so tests point it at fixture trees.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export interface Mount {
  /** The path inside the mounted filesystem that is mounted (field 4), usually "/". */
  root: string;
  mountPoint: string;
  fsType: string;
  /** Super-block options: for cgroup v1 the controllers, e.g. ["rw", "memory"]. */
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as \040 \011 \012 \134. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parses /proc/<pid>/mountinfo; lines it cannot read are skipped. */
export function parseMountinfo(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (dash < 0 || f.length < dash + 3) continue;
    out.push({ root: unescape(f[3]), mountPoint: unescape(f[4]), fsType: f[dash + 1], superOptions: (f[dash + 3] ?? '').split(',') });
  }
  return out;
}

export interface CgroupMounts {
  /** The cgroup2 mount (the one at the shortest path when there are several). */
  unified?: Mount;
  /** v1 controller → its mount (memory, cpu, ...). */
  v1: Map<string, Mount>;
}

const NOT_CONTROLLERS = new Set(['rw', 'ro', 'relatime', 'noatime', 'nosuid', 'nodev', 'noexec', 'nsdelegate', 'memory_recursiveprot', 'clone_children', 'noprefix', 'xattr']);

export function cgroupMounts(mounts: Mount[]): CgroupMounts {
  const v1 = new Map<string, Mount>();
  let unified: Mount | undefined;
  for (const m of mounts) {
    if (m.fsType === 'cgroup2') {
      if (!unified || m.mountPoint.length < unified.mountPoint.length) unified = m;
    } else if (m.fsType === 'cgroup') {
      for (const o of m.superOptions) {
        // name=systemd is a named hierarchy, not a controller; release_agent=... is an option
        if (NOT_CONTROLLERS.has(o) || o.includes('=')) continue;
        if (!v1.has(o)) v1.set(o, m);
      }
    }
  }
  return { unified, v1 };
}

export function cgroupVersion(m: CgroupMounts): 'v2' | 'hybrid' | 'v1' | 'none' {
  if (m.unified && m.v1.size) return 'hybrid';
  if (m.unified) return 'v2';
  if (m.v1.size) return 'v1';
  return 'none';
}

export function readCgroupMounts(root = '/'): CgroupMounts {
  let text = '';
  try {
    text = readFileSync(path.join(root, 'proc', 'self', 'mountinfo'), 'utf8');
  } catch {
    // no /proc: no cgroups to find
  }
  return cgroupMounts(parseMountinfo(text));
}

/** A process's cgroups: the v2 path (the "0::" line) and the v1 path per controller. */
export interface ProcCgroups {
  unified?: string;
  v1: Map<string, string>;
}

export function parseProcCgroup(text: string): ProcCgroups {
  const out: ProcCgroups = { v1: new Map() };
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const id = line.slice(0, a);
    const controllers = line.slice(a + 1, b);
    const p = line.slice(b + 1);
    if (id === '0' && controllers === '') out.unified = p;
    else for (const c of controllers.split(',')) if (c) out.v1.set(c, p);
  }
  return out;
}

/** The host directory of a cgroup path inside a mount (a mount of a sub-tree has root ≠ "/"). */
export function cgroupDir(root: string, mount: Mount, cgroupPath: string): string | undefined {
  const rel = path.posix.relative(mount.root, cgroupPath);
  if (rel.startsWith('..')) return undefined;
  return path.join(root, mount.mountPoint, rel);
}

export interface ProcessCgroupDirs {
  /** The cgroup v2 directory: PSI files (cpu/memory/io.pressure) and, on pure v2, memory.current/max. */
  unified?: string;
  /** The v1 memory controller's directory (hybrid and v1 hosts): memory.usage_in_bytes/limit_in_bytes. */
  memoryV1?: string;
  /** What could not be found, in plain words. */
  missing: string[];
}

/**
 * The cgroup directories of process `pid` (a container's init process), from /proc/<pid>/cgroup
 * and the host's cgroup mounts.
 */
export function processCgroupDirs(pid: number, mounts: CgroupMounts, root = '/'): ProcessCgroupDirs {
  const out: ProcessCgroupDirs = { missing: [] };
  let text: string;
  const file = path.join('/proc', String(pid), 'cgroup');
  try {
    text = readFileSync(path.join(root, file), 'utf8');
  } catch (e) {
    out.missing.push(`${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): the process is gone or not visible from here`);
    return out;
  }
  const own = parseProcCgroup(text);
  if (!mounts.unified) {
    out.missing.push('no cgroup2 hierarchy is mounted (a cgroup v1-only host), so there are no per-container PSI files: boot with systemd.unified_cgroup_hierarchy=1 (pure v2) or mount cgroup2 beside v1 for container pressure');
  } else if (own.unified === undefined) {
    out.missing.push(`the process has no cgroup v2 line ("0::") in ${file}: its runtime did not place it in the v2 hierarchy mounted at ${mounts.unified.mountPoint}`);
  } else {
    out.unified = cgroupDir(root, mounts.unified, own.unified);
    if (!out.unified) out.missing.push(`the process's v2 cgroup ${own.unified} is outside the cgroup2 mount at ${mounts.unified.mountPoint}`);
  }
  const memMount = mounts.v1.get('memory');
  const memPath = own.v1.get('memory');
  if (memMount && memPath !== undefined) out.memoryV1 = cgroupDir(root, memMount, memPath);
  return out;
}
