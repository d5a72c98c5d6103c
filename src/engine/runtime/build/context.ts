// The build context: the files under the context folder that .dockerignore does not exclude, as
// docker sends them: the tar sent to the engine (packContext) and the walk the drift hash reads
// (walkContext), with one filter.
import { closeSync, createReadStream, fstatSync, lstatSync, openSync, promises as fs, readlinkSync, readSync, type Dirent, type Stats } from 'node:fs';
import * as path from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';

export interface ContextFilter {
  /** True when a path (relative, `/`-separated) is excluded. */
  ignores(rel: string): boolean;
  /** Whether .dockerignore has `!` exceptions (then excluded folders must still be walked). */
  hasExceptions: boolean;
  /** Whether a file docker always sends (the Dockerfile, .dockerignore) is under this folder, so an excluded folder must still be walked. */
  keptUnder(rel: string): boolean;
}

export async function contextFilter(contextDir: string, alwaysInclude: string[] = []): Promise<ContextFilter> {
  let text = '';
  try {
    text = await fs.readFile(path.join(contextDir, '.dockerignore'), 'utf8');
  } catch {
    return { ignores: () => false, hasExceptions: false, keptUnder: () => false };
  }
  const patterns = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (!patterns.length) return { ignores: () => false, hasExceptions: false, keptUnder: () => false };
  const { dockerignore } = require('../lazy.js') as typeof import('../lazy.js');
  const ig = dockerignore({ ignorecase: false }).add(patterns);
  // docker always sends the Dockerfile and .dockerignore, whatever .dockerignore says
  const keep = new Set(['.dockerignore', ...alwaysInclude]);
  return {
    ignores: (rel) => !keep.has(rel) && ig.ignores(rel),
    hasExceptions: patterns.some((p) => p.startsWith('!')),
    keptUnder: (rel) => alwaysInclude.some((k) => k.startsWith(`${rel}/`)),
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
}

/** How long a walk or the packer works without letting the event loop run (the engine serves requests meanwhile). */
const SLICE_MS = 8;

/** Resolves at once, or on the next turn of the event loop once the current slice has run for SLICE_MS. */
function slicer(): () => Promise<void> | undefined {
  let slice = performance.now();
  return () => {
    if (performance.now() - slice <= SLICE_MS) return undefined;
    return new Promise<void>((r) =>
      setImmediate(() => {
        slice = performance.now();
        r();
      }),
    );
  };
}

const lstatOrNone = (abs: string): Stats | undefined => {
  try {
    return lstatSync(abs, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
};

/**
 * Every file (and symlink) under `root/sub` that the filter keeps, sorted by path. Folders are
 * listed (their types come with the listing); files are lstat'ed directly, a few microseconds each
 * where a round trip through libuv's thread pool costs tens, in slices that let the event loop run.
 */
export async function walkContext(contextDir: string, filter: ContextFilter, sub = ''): Promise<ContextEntry[]> {
  const out: ContextEntry[] = [];
  const breathe = slicer();
  const file = (rel: string, st: Stats): void => {
    if (rel && filter.ignores(rel)) return;
    const e: ContextEntry = { rel, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, mode: st.mode };
    if (st.isSymbolicLink()) {
      try {
        out.push({ ...e, link: readlinkSync(path.join(contextDir, rel)) });
      } catch {
        // gone since it was listed
      }
    } else if (st.isFile()) out.push(e);
  };
  const folder = async (rel: string): Promise<void> => {
    const excluded = rel !== '' && filter.ignores(rel);
    if (excluded && !filter.hasExceptions && !filter.keptUnder(rel)) return;
    let names: Dirent[];
    try {
      names = await fs.readdir(path.join(contextDir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of names) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) await folder(r);
      else if (!filter.ignores(r)) {
        const st = lstatOrNone(path.join(contextDir, r));
        if (st) file(r, st);
        await breathe();
      }
    }
  };
  const start = sub.split(path.sep).join('/');
  const st = lstatOrNone(path.join(contextDir, start));
  if (st?.isDirectory()) await folder(start);
  else if (st) file(start, st);
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** Files up to this size are read whole; larger ones are streamed. */
const READ_WHOLE = 1 << 20;
/** How far the tar may run ahead of whoever reads it. */
const HIGH_WATER = 8 << 20;

/** A small regular file's stat and content, read with one open; undefined when it is gone or not a regular file. */
function readSmall(abs: string): { st: Stats; content?: Buffer } | undefined {
  let fd: number;
  try {
    fd = openSync(abs, 'r');
  } catch (e) {
    // gone since the folder was listed: not in the context, as if listed a moment later
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    if (st.size > READ_WHOLE) return { st };
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return { st, content: off === buf.length ? buf : buf.subarray(0, off) };
  } finally {
    closeSync(fd);
  }
}

/**
 * The context as a tar stream, as docker sends it: every file, symlink and folder the filter
 * keeps, owned by root, folder by folder in name order. `extra` adds files that live outside the
 * context (a Dockerfile next to devcontainer.json while the context is `..`, for example) under
 * the given names. The tar is written while the folders are walked: a folder .dockerignore
 * excludes is not listed (unless an exception or a file docker always sends may be inside), an
 * excluded file is never opened, and a small file costs one open, fstat, read and close, done
 * directly (a few microseconds each, where a round trip through libuv's thread pool costs tens),
 * a few milliseconds at a time so the event loop keeps running. Larger files are streamed, and
 * the tar waits for its reader, so a large context is never held in memory.
 */
export async function packContext(contextDir: string, filter: ContextFilter, extra: { name: string; content: Buffer }[] = []): Promise<Readable> {
  const { tarStream } = require('../lazy-build.js') as typeof import('../lazy-build.js');
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
  const slice = slicer();
  const breathe = async () => {
    while (pack.readableLength > HIGH_WATER) await new Promise<void>((r) => (wake = r));
    await slice();
  };
  const header = (name: string, st: Stats) => ({ name, mode: st.mode & 0o7777, mtime: new Date(st.mtimeMs), uid: 0, gid: 0 });
  const folder = async (rel: string): Promise<void> => {
    let names: Dirent[];
    try {
      names = await fs.readdir(path.join(contextDir, rel), { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of names) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      const abs = path.join(contextDir, r);
      if (d.isDirectory()) {
        const excluded = filter.ignores(r);
        if (excluded && !filter.hasExceptions && !filter.keptUnder(r)) continue;
        if (!excluded) {
          const st = lstatSync(abs, { throwIfNoEntry: false });
          if (!st) continue;
          pack.entry({ ...header(r, st), type: 'directory' });
        }
        await folder(r);
        continue;
      }
      if (filter.ignores(r)) continue;
      if (d.isSymbolicLink()) {
        const st = lstatSync(abs, { throwIfNoEntry: false });
        if (st) pack.entry({ ...header(r, st), type: 'symlink', linkname: readlinkSync(abs) });
      } else if (d.isFile()) {
        const f = readSmall(abs);
        if (f?.content) pack.entry({ ...header(r, f.st), size: f.content.length }, f.content);
        else if (f) {
          await new Promise<void>((resolve, reject) => {
            const sink = pack.entry({ ...header(r, f.st), size: f.st.size }, (err?: Error | null) => (err ? reject(err) : resolve()));
            const src = createReadStream(abs, { end: f.st.size - 1 });
            src.on('error', reject);
            src.pipe(sink);
          });
        }
      }
      await breathe();
    }
  };
  const write = async () => {
    await folder('');
    for (const x of extra) pack.entry({ name: x.name, size: x.content.length, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, x.content);
    pack.finalize();
  };
  write().catch((err: Error) => pack.destroy(new Error(`Packing the build context ${contextDir} failed: ${err.message}`)));
  // tar-stream pushes a header, the content and its padding apart: three small chunks per file,
  // each a write of its own to the engine's socket; sent in 64 KB pieces, the same context
  // reaches the engine in about half the time (20 000 files)
  const out = batched(BATCH);
  pipeline(pack, out, () => undefined);
  return out;
}

/** Chunks sent to the engine: at least this many bytes (the last one may be smaller). */
const BATCH = 64 << 10;

/** A pass-through that joins small chunks into pieces of at least `size` bytes. */
function batched(size: number): Transform {
  let held: Buffer[] = [];
  let length = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      held.push(chunk);
      length += chunk.length;
      if (length < size) return done();
      const piece = held.length === 1 ? held[0] : Buffer.concat(held, length);
      held = [];
      length = 0;
      done(null, piece);
    },
    flush(done) {
      done(null, held.length ? Buffer.concat(held, length) : undefined);
    },
  });
}
