// What an up removes again when it ends with an error (undo.ts): the user's machine keeps no
// half-made container or orphaned volume after a cancel, and keeps what shows a failure.
import * as assert from 'node:assert/strict';
import { MadeByUp } from '../../../src/engine/runtime/up/undo';

function record(): { made: MadeByUp; removed: string[]; notes: string[]; add(what: string, beforeContainer?: boolean): void } {
  const made = new MadeByUp();
  const removed: string[] = [];
  const notes: string[] = [];
  return {
    made,
    removed,
    notes,
    add(what, beforeContainer) {
      made.add({ what, beforeContainer, remove: async () => (removed.push(what), `removed ${what}`) });
    },
  };
}

describe('what an up made, removed again (undo.ts)', () => {
  it('a cancelled up removes everything it made, the container first, the base image last', async () => {
    const r = record();
    r.add('image');
    r.add('features image');
    r.add('cache volume', true);
    r.add('container');
    r.made.containerMade();
    await r.made.undo(true, (m) => r.notes.push(m));
    assert.deepEqual(r.removed, ['container', 'cache volume', 'features image', 'image']);
    assert.deepEqual(r.notes, ['removed container', 'removed cache volume', 'removed features image', 'removed image']);
  });

  it('a failure before the container exists removes only what was made for it, and keeps the built images for the next try', async () => {
    const r = record();
    r.add('image');
    r.add('cache volume', true);
    await r.made.undo(false, (m) => r.notes.push(m));
    assert.deepEqual(r.removed, ['cache volume']);
  });

  it('a failure once the container exists keeps everything, so its state and logs show what went wrong', async () => {
    const r = record();
    r.add('cache volume', true);
    r.add('container');
    r.made.containerMade();
    await r.made.undo(false, (m) => r.notes.push(m));
    assert.deepEqual(r.removed, []);
  });

  it('nothing is undone once the container is made, even when the up is cancelled afterwards', async () => {
    const r = record();
    r.add('container');
    r.made.containerMade();
    r.made.finish();
    await r.made.undo(true, (m) => r.notes.push(m));
    assert.deepEqual(r.removed, []);
  });

  it('a removal that fails does not stop the others, and says nothing', async () => {
    const made = new MadeByUp();
    const removed: string[] = [];
    made.add({ what: 'image', remove: async () => (removed.push('image'), undefined) });
    made.add({ what: 'container', remove: async () => Promise.reject(new Error('no such container')) });
    const notes: string[] = [];
    await made.undo(true, (m) => notes.push(m));
    assert.deepEqual(removed, ['image']);
    assert.deepEqual(notes, []);
  });
});
