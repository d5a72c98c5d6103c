import * as assert from 'node:assert/strict';
import { LineIndex, didYouMean, editDistance, formatBytes } from '../../../src/engine/util/text';

describe('text helpers', () => {
  it('maps offsets to 1-based line and column across \\n, \\r\\n and \\r line ends', () => {
    const idx = new LineIndex('ab\ncd\r\nef\rgh');
    assert.deepEqual(idx.position(0), { line: 1, column: 1 });
    assert.deepEqual(idx.position(4), { line: 2, column: 2 });
    assert.deepEqual(idx.position(7), { line: 3, column: 1 });
    assert.deepEqual(idx.position(10), { line: 4, column: 1 });
  });

  it('suggests the property a typo was meant to be', () => {
    const known = ['forwardPorts', 'remoteUser', 'containerUser', 'postCreateCommand', 'init'];
    assert.equal(didYouMean('forwardPort', known), 'forwardPorts');
    assert.equal(didYouMean('remoteUsr', known), 'remoteUser');
    assert.equal(didYouMean('postcreatecommand', known), 'postCreateCommand');
    assert.equal(didYouMean('somethingElse', known), undefined);
    // short names need a close match: "foo" is not "init"
    assert.equal(didYouMean('foo', known), undefined);
  });

  it('counts a transposition as one edit', () => {
    assert.equal(editDistance('remoetUser', 'remoteUser'), 1);
  });

  it('formats sizes for messages', () => {
    assert.equal(formatBytes(50 * 1024 * 1024), '50.0 MB');
    assert.equal(formatBytes(512), '512 B');
  });
});
