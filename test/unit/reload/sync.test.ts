// Copy-sync's tar for a batch: the files it names and the folders it added, never a file twice
// (a folder brings what is under it), so a burst of 5 000 new files in a new folder is one entry;
// a large batch goes in frames of bounded size (memory), a large file alone in its own.
import * as assert from 'node:assert/strict';
import { batchEntries, FRAME_FILES, frameGroups } from '../../../src/engine/reload/sync';

const item = (size: number, file = true) => ({ st: { size, isFile: () => file } });

describe('hot reload: copy-sync entries', () => {
  it('a file under an added folder comes with the folder, not a second time', () => {
    const dirs = new Set(['src', 'lib/new']);
    const paths = ['src', 'src/a.js', 'src/deep/b.js', 'lib/new', 'lib/new/c.js', 'lib/old.js', 'server.js'];
    assert.deepEqual(batchEntries(paths, (p) => dirs.has(p)), ['src', 'lib/new', 'lib/old.js', 'server.js']);
  });

  it('deleted paths under a deleted folder go with it: a branch switch that removed a folder of 300 files is one removal', () => {
    const deleted = ['old', ...Array.from({ length: 300 }, (_, i) => `old/${i % 2 ? 'deep/' : ''}o${i}.js`), 'old/deep', 'r1.txt', 'older/x.js'];
    assert.deepEqual(batchEntries(deleted, () => true), ['old', 'r1.txt', 'older/x.js']);
  });

  it('files of folders that were not added are named one by one', () => {
    assert.deepEqual(batchEntries(['a/b.js', 'a/c.js'], () => false), ['a/b.js', 'a/c.js']);
  });

  it('a burst of 1 200 small files goes in frames of at most FRAME_FILES entries, in order', () => {
    const items = Array.from({ length: 1200 }, (_, i) => ({ ...item(20), i }));
    const groups = frameGroups(items);
    assert.deepEqual(groups.map((g) => g.length), [FRAME_FILES, FRAME_FILES, 1200 - 2 * FRAME_FILES]);
    assert.deepEqual(groups.flat().map((x) => x.i), items.map((x) => x.i));
  });

  it("a frame's content stays under its byte limit; a file larger than that goes alone; folders weigh nothing", () => {
    const mb = 1024 * 1024;
    const groups = frameGroups([item(3 * mb), item(2 * mb), item(0, false), item(9 * mb), item(1 * mb)], 100, 4 * mb);
    assert.deepEqual(groups.map((g) => g.map((x) => x.st.size / mb)), [[3], [2, 0], [9], [1]]);
  });
});
