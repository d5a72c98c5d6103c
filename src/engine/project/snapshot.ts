// What the walker saw of a folder: the listings of the directories it looked in and the contents
// of the few files it read. The detection rules work on this alone, so they are pure and tests can
// build a snapshot from an object literal (snapshotFromFiles) without touching the disk.

export interface DirListing {
  /** Regular files (and other non-directory entries that are not symlinks). */
  files: string[];
  /** Sub-directories (never symlinks). */
  dirs: string[];
  /** Symbolic links: never followed as directories. */
  links: string[];
  /** False when the listing stopped at the per-directory cap (then well-known names were probed). */
  complete: boolean;
}

export type FileContent =
  | { ok: true; text: string; size: number; truncated: boolean }
  | { ok: false; reason: 'binary' | 'unreadable' | 'not-regular' | 'outside' | 'budget'; message: string };

export interface TreeSnapshot {
  /** Relative directory (`/`-separated, `''` for the folder itself) → its listing. */
  dirs: Map<string, DirListing>;
  /** Relative file path → what reading it gave. Files not read are absent. */
  contents: Map<string, FileContent>;
  /** Plain messages about what was skipped or could not be read. */
  notes: string[];
}

export function joinRel(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

export function dirnameRel(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

export function basenameRel(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

export function depthOf(dir: string): number {
  return dir ? dir.split('/').length : 0;
}

/** Ancestors of a directory, nearest first, ending with the root (`''`). */
export function ancestorsOf(dir: string): string[] {
  const out: string[] = [];
  let d = dir;
  while (d) {
    d = dirnameRel(d);
    out.push(d);
  }
  return out;
}

/**
 * A snapshot of an in-memory tree: every file is listed and read. A path ending in `/` makes an
 * empty directory; a value of `null` lists the file without contents (as if it were not read).
 */
export function snapshotFromFiles(files: Record<string, string | null>): TreeSnapshot {
  const dirs = new Map<string, DirListing>();
  const contents = new Map<string, FileContent>();
  const ensureDir = (dir: string): DirListing => {
    let l = dirs.get(dir);
    if (!l) {
      l = { files: [], dirs: [], links: [], complete: true };
      dirs.set(dir, l);
      if (dir) {
        const parent = ensureDir(dirnameRel(dir));
        const name = basenameRel(dir);
        if (!parent.dirs.includes(name)) parent.dirs.push(name);
      }
    }
    return l;
  };
  ensureDir('');
  for (const [rel, text] of Object.entries(files)) {
    if (rel.endsWith('/')) {
      ensureDir(rel.slice(0, -1));
      continue;
    }
    ensureDir(dirnameRel(rel)).files.push(basenameRel(rel));
    if (text !== null) contents.set(rel, { ok: true, text, size: Buffer.byteLength(text), truncated: false });
  }
  return { dirs, contents, notes: [] };
}
