// The only I/O of project detection: lists a bounded number of directories (at most MAX_DEPTH
// levels, never into dependencies, build output, virtualenvs or through symlinks) and reads a
// bounded number of small, well-known files, capping the bytes read from each. Everything it saw
// goes into a TreeSnapshot for the pure rules.
//
// It uses synchronous file-system calls: on a real tree they are several times faster than the
// promise API (each async call is a thread-pool round trip), and the whole walk is bounded by the
// budgets below, typically a few milliseconds. Budgets are checked between calls; a single call
// that blocks (a hung network mount) cannot be interrupted from JavaScript.
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { formatBytes } from '../util/text';
import { isContainerDir, isEnvironmentDir, hasPartManifest, listPriority, PROBE_NAMES, readCap, readPriority } from './layout';
import { dirnameRel, joinRel, type DirListing, type FileContent, type TreeSnapshot } from './snapshot';

/** The part of node:fs the walker uses; tests inject failures through it. */
export interface WalkFs {
  statSync(p: string): nodeFs.Stats;
  lstatSync(p: string): nodeFs.Stats;
  realpathSync(p: string): string;
  readdirSync(p: string, options: { withFileTypes: true }): nodeFs.Dirent[];
  opendirSync(p: string, options?: nodeFs.OpenDirOptions): nodeFs.Dir;
  openSync(p: string, flags: number): number;
  fstatSync(fd: number): nodeFs.Stats;
  readSync(fd: number, buffer: Buffer, offset: number, length: number, position: number | null): number;
  closeSync(fd: number): void;
}

export interface WalkLimits {
  /** Directory listings (the issue counts these separately from files opened). */
  maxListings: number;
  /** Entries read from one directory before it is treated as huge (then known names are probed). */
  maxEntriesPerDir: number;
  /** Entries read in total. */
  maxEntries: number;
  /** Files opened for reading. */
  maxFileOpens: number;
  /** Bytes read in total. */
  maxBytes: number;
  /** Wall-clock budget; the walk stops and answers with what it has. */
  timeBudgetMs: number;
}

export const DEFAULT_LIMITS: WalkLimits = {
  maxListings: 300,
  maxEntriesPerDir: 4000,
  maxEntries: 60_000,
  maxFileOpens: 180,
  maxBytes: 8 * 1024 * 1024,
  timeBudgetMs: 2000,
};

export interface WalkStats {
  dirsListed: number;
  filesOpened: number;
  bytesRead: number;
  entriesSeen: number;
  truncated: boolean;
}

export class DetectError extends Error {
  constructor(
    message: string,
    readonly folder: string,
    readonly code: 'not-found' | 'not-dir' | 'permission' | 'io',
  ) {
    super(message);
  }
}

/** Directories larger than this (st_size) are read with a capped iterator instead of whole. */
const SMALL_DIR_BYTES = 64 * 1024;
const O_NOFOLLOW = nodeFs.constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = nodeFs.constants.O_NONBLOCK ?? 0;

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? 'EIO';
}

function describeError(e: unknown): string {
  switch (errCode(e)) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'it disappeared while being read';
    case 'ELOOP':
      return 'it is a symbolic link';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    default:
      return (e as Error)?.message ?? String(e);
  }
}

/** At least a few bytes of printable UTF-8 (tabs and line ends allowed, other control bytes not). */
function looksLikeText(data: Buffer): boolean {
  if (data.length < 2) return false;
  for (const b of data) if (b < 32 && b !== 9 && b !== 10 && b !== 13) return false;
  return !data.toString('utf8').includes('\ufffd');
}

