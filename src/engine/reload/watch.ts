// The workspace watcher, with the ignore rules applied inside it, so ignored folders are never
// watched; no awaitWriteFinish (the batcher's debounce does that job, in tens of milliseconds
// instead of chokidar's default 2 s). On Linux one inotify watch per folder and the kernel's
// event names (folders.ts: chokidar re-read a folder after each event in it, which cost a
// second of CPU in a 5 000-file burst, and watched each file on its own); elsewhere chokidar.
// When the kernel's watch limit is hit (ENOSPC), it says so with the fix, and chokidar polls.
// It runs in a worker thread of its own (dist/reload-watch.js, watchWorker.ts), so a burst's
// events are taken in beside the engine's event loop, not on it. The worker posts what changed in
// compact lists; the engine's thread only batches them. If the worker cannot start or dies,
// watching goes on in the engine's own thread (and says so).
import { existsSync, type watch as fsWatch } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FSWatcher } from 'chokidar';
import { watchFolders, type FolderWatch } from './folders';
import type { IgnoreMatcher } from './ignore';

export interface WorkspaceWatch {
  /** Resolves when the initial scan is done (changes from then on are reported). */
  ready: Promise<void>;
  /** Whether it fell back to polling. */
  polling(): boolean;
  /** Whether the watcher runs in a worker thread (false: in this thread, the worker failed). */
  inWorker(): boolean;
  close(): Promise<void>;
}

export const ENOSPC_MESSAGE =
  'The system limit on inotify watches was reached (ENOSPC), so hot reload polls the workspace for changes instead (slower, more CPU). Raise the limit with `sysctl fs.inotify.max_user_watches=524288` (add it to /etc/sysctl.conf to keep it), or add big folders to .gitignore or customizations.hyperbox.reload.ignore.';

/** What the worker thread is given. */
export interface WatchWorkerData {
  root: string;
  /** reload.ignore globs: the worker reads .gitignore and .dockerignore itself (loadIgnore). */
  extra: string[];
}

/** The worker's messages: changed paths ('f' a file changed, 'n' an entry made or removed, 'd' a folder appeared; then the relative path), ready, polling, a warning. */
export type WatchWorkerMessage = { t: 'changes'; paths: string[] } | { t: 'ready' } | { t: 'polling' } | { t: 'warn'; message: string } | { t: 'closed' };

/** How long closing waits for the worker to close its watches before it is ended. */
const CLOSE_MS = 5_000;

/**
 * The worker's script: dist/reload-watch.js next to the running bundle, or watchWorker.ts beside
 * this file when run from source (tsx); HB_RELOAD_WATCHER overrides (tests).
 */
function workerScript(env: NodeJS.ProcessEnv): string | undefined {
  if (env.HB_RELOAD_WATCHER) return env.HB_RELOAD_WATCHER;
  const bundled = path.join(__dirname, 'reload-watch.js');
  if (existsSync(bundled)) return bundled;
  const source = path.join(__dirname, 'watchWorker.ts');
  return __filename.endsWith('.ts') && existsSync(source) ? source : undefined;
}

/**
 * Watches `root` in a worker thread (the ignore rules of `extra` and the workspace's .gitignore
 * and .dockerignore applied there); `ignore`, the same rules, serves the watcher in this thread
 * if the worker cannot run.
 */
