// Knowing that a build context did not change without looking at its files: a small watcher process
// per context folder (dist/context-watch.js, started detached by the first full drift check) keeps
// one file-system watch on each folder of the context and answers, over a local socket, whether
// anything happened in it since it was last armed.
//
// Why a "clean" answer can be trusted (inputs.ts relies on this):
//  - A folder watch reports every change to the folder's entries: a file's content written or
//    truncated (modify), its mode or owner (attrib), a file or folder created, deleted or renamed
//    in or out. Each folder of the context is watched, so any change anywhere in it is reported —
//    a new sub-folder is itself a "created" event in its parent.
//  - The watcher is sticky: the first event that is not for a path .dockerignore excludes marks it
//    dirty, and it stays dirty until it is armed again. Overflowing the kernel's event queue needs
//    events in it, and the first of those already made it dirty, so no change is lost that way.
//  - The order: the client arms the watcher (all watches in place, dirty cleared, a new
//    generation), and only then reads the files for the full hash. A change before arming is seen
//    by that read; a change after it is an event. The client stores the hash with the generation
//    and trusts it later only if the same watcher answers that generation, still clean. A watcher
//    that died, was restarted, or cannot be reached is never trusted: the full hash runs again.
//  - When .dockerignore has `!` exceptions, every event counts (an excluded folder may hold an
//    included file). The Dockerfile and .dockerignore themselves are hashed at every check anyway.
// What it cannot see: writes through a hard link that lives outside the context, writes through
// a shared memory mapping, and file systems that do not report changes (some network and
// virtual-machine shares). HB_CONTEXT_WATCH=off turns the watcher off; every check then reads
// the context (stat of each file, contents only when size, mtime, ctime or inode changed).
import { existsSync, mkdirSync, promises as fs, readdirSync, unlinkSync, watch, type FSWatcher } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { contextFilter, type ContextFilter } from './context';
import { cacheDir } from '../dirs';
import { nodeCrypto, sha256 } from '../../util/sha256';
import { childProcess } from '../../util/program';

/** How long an unused watcher lives on. */
const IDLE_MS = 12 * 60 * 60 * 1000;

export interface WatchAnswer {
  gen?: string;
  dirty?: boolean;
  error?: string;
}

export function watchEnabled(env: NodeJS.ProcessEnv): boolean {
  return !/^(off|0|false|no)$/i.test(env.HB_CONTEXT_WATCH ?? '');
}

/** The watcher's socket (a named pipe on Windows) for a context folder. */
export function watchSocket(contextDir: string, env: NodeJS.ProcessEnv): string {
  const base = cacheDir(env);
  const id = sha256(`${base}\0${path.resolve(contextDir)}`).slice(0, 16);
  if (process.platform === 'win32') return `\\\\.\\pipe\\hyperbox-watch-${id}`;
  const inCache = path.join(base, 'watch', `${id}.sock`);
  // a Unix socket path is limited to about 100 bytes
  return inCache.length < 100 ? inCache : path.join(os.tmpdir(), `hyperbox-watch-${os.userInfo().uid}-${id}.sock`);
}

/** The watcher's script: dist/context-watch.js next to the running bundle; HB_CONTEXT_WATCHER overrides (tests). */
function watcherScript(env: NodeJS.ProcessEnv): string | undefined {
  const script = env.HB_CONTEXT_WATCHER || path.join(__dirname, 'context-watch.js');
  return existsSync(script) ? script : undefined;
}

/** One request to the watcher; undefined when none answers in time. */
export function askWatcher(socket: string, op: 'query' | 'arm' | 'exit', timeoutMs = 2000): Promise<WatchAnswer | undefined> {
  return new Promise((resolve) => {
    let buf = '';
    const conn = net.connect(socket);
    const done = (v: WatchAnswer | undefined) => {
      clearTimeout(timer);
      conn.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    conn.on('error', () => done(undefined));
    conn.on('connect', () => conn.write(`${JSON.stringify({ op })}\n`));
    conn.on('data', (b) => {
      buf += b.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      try {
        done(JSON.parse(buf.slice(0, nl)) as WatchAnswer);
      } catch {
        done(undefined);
      }
    });
    conn.on('end', () => done(undefined));
  });
}

/**
 * Arms the context's watcher (starting it if none runs) and returns the new generation, or
 * undefined when no watcher can be had (the caller then trusts nothing it computes).
 */
export async function armWatcher(contextDir: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (!watchEnabled(env)) return undefined;
  const socket = watchSocket(contextDir, env);
  let answer = await askWatcher(socket, 'arm', 10_000);
  if (!answer) {
    const script = watcherScript(env);
    if (!script) return undefined;
    if (process.platform !== 'win32') mkdirSync(path.dirname(socket), { recursive: true, mode: 0o700 });
    const child = childProcess().spawn(process.execPath, [...(script.endsWith('.ts') ? ['--import', 'tsx'] : []), script, path.resolve(contextDir), socket], {
      detached: true,
      stdio: 'ignore',
      env: { ...env, NODE_EXTRA_CA_CERTS: undefined },
      cwd: path.dirname(script),
      windowsHide: true,
    });
    child.unref();
    // it answers within a few hundred ms; a loaded machine may take seconds, a watcher that
    // cannot start exits at once (then this check just goes without one)
    let exited = false;
    child.once('exit', () => (exited = true));
    child.once('error', () => (exited = true));
    const until = Date.now() + 15_000;
    while (!answer && !exited && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 25));
      answer = await askWatcher(socket, 'arm', 10_000);
    }
  }
  return answer?.gen;
}