export async function walkFolder(
  folder: string,
  limits: Partial<WalkLimits> = {},
  fs: WalkFs = nodeFs,
): Promise<{ root: string; snapshot: TreeSnapshot; stats: WalkStats }> {
  const lim: WalkLimits = { ...DEFAULT_LIMITS, ...limits };
  const started = performance.now();
  const overTime = () => performance.now() - started > lim.timeBudgetMs;
  const stats: WalkStats = { dirsListed: 0, filesOpened: 0, bytesRead: 0, entriesSeen: 0, truncated: false };
  const snapshot: TreeSnapshot = { dirs: new Map(), contents: new Map(), notes: [] };
  const note = (m: string) => {
    if (snapshot.notes.length < 50 && !snapshot.notes.includes(m)) snapshot.notes.push(m);
  };

  // The folder itself: resolve it once, so "inside the folder" has one meaning.
  let root: string;
  try {
    root = fs.realpathSync(path.resolve(folder));
    const st = fs.statSync(root);
    if (!st.isDirectory()) {
      throw new DetectError(`${folder} is a file, not a folder. Give the project folder to detect.`, folder, 'not-dir');
    }
  } catch (e) {
    if (e instanceof DetectError) throw e;
    const code = errCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new DetectError(`The folder ${folder} does not exist. Check the path.`, folder, 'not-found');
    if (code === 'EACCES' || code === 'EPERM') {
      throw new DetectError(`Cannot open ${folder}: permission denied. Give your user read access to it (e.g. chmod u+rx).`, folder, 'permission');
    }
    throw new DetectError(`Cannot open ${folder}: ${describeError(e)}.`, folder, 'io');
  }
  const abs = (rel: string) => (rel ? path.join(root, ...rel.split('/')) : root);

  // ---- listings, most useful first ----
  const queue: { dir: string; prio: number }[] = [{ dir: '', prio: 0 }];
  const listDir = (rel: string): DirListing | null => {
    const p = abs(rel);
    const listing: DirListing = { files: [], dirs: [], links: [], complete: true };
    const add = (d: nodeFs.Dirent) => {
      if (d.isSymbolicLink()) listing.links.push(d.name);
      else if (d.isDirectory()) listing.dirs.push(d.name);
      else if (d.isFile()) listing.files.push(d.name);
    };
    try {
      let size = 0;
      if (rel) {
        const st = fs.lstatSync(p);
        if (!st.isDirectory()) return null; // replaced by a symlink or file since the parent was listed
        size = st.size;
      } else {
        size = fs.statSync(p).size;
      }
      const budget = Math.min(lim.maxEntriesPerDir, Math.max(0, lim.maxEntries - stats.entriesSeen));
      if (size > 0 && size <= SMALL_DIR_BYTES && budget >= lim.maxEntriesPerDir) {
        const entries = fs.readdirSync(p, { withFileTypes: true });
        stats.entriesSeen += entries.length;
        if (entries.length > budget) {
          for (let i = 0; i < budget; i++) add(entries[i]);
          listing.complete = false;
        } else {
          for (const d of entries) add(d);
        }
      } else {
        const dir = fs.opendirSync(p, { bufferSize: 256 });
        try {
          for (;;) {
            const d = dir.readSync();
            if (!d) break;
            stats.entriesSeen++;
            add(d);
            if (listing.files.length + listing.dirs.length + listing.links.length >= budget) {
              listing.complete = false;
              break;
            }
          }
        } finally {
          dir.closeSync();
        }
      }
    } catch (e) {
      const shown = rel || '.';
      if (!rel) {
        throw new DetectError(
          errCode(e) === 'EACCES' || errCode(e) === 'EPERM'
            ? `Cannot list ${folder}: permission denied. Give your user read access to it (e.g. chmod u+rx).`
            : `Cannot list ${folder}: ${describeError(e)}.`,
          folder,
          errCode(e) === 'EACCES' || errCode(e) === 'EPERM' ? 'permission' : 'io',
        );
      }
      note(`Could not list ${shown}: ${describeError(e)}; it was skipped.`);
      return null;
    } finally {
      stats.dirsListed++;
    }
    if (!listing.complete) {
      stats.truncated = true;
      // Too big to list whole: look for the names that matter directly.
      const seen = new Set(listing.files);
      for (const name of PROBE_NAMES) {
        if (seen.has(name)) continue;
        try {
          const st = fs.lstatSync(path.join(p, name));
          if (st.isFile()) listing.files.push(name);
          else if (st.isSymbolicLink()) listing.links.push(name);
        } catch {
          // absent
        }
      }
      note(`${rel || 'The folder'} has more than ${lim.maxEntriesPerDir} entries; only the first ones and well-known file names were looked at.`);
    }
    return listing;
  };

  const containerOf = new Map<string, boolean>([['', false]]);
  while (queue.length) {
    if (stats.dirsListed >= lim.maxListings || stats.entriesSeen >= lim.maxEntries || overTime()) {
      stats.truncated = true;
      note(
        overTime()
          ? `Stopped looking after ${lim.timeBudgetMs} ms (the folder is slow to read); the answer uses what was seen.`
          : `Stopped after ${stats.dirsListed} folders and ${stats.entriesSeen} entries (the detection budget); deeper folders were not looked at.`,
      );
      break;
    }
    // lowest priority value first; ties in breadth-first order
    let best = 0;
    for (let i = 1; i < queue.length; i++) if (queue[i].prio < queue[best].prio) best = i;
    const { dir } = queue.splice(best, 1)[0];
    const listing = listDir(dir);
    if (!listing) continue;
    if (dir && isEnvironmentDir(listing)) continue; // a virtualenv under any name
    snapshot.dirs.set(dir, listing);
    const hasManifest = hasPartManifest(listing);
    const isContainer = containerOf.get(dir) ?? false;
    const parentIsContainer = dir ? containerOf.get(dirnameRel(dir)) ?? false : false;
    for (const name of listing.dirs) {
      const child = joinRel(dir, name);
      const prio = listPriority(child, hasManifest, isContainer, parentIsContainer);
      if (prio === null) continue;
      containerOf.set(child, isContainerDir(name));
      queue.push({ dir: child, prio });
    }
  }

  // ---- files, most useful first ----
  const wanted: { file: string; prio: number; link: boolean }[] = [];
  for (const [dir, listing] of snapshot.dirs) {
    for (const name of listing.files) {
      const file = joinRel(dir, name);
      const prio = readPriority(file);
      if (prio !== null) wanted.push({ file, prio, link: false });
    }
    for (const name of listing.links) {
      const file = joinRel(dir, name);
      const prio = readPriority(file);
      if (prio !== null) wanted.push({ file, prio, link: true });
    }
  }
  wanted.sort((a, b) => a.prio - b.prio || a.file.localeCompare(b.file));

  const readFile = (file: string, link: boolean): FileContent => {
    let target = abs(file);
    if (link) {
      // A symlinked manifest is read only when it resolves to a regular file inside the folder.
      let real: string;
      try {
        real = fs.realpathSync(target);
      } catch (e) {
        return { ok: false, reason: 'unreadable', message: `${file} is a symbolic link that cannot be resolved (${describeError(e)}).` };
      }
      const inside = real === root || real.startsWith(root + path.sep);
      if (!inside) return { ok: false, reason: 'outside', message: `${file} is a symbolic link to ${real}, outside the folder; it was not followed.` };
      target = real;
    }
    if (stats.filesOpened >= lim.maxFileOpens || stats.bytesRead >= lim.maxBytes) {
      stats.truncated = true;
      return { ok: false, reason: 'budget', message: `${file} was not read: the detection budget of ${lim.maxFileOpens} files was used up.` };
    }
    let fd: number;
    try {
      stats.filesOpened++;
      fd = fs.openSync(target, nodeFs.constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (e) {
      return { ok: false, reason: 'unreadable', message: `Could not read ${file}: ${describeError(e)}.` };
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) return { ok: false, reason: 'not-regular', message: `${file} is not a regular file; it was not read.` };
      const cap = readCap(file);
      const want = Math.min(st.size, cap, lim.maxBytes - stats.bytesRead);
      const buf = Buffer.allocUnsafe(want);
      let got = 0;
      while (got < want) {
        const n = fs.readSync(fd, buf, got, want - got, got);
        if (n <= 0) break;
        got += n;
      }
      stats.bytesRead += got;
      let data = buf.subarray(0, got);
      let truncated = st.size > got;
      const nul = data.indexOf(0);
      if (nul >= 0) {
        // Text followed by NUL padding (a sparse or pre-allocated file) keeps its text; anything
        // else with a NUL byte is binary, whatever its name.
        const prefix = data.subarray(0, nul);
        if (!looksLikeText(prefix)) {
          return { ok: false, reason: 'binary', message: `${file} contains binary data (a NUL byte at offset ${nul}), not text; it was ignored.` };
        }
        note(`${file} has NUL bytes from offset ${nul} on; only the text before them was used.`);
        data = prefix;
        truncated = true;
      } else if (truncated) {
        note(`${file} is ${formatBytes(st.size)}; only its first ${formatBytes(got)} were read.`);
      }
      let text = data.toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      return { ok: true, text, size: st.size, truncated };
    } catch (e) {
      return { ok: false, reason: 'unreadable', message: `Could not read ${file}: ${describeError(e)}.` };
    } finally {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
    }
  };

  for (const { file, link } of wanted) {
    if (overTime()) {
      stats.truncated = true;
      note(`Stopped reading files after ${lim.timeBudgetMs} ms; the answer uses what was read.`);
      break;
    }
    const content = readFile(file, link);
    snapshot.contents.set(file, content);
    if (!content.ok && content.reason !== 'budget') note(content.message);
    if (!content.ok && content.reason === 'budget') {
      note(content.message);
      break;
    }
  }
  // a symlinked manifest that resolved inside the folder counts as a file; any other symlink does not
  for (const [dir, listing] of snapshot.dirs) {
    for (const l of listing.links) if (snapshot.contents.get(joinRel(dir, l))?.ok) listing.files.push(l);
  }
  return { root, snapshot, stats };
}
