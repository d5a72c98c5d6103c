// The workspace watcher: chokidar (inotify) with the ignore rules applied inside it, so ignored
// folders are never watched; no awaitWriteFinish (the batcher's debounce does that job, in tens of
// milliseconds instead of chokidar's default 2 s). When the kernel's inotify watch limit is hit
// (ENOSPC), it says so with the fix, and polls instead.
import * as path from 'node:path';
import type { FSWatcher } from 'chokidar';
import type { IgnoreMatcher } from './ignore';

export interface WorkspaceWatch {
  /** Resolves when the initial scan is done (changes from then on are reported). */
  ready: Promise<void>;
  /** Whether it fell back to polling. */
  polling(): boolean;
  close(): Promise<void>;
}

export const ENOSPC_MESSAGE =
  'The system limit on inotify watches was reached (ENOSPC), so hot reload polls the workspace for changes instead (slower, more CPU). Raise the limit with `sysctl fs.inotify.max_user_watches=524288` (add it to /etc/sysctl.conf to keep it), or add big folders to .gitignore or customizations.hyperbox.reload.ignore.';

export function watchWorkspace(root: string, ignore: IgnoreMatcher, onChange: (rel: string, dir?: boolean) => void, onWarn: (message: string) => void): WorkspaceWatch {
  const { watch } = require('chokidar') as typeof import('chokidar');
  let watcher: FSWatcher;
  let polled = false;
  let closed = false;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  const start = (usePolling: boolean) => {
    const w = watch(root, {
      ignoreInitial: true,
      persistent: true,
      followSymlinks: false,
      usePolling,
      interval: 250,
      binaryInterval: 1000,
      ignored: (p, stats) => {
        const rel = path.relative(root, p).split(path.sep).join('/');
        return rel.startsWith('..') ? false : ignore(rel, stats ? stats.isDirectory() : undefined);
      },
    });
    const report = (p: string) => onChange(path.relative(root, p).split(path.sep).join('/'));
    w.on('add', report).on('change', report).on('unlink', report).on('unlinkDir', report);
    w.on('addDir', (p) => onChange(path.relative(root, p).split(path.sep).join('/'), true));
    w.on('ready', () => resolveReady());
    w.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOSPC' || code === 'EMFILE') && !polled && !closed) {
        polled = true;
        onWarn(ENOSPC_MESSAGE);
        void w.close();
        watcher = start(true);
      } else onWarn(`Watching ${root} for hot reload: ${(err as Error).message}`);
    });
    return w;
  };
  watcher = start(false);
  return {
    ready,
    polling: () => polled,
    async close() {
      closed = true;
      await watcher.close();
    },
  };
}
