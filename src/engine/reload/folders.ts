// The workspace watcher where the kernel's inotify serves (Linux): one watch per folder that is
// not ignored, and the names of what changed taken from the kernel's events. chokidar serves when
// the watches run out (ENOSPC, EMFILE: it polls) and off Linux (watch.ts).
//
// Why not chokidar here: after every event in a folder chokidar reads the whole folder again and
// stats each of its entries, and it starts the next read as soon as one ends while events keep
// coming. On bench/reload's burst (5 000 new files in one folder) that was a read after read for
// the whole burst, tens of thousands of stats, about a second of CPU on a 2-core machine that the
// writer, the copy into the container and the container's unpacking needed; it also watches each
// file on its own (a 20 000-file workspace: 20 000 inotify watches, here a few hundred). Here a
// folder is read when it appears (its entries' types come with the read: no stat of each), and
// again only when a folder in it came or went (settleIn).
import { existsSync, lstatSync, promises as fsp, watch as fsWatch, type FSWatcher, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { IgnoreMatcher } from './ignore';

export interface FolderWatch {
  /** Resolves when every folder is watched (changes from then on are reported). */
  ready: Promise<void>;
  /** How many folders are watched. */
  size(): number;
  close(): void;
}

/** A folder's identity: its inode, and its birth time (ext4 gives a folder made again the inode of the one just removed). */
function identityOf(st: Stats | undefined): string | undefined {
  return st?.isDirectory() ? `${st.ino}:${st.birthtimeMs}` : undefined;
}

const identity = (abs: string) => identityOf(lstatSync(abs, { throwIfNoEntry: false }));

/**
 * Watches `root` and every folder under it that `ignore` does not exclude. `onChange(rel, dir,
 * entry)`: a file changed (entry false), an entry was made or removed (entry true), or a folder
 * appeared (dir true; what it holds is reported too, as entries). `onLimit`: the kernel's limit on
 * watches (or open files) was hit; nothing more is watched, the caller watches another way.
 * `watch`: fs.watch (tests give one that fails as the kernel does).
 */
export function watchFolders(root: string, ignore: IgnoreMatcher, onChange: (rel: string, dir?: boolean, entry?: boolean) => void, onWarn: (message: string) => void, onLimit: (code: string) => void, watch: typeof fsWatch = fsWatch): FolderWatch {
  const watchers = new Map<string, FSWatcher>();
  /** Each watched folder's identity: one removed and made again under the same name is another folder to watch. */
  const ids = new Map<string, string | undefined>();
  /** Each watched folder's link count when it was last read (settleIn). */
  const links = new Map<string, number>();
  let closed = false;
  let limited = false;
  /** Paths made or removed this turn, by folder, looked at together (setImmediate). */
  let named = new Map<string, Set<string>>();
  let scheduled = false;
  const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
  const parentOf = (rel: string) => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');

  const limit = (code: string) => {
    if (limited || closed) return;
    limited = true;
    onLimit(code);
  };

  const unwatch = (rel: string) => {
    for (const [r, w] of watchers) {
      if (r === rel || r.startsWith(`${rel}/`)) {
        w.close();
        watchers.delete(r);
        ids.delete(r);
        links.delete(r);
      }
    }
  };

  /** Watches a folder, then reads it: what it holds is reported (`report`) and its folders watched in turn. */
  const add = async (rel: string, report: boolean): Promise<void> => {
    if (closed || limited || watchers.has(rel)) return;
    const abs = path.join(root, rel);
    let w: FSWatcher;
    try {
      // watched before it is read: what is made meanwhile is in the read or in an event
      w = watch(abs, { persistent: true }, (event, name) => changed(rel, w, event, name));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      if (code === 'ENOSPC' || code === 'EMFILE') limit(code);
      else if (code !== 'ENOENT' && code !== 'ENOTDIR') onWarn(`Hot reload cannot watch ${abs} (${(e as Error).message}), so changes in it are not seen. Make it readable (or ignore it in customizations.hyperbox.reload.ignore), then turn hot reload off and on again.`);
      return;
    }
    w.on('error', (e) => {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      if (code === 'ENOSPC' || code === 'EMFILE') limit(code);
      // (a folder removed: its parent's event says so)
      if (watchers.get(rel) === w) unwatch(rel);
    });
    watchers.set(rel, w);
    // its identity and link count before its read: a folder made after the read changes the count (settleIn)
    const st = lstatSync(abs, { throwIfNoEntry: false });
    ids.set(rel, identityOf(st));
    if (st) links.set(rel, st.nlink);
    const entries = await fsp.readdir(abs, { withFileTypes: true }).catch(() => []);
    const folders: string[] = [];
    for (const e of entries) {
      const r = join(rel, e.name);
      if (e.isDirectory()) {
        if (ignore(r, true)) continue;
        if (report) onChange(r, true, true);
        folders.push(r);
      } else if (report && !ignore(r, false)) onChange(r, false, true);
    }
    await Promise.all(folders.map((f) => add(f, report)));
  };

  const changed = (dir: string, w: FSWatcher, event: string, name: string | Buffer | null) => {
    if (closed || !name) return;
    const base = name.toString();
    const rel = join(dir, base);
    if (dir && base === path.basename(dir) && !existsSync(path.join(root, rel))) {
      // the folder's own event (removed, moved, its mode or times changed): a folder that went is
      // reported, and its parent read again (what took its place, or its new name, is watched)
      if (watchers.get(dir) === w && identity(path.join(root, dir)) !== ids.get(dir)) {
        unwatch(dir);
        links.delete(parentOf(dir));
        if (!existsSync(path.join(root, dir))) onChange(dir, false, true);
        queue(parentOf(dir), dir);
      }
      return;
    }
    if (event === 'change') {
      // a file written (a folder's own change, its mode or times, is not a change of the app)
      if (!watchers.has(rel) && !ignore(rel, false)) onChange(rel);
      return;
    }
    // made, removed or renamed: reported at once, but for a watched folder (the kernel names a
    // folder whose mode or times changed so too): whether it came or went is found after this turn
    if (!watchers.has(rel) && !ignore(rel)) onChange(rel, false, true);
    queue(dir, rel);
  };

  const queue = (dir: string, rel: string) => {
    let names = named.get(dir);
    if (!names) named.set(dir, (names = new Set()));
    names.add(rel);
    if (!scheduled) {
      scheduled = true;
      setImmediate(settle);
    }
  };

  /** The names made or removed this turn, by folder. */
  const settle = () => {
    scheduled = false;
    const turn = named;
    named = new Map();
    for (const [dir, names] of turn) void settleIn(dir, names);
  };

  /**
   * Entries of `dir` were made or removed (`names`): folders made are watched and read, folders
   * gone are no longer watched (and reported). A folder's link count is 2 plus its folders on the
   * usual Linux file systems (ext4, xfs, tmpfs, overlayfs): while it is what it was when the
   * folder was last read and no watched folder is among the names, no folder came or went, and the
   * folder is not read again (a burst of new files in one folder: one stat per turn, not a read of
   * thousands of entries). Else it is read, and every folder in it not watched is watched (one
   * made while another went keeps the count: the one that went is a watched name, and the read
   * finds both).
   */
  const settleIn = async (dir: string, names: Set<string>) => {
    const abs = path.join(root, dir);
    // (synchronous: one call per folder and turn, without a trip through the thread pool)
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (closed || !st || !watchers.has(dir)) return;
    const involved = [...names].some((r) => watchers.has(r));
    if (!involved && st.nlink >= 2 && st.nlink === links.get(dir)) return;
    links.set(dir, st.nlink);
    const read = await fsp.readdir(abs, { withFileTypes: true }).catch(() => null);
    if (closed || !read) return;
    const present = new Set(read.filter((e) => e.isDirectory()).map((e) => join(dir, e.name)));
    for (const r of [...watchers.keys()]) {
      if (r === dir || parentOf(r) !== dir || present.has(r)) continue;
      unwatch(r);
      onChange(r, false, true);
    }
    const made: Promise<void>[] = [];
    for (const r of present) {
      if (watchers.has(r)) {
        // the same folder (its mode or times changed), or one removed and made again
        if (!names.has(r) || identity(path.join(root, r)) === ids.get(r)) continue;
        unwatch(r);
      }
      if (ignore(r, true)) continue;
      onChange(r, true, true);
      made.push(add(r, true));
    }
    await Promise.all(made);
  };

  const ready = add('', false);
  return {
    ready,
    size: () => watchers.size,
    close() {
      closed = true;
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