export function watchWorkspace(root: string, extra: string[], ignore: IgnoreMatcher, onChange: (rel: string, dir?: boolean, entry?: boolean) => void, onWarn: (message: string) => void, env: NodeJS.ProcessEnv = process.env): WorkspaceWatch {
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  let polled = false;
  let closed = false;
  let fallback: WorkspaceWatch | undefined;
  let worker: Worker | undefined;
  let closedByWorker: (() => void) | undefined;
  const inThread = (why: string) => {
    if (closed || fallback) return;
    onWarn(`Watching ${root} for hot reload in a worker thread failed (${why}); it goes on in the engine's own thread, which slows large bursts of changes.`);
    fallback = watchInThread(root, ignore, onChange, onWarn);
    void fallback.ready.then(resolveReady);
  };
  const script = workerScript(env);
  if (!script) inThread('its script dist/reload-watch.js is missing');
  else {
    try {
      const data: WatchWorkerData = { root, extra };
      // from source (tests, benchmarks run with tsx) the worker loads tsx's require hook first
      const w = script.endsWith('.ts')
        ? new Worker(`require(require.resolve('tsx/cjs', { paths: [${JSON.stringify(path.dirname(script))}] })); require(${JSON.stringify(script)});`, { eval: true, workerData: data })
        : new Worker(script, { workerData: data });
      worker = w;
      w.on('message', (m: WatchWorkerMessage) => {
        if (m.t === 'changes') {
          if (closed) return;
          for (const p of m.paths) onChange(p.slice(1), p[0] === 'd', p[0] !== 'f');
        } else if (m.t === 'ready') resolveReady();
        else if (m.t === 'polling') polled = true;
        else if (m.t === 'warn') onWarn(m.message);
        else closedByWorker?.();
      });
      w.on('error', (e) => inThread(e.message));
      w.on('exit', (code) => {
        worker = undefined;
        closedByWorker?.();
        if (!closed) inThread(`it ended with code ${code}`);
      });
    } catch (e) {
      inThread((e as Error).message);
    }
  }
  return {
    ready,
    polling: () => fallback?.polling() ?? polled,
    inWorker: () => !fallback,
    async close() {
      closed = true;
      const w = worker;
      if (w) {
        // the worker closes its watches; ended if it takes too long
        const done = new Promise<void>((r) => (closedByWorker = r));
        w.postMessage('close');
        const timer = setTimeout(() => void w.terminate(), CLOSE_MS);
        await done;
        clearTimeout(timer);
        await w.terminate();
      }
      await fallback?.close();
    },
  };
}

/**
 * Watches in this thread (the worker's own watcher, and the fallback when no worker runs): one
 * inotify watch per folder on Linux (folders.ts), chokidar elsewhere, and chokidar polling once
 * the kernel's watches run out.
 */
export function watchInThread(root: string, ignore: IgnoreMatcher, onChange: (rel: string, dir?: boolean, entry?: boolean) => void, onWarn: (message: string) => void, onPolling?: () => void, opts: { platform?: NodeJS.Platform; watch?: typeof fsWatch } = {}): WorkspaceWatch {
  let watcher: FSWatcher | undefined;
  let folders: FolderWatch | undefined;
  let polled = false;
  let closed = false;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  const rel = (p: string) => path.relative(root, p).split(path.sep).join('/');
  const poll = () => {
    if (polled || closed) return;
    polled = true;
    onPolling?.();
    onWarn(ENOSPC_MESSAGE);
    folders?.close();
    folders = undefined;
    void watcher?.close();
    watcher = start(true);
  };
  const start = (usePolling: boolean) => {
    const { watch } = require('chokidar') as typeof import('chokidar');
    const w = watch(root, {
      ignoreInitial: true,
      persistent: true,
      followSymlinks: false,
      usePolling,
      interval: 250,
      binaryInterval: 1000,
      ignored: (p, stats) => {
        const r = rel(p);
        return r.startsWith('..') ? false : ignore(r, stats ? stats.isDirectory() : undefined);
      },
    });
    w.on('change', (p) => onChange(rel(p)));
    w.on('add', (p) => onChange(rel(p), false, true)).on('unlink', (p) => onChange(rel(p), false, true)).on('unlinkDir', (p) => onChange(rel(p), false, true));
    // for new files chokidar reads their folder again and stats every entry in it, one read at a
    // time: a burst's files arrived in clumps, the last ones 0.6-0.8 s after the writer ended, the
    // first often alone; the kernel's event for each entry made or removed in a watched folder is
    // reported at once instead (chokidar's own event follows and adds nothing: a batch holds a
    // path once, and its state decides)
    w.on('raw', (event: string, name: unknown, details: unknown) => {
      const watched = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
      if (event !== 'rename' || typeof name !== 'string' || !name || typeof watched !== 'string' || path.basename(watched) === name) return;
      const r = rel(path.join(watched, name));
      if (r && !r.startsWith('..') && !ignore(r)) onChange(r, false, true);
    });
    w.on('addDir', (p) => onChange(rel(p), true, true));
    w.on('ready', () => resolveReady());
    w.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOSPC' || code === 'EMFILE') && !polled && !closed) poll();
      else onWarn(`Watching ${root} for hot reload: ${(err as Error).message}`);
    });
    return w;
  };
  if ((opts.platform ?? process.platform) === 'linux') {
    folders = watchFolders(root, ignore, onChange, onWarn, poll, opts.watch);
    void folders.ready.then(() => !polled && resolveReady());
  } else watcher = start(false);
  return {
    ready,
    polling: () => polled,
    inWorker: () => false,
    async close() {
      closed = true;
      folders?.close();
      await watcher?.close();
    },
  };
}
