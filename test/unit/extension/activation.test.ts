// Activation of the shipped bundle (dist/extension.js, built first): fast on its own clock and
// without synchronous I/O; the engine is found and spawned only after activate returns.
import { strict as assert } from 'node:assert';
import { EXTENSION_JS, ROOT, copyFixture, ensureBuilt, removeTempDirs, waitFor } from './helpers';
import { stub } from '../stubs/vscode';

// The module objects themselves (what the bundle's require() returns), not import namespaces.
const fs = require('node:fs') as typeof import('node:fs');
const childProcess = require('node:child_process') as typeof import('node:child_process');

/** Records every synchronous file-system call and every child-process call until restored. */
function recordBlockingCalls(): { calls: string[]; restore(): void } {
  const calls: string[] = [];
  const restores: (() => void)[] = [];
  const wrap = (mod: Record<string, unknown>, name: string, label: string) => {
    const original = mod[name];
    if (typeof original !== 'function') return;
    mod[name] = function (this: unknown, ...args: unknown[]) {
      calls.push(`${label}.${name}(${typeof args[0] === 'string' ? args[0] : ''})`);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
    restores.push(() => (mod[name] = original));
  };
  const fsModule = fs as unknown as Record<string, unknown>;
  for (const name of Object.keys(fsModule)) if (name.endsWith('Sync')) wrap(fsModule, name, 'fs');
  const cp = childProcess as unknown as Record<string, unknown>;
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) wrap(cp, name, 'child_process');
  return { calls, restore: () => restores.forEach((r) => r()) };
}

describe('activation of the bundled extension', function () {
  this.timeout(20_000);
  const savedEnv = process.env.HYPERBOX_ENGINE_PATH;
  before(async () => {
    delete process.env.HYPERBOX_ENGINE_PATH;
    await ensureBuilt();
  });
  after(async () => {
    if (savedEnv !== undefined) process.env.HYPERBOX_ENGINE_PATH = savedEnv;
    await removeTempDirs();
    stub.reset();
  });

  it('the recorder does see synchronous I/O (so an empty record means something)', () => {
    const rec = recordBlockingCalls();
    try {
      fs.readFileSync(EXTENSION_JS);
      fs.existsSync(ROOT);
    } finally {
      rec.restore();
    }
    assert.ok(rec.calls.includes(`fs.readFileSync(${EXTENSION_JS})`), rec.calls.join('\n'));
    assert.ok(rec.calls.includes(`fs.existsSync(${ROOT})`), rec.calls.join('\n'));
  });

  it('activates in under 30 ms on its own clock, with no synchronous I/O, then starts the engine', async () => {
    stub.reset();
    stub.setConfig('hyperbox.autoStart', { globalValue: false }, false);
    stub.setFolders([await copyFixture('ok')]);
    delete require.cache[EXTENSION_JS];
    const extension = require(EXTENSION_JS) as { activate(c: unknown): void; deactivate(): Promise<void> };
    const context = stub.extensionContext(ROOT);

    const rec = recordBlockingCalls();
    const t0 = performance.now();
    try {
      extension.activate(context);
    } finally {
      rec.restore();
    }
    const elapsed = performance.now() - t0;
    try {
      assert.deepEqual(rec.calls, [], 'activate must not block on I/O nor spawn anything itself');
      assert.ok(elapsed < 30, `activate took ${elapsed.toFixed(1)} ms`);
      const line = stub.log().lines.find((l) => /activated in/.test(l.message));
      assert.ok(line, stub.log().text());
      const own = Number(/activated in (\d+\.\d) ms/.exec(line.message)![1]);
      assert.ok(own < 30, `the extension measured ${own} ms`);
      // activate left a visible status behind, and the engine comes up after it returned
      assert.equal(stub.statusBarItem().text, '$(sync~spin) HyperBox: starting engine');
      await waitFor(() => /^\$\((check|circle-large-outline)\) HyperBox: (config OK|no dev container)$/.test(stub.statusBarItem().text), 'the config to be checked', 10_000, () => stub.log().text());
    } finally {
      await extension.deactivate();
      for (const d of context.subscriptions.splice(0)) d.dispose();
    }
  });
});
