// One `up` at a time per dev container, across processes (hb in a terminal, the editor's engine)
// and within one: a lock file in the user's cache folder, created exclusively, holding the pid of
// its owner. A lock whose owner is dead is taken over. (The container's fixed name is the second
// guard: even without the lock, the engine refuses a second container with the same name.)
import { promises as fs, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cacheDir } from '../dirs';
import { RuntimeError } from '../errors';

/** Whether a process with this pid exists (EPERM: it does, but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface LockOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Called once when the lock is held by someone else and we start waiting. */
  onWait?(holder: { pid: number; what: string }): void;
}

/**
 * Takes the lock `key`, waiting while another live process (or another call in this one) holds
 * it. Taking a free lock is synchronous (a mkdir and an exclusive create of a small local file,
 * some 0.1 ms): four asynchronous file operations each waited behind whatever else the process
 * had to do (an up's first Engine API answers), and delayed the up's next request by ~10 ms.
 */
export async function acquireLock(key: string, what: string, opts: LockOptions = {}): Promise<() => Promise<void>> {
  const dir = path.join(cacheDir(opts.env), 'locks');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${key}.lock`);
  const mine = JSON.stringify({ pid: process.pid, what, since: new Date().toISOString() });
  let told = false;
  for (;;) {
    if (opts.signal?.aborted) throw new RuntimeError('cancelled', `Waiting for ${what} was cancelled.`);
    try {
      writeFileSync(file, mine, { flag: 'wx' });
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await fs.unlink(file).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: { pid?: number; what?: string } = {};
    try {
      holder = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch {
      // being written, or just removed: look again shortly
    }
    let unreadableAndOld = false;
    if (!holder.pid) {
      // an owner that died between creating the file and writing its pid leaves it empty
      const st = await fs.stat(file).catch(() => undefined);
      unreadableAndOld = !!st && Date.now() - st.mtimeMs > 5_000;
    }
    if ((holder.pid && !processAlive(holder.pid)) || unreadableAndOld) {
      // the owner died (killed in the middle of an up): take the lock over
      const stale = `${file}.stale-${process.pid}-${Date.now()}`;
      try {
        await fs.rename(file, stale);
        await fs.unlink(stale);
      } catch {
        // someone else took it over first
      }
      continue;
    }
    if (holder.pid && !told) {
      told = true;
      opts.onWait?.({ pid: holder.pid, what: holder.what ?? 'another operation' });
    }
    await new Promise((r) => setTimeout(r, 40));
  }
}
