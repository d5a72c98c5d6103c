// Where HyperBox keeps what is the user's (trust decisions: the config directory) and what can
// be thrown away (locks, hash caches, probed environments, lifecycle logs: the cache directory).
// HB_CONFIG_DIR and HB_CACHE_DIR override both, for tests and for unusual setups.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HB_CONFIG_DIR) return env.HB_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'hyperbox');
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HB_CACHE_DIR) return env.HB_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'hyperbox');
}

export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Writes atomically (temp file + rename) so a concurrent reader never sees half a file. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(value));
  await fs.rename(tmp, file);
}
