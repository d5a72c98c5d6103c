// The rule that keeps most tests free of an editor: only src/extension/ imports `vscode`, and its
// pure modules do not even there (a type-only import is fine: it is erased).
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './helpers';

const PURE = ['panels/html', 'backoff', 'cliLauncher', 'configChoice', 'containerState', 'contributions', 'debounce', 'engineClient', 'enginePath', 'portsPick', 'problems', 'quickFixes', 'staleOffer', 'status', 'treeModel'];
const RUNTIME_VSCODE = /^\s*import\s+(?!type\b)[^;]*?from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\)/m;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(p)));
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name)) out.push(p);
  }
  return out;
}

describe('layering', () => {
  it('the detector finds a run-time import of vscode, and lets a type-only one pass', () => {
    assert.ok(RUNTIME_VSCODE.test("import * as vscode from 'vscode';"));
    assert.ok(RUNTIME_VSCODE.test("import { window } from 'vscode';"));
    assert.ok(RUNTIME_VSCODE.test("const v = require('vscode');"));
    assert.ok(!RUNTIME_VSCODE.test("import type * as vscode from 'vscode';"));
    assert.ok(!RUNTIME_VSCODE.test("import type { Uri } from 'vscode';"));
  });

  it('only src/extension/ imports vscode', async () => {
    const offenders: string[] = [];
    for (const file of await sources(path.join(ROOT, 'src'))) {
      if (file.startsWith(path.join(ROOT, 'src', 'extension') + path.sep)) continue;
      if (/from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)/.test(await fs.readFile(file, 'utf8'))) offenders.push(path.relative(ROOT, file));
    }
    assert.deepEqual(offenders, []);
  });

  it('the pure extension modules do not import vscode at run time', async () => {
    for (const name of PURE) {
      const text = await fs.readFile(path.join(ROOT, 'src', 'extension', `${name}.ts`), 'utf8');
      assert.ok(!RUNTIME_VSCODE.test(text), `src/extension/${name}.ts imports vscode at run time`);
    }
  });
});