/** True when the context's watcher answers the given generation and saw nothing since. */
export async function unchangedSince(contextDir: string, gen: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (!watchEnabled(env)) return false;
  const answer = await askWatcher(watchSocket(contextDir, env), 'query', 1000);
  return answer?.gen === gen && answer.dirty === false;
}

/** The watcher process itself (dist/context-watch.js): serves one context folder until idle for IDLE_MS. */
export async function runWatcher(contextDir: string, socket: string): Promise<void> {
  let gen: string | undefined;
  let dirty = true;
  let watchers: FSWatcher[] = [];
  let filter: ContextFilter | undefined;
  let lastUse = Date.now();

  const closeAll = () => {
    for (const w of watchers) w.close();
    watchers = [];
  };
  const markDirty = () => {
    dirty = true;
    // nothing more to learn until the next arm: drop the watches
    closeAll();
  };
  const arm = async (): Promise<WatchAnswer> => {
    // still watching and nothing happened: the same generation serves another dev container of
    // this context (its files are read after this answer, so it is as safe as a new one)
    if (gen && !dirty && watchers.length) return { gen, dirty };
    closeAll();
    gen = undefined;
    dirty = false;
    filter = await contextFilter(contextDir);
    const f = filter;
    try {
      const visit = (rel: string) => {
        const abs = rel ? path.join(contextDir, rel) : contextDir;
        const w = watch(abs, { persistent: true }, (_event, name) => {
          if (dirty) return;
          if (!name || f.hasExceptions) return markDirty();
          const child = rel ? `${rel}/${String(name).split(path.sep).join('/')}` : String(name).split(path.sep).join('/');
          if (!f.ignores(child)) markDirty();
        });
        w.on('error', markDirty);
        watchers.push(w);
        for (const e of readdirSync(abs, { withFileTypes: true })) {
          if (!e.isDirectory()) continue;
          const sub = rel ? `${rel}/${e.name}` : e.name;
          // folders .dockerignore excludes are not sent, so not watched (unless an exception may bring something back)
          if (!f.hasExceptions && f.ignores(sub)) continue;
          visit(sub);
        }
      };
      visit('');
    } catch (e) {
      closeAll();
      dirty = true;
      return { error: `cannot watch ${contextDir}: ${(e as Error).message}` };
    }
    // an event while the watches were being set up already made it dirty: the next query says so
    gen = nodeCrypto().randomBytes(8).toString('hex');
    return { gen, dirty };
  };

  const server = net.createServer((conn) => {
    let buf = '';
    conn.on('error', () => undefined);
    conn.on('data', (b: Buffer) => {
      buf += b.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      lastUse = Date.now();
      let op = '';
      try {
        op = String((JSON.parse(buf.slice(0, nl)) as { op?: string }).op);
      } catch {
        /* answered below */
      }
      buf = '';
      if (op === 'arm')
        void arm().then(
          (r) => conn.end(`${JSON.stringify(r)}\n`),
          (e: unknown) => conn.end(`${JSON.stringify({ error: String((e as Error)?.message ?? e) })}\n`),
        );
      else if (op === 'query') {
        // A change the client made before asking is already queued by the kernel: its event is
        // delivered in this same turn of the event loop as the request (or an earlier one), so
        // answering after this turn (setImmediate) answers after that event was counted.
        setImmediate(() => conn.end(`${JSON.stringify({ gen, dirty })}\n`));
      }
      else if (op === 'exit') {
        conn.end(`${JSON.stringify({ gen, dirty })}\n`, () => shutdown());
      } else conn.end(`${JSON.stringify({ error: `unknown request ${op}` })}\n`);
    });
  });
  const shutdown = () => {
    closeAll();
    server.close();
    if (process.platform !== 'win32') {
      try {
        unlinkSync(socket);
      } catch {
        /* already gone */
      }
    }
    process.exit(0);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EADDRINUSE' || process.platform === 'win32') return reject(e);
      // another watcher answers there: it serves this context; a stale socket file is replaced
      void (async () => {
        if (await askWatcher(socket, 'query', 1000)) process.exit(0);
        await fs.unlink(socket).catch(() => undefined);
        server.listen(socket, () => resolve());
      })().catch(reject);
    });
    server.listen(socket, () => resolve());
  });
  // leave when unused for long, or when the context or the socket is gone
  setInterval(() => {
    if (Date.now() - lastUse > IDLE_MS || !existsSync(contextDir) || (process.platform !== 'win32' && !existsSync(socket))) shutdown();
  }, 60_000);
}
