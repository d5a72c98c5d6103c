// Builds dist/ (node esbuild.mjs) once per test run for tests that run the real `hb` CLI or the
// engine process. Skips the build when dist/ is newer than every source file, so parallel runs on
// one machine do not rewrite the bundles under each other.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(REPO, 'dist', 'cli.js');
export const ENGINE = path.join(REPO, 'dist', 'engine.js');

function newest(p: string): number {
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  let m = s.mtimeMs;
  for (const e of readdirSync(p)) m = Math.max(m, newest(path.join(p, e)));
  return m;
}

let built = false;

export function ensureBuilt(): void {
  if (built) return;
  const sources = Math.max(
    newest(path.join(REPO, 'src')),
    newest(path.join(REPO, 'schemas')),
    newest(path.join(REPO, 'package.json')),
    newest(path.join(REPO, 'esbuild.mjs')),
  );
  let outputs = 0;
  try {
    outputs = Math.min(statSync(CLI).mtimeMs, statSync(ENGINE).mtimeMs);
  } catch {
    outputs = 0;
  }
  if (outputs <= sources) {
    try {
      execFileSync(process.execPath, ['esbuild.mjs'], { cwd: REPO, stdio: 'pipe' });
    } catch (e) {
      // a failure in another bundle of the script is tolerated when these two came out fresh
      const fresh = Math.min(statSync(CLI, { throwIfNoEntry: false })?.mtimeMs ?? 0, statSync(ENGINE, { throwIfNoEntry: false })?.mtimeMs ?? 0) > sources;
      const err = e as { stderr?: Buffer; stdout?: Buffer };
      if (!fresh) throw new Error(`node esbuild.mjs failed, so dist/cli.js and dist/engine.js cannot be tested:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    }
  }
  built = true;
}
