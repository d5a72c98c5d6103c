// The trace store: spans of one trace come together whatever order and batch they arrive in,
// the bounds hold (oldest traces go first), a store full of fresh traces says "retry later", and
// the queries and per-service summary the panel and `hb traces list` use.
import * as assert from 'node:assert/strict';
import type { TraceSpan } from '../../../src/protocol';
import { TraceStore } from '../../../src/engine/traces/store';

const T1 = '0af7651916cd43dd8448eb211c80319c';
const T2 = '4bf92f3577b34da6a3ce929d0e0e4736';

let seq = 0;
function span(traceId: string, over: Partial<TraceSpan> = {}): TraceSpan {
  seq++;
  return {
    traceId,
    spanId: seq.toString(16).padStart(16, '0'),
    name: `op${seq}`,
    kind: 'internal',
    service: 'api',
    startMs: 1_700_000_000_000 + seq,
    durationMs: 10,
    status: { code: 'unset' },
    attributes: {},
    resource: { 'service.name': 'api' },
    events: [],
    links: [],
    ...over,
  };
}
function traceId(n: number): string {
  return n.toString(16).padStart(32, '0');
}

describe('traces: the store', () => {
  it('assembles a trace whose children arrive before the root, across batches, and names it by the root', () => {
    const store = new TraceStore();
    const root = span(T1, { spanId: 'a'.repeat(16), name: 'GET /checkout', startMs: 1000, durationMs: 200, service: 'web' });
    const child = span(T1, { spanId: 'b'.repeat(16), parentSpanId: root.spanId, name: 'SELECT', startMs: 1050, durationMs: 40, service: 'db' });
    const grandchild = span(T1, { spanId: 'c'.repeat(16), parentSpanId: child.spanId, name: 'fetch', startMs: 1060, durationMs: 300, status: { code: 'error', message: 'boom' } });

    store.add([grandchild]);
    let s = store.summary(T1)!;
    assert.equal(s.rootMissing, true);
    assert.equal(s.rootName, 'fetch');
    store.add([child]);
    store.add([root]);
    s = store.summary(T1)!;
    assert.equal(s.rootMissing, false);
    assert.equal(s.rootName, 'GET /checkout');
    assert.equal(s.service, 'web');
    assert.deepEqual(new Set(s.services), new Set(['web', 'db', 'api']));
    assert.equal(s.spanCount, 3);
    assert.equal(s.errorCount, 1);
    assert.equal(s.startMs, 1000);
    assert.equal(s.durationMs, 360, 'from the earliest start to the latest end, not the root alone');
    assert.deepEqual(store.get(T1)!.spans.map((x) => x.name), ['GET /checkout', 'SELECT', 'fetch']);
  });

  it('a span sent twice (an exporter retry) is kept once', () => {
    const store = new TraceStore();
    const s = span(T1, { status: { code: 'error' } });
    store.add([s]);
    store.add([{ ...s }]);
    assert.equal(store.summary(T1)!.spanCount, 1);
    assert.equal(store.summary(T1)!.errorCount, 1);
    assert.equal(store.stats.spans, 1);
  });

  it('stays within its span bound by evicting the traces that got no span for the longest time', () => {
    const store = new TraceStore({ maxSpans: 10, minAgeMs: 0 });
    for (let i = 1; i <= 5; i++) store.add([span(traceId(i)), span(traceId(i))]);
    assert.equal(store.stats.spans, 10);
    // trace 1 gets a late span: now trace 2 is the one idle the longest
    store.add([span(traceId(1))]);
    assert.ok(store.stats.spans <= 10);
    assert.equal(store.summary(traceId(2)), undefined, 'the longest idle trace went first');
    assert.ok(store.summary(traceId(1)), 'the trace that just got a span stays');
    store.add([span(traceId(6)), span(traceId(6)), span(traceId(6))]);
    assert.ok(store.stats.spans <= 10);
    assert.equal(store.summary(traceId(3)), undefined);
    assert.ok(store.summary(traceId(6)));
    assert.ok(store.summary(traceId(4)), 'no more than needed went');
    assert.equal(store.stats.evicted, 2);
    assert.equal(store.stats.spans, 10);
  });

  it('stays within its byte bound: big attributes count', () => {
    const store = new TraceStore({ maxBytes: 200_000, minAgeMs: 0 });
    for (let i = 1; i <= 20; i++) store.add([span(traceId(i), { attributes: { body: 'x'.repeat(20_000) } })]);
    assert.ok(store.stats.bytes <= 200_000, `${store.stats.bytes} bytes`);
    assert.ok(store.stats.traces < 10 && store.stats.traces > 0);
    assert.ok(store.summary(traceId(20)), 'the newest stays');
    assert.equal(store.summary(traceId(1)), undefined, 'the oldest went');
  });

  it('refuses the spans of one trace beyond the whole bound rather than evicting everything else', () => {
    const store = new TraceStore({ maxSpans: 5, minAgeMs: 0 });
    const r = store.add(Array.from({ length: 8 }, () => span(T1)));
    assert.equal(r.refused, 3);
    assert.equal(store.summary(T1)!.spanCount, 5);
  });

  it('is saturated (retry later) only when full of traces younger than minAgeMs', () => {
    let now = 10_000;
    const store = new TraceStore({ maxSpans: 4, minAgeMs: 3000 }, () => now);
    store.add([span(T1), span(T1)]);
    assert.equal(store.saturation(), 0, 'not full');
    store.add([span(T2), span(T2)]);
    assert.equal(store.saturation(), 3, 'full, and the oldest trace arrived just now: retry in 3 s');
    now += 2500;
    assert.equal(store.saturation(), 1);
    now += 600;
    assert.equal(store.saturation(), 0, 'the oldest is old enough to make room');
  });

  it('queries by service, operation, attribute and duration range, newest first', () => {
    const store = new TraceStore();
    const a = traceId(0xa);
    const b = traceId(0xb);
    const c = traceId(0xc);
    store.add([span(a, { name: 'GET /users', service: 'web', durationMs: 5, attributes: { 'http.route': '/users', 'http.status_code': 200 } })]);
    store.add([span(b, { name: 'POST /orders', service: 'web', durationMs: 500, attributes: { 'http.status_code': 500 } })]);
    store.add([span(c, { name: 'consume', service: 'worker', durationMs: 50 })]);
    const ids = (q: Parameters<TraceStore['list']>[0]) => store.list(q).map((t) => t.traceId);
    assert.deepEqual(ids({}), [c, b, a]);
    assert.deepEqual(ids({ service: 'web' }), [b, a]);
    assert.deepEqual(ids({ operation: 'orders' }), [b]);
    assert.deepEqual(ids({ operation: 'GET' }), [a]);
    assert.deepEqual(ids({ attribute: { key: 'http.route' } }), [a]);
    assert.deepEqual(ids({ attribute: { key: 'toString' } }), [], 'an inherited property is not an attribute');
    assert.deepEqual(ids({ attribute: { key: 'http.status_code', value: '500' } }), [b]);
    assert.deepEqual(ids({ minDurationMs: 40 }), [c, b]);
    assert.deepEqual(ids({ minDurationMs: 40, maxDurationMs: 100 }), [c]);
    assert.deepEqual(ids({ service: 'web', minDurationMs: 100 }), [b]);
    assert.deepEqual(ids({ limit: 1 }), [c]);
    const cReceived = store.summary(c)!.receivedMs;
    assert.deepEqual(ids({ receivedAfterMs: cReceived }), [], 'nothing after the newest');
    assert.deepEqual(ids({ receivedAfterMs: cReceived - 1 }).includes(c), true);
  });

  it('summarises each service: span rate over the last minute, errors, duration percentiles', () => {
    let now = 1_000_000;
    const store = new TraceStore({}, () => now);
    for (let i = 1; i <= 100; i++) store.add([span(traceId(i), { service: 'web', durationMs: i, status: { code: i % 10 === 0 ? 'error' : 'ok' } })]);
    store.add([span(traceId(500), { service: 'db', durationMs: 3 })]);
    let [db, web] = store.services();
    assert.equal(web.service, 'web');
    assert.equal(web.spanCount, 100);
    assert.equal(web.traceCount, 100);
    assert.equal(web.errorCount, 10);
    assert.equal(web.p50Ms, 50);
    assert.equal(web.p95Ms, 95);
    assert.equal(web.maxMs, 100);
    assert.equal(web.ratePerSecond, 100 / 60);
    assert.equal(db.spanCount, 1);
    now += 61_000;
    [db, web] = store.services();
    assert.equal(web.ratePerSecond, 0, 'nothing received in the last minute');
    assert.equal(web.spanCount, 100, 'the spans are still stored');
  });
});
