// Reading thousands of small things (a burst's files, their states, a folder's entries) with the
// synchronous calls, a chunk at a time, the event loop running between chunks. Through the
// promise API each call is a trip through libuv's thread pool: on this project's 2-core machines
// 5 000 lstat calls cost 270 ms of CPU that way and 50 ms synchronously, 5 000 readFile calls
// 645 ms against 99 ms; a chunk of 500 blocks the loop for about 10 ms.
import { lstatSync, readFileSync, readlinkSync, type Stats } from 'node:fs';

/** How many paths are read before the event loop runs again. */
export const CHUNK = 500;

const turn = () => new Promise<void>((r) => setImmediate(r));

/** `read` of each item, CHUNK at a time (an item it throws on gives null). */
export async function readMany<T, R>(items: readonly T[], read: (item: T) => R, chunk = CHUNK): Promise<(R | null)[]> {
  const out: (R | null)[] = [];
  for (let i = 0; i < items.length; i++) {
    if (i && i % chunk === 0) await turn();
    try {
      out.push(read(items[i]));
    } catch {
      out.push(null);
    }
  }
  return out;
}

/** lstat of each absolute path (null: gone, or not readable). */
export function lstatMany(paths: readonly string[]): Promise<(Stats | null)[]> {
  return readMany(paths, (p) => lstatSync(p, { throwIfNoEntry: false }) ?? null);
}

/** What a file holds, or a symbolic link points to (null: gone since). */
export function readEntry(abs: string, st: Stats): Buffer | string | null {
  try {
    if (st.isFile()) return readFileSync(abs);
    if (st.isSymbolicLink()) return readlinkSync(abs);
    return st.isDirectory() ? '' : null;
  } catch {
    return null;
  }
}
