// Batching: a trailing debounce capped by a maximum wait, one action at a time, file state read
// at flush time (the same save reported twice is one action), bursts held together and bounded.
import * as assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { Batcher, type Batch, type BatcherOptions, type Stamp } from '../../../src/engine/reload/batch';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function make(opts: { debounceMs?: number; maxWaitMs?: number; maxPaths?: number; actMs?: number } = {}) {
  const stamps = new Map<string, Stamp>();
  const batches: Batch[] = [];
  let running = 0;
  let overlap = false;
  const b = new Batcher({
    ...opts,
    stamp: async (p) => (stamps.has(p) ? stamps.get(p)! : 'v0'),
    act: async (batch) => {
      if (running++) overlap = true;
      batches.push(batch);
      await sleep(opts.actMs ?? 0);
      running--;
    },
  });
  return { b, stamps, batches, overlap: () => overlap };
}

/** A burst's batcher (10 ms debounce, 50 ms maximum wait) whose file system answers `lastWrite`; the batches it acted on, and when. */
function withDisk(lastWrite: BatcherOptions['lastWrite']) {
  const batches: Batch[] = [];
  const actedAt: number[] = [];
  const b = new Batcher({
    debounceMs: 10,
    maxWaitMs: 50,
    stamp: async () => 'v1',
    act: async (batch) => {
      batches.push(batch);
      actedAt.push(Date.now());
    },
    lastWrite,
  });
  return { b, batches, actedAt };
}

