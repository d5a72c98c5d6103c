// The build context: the files under the context folder that .dockerignore does not exclude, as
// docker sends them. One walk serves the tar sent to the engine and the drift hash.
import { lstatSync, promises as fs } from 'node:fs';
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
  const { dockerignore } = require('./lazy.js') as typeof import('./lazy.js');
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
}

/** Every file (and symlink) under `root/sub` that the filter keeps, sorted by path. */
export async function walkContext(contextDir: string, filter: ContextFilter, sub = ''): Promise<ContextEntry[]> {
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
    if (rel && filter.ignores(rel) && !filter.hasExceptions) return;
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

/**
 * The context as a tar stream. `extra` adds files that live outside the context (a Dockerfile
 * next to devcontainer.json while the context is `..`, for example) under the given names.
 */
export async function packContext(contextDir: string, filter: ContextFilter, extra: { name: string; content: Buffer }[] = []): Promise<Readable> {
  const { tarFs } = require('./lazy-build.js') as typeof import('./lazy-build.js');
  return tarFs.pack(contextDir, {
    ignore: (abs: string) => {
      const rel = path.relative(contextDir, abs).split(path.sep).join('/');
      if (!rel || !filter.ignores(rel)) return false;
      // an excluded folder is still walked when an exception may bring back something inside it
      if (!filter.hasExceptions) return true;
      try {
        return !lstatSync(abs).isDirectory();
      } catch {
        return true;
      }
    },
    map: (header) => {
      // the same ownership on every machine, as docker sends it
      header.uid = 0;
      header.gid = 0;
      return header;
    },
    finalize: extra.length === 0,
    finish: (pack) => {
      if (!extra.length) return;
      let pending = extra.length;
      for (const e of extra) {
        pack.entry({ name: e.name, size: e.content.length, mode: 0o644, mtime: new Date(0) }, e.content, () => {
          if (--pending === 0) pack.finalize();
        });
      }
    },
  });
}
