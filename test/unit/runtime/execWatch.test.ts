// endWhenExited: an exec's output stream that the engine leaves open after the process exited
// (seen with Podman's Docker-compatible API) is ended; a stream that ends by itself, or whose
// process still runs, is left alone, and an engine that does not answer the inspect holds nothing.
import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import { endWhenExited } from '../../../src/engine/runtime/lifecycle/exec';

const T = { quietMs: 30, afterExitMs: 60 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const closed = (s: PassThrough) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

/** An exec whose inspect says what `running()` says, counting the calls. */
function fakeExec(running: () => boolean) {
  const f = { calls: 0, inspect: async () => (f.calls++, { Running: running() }) };
  return f;
}

describe('runtime: an exec stream left open after its process exited', () => {
  it('is destroyed once the process is seen to have exited and the stream stays open', async () => {
    const stream = new PassThrough();
    stream.resume();
    const exec = fakeExec(() => false);
    const t = Date.now();
    endWhenExited(exec, stream, T);
    await closed(stream);
    assert.ok(Date.now() - t >= T.quietMs + T.afterExitMs - 5, `closed after ${Date.now() - t} ms`);
    assert.equal(exec.calls, 1);
  });

  it('is left open while the process runs, then ended after it exits', async () => {
    const stream = new PassThrough();
    stream.resume();
    let running = true;
    const exec = fakeExec(() => running);
    endWhenExited(exec, stream, T);
    await sleep(150);
    assert.equal(stream.destroyed, false);
    assert.ok(exec.calls >= 2);
    running = false;
    await closed(stream);
  });

  it('costs nothing when the stream ends by itself: no inspect, no timer left', async () => {
    const stream = new PassThrough();
    stream.resume();
    const exec = fakeExec(() => false);
    endWhenExited(exec, stream, T);
    stream.write('output');
    stream.end();
    await sleep(150);
    assert.equal(exec.calls, 0);
  });

  it('output postpones the question; stop() ends the watch', async () => {
    const stream = new PassThrough();
    stream.resume();
    const exec = fakeExec(() => false);
    const stop = endWhenExited(exec, stream, T);
    for (let i = 0; i < 6; i++) {
      stream.write('x');
      await sleep(10);
    }
    assert.equal(exec.calls, 0);
    stop();
    await sleep(150);
    assert.equal(exec.calls, 0);
    assert.equal(stream.destroyed, false);
    stream.destroy();
  });

  it('an inspect that never answers is given up and asked again, without ending the stream', async () => {
    const stream = new PassThrough();
    stream.resume();
    let calls = 0;
    const exec = { inspect: (o?: { abortSignal?: AbortSignal }) => (calls++, new Promise<never>((_, reject) => o?.abortSignal?.addEventListener('abort', () => reject(new Error('aborted'))))) };
    const stop = endWhenExited(exec, stream, T);
    await sleep(250);
    assert.ok(calls >= 2, `${calls} inspects`);
    assert.equal(stream.destroyed, false);
    stop();
    stream.destroy();
  });
});
