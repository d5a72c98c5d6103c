// The build context: the files under the context folder that .dockerignore does not exclude, as
// docker sends them. One walk serves the tar sent to the engine and the drift hash.
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';

export interface ContextFilter {
  /** True when a path (relative, `/`-separated) is excluded. */
  ignores(rel: string): boolean;
  /** Whether .dockerignore has `!` exceptions (then excluded folders must still be walked). */
  hasExceptions: boolean;
}

export async function contextFilter(contextDir: string, alwaysInclude: string[] = []): Promise<ContextFilter> {
  let text = '';
  try {
    text = await fs.readFile(path.join(contextDir, '.dockerignore'), 'utf8');
  } catch {
    return { ignores: () => false, hasExceptions: false };
  }
  const patterns = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (!patterns.length) return { ignores: () => false, hasExceptions: false };
  const { dockerignore } = require('../lazy.js') as typeof import('../lazy.js');
  const ig = dockerignore({ ignorecase: false }).add(patterns);
  // docker always sends the Dockerfile and .dockerignore, whatever .dockerignore says
  const keep = new Set(['.dockerignore', ...alwaysInclude]);
  return {
    ignores: (rel) => !keep.has(rel) && ig.ignores(rel),
    hasExceptions: patterns.some((p) => p.startsWith('!')),
  };
}

export interface ContextEntry {
  rel: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  mode: number;
  /** A symlink's target; files have none. */
  link?: string;
  /** A folder (listed only when asked for, for the tar). */
  dir?: boolean;
}

/** Every file (and symlink; with `folders`, every folder too) under `root/sub` that the filter keeps, sorted by path. */
export async function walkContext(contextDir: string, filter: ContextFilter, sub = '', opts: { folders?: boolean } = {}): Promise<ContextEntry[]> {
  const out: ContextEntry[] = [];
  const entry = async (rel: string): Promise<void> => {
    const abs = path.join(contextDir, rel);
    let st;
    try {
      st = await fs.lstat(abs);
    } catch {
      return;
    }
    if (st.isDirectory()) return folder(rel);
    if (rel && filter.ignores(rel)) return;
    const e: ContextEntry = { rel, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, mode: st.mode };
    if (st.isSymbolicLink()) out.push({ ...e, link: await fs.readlink(abs) });
    else if (st.isFile()) out.push(e);
  };
  // folders come from the listing's types, so only files are stat'ed
  const folder = async (rel: string): Promise<void> => {
    const excluded = rel !== '' && filter.ignores(rel);
    if (excluded && !filter.hasExceptions) return;
    if (opts.folders && rel && !excluded) {
      const st = await fs.lstat(path.join(contextDir, rel)).catch(() => undefined);
      if (st) out.push({ rel, size: 0, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, mode: st.mode, dir: true });
    }
    let names;
    try {
      names = await fs.readdir(path.join(contextDir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    await Promise.all(names.map((d) => (d.isDirectory() ? folder(rel ? `${rel}/${d.name}` : d.name) : entry(rel ? `${rel}/${d.name}` : d.name))));
  };
  await entry(sub.split(path.sep).join('/'));
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** Files up to this size are read whole (a few at a time, ahead of the tar); larger ones are streamed. */
const READ_WHOLE = 1 << 20;
/** How far the tar may run ahead of whoever reads it. */
const HIGH_WATER = 8 << 20;
const READ_AHEAD = 16;

/**
 * The context as a tar stream, as docker sends it: every file, symlink and folder the filter
 * keeps, owned by root, in path order. `extra` adds files that live outside the context (a
 * Dockerfile next to devcontainer.json while the context is `..`, for example) under the given
 * names. The walk lists the folders once (no stat of a folder twice, no matcher call per
 * excluded file), small files are read a few at a time ahead of the writer, large ones streamed,
 * and the tar waits for its reader, so a large context is never held in memory.
 */
export async function packContext(contextDir: string, filter: ContextFilter, extra: { name: string; content: Buffer }[] = []): Promise<Readable> {
  const { tarStream } = require('../lazy-build.js') as typeof import('../lazy-build.js');
  const entries = await walkContext(contextDir, filter, '', { folders: true });
  const pack = tarStream.pack();
  // tar-stream calls _read when its reader wants more: that is when a waiting writer goes on
  let wake: (() => void) | undefined;
  const read = pack._read.bind(pack);
  pack._read = (n: number) => {
    read(n);
    const w = wake;
    wake = undefined;
    w?.();
  };
  const whole = (e: ContextEntry) => !e.dir && e.link === undefined && e.size <= READ_WHOLE;
  const reads = new Map<number, Promise<Buffer>>();
  const readAt = (i: number) => {
    if (i < entries.length && !reads.has(i) && whole(entries[i])) {
      const p = fs.readFile(path.join(contextDir, entries[i].rel));
      p.catch(() => undefined);
      reads.set(i, p);
    }
  };
  const write = async () => {
    for (let i = 0; i < entries.length; i++) {
      for (let j = i; j < i + READ_AHEAD; j++) readAt(j);
      const e = entries[i];
      const header = { name: e.rel, mode: e.mode & 0o7777, mtime: new Date(e.mtimeMs), uid: 0, gid: 0 };
      if (e.dir) pack.entry({ ...header, type: 'directory' });
      else if (e.link !== undefined) pack.entry({ ...header, type: 'symlink', linkname: e.link });
      else if (whole(e)) {
        const content = await reads.get(i)!;
        reads.delete(i);
        pack.entry({ ...header, size: content.length }, content);
      } else {
        await new Promise<void>((resolve, reject) => {
          const sink = pack.entry({ ...header, size: e.size }, (err?: Error | null) => (err ? reject(err) : resolve()));
          const src = createReadStream(path.join(contextDir, e.rel));
          src.on('error', reject);
          src.pipe(sink);
        });
      }
      while (pack.readableLength > HIGH_WATER) await new Promise<void>((r) => (wake = r));
    }
    for (const x of extra) pack.entry({ name: x.name, size: x.content.length, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, x.content);
    pack.finalize();
  };
  write().catch((err: Error) => pack.destroy(new Error(`Packing the build context ${contextDir} failed: ${err.message}`)));
  return pack;
}
