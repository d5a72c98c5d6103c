// Stopping a recording's copy: its stop signal first, SIGKILL after a grace time, and done as soon as its
// own process has ended (watched on this host), not when the engine has cleaned up after it.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { stopWatching } from '../../../src/engine/seccomp/run';

/** A process standing in for the copy's own one, and a container whose kill signals it. */
function copy(script: string) {
  const child = spawn('sh', ['-c', script], { stdio: 'ignore' });
  const signals: string[] = [];
  const container = {
    async kill(o: { signal: string }) {
      signals.push(o.signal);
      child.kill(o.signal as NodeJS.Signals);
    },
  };
  return { child, signals, container };
}

describe('seccomp: stopping the copy after the workload', () => {
  it('sends the stop signal and returns once the process has ended', async () => {
    const c = copy('trap "exit 0" TERM; while :; do sleep 1 & wait $!; done');
    await new Promise((r) => setTimeout(r, 200));
    const t = Date.now();
    await stopWatching(c.container, c.child.pid!, 'SIGTERM');
    assert.ok(Date.now() - t < 2000, `${Date.now() - t} ms`);
    assert.deepEqual(c.signals, ['SIGTERM']);
    assert.throws(() => process.kill(c.child.pid!, 0), /ESRCH/);
  });

  it('sends SIGKILL when the process outlives its stop signal by the grace time (5 s unless given)', async () => {
    const c = copy('trap "" TERM; while :; do sleep 1; done');
    await new Promise((r) => setTimeout(r, 200));
    const t = Date.now();
    await stopWatching(c.container, c.child.pid!, 'SIGTERM', 600);
    assert.ok(Date.now() - t >= 600 && Date.now() - t < 2500, `${Date.now() - t} ms`);
    assert.deepEqual(c.signals, ['SIGTERM', 'SIGKILL']);
  });
});
