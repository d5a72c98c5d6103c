// Copy-sync's tar for a batch: the files it names and the folders it added, never a file twice
// (a folder brings what is under it), so a burst of 5 000 new files in a new folder is one entry.
import * as assert from 'node:assert/strict';
import { batchEntries } from '../../../src/engine/reload/sync';

describe('hot reload: copy-sync entries', () => {
  it('a file under an added folder comes with the folder, not a second time', () => {
    const dirs = new Set(['src', 'lib/new']);
    const paths = ['src', 'src/a.js', 'src/deep/b.js', 'lib/new', 'lib/new/c.js', 'lib/old.js', 'server.js'];
    assert.deepEqual(batchEntries(paths, (p) => dirs.has(p)), ['src', 'lib/new', 'lib/old.js', 'server.js']);
  });

  it('files of folders that were not added are named one by one', () => {
    assert.deepEqual(batchEntries(['a/b.js', 'a/c.js'], () => false), ['a/b.js', 'a/c.js']);
  });
});
