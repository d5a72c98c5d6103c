// Docker's multiplexed streams (exec and logs without a TTY): one frame reader for streams cut at
// any byte and for whole log buffers; output in the order it came, stdout and stderr apart.
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { demux, demuxText, isMultiplexed, readFrames } from '../../../src/engine/runtime/engine/docker';

const frame = (stream: 1 | 2, text: string) => {
  const body = Buffer.from(text, 'utf8');
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
};

describe('Docker stream frames', () => {
  const both = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err ü\n'), frame(1, 'out two\n')]);

  it('a stream cut at every byte gives the same output, in order, as one chunk', async () => {
    const stream = new PassThrough();
    const got: string[] = [];
    const done = demux(stream, (data, from) => got.push(`${from}:${data.toString('utf8')}`));
    for (let i = 0; i < both.length; i++) stream.write(both.subarray(i, i + 1));
    stream.end();
    await done;
    assert.deepEqual(got, ['stdout:out one\n', 'stderr:err ü\n', 'stdout:out two\n']);
  });

  it('keeps an incomplete last frame for the next chunk', () => {
    const got: string[] = [];
    const rest = readFrames(both.subarray(0, both.length - 3), (d) => got.push(d.toString('utf8')));
    assert.deepEqual(got, ['out one\n', 'err ü\n']);
    assert.equal(rest.length, frame(1, 'out two\n').length - 3);
  });

  it('logs of a container with a TTY (plain text) stay as they are; without one, the payloads are joined', () => {
    assert.equal(demuxText(both), 'out one\nerr ü\nout two\n');
    assert.equal(isMultiplexed(Buffer.from('Error: no such file\n')), false);
    assert.equal(demuxText(Buffer.from('Error: no such file\n')), 'Error: no such file\n');
    assert.equal(demuxText(undefined), '');
  });
});
