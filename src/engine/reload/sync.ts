// Copy-sync for a workspace that is not bind-mounted (an engine on another machine): each batch is
// tar with the files' mtimes (so watchers in the container fire) and one removal of what was
// deleted, both through an agent kept open in the container for the session (one exec, frames on
// its stdin: no new exec nor Engine API transfer per change, which cost 100+ ms each). A large
// batch (a branch switch) is several tars of at most FRAME_FILES files, each built (its files read
// with the synchronous calls: util/readMany.ts) while the container still unpacks the one before,
// so packing and unpacking overlap and memory stays bounded by two frames. While a burst still arrives, the files the watcher
// reported so far are copied in ahead of its batch (copyAhead), so the container unpacks them
// while the writer writes and the quiet period runs; the batch then sends only what is not in the
// container in the state it has at its flush (and its deletions). Where the agent cannot run (no
// sh, tar or head in the image) or a file is large, the batch goes through the Engine API
// (putArchive, streamed) instead. Every transfer has a time limit. A full copy runs when a session
// starts (the container started or was recreated).
import { promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { demux, type Engine } from '../runtime/engine/docker';
import { lstatMany, readEntry, readMany } from '../util/readMany';
import { execIn } from '../runtime/lifecycle/exec';
import type { Batch } from './batch';
import type { IgnoreMatcher } from './ignore';
import { CONTROL_PREFIX, SYNC_SH } from './supervisor-scripts';
import { withTimeout } from './supervisor';

/** A batch with a file larger than this goes through the Engine API, streamed (the agent's frames are held in memory). */
const AGENT_FILE_MAX = 8 * 1024 * 1024;
/** A frame to the agent: at most this many entries and (but for one large file) bytes of content. */
export const FRAME_FILES = 500;
const FRAME_BYTES = 4 * 1024 * 1024;
/** A batch's added folders are walked for at most this many entries; past it, the Engine API's streamed copy. */
const WALK_MAX = 50_000;

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

function pack(root: string, keep: (rel: string) => boolean, uid: number, gid: number, entries?: string[]): Readable {
  const { tarFs } = require('../runtime/lazy-build.js') as typeof import('../runtime/lazy-build.js');
  return tarFs.pack(root, {
    ...(entries ? { entries } : {}),
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

/** One kept-open exec of SYNC_SH in a container; frames go one at a time. */
class SyncAgent {
  private queue: Promise<unknown> = Promise.resolve();
  private answers: ((line: string) => void)[] = [];
  ended = false;

  private constructor(private readonly stream: Duplex) {}

  static async open(engine: Engine, id: string, containerWorkspace: string): Promise<SyncAgent> {
    const exec = await engine.docker.getContainer(id).exec({ Cmd: ['sh', '-c', SYNC_SH, 'hb-sync', containerWorkspace], User: '0', AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false });
    const stream = (await exec.start({ hijack: true, stdin: true }));
    const agent = new SyncAgent(stream);
    const decoder = new StringDecoder('utf8');
    let pending = '';
    demux(stream, (data, from) => {
      if (from !== 'stdout') return;
      pending += decoder.write(data);
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith(CONTROL_PREFIX)) agent.answers.shift()?.(line.slice(CONTROL_PREFIX.length));
      }
    })
      .catch(() => undefined)
      .finally(() => agent.end());
    return agent;
  }

  /**
   * Sends one frame (a header line and its body) and waits for its answer. A frame is written only
   * once the one before was answered: the agent's `head -c` may read past its frame's end.
   */
  send(header: string, body: Buffer | string, what: string): Promise<void> {
    const run = this.queue.then(() =>
      withTimeout(
        new Promise<void>((resolve, reject) => {
          if (this.ended) return reject(new Error('the copy agent in the container ended'));
          this.answers.push((line) => (line === 'ok' ? resolve() : reject(new Error(`${what} in the container failed: ${line.replace(/^fail\s*/, '')}`))));
          this.stream.write(`${header}\n`);
          this.stream.write(body);
        }),
        BATCH_MS,
        `${what} took longer than ${BATCH_MS / 1000} s`,
      ).catch((e) => {
        // out of step with the agent (a timeout, a frame half read): a new one serves the next batch
        this.close();
        throw e;
      }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.stream.end();
    this.stream.destroy();
    this.end();
  }

  private end(): void {
    this.ended = true;
    for (const a of this.answers.splice(0)) a('fail the copy agent in the container ended');
  }
}

/** The agent of each container (at most one per container and workspace). */
const agents = new Map<string, Promise<SyncAgent | null>>();
/** Agents that failed in a row, by container: from AGENT_TRIES on, the Engine API is used. */
const failures = new Map<string, number>();
const AGENT_TRIES = 2;
const key = (id: string, containerWorkspace: string) => `${id}\0${containerWorkspace}`;

/** Runs a frame through the agent; false (the caller uses the Engine API) when the agent failed. */
async function viaAgent(k: string, send: () => Promise<void>): Promise<boolean> {
  try {
    await send();
    failures.delete(k);
    return true;
  } catch {
    failures.set(k, (failures.get(k) ?? 0) + 1);
    return false;
  }
}

async function agentFor(engine: Engine, id: string, containerWorkspace: string): Promise<SyncAgent | null> {
  const k = key(id, containerWorkspace);
  if ((failures.get(k) ?? 0) >= AGENT_TRIES) return null;
  const known = await agents.get(k);
  if (known && !known.ended) return known;
  // none yet, or the last one ended (out of step, or the container restarted): a new one
  const p = withTimeout(SyncAgent.open(engine, id, containerWorkspace), 10_000, 'Starting the copy agent in the container took too long').catch(() => null);
  agents.set(k, p);
  if (agents.size > 100) agents.delete(agents.keys().next().value as string);
  return p;
}

/** Ends the copy agent of a container (the session ended). */
export async function closeSyncAgent(id: string, containerWorkspace: string): Promise<void> {
  const k = key(id, containerWorkspace);
  const p = agents.get(k);
  agents.delete(k);
  failures.delete(k);
  (await p)?.close();
}

/**
 * The entries of a batch's tar: its present files and folders, none under a folder that is
 * itself an entry (a folder brings what is under it).
 */
export function batchEntries(paths: string[], isDir: (rel: string) => boolean): string[] {
  const dirs = new Set(paths.filter(isDir));
  return paths.filter((p) => {
    for (let d = path.posix.dirname(p); d !== '.'; d = path.posix.dirname(d)) if (dirs.has(d)) return false;
    return true;
  });
}

/** A file, folder or symbolic link of a batch as lstat saw it. */
interface Item {
  rel: string;
  st: Stats;
}

/**
 * The batch's entries in tar order: each named path, and under each added folder what the ignore
 * rules keep (walked); null when the walk passes WALK_MAX entries.
 */
async function walkEntries(root: string, entries: Item[], ignore: IgnoreMatcher): Promise<Item[] | null> {
  const out: Item[] = [];
  const walk = async (item: Item): Promise<boolean> => {
    out.push(item);
    if (out.length > WALK_MAX) return false;
    if (!item.st.isDirectory()) return true;
    const names = (await fs.readdir(path.join(root, item.rel)).catch(() => [] as string[])).sort();
    const sts = await lstatMany(names.map((name) => path.join(root, item.rel, name)));
    for (let i = 0; i < names.length; i++) {
      const rel = `${item.rel}/${names[i]}`;
      const st = sts[i];
      if (st && !ignore(rel, st.isDirectory()) && !(await walk({ rel, st }))) return false;
    }
    return true;
  };
  for (const e of entries) if (!(await walk(e))) return null;
  return out;
}

/** The items in groups of at most FRAME_FILES entries and FRAME_BYTES bytes (a larger file alone). */
export function frameGroups<T extends { st: { size: number; isFile(): boolean } }>(items: T[], maxFiles = FRAME_FILES, maxBytes = FRAME_BYTES): T[][] {
  const groups: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const it of items) {
    const size = it.st.isFile() ? it.st.size : 0;
    if (cur.length && (cur.length >= maxFiles || bytes + size > maxBytes)) {
      groups.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(it);
    bytes += size;
  }
  if (cur.length) groups.push(cur);
  return groups;
}

/** One frame's tar: its files read (readMany); a file gone since is left out (the next batch names it). */
async function frameTar(root: string, items: Item[], uid: number, gid: number): Promise<Buffer> {
  const { tarStream } = require('../runtime/lazy-build.js') as typeof import('../runtime/lazy-build.js');
  const bodies = await readMany(items, (it) => readEntry(path.join(root, it.rel), it.st));
  const p = tarStream.pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => p.once('end', resolve).once('error', reject));
  items.forEach((it, i) => {
    const body = bodies[i];
    if (body === null) return;
    const base = { name: it.rel, mode: it.st.mode & 0o7777, mtime: it.st.mtime, uid, gid };
    if (it.st.isFile()) p.entry({ ...base, type: 'file', size: (body as Buffer).length }, body as Buffer);
    else if (it.st.isSymbolicLink()) p.entry({ ...base, type: 'symlink', linkname: body as string });
    else p.entry({ ...base, type: 'directory' });
  });
  p.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/**
 * Sends the groups through the agent, frame after frame, each packed while the container still
 * unpacks the one before; false when a frame failed (the caller copies the batch through the
 * Engine API), or when `stop` said so between two frames. `sent` hears of each frame unpacked.
 */
async function sendFrames(agent: SyncAgent, k: string, root: string, groups: Iterable<Item[]> | AsyncIterable<Item[]>, uid: number, gid: number, what: string, sent?: (group: Item[]) => void, stop?: () => boolean): Promise<boolean> {
  let prev: Promise<boolean> = Promise.resolve(true);
  for await (const group of groups) {
    if (stop?.()) return false;
    const tar = await frameTar(root, group, uid, gid);
    if (!(await prev) || stop?.()) return false;
    prev = viaAgent(k, () => agent.send(`tar ${tar.length}`, tar, what)).then((ok) => (ok && sent?.(group), ok));
  }
  return prev;
}

/**
 * Copies files in ahead of their batch while a burst still arrives (regular files the agent takes,
 * and symbolic links; folders come with the batch): only through the agent, frame after frame,
 * each of the files `take` gives then, until it gives none or `stop` says the batch is due.
 * `sent` hears each path copied, with its state when it was read (a file written again since has
 * another state: its batch sends it again). A file `inPlace` says the container has in this state
 * already (a late report of a burst acted on) is left out: unpacked again, it would wake the
 * app's own watcher for nothing. A failure is left to the batch, which copies what is not in the
 * container as it found it.
 */
export async function copyAhead(engine: Engine, id: string, root: string, containerWorkspace: string, take: (max: number) => string[], sent: (rel: string, st: Stats) => void, stop: () => boolean, inPlace: (rel: string, st: Stats) => boolean): Promise<void> {
  const agent = await agentFor(engine, id, containerWorkspace);
  if (!agent || stop()) return;
  const [uid, gid] = await owner(engine, id, containerWorkspace);
  // a frame's worth of files read at a time, taken when the frame is packed: the first goes out
  // at once however many wait, and files reported meanwhile go in the next frame, packed while
  // the container unpacks this one (the copy does not stop and start again with each report)
  async function* groups(): AsyncGenerator<Item[]> {
    for (let paths = take(FRAME_FILES); paths.length; paths = take(FRAME_FILES)) {
      const sts = await lstatMany(paths.map((rel) => path.join(root, rel)));
      const items = paths.map((rel, i) => ({ rel, st: sts[i] })).filter(
        (it): it is Item => !!it.st && ((it.st.isFile() && it.st.size <= AGENT_FILE_MAX) || it.st.isSymbolicLink()) && !inPlace(it.rel, it.st),
      );
      yield* frameGroups(items);
    }
  }
  await sendFrames(agent, key(id, containerWorkspace), root, groups(), uid, gid, "Copying a burst's files into the container", (group) => group.forEach((it) => sent(it.rel, it.st)), stop);
}

/**
 * Copies the batch's present files (and the folders it added) in and removes its deleted ones.
 * `known`: the state of some of its paths as just read (a burst's folders read again at its
 * flush), not read a second time (a file's content is still read now, and its size with it).
 * `inPlace`: whether a file or link is in the container already in this state (copied ahead, or
 * under a folder the batch names, acted on before): the agent's frames leave it out. `named`:
 * the batch names the path (else its folder's walk found it).
 */
export async function syncBatch(engine: Engine, id: string, root: string, containerWorkspace: string, b: Batch, ignore: IgnoreMatcher = () => false, known?: Map<string, Stats>, inPlace?: (rel: string, st: Stats, named: boolean) => boolean): Promise<void> {
  const deleted = new Set(b.deleted);
  const stats = new Map<string, Stats>();
  const present = b.paths.filter((p) => !deleted.has(p));
  const unknown = present.filter((p) => !known?.has(p));
  const read = await lstatMany(unknown.map((p) => path.join(root, p)));
  const readOf = new Map(unknown.map((p, i) => [p, read[i]]));
  for (const p of present) {
    const st = known?.get(p) ?? readOf.get(p);
    if (st) stats.set(p, st); // else gone since: the next batch names it as deleted
  }
  const k = key(id, containerWorkspace);
  const agent = await agentFor(engine, id, containerWorkspace);
  if (stats.size) {
    const [uid, gid] = await owner(engine, id, containerWorkspace);
    const entries = batchEntries([...stats.keys()].sort(), (p) => stats.get(p)!.isDirectory());
    const what = `Copying ${stats.size} changed file(s) into the container`;
    // what is under an added folder follows the ignore rules; the named paths were chosen already
    const items = agent ? await walkEntries(root, entries.map((rel) => ({ rel, st: stats.get(rel)! })), ignore) : null;
    const framed = !!agent && !!items && !items.some((it) => it.st.isFile() && it.st.size > AGENT_FILE_MAX);
    if (!framed || !(await sendFrames(agent, k, root, frameGroups(inPlace ? items.filter((it) => it.st.isDirectory() || !inPlace(it.rel, it.st, stats.has(it.rel))) : items), uid, gid, what))) {
      const named = new Set(entries);
      const tar = pack(root, (rel) => named.has(rel) || !ignore(rel), uid, gid, entries);
      await withTimeout(engine.docker.getContainer(id).putArchive(tar, { path: containerWorkspace }), BATCH_MS, `${what} took longer than ${BATCH_MS / 1000} s`);
    }
  }
  // a path under another deleted one (a folder removed with what it held, as a branch switch
  // does) goes with it (rm -rf), and is not named one by one
  const gone = batchEntries(b.deleted, () => true);
  if (gone.length) {
    const what = `Removing ${b.deleted.length} deleted file(s) in the container`;
    const list = gone.map((p) => `${p}\n`).join('');
    if (agent && !agent.ended && !gone.some((p) => p.includes('\n')) && (await viaAgent(k, () => agent.send(`rm ${gone.length}`, list, what)))) return;
    const r = await withTimeout(execIn(engine, id, { cmd: ['rm', '-rf', '--', ...gone.map((p) => path.posix.join(containerWorkspace, p))] }), BATCH_MS, `${what} took longer than ${BATCH_MS / 1000} s`);
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
