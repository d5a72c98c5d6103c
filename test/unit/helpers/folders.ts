// Throw-away project folders for tests: each call makes a fresh folder under the OS temp dir with
// the given files, and removeAll() deletes every folder made so far.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const made: string[] = [];

/** A fresh folder with `files` (relative path → contents; a path ending in "/" makes a folder). */
export function makeFolder(files: Record<string, string> = {}, prefix = 'hb-test-'): string {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(root);
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(root, rel);
    if (rel.endsWith('/')) {
      mkdirSync(p, { recursive: true });
    } else {
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, text);
    }
  }
  return root;
}

export function removeAll(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Lines joined with \n: configs written line by line, so expected positions are easy to read. */
export const lines = (...l: string[]) => l.join('\n') + '\n';