describe('hot reload: batching', () => {
  it('events within the debounce are one batch; the action sees each path once', async () => {
    const { b, batches } = make({ debounceMs: 20 });
    b.add('a.js');
    b.add('a.js');
    b.add('b.js');
    await sleep(60);
    await b.idle();
    assert.equal(batches.length, 1);
    assert.deepEqual(batches[0].paths.sort(), ['a.js', 'b.js']);
  });

  it('a path reported again with the same state (editor notice after the watcher) is not acted on twice', async () => {
    const { b, stamps, batches } = make({ debounceMs: 10 });
    stamps.set('a.js', 's1');
    b.add('a.js');
    await sleep(40);
    b.add('a.js');
    await sleep(40);
    await b.idle();
    assert.equal(batches.length, 1);
    stamps.set('a.js', 's2');
    b.add('a.js');
    await sleep(40);
    await b.idle();
    assert.equal(batches.length, 2, 'a new save of the same file is acted on');
  });

  it('deleted paths are named as deleted', async () => {
    const { b, stamps, batches } = make({ debounceMs: 10 });
    stamps.set('gone.js', null);
    b.add('gone.js');
    await sleep(40);
    await b.idle();
    assert.deepEqual(batches[0].deleted, ['gone.js']);
  });

  it('a file that never stops changing cannot starve reloads: the maximum wait flushes', async () => {
    const { b, stamps, batches } = make({ debounceMs: 20, maxWaitMs: 100 });
    const t0 = Date.now();
    for (let i = 0; Date.now() - t0 < 350; i++) {
      stamps.set('hot.js', `s${i}`);
      b.add('hot.js');
      await sleep(5);
    }
    await sleep(60);
    await b.idle();
    assert.ok(batches.length >= 3, `${batches.length} batches in 350 ms`);
  });

  it('one action at a time: what changes while one runs makes the next batch', async () => {
    const { b, stamps, batches, overlap } = make({ debounceMs: 5, actMs: 80 });
    b.add('a.js');
    await sleep(30);
    stamps.set('b.js', 'x');
    b.add('b.js');
    stamps.set('c.js', 'x');
    b.add('c.js');
    await sleep(150);
    await b.idle();
    assert.equal(overlap(), false);
    assert.equal(batches.length, 2);
    assert.deepEqual(batches[1].paths.sort(), ['b.js', 'c.js']);
  });

  it("a branch switch's first handful of files, then a pause (a busy machine), is not a reload of its own", async () => {
    const { b, batches } = make({ debounceMs: 10, maxWaitMs: 50 });
    for (let i = 0; i < 6; i++) b.add(`src/f${i}.js`);
    await sleep(40);
    for (let i = 6; i < 200; i++) b.add(`src/f${i}.js`);
    await sleep(600);
    await b.idle();
    assert.deepEqual(batches.map((x) => x.count), [200]);
  });

  it('files of a burst whose events the watcher lost (its queue overflowed) are found by reading its folders again, and are in the one batch; their state is read once', async () => {
    const batches: Batch[] = [];
    const asked: string[][] = [];
    let stamped = 0;
    const b = new Batcher({
      debounceMs: 10,
      maxWaitMs: 50,
      stamp: async () => (stamped++, 'v1'),
      act: async (batch) => void batches.push(batch),
      // on disk: 150 files under src/, changed since the burst began; the watcher reported 100
      rescan: async (dirs) => (asked.push(dirs), new Map(dirs.includes('src') ? Array.from({ length: 150 }, (_, i) => [`src/f${i}.js`, 'v1'] as const) : [])),
    });
    for (let i = 0; i < 100; i++) b.add(`src/f${i}.js`);
    await sleep(500);
    await b.idle();
    assert.deepEqual(asked, [['src']]);
    assert.equal(batches.length, 1);
    assert.equal(batches[0].count, 150);
    assert.ok(batches[0].paths.includes('src/f149.js'));
    assert.equal(stamped, 0, 'the folders read again gave each file its state: no second read');
  });

  it('a burst is acted on once the file system says its writing stopped, though the watcher still reports it (its events lag behind)', async () => {
    const asked: string[][] = [];
    let stoppedAt = 0;
    const { b, batches } = withDisk(async (dirs, recent) => (asked.push([...dirs, ...recent.slice(-1)]), stoppedAt || Date.now()));
    // the watcher reports 5 paths every 20 ms for up to 2 s: its quiet period never comes; the
    // writer stopped after 200 ms
    const t0 = Date.now();
    setTimeout(() => (stoppedAt = Date.now()), 200);
    for (let i = 0; !batches.length && Date.now() - t0 < 2000; i += 5) {
      for (let j = i; j < i + 5; j++) b.add(`src/f${j}.js`);
      await sleep(20);
    }
    const at = Date.now() - t0;
    await b.close();
    assert.equal(batches.length, 1);
    assert.ok(at < 1500, `acted on ${at} ms after the burst began; the watcher's quiet period would have come after 2 000 ms`);
    assert.ok(batches[0].count >= 10);
    assert.deepEqual(asked[0].slice(0, 1), ['src'], "the burst's folder");
    assert.match(asked[0][1], /^src\/f\d+\.js$/, 'and its latest file');
  });

  it('while the file system says a burst is still being written, it waits for the quiet period as before', async () => {
    let asked = 0;
    const { b, batches } = withDisk(async () => (asked++, Date.now()));
    for (let i = 0; i < 150; i += 5) {
      for (let j = i; j < i + 5; j++) b.add(`src/f${j}.js`);
      await sleep(20);
    }
    assert.equal(batches.length, 0, 'not acted on while it is written');
    await sleep(800);
    await b.idle();
    assert.ok(asked > 0);
    assert.deepEqual(batches.map((x) => x.count), [150]);
  });

  it("a writer that never paused is acted on half a second after its last write, though the file system's answers come 400 ms apart (a busy thread)", async () => {
    let wroteAt = Date.now();
    // each answer takes 300 ms: the latest write it shows steps by 400 ms from one to the next,
    // which is no pause of the writer's (it wrote until it was asked)
    const { b, actedAt } = withDisk(async () => {
      const at = wroteAt;
      await sleep(300);
      return at;
    });
    for (let i = 0; i < 300; i += 5) {
      for (let j = i; j < i + 5; j++) b.add(`src/f${j}.js`);
      wroteAt = Date.now();
      await sleep(10);
    }
    const last = wroteAt;
    await sleep(1500);
    await b.idle();
    await b.close();
    assert.ok(actedAt.length > 0);
    const acted = actedAt[actedAt.length - 1];
    assert.ok(acted - last < 650, `acted on ${acted - last} ms after the last write`);
  });

  it('a writer that pauses mid-burst (a loaded machine) lengthens the quiet period the file system is asked for: still one batch', async () => {
    let wroteAt = Date.now();
    const { b, batches } = withDisk(async () => wroteAt);
    // written for 300 ms, a pause of 150 ms, 300 ms more, a pause of 350 ms (longer than the
    // shortest quiet period, shorter than three times the first pause), then 300 ms more
    const write = async (from: number) => {
      for (let i = from; i < from + 75; i += 5) {
        for (let j = i; j < i + 5; j++) b.add(`src/f${j}.js`);
        wroteAt = Date.now();
        await sleep(20);
      }
    };
    await write(0);
    await sleep(150);
    await write(75);
    await sleep(350);
    await write(150);
    await sleep(1500);
    await b.idle();
    await b.close();
    assert.deepEqual(batches.map((x) => x.count), [225]);
  });

  it('a writer stalled 350 ms early in a burst (the watcher quiet longer than its quiet period, the file system not) is still one batch', async () => {
    let wroteAt = Date.now();
    const { b, batches } = withDisk(async () => wroteAt);
    // 5 paths every 20 ms (the watcher's gaps are short, so its quiet period is the shortest),
    // a stall of 350 ms, then the rest; each written, then reported
    const write = async (from: number, to: number) => {
      for (let i = from; i < to; i += 5) {
        wroteAt = Date.now();
        await sleep(1);
        for (let j = i; j < i + 5; j++) b.add(`src/f${j}.js`);
        await sleep(20);
      }
    };
    await write(0, 100);
    await sleep(350);
    await write(100, 200);
    await sleep(1200);
    await b.idle();
    await b.close();
    assert.deepEqual(batches.map((x) => x.count), [200]);
  });

  it("a burst's files are handed ahead while it arrives, each once and none while an action runs; the batch still holds them all", async () => {
    const batches: Batch[] = [];
    const handed: string[][] = [];
    let acting = false;
    let handedWhileActing = false;
    let wroteAt = Date.now();
    const b = new Batcher({
      debounceMs: 10,
      maxWaitMs: 50,
      stamp: async () => 'v1',
      act: async (batch) => {
        acting = true;
        batches.push(batch);
        await sleep(300);
        acting = false;
      },
      lastWrite: async () => wroteAt,
      ahead: (paths) => {
        if (acting) handedWhileActing = true;
        handed.push(paths);
      },
    });
    b.add('server.js');
    await sleep(30);
    // a burst that begins while the save's action runs: a folder, then 300 files over 600 ms
    b.add('src', true);
    for (let i = 0; i < 300; i++) {
      wroteAt = Date.now();
      b.add(`src/f${i}.js`);
      if (i % 25 === 24) await sleep(50);
    }
    await sleep(1500);
    await b.idle();
    await b.close();
    assert.deepEqual(batches.map((x) => x.count), [1, 301]);
    assert.equal(handedWhileActing, false);
    const all = handed.flat();
    assert.ok(handed.length >= 2, `handed in ${handed.length} part(s): while it arrives, not at once`);
    assert.equal(new Set(all).size, all.length, 'each path once');
    assert.ok(!all.includes('src'), 'folders come with the batch');
    assert.ok(all.every((p) => /^src\/f\d+\.js$/.test(p)) && all.length <= 300);
    assert.ok(all.length >= 200, `${all.length} of 300 handed ahead`);
  });

  it("a burst's folders are read for what changed since the previous batch was read, not since its first event arrived (a watcher lagging seconds behind)", async () => {
    const sinces: number[] = [];
    const b = new Batcher({
      debounceMs: 10,
      maxWaitMs: 50,
      stamp: async () => 'v1',
      act: async () => undefined,
      rescan: async (_dirs, since) => (sinces.push(since), new Map()),
    });
    b.add('server.js');
    await b.idle();
    const readAt = Date.now();
    // the burst was written meanwhile; the watcher reports it 1.5 s later
    await sleep(1500);
    for (let i = 0; i < 20; i++) b.add(`src/f${i}.js`);
    await sleep(500);
    await b.idle();
    await b.close();
    assert.equal(sinces.length, 1);
    assert.ok(sinces[0] <= readAt - 1000, `read from ${readAt - sinces[0]} ms before the previous batch was read`);
  });

  it('a burst that starts while an action runs is acted on once it settled, not in the parts that arrived by then', async () => {
    const { b, batches } = make({ debounceMs: 10, maxWaitMs: 50, actMs: 150 });
    b.add('server.js');
    await sleep(20);
    // a branch switch while the save's action still runs: 300 files over 400 ms
    for (let i = 0; i < 300; i++) {
      b.add(`src/f${i}.js`);
      if (i % 30 === 29) await sleep(40);
    }
    await sleep(600);
    await b.idle();
    assert.deepEqual(batches.map((x) => x.count), [1, 300]);
  });

  it('a burst of 5 000 paths arriving over 300 ms is one batch; past maxPaths it only counts', async () => {
    const { b, batches } = make({ debounceMs: 10, maxWaitMs: 50, maxPaths: 1000 });
    for (let i = 0; i < 5000; i++) {
      b.add(`src/f${i}.js`, i === 0);
      if (i % 500 === 0) await sleep(30);
    }
    await sleep(400);
    await b.idle();
    assert.equal(batches.length, 1);
    assert.equal(batches[0].overflow, true);
    assert.equal(batches[0].count, 5000);
    assert.equal(batches[0].paths.length, 1000, 'memory bounded: at most maxPaths kept');
  });

  it("an editor's save is acted on without the quiet period, and the watcher's event for it adds nothing", async () => {
    const { b, stamps, batches } = make({ debounceMs: 200 });
    stamps.set('a.js', 's1');
    const t0 = Date.now();
    b.saved(['a.js']);
    await sleep(20);
    assert.equal(batches.length, 1, 'acted on well before the 200 ms quiet period');
    assert.ok(Date.now() - t0 < 150);
    b.add('a.js'); // the watcher's event for the same save
    await sleep(250);
    await b.idle();
    assert.equal(batches.length, 1);
    // the watcher's event arriving first, then the save: the save does not wait for the watcher's quiet period, nor does the event put the save off
    stamps.set('a.js', 's2');
    b.add('a.js');
    b.saved(['a.js']);
    b.add('a.js');
    await sleep(30);
    assert.equal(batches.length, 2);
    await sleep(250);
    await b.idle();
    assert.equal(batches.length, 2);
  });

  it('a save during a burst waits with the burst: one batch', async () => {
    const { b, batches } = make({ debounceMs: 10, maxWaitMs: 50 });
    for (let i = 0; i < 100; i++) b.add(`src/f${i}.js`, i === 0);
    b.saved(['server.js']);
    await sleep(30);
    assert.equal(batches.length, 0, 'the burst is still settling');
    await sleep(400);
    await b.idle();
    assert.equal(batches.length, 1);
    assert.equal(batches[0].count, 101);
  });

  it('on a loaded machine (a new folder reported 500 ms before its files, then gaps of 350 ms) a burst is still one batch', async () => {
    const { b, batches } = make({ debounceMs: 10, maxWaitMs: 50 });
    b.add('src', true);
    await sleep(500);
    for (let i = 0; i < 60; i++) {
      b.add(`src/f${i}.js`);
      if (i % 20 === 19) await sleep(350);
    }
    await sleep(1200);
    await b.idle();
    assert.equal(batches.length, 1, batches.map((x) => x.count).join(', '));
    assert.equal(batches[0].count, 61);
  });

  it('a new file waits a little longer than a save (the next files of a burst may come tens of ms after the first); a changed file does not', async () => {
    const { b, batches } = make({ debounceMs: 10 });
    b.add('src/new1.js', false, true);
    await sleep(30);
    b.add('src/new2.js', false, true);
    await sleep(120);
    await b.idle();
    assert.deepEqual(batches.map((x) => x.paths.length), [2]);
    b.add('a.js');
    await sleep(30);
    b.add('b.js');
    await sleep(60);
    await b.idle();
    assert.deepEqual(batches.map((x) => x.paths.length), [2, 1, 1]);
  });

  it('changes that arrived while this thread was busy are taken in before a quiet period that ended meanwhile is acted on', async () => {
    const { b, batches } = make({ debounceMs: 10 });
    const { port1, port2 } = new MessageChannel();
    // the rest of the burst, as the watcher's worker posts it
    port1.on('message', () => {
      for (let i = 1; i < 20; i++) b.add(`src/f${i}.js`, false, true);
    });
    b.add('src/f0.js', false, true);
    port2.postMessage('more');
    const until = Date.now() + 120;
    while (Date.now() < until); // busy past the quiet period
    await sleep(1000);
    await b.idle();
    port1.close();
    assert.deepEqual(batches.map((x) => x.count), [20]);
  });

  it('force acts once even with nothing pending (hb reload)', async () => {
    const { b, batches } = make();
    await b.force();
    assert.equal(batches.length, 1);
    assert.equal(batches[0].count, 0);
  });
});
