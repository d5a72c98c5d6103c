// The startup timeline's waterfall in the Dev Container panel: each bar where its step started and
// as wide as it took, relative to the whole up; tiny steps still visible; durations in words; axis
// ticks at round values; the first failed step highlighted; rows with output expandable.
import { strict as assert } from 'node:assert';
import { formatMs, layoutWaterfall, MIN_BAR_PERCENT, tickStep } from '../../../media/devContainer/waterfall';
import type { TimelineEntry } from '../../../src/protocol';

const entry = (step: string, startMs: number, ms: number, status: TimelineEntry['status'] = 'ok', extra: Partial<TimelineEntry> = {}): TimelineEntry => ({
  step,
  kind: 'engine',
  startMs,
  ms,
  status,
  ...extra,
});

describe('webview: startup timeline waterfall', () => {
  it('places each bar by its start and duration, in percent of the whole up', () => {
    const w = layoutWaterfall({
      totalMs: 1000,
      entries: [entry('config', 0, 100), entry('create', 100, 400), entry('postCreateCommand', 500, 500, 'ok', { kind: 'lifecycle', output: 'done\n' })],
    });
    assert.equal(w.scaleMs, 1000);
    assert.deepEqual(
      w.rows.map((r) => [r.step, r.left, r.width, r.duration]),
      [
        ['config', 0, 10, '100 ms'],
        ['create', 10, 40, '400 ms'],
        ['postCreateCommand', 50, 50, '500 ms'],
      ],
    );
    assert.deepEqual(w.rows.map((r) => r.expandable), [false, false, true]);
    assert.equal(w.total, '1.00 s');
  });

  it('keeps tiny steps visible and every bar inside the track, even past the reported total', () => {
    const w = layoutWaterfall({ totalMs: 100, entries: [entry('lock', 0, 0.1), entry('late', 99.9, 0), entry('over', 50, 150)] });
    assert.equal(w.scaleMs, 200, 'the scale grows to the last end');
    const [lock, late, over] = w.rows;
    assert.equal(lock.width, MIN_BAR_PERCENT);
    assert.ok(late.left + late.width <= 100);
    assert.equal(over.left + over.width, 100);
    for (const r of w.rows) assert.ok(r.left >= 0 && r.width > 0 && r.left + r.width <= 100, JSON.stringify(r));
  });

  it('highlights the first failed step; skipped steps say so; an empty up does not divide by zero', () => {
    const w = layoutWaterfall({
      totalMs: 50,
      entries: [entry('onCreateCommand', 0, 0, 'skipped', { detail: 'Already ran' }), entry('postCreateCommand', 0, 40, 'failed', { exitCode: 2 }), entry('postStartCommand', 40, 0, 'failed')],
    });
    assert.deepEqual(w.rows.map((r) => r.highlight), [false, true, false]);
    assert.equal(w.rows[0].duration, 'skipped');
    assert.ok(w.rows[1].expandable, 'an exit code to show');
    const empty = layoutWaterfall({ totalMs: 0, entries: [] });
    assert.equal(empty.scaleMs, 1);
    assert.deepEqual(empty.rows, []);
  });

  it('labels the axis at round values across the whole scale', () => {
    assert.equal(tickStep(1000), 200);
    assert.equal(tickStep(12_345), 5000);
    assert.equal(tickStep(7), 2);
    const w = layoutWaterfall({ totalMs: 1000, entries: [entry('x', 0, 1000)] });
    assert.deepEqual(w.ticks.map((t) => t.label), ['0 ms', '200 ms', '400 ms', '600 ms', '800 ms', '1.00 s']);
    assert.deepEqual(w.ticks.map((t) => t.left), [0, 20, 40, 60, 80, 100]);
  });

  it('says durations the way people read them', () => {
    assert.equal(formatMs(0.34), '0.3 ms');
    assert.equal(formatMs(12.4), '12 ms');
    assert.equal(formatMs(1234), '1.23 s');
    assert.equal(formatMs(45_678), '45.7 s');
    assert.equal(formatMs(125_000), '2 min 05 s');
    assert.equal(formatMs(-1), '–');
  });
});
