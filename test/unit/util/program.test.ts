// runProgram: the one way the engine runs a short host program and reads its answer.
import * as assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProgram, which } from '../../../src/engine/util/program';

describe('runProgram', () => {
  it('gives the exit code, stdout and stderr, and feeds stdin', async () => {
    const r = await runProgram('/bin/sh', ['-c', 'read x; echo "got $x"; echo oops >&2; exit 3'], { input: 'registry.example\n' });
    assert.deepEqual(r, { code: 3, stdout: 'got registry.example\n', stderr: 'oops\n' });
    assert.deepEqual(await runProgram('/bin/sh', ['-c', 'echo fine']), { code: 0, stdout: 'fine\n', stderr: '' });
  });

  it('answers instead of throwing when the program is missing or too slow', async () => {
    const missing = await runProgram('hb-no-such-program', []);
    assert.equal(missing.code, -1);
    assert.equal(missing.error?.code, 'ENOENT');
    const slow = await runProgram('/bin/sh', ['-c', 'sleep 5'], { timeoutMs: 100 });
    assert.equal(slow.code, -1);
    assert.ok(slow.error, 'the time limit is the reason');
  });

  it('a program that exits without reading its input is no error', async () => {
    const r = await runProgram('/bin/sh', ['-c', 'exit 0'], { input: 'x'.repeat(1 << 20) });
    assert.equal(r.code, 0);
  });

  it('which: the first executable on PATH, then in the extra folders; a file that cannot run is skipped', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hb-which-'));
    const [a, b, c] = ['a', 'b', 'c'].map((d) => path.join(root, d));
    for (const d of [a, b, c]) mkdirSync(d);
    writeFileSync(path.join(a, 'hb-which-tool'), 'not executable');
    writeFileSync(path.join(b, 'hb-which-tool'), '#!/bin/sh\n');
    chmodSync(path.join(b, 'hb-which-tool'), 0o755);
    writeFileSync(path.join(c, 'hb-which-extra'), '#!/bin/sh\n');
    chmodSync(path.join(c, 'hb-which-extra'), 0o755);
    assert.equal(which('hb-which-tool', { PATH: `${a}:${b}` }), path.join(b, 'hb-which-tool'));
    assert.equal(which('hb-which-extra', { PATH: a }), undefined);
    assert.equal(which('hb-which-extra', { PATH: a }, [c]), path.join(c, 'hb-which-extra'));
  });
});
