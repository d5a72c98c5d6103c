// A reader that goes away (`hb config X | head -1`) must not abort hb or print a trace: what is
// still written is dropped, the command finishes, and its exit code is the work's.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI, REPO, ensureBuilt } from '../helpers/build';
import { lines, makeFolder, removeAll } from '../helpers/folders';

/** Runs hb with its stdout (or stderr) a pipe whose reader has already exited, as `| true` after a pause. */
function hbIntoClosedPipe(args: string[], which: 'stdout' | 'stderr'): { rc: number; stderr: string } {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = `${q(process.execPath)} ${q(CLI)} ${args.map(q).join(' ')}`;
  // the pause lets `true` exit first, so every write hb makes meets a closed pipe
  const script =
    which === 'stdout'
      ? `{ sleep 0.3; ${cmd} 2>&3; echo "rc=$?" >&3; } 3>&2 | true`
      : `{ sleep 0.3; ${cmd} 2>&1 >/dev/null; echo "rc=$?" >&3; } 3>&2 | true`;
  const r = spawnSync('bash', ['-c', script], { cwd: REPO, encoding: 'utf8', timeout: 20000 });
  const m = /rc=(\d+)/.exec(r.stderr);
  assert.ok(m, `no exit code in: ${r.stderr}`);
  return { rc: Number(m[1]), stderr: r.stderr.replace(/rc=\d+\n?/, '') };
}

describe('hb with a closed stdout or stderr', function () {
  this.timeout(30000);
  before(() => ensureBuilt());
  after(removeAll);

  it('hb config | (closed): no EPIPE trace, and the exit code is the command\'s own (0, then 1 with errors)', () => {
    const ok = makeFolder({ '.devcontainer/devcontainer.json': lines('{', '  "image": "x",', '  "forwardPort": [3000]', '}') });
    const r = hbIntoClosedPipe(['config', ok], 'stdout');
    assert.equal(r.rc, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /EPIPE|at .*\(|node:events/);
    // the warnings still reach stderr
    assert.match(r.stderr, /forwardPort/);
    const bad = makeFolder({ '.devcontainer/devcontainer.json': lines('{', '  "image": "x",', '  "init": "yes"', '}') });
    assert.equal(hbIntoClosedPipe(['config', bad], 'stdout').rc, 1);
  });

  it('hb --help and a closed stderr: nothing thrown, exit 0 / 1', () => {
    const r = hbIntoClosedPipe(['--help'], 'stdout');
    assert.equal(r.rc, 0);
    assert.equal(r.stderr, '');
    const bad = makeFolder({ '.devcontainer/devcontainer.json': lines('{', '  "image": "x",', '  "init": "yes"', '}') });
    assert.equal(hbIntoClosedPipe(['config', bad], 'stderr').rc, 1);
  });
});
