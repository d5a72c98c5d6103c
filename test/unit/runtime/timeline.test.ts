// The startup timeline of an up (what the Dev Container panel draws): steps in order with their
// start and duration, lifecycle commands with text, exit code and output tail, failures and
// cancellation, the throttle of the live notifications, and the last timeline saved per folder.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { UpTimeline } from '../../../src/protocol';
import { appendTail, commandText, kindOf, OUTPUT_TAIL_CHARS, Throttle, Timeline } from '../../../src/engine/runtime/up/timeline';
import { loadTimeline, saveTimeline, timelineFile } from '../../../src/engine/runtime/up/timelineStore';

/** A clock the test moves by hand. */
function clock(start = 1000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('runtime: startup timeline', () => {
  it('records steps in order, with start and duration relative to the start of the up', () => {
    const c = clock();
    const t = new Timeline({ folder: '/w', configFile: '/w/.devcontainer/devcontainer.json', client: 'editor' }, undefined, c.now, () => Date.UTC(2026, 0, 2));
    c.advance(2);
    const endConfig = t.begin('config');
    c.advance(5);
    endConfig('ok');
    const endCreate = t.begin('create');
    c.advance(40);
    endCreate('ok');
    const endHook = t.begin('postCreateCommand', 'npm install');
    c.advance(100);
    endHook('ok', { exitCode: 0 });
    t.finish('ok');
    const s = t.snapshot();
    assert.equal(s.startedAt, '2026-01-02T00:00:00.000Z');
    assert.equal(s.client, 'editor');
    assert.equal(s.outcome, 'ok');
    assert.deepEqual(
      s.entries.map((e) => [e.step, e.kind, e.startMs, e.ms, e.status]),
      [
        ['config', 'engine', 2, 5, 'ok'],
        ['create', 'engine', 7, 40, 'ok'],
        ['postCreateCommand', 'lifecycle', 47, 100, 'ok'],
      ],
    );
    assert.equal(s.entries[2].detail, 'npm install');
    assert.equal(s.entries[2].exitCode, 0);
    assert.equal(s.totalMs, 147);
  });

  it('shows a running step growing until now, and marks the failing command with its exit code and output', () => {
    const c = clock();
    const t = new Timeline({ folder: '/w', configFile: null, client: 'hb' }, undefined, c.now);
    const end = t.begin('postCreateCommand', 'make setup');
    c.advance(30);
    t.output('postCreateCommand', 'compiling\n');
    let s = t.snapshot();
    assert.equal(s.outcome, 'running');
    assert.equal(s.entries[0].status, 'running');
    assert.equal(s.entries[0].ms, 30);
    c.advance(20);
    t.output('postCreateCommand', 'error: no rule\n');
    end('failed', { exitCode: 2 });
    t.finish('failed', 'postCreateCommand failed with exit code 2');
    s = t.snapshot();
    assert.equal(s.outcome, 'failed');
    assert.equal(s.error, 'postCreateCommand failed with exit code 2');
    assert.deepEqual([s.entries[0].status, s.entries[0].exitCode, s.entries[0].ms], ['failed', 2, 50]);
    assert.equal(s.entries[0].output, 'compiling\nerror: no rule\n');
  });

  it('ends the steps still running when the up is cancelled or fails', () => {
    const c = clock();
    const t = new Timeline({ folder: '/w', configFile: null, client: 'hb' }, undefined, c.now);
    t.begin('build');
    c.advance(10);
    t.finish('cancelled', 'hb up was cancelled.');
    const s = t.snapshot();
    assert.equal(s.outcome, 'cancelled');
    assert.deepEqual([s.entries[0].status, s.entries[0].ms], ['cancelled', 10]);
  });

  it('keeps skipped commands with the reason, and hooks left for later as running until they start', () => {
    const c = clock();
    const t = new Timeline({ folder: '/w', configFile: null, client: 'editor' }, undefined, c.now);
    t.skip('onCreateCommand', 'echo hi\nAlready ran for this container.');
    t.pending('postStartCommand', 'npm run watch');
    t.finish('running');
    assert.equal(t.snapshot().outcome, 'running');
    assert.deepEqual(t.snapshot().entries.map((e) => [e.step, e.status]), [['onCreateCommand', 'skipped'], ['postStartCommand', 'running']]);
    c.advance(50);
    // the pending hook really starts: the same entry, from now
    const end = t.begin('postStartCommand');
    c.advance(10);
    end('ok', { exitCode: 0 });
    t.finish('ok');
    const s = t.snapshot();
    assert.equal(s.entries.length, 2);
    assert.deepEqual([s.entries[1].startMs, s.entries[1].ms, s.entries[1].status, s.entries[1].detail], [50, 10, 'ok', 'npm run watch']);
  });

  it('a hook left for later that does not run (an earlier one failed) becomes skipped, not a second row', () => {
    const t = new Timeline({ folder: '/w', configFile: null, client: 'editor' });
    t.pending('postStartCommand', 'a');
    t.pending('postAttachCommand', 'b');
    t.finish('running');
    t.begin('postStartCommand')('failed', { exitCode: 1 });
    t.skip('postAttachCommand', 'b\nNot run: an earlier command failed.');
    t.finish('failed', 'postStartCommand failed');
    assert.deepEqual(t.snapshot().entries.map((e) => [e.step, e.status, e.exitCode]), [
      ['postStartCommand', 'failed', 1],
      ['postAttachCommand', 'skipped', undefined],
    ]);
  });

  it('sends output to the step that printed it, with labels of parallel commands, and build output to the build', () => {
    const t = new Timeline({ folder: '/w', configFile: null, client: 'hb' });
    t.begin('image');
    t.output('pull', 'abc: Pulling fs layer\n');
    t.begin('postCreateCommand');
    t.output('postCreateCommand one', 'first\nsecond\n');
    t.output('unrelated', 'x');
    const [image, hook] = t.snapshot().entries;
    assert.equal(image.output, 'abc: Pulling fs layer\n');
    assert.equal(hook.output, '[one] first\n[one] second\nx');
  });

  it('keeps only the last few KB of output, from a line start, without terminal escapes', () => {
    const line = 'x'.repeat(99) + '\n';
    let tail = '';
    for (let i = 0; i < 200; i++) tail = appendTail(tail, line);
    assert.ok(tail.length <= OUTPUT_TAIL_CHARS);
    assert.ok(tail.startsWith('x') && tail.endsWith('\n'));
    assert.equal(appendTail('', '\x1b[32mgreen\x1b[0m\n'), 'green\n');
    assert.equal(appendTail('', 'progress 10%\rprogress 100%\n'), 'progress 100%\n');
  });

  it('tells the kind of each step and the command text as written', () => {
    assert.equal(kindOf('initializeCommand'), 'lifecycle');
    assert.equal(kindOf('build'), 'build');
    assert.equal(kindOf('features image'), 'build');
    assert.equal(kindOf('find container'), 'engine');
    assert.equal(
      commandText([
        { command: 'npm ci', origin: 'devcontainer.json' },
        { command: ['make', 'setup'], origin: 'Feature "./tools"' },
        { command: { a: 'echo a', b: ['echo', 'b'] } },
      ]),
      'npm ci\nmake setup (from Feature "./tools")\na: echo a; b: echo b',
    );
  });

  it('tells its listener of each change, and at the end', () => {
    const calls: [string, boolean][] = [];
    const t = new Timeline({ folder: '/w', configFile: null, client: 'hb' }, (tl, final) => calls.push([tl.snapshot().outcome, final]));
    t.begin('config')('ok');
    t.finish('failed', 'boom');
    assert.deepEqual(calls, [
      ['running', false],
      ['running', false],
      ['failed', true],
    ]);
  });
});

describe('runtime: timeline notifications throttle', () => {
  it('sends the first change at once, then at most one per interval, with the latest value; flush sends now', () => {
    const c = clock(0);
    const sent: number[] = [];
    const timers: { fn: () => void; at: number }[] = [];
    const th = new Throttle<number>((v) => sent.push(v), 100, c.now, {
      set: (fn, ms) => {
        timers.push({ fn, at: c.now() + ms });
        return timers.length as unknown as ReturnType<typeof setTimeout>;
      },
      clear: (id) => {
        timers[(id as unknown as number) - 1].fn = () => undefined;
      },
    });
    th.push(1);
    assert.deepEqual(sent, [1]);
    c.advance(10);
    th.push(2);
    th.push(3);
    assert.deepEqual(sent, [1], 'batched until the interval ends');
    c.advance(90);
    timers[0].fn();
    assert.deepEqual(sent, [1, 3]);
    c.advance(20);
    th.push(4);
    th.flush();
    assert.deepEqual(sent, [1, 3, 4]);
    th.flush();
    assert.deepEqual(sent, [1, 3, 4], 'nothing pending: nothing sent');
  });
});

describe('runtime: the last timeline per folder and config', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hb-timeline-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const sample = (configFile: string, outcome: UpTimeline['outcome']): UpTimeline => ({
    folder: '/w',
    configFile,
    containerId: null,
    startedAt: new Date().toISOString(),
    totalMs: 1,
    outcome,
    client: 'hb',
    entries: [],
  });

  it('keeps one per folder and config in the cache folder, the last write winning; none before any up', async () => {
    const env = { HB_CACHE_DIR: dir };
    assert.equal(await loadTimeline(env, '/w', '/w/.devcontainer/devcontainer.json'), null);
    void saveTimeline(env, sample('/w/.devcontainer/devcontainer.json', 'failed'));
    void saveTimeline(env, sample('/w/.devcontainer/devcontainer.json', 'ok'));
    void saveTimeline(env, sample('/w/.devcontainer/other/devcontainer.json', 'cancelled'));
    // a read waits for the writes under way
    assert.equal((await loadTimeline(env, '/w', '/w/.devcontainer/devcontainer.json'))?.outcome, 'ok');
    assert.equal((await loadTimeline(env, '/w', '/w/.devcontainer/other/devcontainer.json'))?.outcome, 'cancelled');
    assert.ok(timelineFile(env, '/w', null).startsWith(path.join(dir, 'timelines')));
  });
});
