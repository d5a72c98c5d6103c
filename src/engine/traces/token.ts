// The secret that guards the receiver's query endpoints: a random token in a file only the user
// can read (0600 in a 0700 folder under the user's HyperBox config directory). Every HyperBox
// process of this user reads the same file, so the editor's engine and `hb traces` find each other,
// and no other user or web page can read the spans.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { configDir } from '../runtime/dirs';

export function tokenFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(configDir(env), 'traces.token');
}

/** Reads the token, making it (or a fresh one, when the file could have been read by others) first. */
export async function loadToken(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const file = tokenFile(env);
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const st = await fs.stat(file);
      const mine = typeof process.getuid !== 'function' || st.uid === process.getuid();
      const text = (await fs.readFile(file, 'utf8')).trim();
      if (mine && (st.mode & 0o077) === 0 && /^[0-9a-f]{64}$/.test(text)) return text;
      // readable by others, or not ours, or damaged: replace it with a new one
      await fs.rm(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`Cannot read the traces token ${file}: ${(e as Error).message}`);
    }
    const token = randomBytes(32).toString('hex');
    try {
      // 'wx': exactly one process creates it; the others read what it wrote
      await fs.writeFile(file, token + '\n', { mode: 0o600, flag: 'wx' });
      return token;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`Cannot write the traces token ${file}: ${(e as Error).message}`);
      // another process made it first: a short wait for its content, then read it
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`Cannot settle the traces token ${file}: it keeps changing. Check what else writes it.`);
}

/** Constant-time comparison of a request's `Authorization: Bearer <token>` with the token. */
export function tokenMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7).trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
