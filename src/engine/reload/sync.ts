// Copy-sync for a workspace that is not bind-mounted (an engine on another machine): each batch is
// one tar through the Engine API (putArchive) with the files' mtimes, so watchers in the container
// fire, then one exec removes what was deleted; every transfer has a time limit. A full copy runs
// when a session starts (the container started or was recreated).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Engine } from '../runtime/docker';
import { execIn } from '../runtime/exec';
import type { Batch } from './batch';
import type { IgnoreMatcher } from './ignore';
import { withTimeout } from './supervisor';

const BATCH_MS = 30_000;
const FULL_MS = 300_000;

/** The workspace folder's owner in the container (read once per container: an exec costs tens of ms). */
const owners = new Map<string, Promise<[number, number]>>();
function owner(engine: Engine, id: string, containerWorkspace: string): Promise<[number, number]> {
  const key = `${id}\0${containerWorkspace}`;
  let p = owners.get(key);
  if (!p) {
    p = readOwner(engine, id, containerWorkspace);
    owners.set(key, p);
    p.catch(() => owners.delete(key));
    if (owners.size > 100) owners.delete(owners.keys().next().value as string);
  }
  return p;
}

async function readOwner(engine: Engine, id: string, containerWorkspace: string): Promise<[number, number]> {
  const r = await withTimeout(execIn(engine, id, { cmd: ['stat', '-c', '%u %g', containerWorkspace] }), 10_000, 'Reading the workspace owner in the container took too long');
  const [u, g] = r.stdout.trim().split(/\s+/).map(Number);
  return [Number.isFinite(u) ? u : 0, Number.isFinite(g) ? g : 0];
}

function pack(root: string, keep: (rel: string) => boolean, uid: number, gid: number) {
  const { tarFs } = require('../runtime/lazy-build.js') as typeof import('../runtime/lazy-build.js');
  return tarFs.pack(root, {
    ignore: (abs: string) => {
      const rel = path.relative(root, abs).split(path.sep).join('/');
      return rel !== '' && !keep(rel);
    },
    map: (h) => {
      h.uid = uid;
      h.gid = gid;
      return h;
    },
  });
}

/** Copies the batch's present files (and their folders) in and removes its deleted ones. */
export async function syncBatch(engine: Engine, id: string, root: string, containerWorkspace: string, b: Batch): Promise<void> {
  const present = b.paths.filter((p) => !b.deleted.includes(p));
  if (present.length) {
    const keep = new Set<string>();
    for (const p of present) {
      keep.add(p);
      for (let d = path.posix.dirname(p); d !== '.'; d = path.posix.dirname(d)) keep.add(d);
    }
    // a folder in the batch (added) brings what is under it
    const dirs = (await Promise.all(present.map(async (p) => ((await fs.lstat(path.join(root, p)).catch(() => null))?.isDirectory() ? p : null)))).filter((d): d is string => !!d);
    const [uid, gid] = await owner(engine, id, containerWorkspace);
    await withTimeout(
      engine.docker.getContainer(id).putArchive(pack(root, (rel) => keep.has(rel) || dirs.some((d) => rel.startsWith(`${d}/`)), uid, gid), { path: containerWorkspace }),
      BATCH_MS,
      `Copying ${present.length} changed file(s) into the container took longer than ${BATCH_MS / 1000} s`,
    );
  }
  if (b.deleted.length) {
    const r = await withTimeout(
      execIn(engine, id, { cmd: ['rm', '-rf', '--', ...b.deleted.map((p) => path.posix.join(containerWorkspace, p))] }),
      BATCH_MS,
      `Removing ${b.deleted.length} deleted file(s) in the container took longer than ${BATCH_MS / 1000} s`,
    );
    if (r.exitCode !== 0) throw new Error(`Removing deleted files in the container failed: ${r.output.trim()}`);
  }
}

/** Copies the whole workspace in (what the ignore rules keep). */
export async function syncAll(engine: Engine, id: string, root: string, containerWorkspace: string, ignore: IgnoreMatcher, warn?: (m: string) => void): Promise<void> {
  const [uid, gid] = await owner(engine, id, containerWorkspace);
  try {
    await withTimeout(engine.docker.getContainer(id).putArchive(pack(root, (rel) => !ignore(rel), uid, gid), { path: containerWorkspace }), FULL_MS, 'Copying the workspace into the container took longer than 5 minutes');
  } catch (e) {
    warn?.(`Copying the workspace into the container for hot reload failed: ${(e as Error).message}`);
    throw e;
  }
}
