// The Traces and Pressure panels' arithmetic: only the rows in view are rendered (a long list or a
// 10 000-span trace stays small in the DOM), each span's bar sits where it ran and nests under its
// parent, durations read well, attributes become text, a span's source location is found; the
// pressure history keeps five minutes per target and drops containers that are gone.
import { strict as assert } from 'node:assert';
import { attributeText, formatDuration, layoutSpans, MIN_BAR, sourceOf, visibleRange } from '../../../media/traces/layout';
import { KEEP, memoryUse, PressureHistory } from '../../../media/pressure/history';
import type { PressureUpdate, TraceDetail, TraceSpan } from '../../../src/protocol';

const span = (id: string, startMs: number, durationMs: number, parent?: string, extra: Partial<TraceSpan> = {}): TraceSpan => ({
  traceId: 'a'.repeat(32),
  spanId: id.padStart(16, '0'),
  ...(parent ? { parentSpanId: parent.padStart(16, '0') } : {}),
  name: `op ${id}`,
  kind: 'internal',
  service: 'api',
  startMs,
  durationMs,
  status: { code: 'unset' },
  attributes: {},
  resource: {},
  events: [],
  links: [],
  ...extra,
});
const detail = (spans: TraceSpan[]): TraceDetail => ({
  summary: { traceId: 'a'.repeat(32), rootName: 'op 1', service: 'api', services: ['api'], rootMissing: false, startMs: 1000, durationMs: 100, spanCount: spans.length, errorCount: 0, receivedMs: 0 },
  spans,
});

describe('webview: Traces panel layout', () => {
  it('renders only the rows in view, with a few beyond on each side', () => {
    assert.deepEqual(visibleRange(0, 240, 24, 10_000, 8), { start: 0, end: 19 });
    assert.deepEqual(visibleRange(24 * 5000, 240, 24, 10_000, 8), { start: 4992, end: 5019 });
    const end = visibleRange(24 * 20_000, 240, 24, 10_000, 8);
    assert.ok(end.start < end.end && end.end === 10_000, JSON.stringify(end));
    assert.deepEqual(visibleRange(0, 240, 24, 0), { start: 0, end: 0 });
  });

  it('places each span by its start and duration, nested under its parent; errors marked; instant spans visible', () => {
    const l = layoutSpans(
      detail([span('1', 1000, 100), span('2', 1010, 50, '1'), span('3', 1020, 10, '2', { status: { code: 'error', message: 'boom' } }), span('4', 1100, 0, '1'), span('5', 1050, 10, 'ff')]),
    );
    assert.equal(l.totalMs, 100);
    assert.deepEqual(
      l.rows.map((r) => [r.span.name, r.depth, Math.round(r.left * 10) / 10, Math.round(r.width * 10) / 10, r.error]),
      [
        ['op 1', 0, 0, 100, false],
        ['op 2', 1, 10, 50, false],
        ['op 3', 2, 20, 10, true],
        ['op 4', 1, 100 - MIN_BAR, MIN_BAR, false],
        ['op 5', 0, 50, 10, false],
      ],
    );
    for (const r of l.rows) assert.ok(r.left >= 0 && r.left + r.width <= 100 + 1e-9, JSON.stringify(r));
  });

  it('lays out 10 000 spans quickly', () => {
    const spans = [span('0', 0, 10_000)];
    for (let i = 1; i < 10_000; i++) spans.push(span(i.toString(16), i, 5, (Math.floor(i / 10)).toString(16)));
    const t = performance.now();
    const l = layoutSpans(detail(spans));
    assert.equal(l.rows.length, 10_000);
    assert.ok(performance.now() - t < 1000);
    assert.equal(l.rows[9999].depth, 4);
  });

  it('says durations in words and attributes as text; finds code.filepath and code.lineno', () => {
    assert.equal(formatDuration(0.25), '250 µs');
    assert.equal(formatDuration(3.456), '3.46 ms');
    assert.equal(formatDuration(1500), '1.50 s');
    assert.equal(attributeText('<img src=x onerror=alert(1)>'), '<img src=x onerror=alert(1)>');
    assert.equal(attributeText([1, 'a']), '[1,"a"]');
    assert.deepEqual(sourceOf(span('1', 0, 1, undefined, { attributes: { 'code.filepath': '/workspaces/app/a.ts', 'code.lineno': 12 } })), { filepath: '/workspaces/app/a.ts', lineno: 12 });
    assert.deepEqual(sourceOf(span('1', 0, 1, undefined, { attributes: { 'code.file.path': 'a.ts', 'code.line.number': '7' } })), { filepath: 'a.ts', lineno: 7 });
    assert.deepEqual(sourceOf(span('1', 0, 1, undefined, { attributes: { 'code.filepath': 'a.ts', 'code.lineno': -3 } })), { filepath: 'a.ts' });
    assert.equal(sourceOf(span('1', 0, 1, undefined, { attributes: { 'code.filepath': 42 } })), null);
  });
});

const line = (avg10: number) => ({ avg10, avg60: avg10 / 2, avg300: avg10 / 4, total: 1, delta: 1 });
function sample(i: number, containers: PressureUpdate['containers']): PressureUpdate {
  return { time: new Date(1_700_000_000_000 + i * 1000).toISOString(), intervalMs: 1000, host: { cpu: { some: line(1) }, memory: { some: line(2), full: line(1) }, missing: [] }, containers, alert: null };
}

describe('webview: Pressure panel history', () => {
  it('keeps five minutes per target, the host first, and drops a container that is gone', () => {
    const h = new PressureHistory();
    for (let i = 0; i < KEEP + 20; i++) h.add(sample(i, [{ containerId: 'b', name: 'web-dev', memory: { some: line(i % 7) }, missing: ['io: no io.pressure'] }, { containerId: 'a', name: 'api-dev', missing: [] }]));
    const list = h.list();
    assert.deepEqual(list.map((t) => t.label), ['Host', 'api-dev', 'web-dev']);
    const web = list[2];
    assert.equal(web.times.length, KEEP);
    assert.equal(web.times[0], (1_700_000_000_000 + 20 * 1000) / 1000);
    assert.equal(web.some.memory.at(-1), (KEEP + 19) % 7);
    assert.equal(web.full.memory.at(-1), null, 'no full line: a gap, not zero');
    assert.equal(web.some.io.at(-1), null);
    h.add(sample(KEEP + 20, [{ containerId: 'b', name: 'web-dev', gone: true, missing: [] }]));
    assert.ok(!h.targets.has('b'));
  });

  it('says memory use against the limit', () => {
    assert.deepEqual(memoryUse({ memoryUsage: { usage: 512 * 1024 * 1024, limit: 1024 * 1024 * 1024 }, missing: [] }), { text: '512 MiB of 1.0 GiB (50 %)', share: 0.5 });
    assert.deepEqual(memoryUse({ memoryUsage: { usage: 2048, limit: null }, missing: [] }), { text: '2.0 KiB (no limit)', share: null });
    assert.equal(memoryUse({ missing: [] }), null);
  });
});
