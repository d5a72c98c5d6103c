// Where a span's `code.filepath` is on this machine. The path comes from a program in a container
// (untrusted): it is mapped from the container's workspace folder to the host folder it is mounted
// from, and accepted only when the result lies inside a workspace folder — `..`, other absolute
// paths and symbolic links that lead out are refused. Pure but for realpath.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface SourceRoot {
  /** The workspace folder on this machine (absolute). */
  hostFolder: string;
  /** Where that folder is inside its dev container (absolute, POSIX), when a container is known. */
  containerFolder: string | null;
}

export type SourceMapping = { ok: true; file: string } | { ok: false; reason: string };

const inside = (root: string, p: string) => {
  const rel = path.relative(root, p);
  return rel === '' ? false : !rel.startsWith('..') && !path.isAbsolute(rel);
};

/** The host file a span's path names, by its text only (see resolveSourceFile for links). */
export function mapSourcePath(filepath: string, roots: readonly SourceRoot[]): SourceMapping {
  if (!filepath || filepath.includes('\0')) return { ok: false, reason: 'the span names no usable file path' };
  const posix = filepath.replace(/\\/g, '/');
  for (const r of roots) {
    if (r.containerFolder && path.posix.isAbsolute(posix)) {
      const c = path.posix.normalize(r.containerFolder).replace(/\/+$/, '');
      const n = path.posix.normalize(posix);
      if (n.startsWith(`${c}/`)) {
        const file = path.resolve(r.hostFolder, ...n.slice(c.length + 1).split('/'));
        if (inside(r.hostFolder, file)) return { ok: true, file };
      }
    }
  }
  for (const r of roots) {
    // a host path (an app run outside the container), or a path relative to the workspace folder
    const file = path.isAbsolute(filepath) ? path.normalize(filepath) : path.resolve(r.hostFolder, filepath);
    if (inside(r.hostFolder, file)) return { ok: true, file };
  }
  return { ok: false, reason: `${filepath} is not inside a workspace folder of this window (nor inside a dev container's workspace folder), so HyperBox does not open it` };
}

/** mapSourcePath, then the file must exist and its real path (links resolved) stay inside the same folder. */
export async function resolveSourceFile(filepath: string, roots: readonly SourceRoot[]): Promise<SourceMapping> {
  const mapped = mapSourcePath(filepath, roots);
  if (!mapped.ok) return mapped;
  let real: string;
  try {
    real = await fs.realpath(mapped.file);
  } catch (e) {
    return { ok: false, reason: `${mapped.file} cannot be opened: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file in the workspace' : (e as Error).message}` };
  }
  for (const r of roots) {
    let root: string;
    try {
      root = await fs.realpath(r.hostFolder);
    } catch {
      continue;
    }
    if (inside(root, real)) return { ok: true, file: real };
  }
  return { ok: false, reason: `${filepath} leads outside the workspace folder (through a symbolic link), so HyperBox does not open it` };
}
