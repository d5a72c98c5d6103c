// The engine's message reader: whole messages however the bytes are split, and recovery from
// input that is not a message.
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { Message } from 'vscode-jsonrpc';
import { ResyncingMessageReader } from '../../../src/engine/rpc/reader';

const frame = (obj: unknown) => {
  const body = Buffer.from(JSON.stringify(obj), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
};
const ping = (id: number) => ({ jsonrpc: '2.0', id, method: 'hyperbox/ping' });

function setup(options = {}) {
  const input = new PassThrough();
  const reader = new ResyncingMessageReader(input, options);
  const messages: Message[] = [];
  const errors: string[] = [];
  reader.onError((e) => errors.push(e.message));
  reader.listen((m) => messages.push(m));
  return { input, messages, errors };
}
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('engine message reader', () => {
  it('reassembles messages split at every byte, and several in one chunk', async () => {
    const { input, messages, errors } = setup();
    const bytes = Buffer.concat([frame(ping(1)), frame({ jsonrpc: '2.0', id: 2, method: 'x', params: { text: 'ünïcode ✓ Content-Length: 3' } })]);
    for (const b of bytes) input.write(Buffer.from([b]));
    input.write(Buffer.concat([frame(ping(3)), frame(ping(4))]));
    await tick();
    assert.deepEqual(messages.map((m) => (m as unknown as { id: number }).id), [1, 2, 3, 4]);
    assert.deepEqual(errors, []);
  });

  it('skips garbage, broken headers and bodies that are not JSON, and reads what follows', async () => {
    const { input, messages, errors } = setup();
    input.write('random junk\x00\xff');
    input.write(frame(ping(1)));
    input.write('Content-Length: nope\r\n\r\n');
    input.write('Content-Length: 4\r\n\r\n{{{{');
    input.write(frame([1, 2]));
    input.write(frame(ping(2)));
    await tick();
    assert.deepEqual(messages.map((m) => (m as unknown as { id: number }).id), [1, 2]);
    assert.ok(errors.length >= 4, errors.join('\n'));
    assert.ok(errors.every((e) => e.startsWith('skipped ')));
  });

  it('gives up on a made-up Content-Length once its body stalls with a real message behind it', async () => {
    const { input, messages } = setup({ stallMs: 50 });
    input.write('Content-Length: 100000\r\n\r\n{"half": ');
    input.write(frame(ping(7)));
    await tick(20);
    assert.deepEqual(messages, []);
    await tick(100);
    assert.deepEqual(messages.map((m) => (m as unknown as { id: number }).id), [7]);
  });

  it('refuses a Content-Length over the limit at once', async () => {
    const { input, messages, errors } = setup({ maxBodyBytes: 1000 });
    input.write('Content-Length: 5000\r\n\r\n');
    input.write(frame(ping(8)));
    await tick();
    assert.deepEqual(messages.map((m) => (m as unknown as { id: number }).id), [8]);
    assert.match(errors[0], /Content-Length of 5000 bytes, over the limit/);
  });
});
