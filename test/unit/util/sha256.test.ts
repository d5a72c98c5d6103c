import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sha256, sha256Hex } from '../../../src/engine/util/sha256';

describe('sha256Hex (the digest behind ${devcontainerId})', () => {
  it('matches the FIPS 180-4 example and node:crypto for every length across block boundaries', () => {
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    for (let len = 0; len < 300; len++) {
      const text = Array.from({ length: len }, (_, i) => String.fromCodePoint(((i * 7919 + len) % 0x2fff) + 32)).join('');
      assert.equal(sha256Hex(text), createHash('sha256').update(text, 'utf8').digest('hex'), `length ${len}`);
    }
  });

  it('hashes non-ASCII text as UTF-8 (folder names like "spaced näme")', () => {
    for (const text of ['/tmp/spaced näme', '日本語/プロジェクト', '🙂 emoji', '\u0000nul']) {
      assert.equal(sha256Hex(text), createHash('sha256').update(text, 'utf8').digest('hex'));
    }
  });
});

describe('sha256 (the engine\'s digests: trust keys, drift inputs, cache names)', () => {
  it('gives node:crypto\'s digest for short and long text and for bytes, whichever computes it', () => {
    const texts = ['', 'echo onCreate >> /tmp/lifecycle.log', 'x'.repeat(256), 'y'.repeat(257), `näme\u0000${'z'.repeat(5000)}`];
    for (const text of texts) assert.equal(sha256(text), createHash('sha256').update(text, 'utf8').digest('hex'), `length ${text.length}`);
    const bytes = new Uint8Array(Array.from({ length: 300 }, (_, i) => (i * 31) & 0xff));
    assert.equal(sha256(bytes), createHash('sha256').update(bytes).digest('hex'));
  });
});
