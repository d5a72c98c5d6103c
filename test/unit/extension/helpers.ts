// Shared by the extension's unit tests: the repository root, a build of dist/ that is never
// stale, polling, and a logger that records.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { EngineLogger } from '../../../src/extension/engineClient';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const ENGINE_JS = path.join(ROOT, 'dist', 'engine.js');
export const EXTENSION_JS = path.join(ROOT, 'dist', 'extension.js');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'extension');

async function newestMtime(p: string): Promise<number> {
  const st = await fs.stat(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of await fs.readdir(p)) newest = Math.max(newest, await newestMtime(path.join(p, entry)));
  return newest;
}

async function outputsFresh(): Promise<boolean> {
  const outputs = await Promise.all([ENGINE_JS, EXTENSION_JS].map((f) => fs.stat(f).then((s) => s.mtimeMs, () => 0)));
  const sources = Math.max(
    await newestMtime(path.join(ROOT, 'src')),
    await newestMtime(path.join(ROOT, 'esbuild.mjs')),
    await newestMtime(path.join(ROOT, 'package.json')),
  );
  return Math.min(...outputs) >= sources;
}

let built: Promise<void> | undefined;
/**
 * Runs `node esbuild.mjs` when dist/engine.js or dist/extension.js is missing or older than the
 * sources. A failure in another bundle of the script is tolerated when these two came out fresh.
 */
export function ensureBuilt(): Promise<void> {
  built ??= (async () => {
    if (await outputsFresh()) return;
    try {
      await promisify(execFile)(process.execPath, ['esbuild.mjs'], { cwd: ROOT });
    } catch (e) {
      if (await outputsFresh()) return;
      const err = e as { stderr?: string; message: string };
      throw new Error(`"node esbuild.mjs" failed, so the engine and extension bundles cannot be tested: ${err.stderr || err.message}`);
    }
  })();
  return built;
}

/** Polls until `check` returns a truthy value; fails naming what it waited for. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 8000, detail?: () => string): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `\n${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class MemoryLogger implements EngineLogger {
  readonly lines: { level: string; message: string }[] = [];
  trace(message: string): void {
    this.lines.push({ level: 'trace', message });
  }
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
  text(): string {
    return this.lines.map((l) => `[${l.level}] ${l.message}`).join('\n');
  }
  has(level: string, pattern: RegExp): boolean {
    return this.lines.some((l) => l.level === level && pattern.test(l.message));
  }
}

const temps: string[] = [];
/** A fresh temporary folder; removeTempDirs() deletes them all. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `hyperbox-${prefix}-`));
  temps.push(dir);
  return dir;
}
export async function removeTempDirs(): Promise<void> {
  await Promise.all(temps.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
}

/** Copies a fixture folder into a temporary one, so tests can change files. */
export async function copyFixture(name: string): Promise<string> {
  const dir = path.join(await tempDir('ext'), name);
  await fs.cp(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

/** Whether a process exists. */
export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
