// The OTLP/HTTP receiver as apps and users meet it, on 127.0.0.1 only: the real OpenTelemetry JS
// SDK exporters (protobuf and JSON, plain and gzip) into the receiver and back out of its store;
// hand-made bodies for what the SDK does not send (64-bit integers as numbers, partial success,
// malformed and oversized bodies); saturation; the token, Host and Origin checks that keep the
// spans from web pages and other users; and a second receiver on the same port forwarding.
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import * as assert from 'node:assert/strict';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { TraceSummary } from '../../../src/protocol';
import { TraceReceiver, type ReceiverOptions } from '../../../src/engine/traces/receiver';
import { loadToken, tokenFile } from '../../../src/engine/traces/token';

 
const generated = require('@opentelemetry/otlp-transformer/build/src/generated/root');
const messages = generated.opentelemetry.proto.collector.trace.v1;

let env: NodeJS.ProcessEnv;
let dir: string;
const receivers: TraceReceiver[] = [];

async function start(options: ReceiverOptions = {}): Promise<TraceReceiver> {
  const r = await TraceReceiver.start({ port: 0, env, ...options });
  receivers.push(r);
  return r;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}
function call(port: number, method: string, urlPath: string, headers: http.OutgoingHttpHeaders = {}, body?: Uint8Array | string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const postJson = (port: number, value: unknown, headers: http.OutgoingHttpHeaders = {}) =>
  call(port, 'POST', '/v1/traces', { 'content-type': 'application/json', ...headers }, typeof value === 'string' ? value : JSON.stringify(value));

/** Makes spans with the real SDK: a server root with a client child that fails, all attribute kinds, an event and a link. */
function makeSpans(service: string): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('checkout-lib', '1.2.3');
  const other = tracer.startSpan('other');
  other.end();
  const root = tracer.startSpan('GET /checkout', { kind: SpanKind.SERVER, attributes: { 'http.route': '/checkout', 'http.status_code': 200, ratio: 0.25, cached: false, tags: ['a', 'b'] } });
  const child = tracer.startSpan(
    'charge card',
    { kind: SpanKind.CLIENT, attributes: { 'code.filepath': '/work/src/pay.ts', 'code.lineno': 42 }, links: [{ context: other.spanContext(), attributes: { why: 'retry of' } }] },
    trace.setSpan(context.active(), root),
  );
  child.addEvent('declined', { reason: '<script>alert(1)</script>' });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
  child.end();
  root.end();
  return memory.getFinishedSpans().filter((s) => s.name !== 'other');
}

function exportWith(exporter: SpanExporter, spans: ReadableSpan[]): Promise<void> {
  return new Promise((resolve, reject) => {
    exporter.export(spans, (r) => (r.code === ExportResultCode.SUCCESS ? resolve() : reject(r.error ?? new Error(`export failed: ${r.code}`))));
  });
}

async function assertStored(r: TraceReceiver, spans: ReadableSpan[], service: string): Promise<void> {
  const root = spans.find((s) => s.name === 'GET /checkout')!;
  const detail = await r.get(root.spanContext().traceId);
  assert.ok(detail, 'the trace is stored under the SDK trace id (hex)');
  assert.equal(detail.summary.rootName, 'GET /checkout');
  assert.equal(detail.summary.service, service);
  assert.equal(detail.summary.spanCount, 2);
  assert.equal(detail.summary.errorCount, 1);
  assert.equal(detail.summary.rootMissing, false);
  const [gotRoot, gotChild] = detail.spans;
  assert.equal(gotRoot.spanId, root.spanContext().spanId);
  assert.equal(gotRoot.kind, 'server');
  assert.equal(gotRoot.scope?.name, 'checkout-lib');
  assert.equal(gotRoot.scope?.version, '1.2.3');
  assert.deepEqual({ ...gotRoot.attributes }, { 'http.route': '/checkout', 'http.status_code': 200, ratio: 0.25, cached: false, tags: ['a', 'b'] });
  assert.equal(gotRoot.resource['service.name'], service);
  const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
  assert.ok(Math.abs(gotRoot.startMs - ms(root.startTime)) < 0.01, `start ${gotRoot.startMs} vs ${ms(root.startTime)}`);
  assert.ok(Math.abs(gotRoot.durationMs - ms(root.duration)) < 0.01);
  assert.equal(gotChild.parentSpanId, root.spanContext().spanId);
  assert.equal(gotChild.kind, 'client');
  assert.deepEqual(gotChild.status, { code: 'error', message: 'card declined' });
  assert.equal(gotChild.attributes['code.filepath'], '/work/src/pay.ts');
  assert.equal(gotChild.attributes['code.lineno'], 42);
  assert.equal(gotChild.events.length, 1);
  assert.equal(gotChild.events[0].name, 'declined');
  assert.equal(gotChild.events[0].attributes.reason, '<script>alert(1)</script>', 'kept as text, unchanged');
  assert.equal(gotChild.links.length, 1);
  assert.equal(gotChild.links[0].attributes.why, 'retry of');
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('traces: the OTLP/HTTP receiver', function () {
  this.timeout(20000);
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hb-traces-'));
    env = { HB_CONFIG_DIR: path.join(dir, 'config') };
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  describe('round trips from the OpenTelemetry JS SDK exporters', () => {
    for (const [name, make] of [
      ['protobuf', (url: string) => new ProtoExporter({ url })],
      ['protobuf + gzip', (url: string) => new ProtoExporter({ url, compression: 'gzip' as never })],
      ['JSON', (url: string) => new JsonExporter({ url })],
      ['JSON + gzip', (url: string) => new JsonExporter({ url, compression: 'gzip' as never })],
    ] as const) {
      it(`${name}: every field arrives (ids, kinds, times, attributes, events, links, status, resource, scope)`, async () => {
        const r = await start();
        const exporter = make(`http://127.0.0.1:${r.port}/v1/traces`);
        const spans = makeSpans(`shop-${name}`);
        await exportWith(exporter, spans);
        await exporter.shutdown();
        await assertStored(r, spans, `shop-${name}`);
      });
    }
  });

  it('JSON with 64-bit integers as numbers or strings and hex ids; the answer is JSON', async () => {
    const r = await start();
    const traceId = '5b8efff798038103d269b633813fc60c';
    const res = await postJson(r.port, {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'billing' } }] },
          scopeSpans: [
            {
              spans: [
                { traceId, spanId: 'EEE19B7EC3C1B174', name: 'as strings', startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000250000000', attributes: [{ key: 'big', value: { intValue: '9007199254740993' } }, { key: 'small', value: { intValue: '7' } }] },
                { traceId, spanId: 'eee19b7ec3c1b175', parentSpanId: 'eee19b7ec3c1b174', name: 'as numbers', kind: 3, startTimeUnixNano: 1700000000100000000, endTimeUnixNano: 1700000000150000000, attributes: [{ key: 'n', value: { intValue: 12 } }] },
              ],
            },
          ],
        },
      ],
    });
    assert.equal(res.status, 200, res.body.toString());
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(res.body.toString()), {});
    const d = (await r.get(traceId))!;
    assert.equal(d.summary.durationMs, 250);
    assert.equal(d.spans[0].spanId, 'eee19b7ec3c1b174', 'hex ids are kept in lower case');
    assert.equal(d.spans[0].attributes.big, '9007199254740993', 'beyond 2^53 stays exact, as text');
    assert.equal(d.spans[0].attributes.small, 7);
    assert.equal(d.spans[1].kind, 'client');
    assert.ok(Math.abs(d.spans[1].durationMs - 50) < 0.001, 'numbers beyond 2^53 are as exact as JSON numbers can be');
    assert.equal(d.spans[1].attributes.n, 12);
  });

  it('an attribute named __proto__ is stored as data, not as the prototype', async () => {
    const r = await start();
    const traceId = '5b8efff798038103d269b633813fc60d';
    const res = await postJson(r.port, { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId, spanId: 'eee19b7ec3c1b174', attributes: [{ key: '__proto__', value: { kvlistValue: { values: [{ key: 'polluted', value: { boolValue: true } }] } } }] }] }] }] });
    assert.equal(res.status, 200);
    const attrs = (await r.get(traceId))!.spans[0].attributes;
    assert.deepEqual(Object.keys(attrs), ['__proto__']);
    assert.equal((attrs as { polluted?: boolean }).polluted, undefined);
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  });

  it('partial success: spans without valid ids are counted back, the rest are stored (JSON and protobuf)', async () => {
    const r = await start();
    const good = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'ok' };
    const res = await postJson(r.port, { resourceSpans: [{ scopeSpans: [{ spans: [good, { traceId: 'xyz', spanId: 'b7ad6b7169203332', name: 'bad id' }, { ...good, spanId: '0000000000000000' }] }] }] });
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body.toString());
    assert.equal(body.partialSuccess.rejectedSpans, '2');
    assert.match(body.partialSuccess.errorMessage, /2 spans without a valid traceId/);
    assert.equal((await r.get(good.traceId))!.summary.spanCount, 1);
    assert.equal((await r.get(good.traceId))!.summary.service, 'unknown_service');

    const proto = messages.ExportTraceServiceRequest.encode({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), name: 'p' }, { traceId: Buffer.alloc(3, 1), spanId: Buffer.alloc(8, 3), name: 'short id' }] }] }],
    }).finish();
    const pres = await call(r.port, 'POST', '/v1/traces', { 'content-type': 'application/x-protobuf' }, proto);
    assert.equal(pres.status, 200);
    assert.equal(pres.headers['content-type'], 'application/x-protobuf');
    const decoded = messages.ExportTraceServiceResponse.decode(pres.body);
    assert.equal(Number(decoded.partialSuccess.rejectedSpans), 1);
    assert.ok((await r.get('01'.repeat(16)))!.spans.length === 1);
  });

  it('400 for undecodable bodies, in the request content type, and nothing stored', async () => {
    const r = await start();
    const p = await call(r.port, 'POST', '/v1/traces', { 'content-type': 'application/x-protobuf' }, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2]));
    assert.equal(p.status, 400);
    assert.equal(p.headers['content-type'], 'application/x-protobuf');
    assert.match(p.body.toString('latin1'), /not an OTLP ExportTraceServiceRequest/, 'a google.rpc.Status with a message');
    const j = await postJson(r.port, '{"resourceSpans": [');
    assert.equal(j.status, 400);
    assert.match(JSON.parse(j.body.toString()).message, /not JSON/);
    const shape = await postJson(r.port, { resourceSpans: { not: 'a list' } });
    assert.equal(shape.status, 400);
    const time = await postJson(r.port, { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', startTimeUnixNano: 'yesterday' }] }] }] });
    assert.equal(time.status, 400);
    assert.match(JSON.parse(time.body.toString()).message, /"yesterday" is not a 64-bit unsigned integer/);
    const gz = await call(r.port, 'POST', '/v1/traces', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, 'not gzip at all');
    assert.equal(gz.status, 400);
    assert.match(JSON.parse(gz.body.toString()).message, /gzip body could not be decompressed/);
    const type = await call(r.port, 'POST', '/v1/traces', { 'content-type': 'text/plain' }, 'hello');
    assert.equal(type.status, 415);
    assert.equal(r.store.stats.spans, 0);
  });

  it('413 over the size limit, before and after gunzip', async () => {
    const r = await start({ maxBodyBytes: 4096 });
    const big = JSON.stringify({ resourceSpans: [], pad: 'x'.repeat(64 * 1024) });
    const res = await postJson(r.port, big);
    assert.equal(res.status, 413);
    assert.match(JSON.parse(res.body.toString()).message, /limit is 4096/);
    // small on the wire, big once decompressed
    const bomb = gzipSync(Buffer.from(big));
    assert.ok(bomb.length < 4096);
    const b = await call(r.port, 'POST', '/v1/traces', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, bomb);
    assert.equal(b.status, 413);
    assert.match(JSON.parse(b.body.toString()).message, /once decompressed/);
    // chunked, with no Content-Length to check first
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: r.port, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/json' }, agent: false }, (res2) => {
        res2.resume();
        resolve(res2.statusCode!);
      });
      req.on('error', reject);
      for (let i = 0; i < 8; i++) req.write('x'.repeat(1024));
      req.end();
    });
    assert.equal(chunked, 413);
  });

  it('429 with Retry-After while the store is full of traces just received; 503 with Retry-After when too many bytes are in flight', async () => {
    const r = await start({ limits: { maxSpans: 2, minAgeMs: 60_000 } });
    const spans = (t: string) => ({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: t, spanId: '1111111111111111' }, { traceId: t, spanId: '2222222222222222' }] }] }] });
    assert.equal((await postJson(r.port, spans('0af7651916cd43dd8448eb211c80319c'))).status, 200);
    const full = await postJson(r.port, spans('4bf92f3577b34da6a3ce929d0e0e4736'));
    assert.equal(full.status, 429);
    assert.ok(Number(full.headers['retry-after']) >= 1 && Number(full.headers['retry-after']) <= 60, `Retry-After ${full.headers['retry-after']}`);
    assert.equal(r.store.stats.traces, 1, 'the first trace was not thrown away');

    const busy = await start({ maxInflightBytes: 100 });
    const res = await postJson(busy.port, JSON.stringify({ resourceSpans: [], pad: 'x'.repeat(200) }));
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '1');

    // a chunked body (no Content-Length) counts as it arrives: one held open fills the budget
    const slow = http.request({ host: '127.0.0.1', port: busy.port, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/json' }, agent: false });
    slow.on('error', () => undefined);
    slow.write('{"resourceSpans": [], "pad": "' + 'x'.repeat(150));
    await waitFor('the receiver to count the open body', async () => (await postJson(busy.port, '{}')).status === 503);
    slow.end('"}');
    await waitFor('the budget to come back once the body is read', async () => (await postJson(busy.port, '{}')).status === 200);
  });

  describe('who may read the spans', () => {
    async function withTrace(): Promise<{ r: TraceReceiver; token: string }> {
      const r = await start();
      await postJson(r.port, { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'secret op' }] }] }] });
      return { r, token: await loadToken(env) };
    }

    it('the token file is the user\'s alone: 0600 in a 0700 folder; one readable by others is replaced', async () => {
      const token = await loadToken(env);
      const file = tokenFile(env);
      assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
      assert.equal((await fs.stat(path.dirname(file))).mode & 0o777, 0o700);
      assert.equal(await loadToken(env), token, 'every process of the user reads the same token');
      await fs.chmod(file, 0o644);
      const fresh = await loadToken(env);
      assert.notEqual(fresh, token, 'a token others could read is not trusted');
      assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    });

    it('queries need the token', async () => {
      const { r, token } = await withTrace();
      const none = await call(r.port, 'GET', '/hb/traces');
      assert.equal(none.status, 401);
      assert.doesNotMatch(none.body.toString(), /secret op/);
      const wrong = await call(r.port, 'GET', '/hb/traces', { authorization: `Bearer ${'0'.repeat(64)}` });
      assert.equal(wrong.status, 401);
      const ok = await call(r.port, 'GET', '/hb/traces', { authorization: `Bearer ${token}` });
      assert.equal(ok.status, 200);
      assert.equal(JSON.parse(ok.body.toString()).traces[0].rootName, 'secret op');
    });

    it('a foreign Host header is refused (DNS rebinding), even with the token', async () => {
      const { r, token } = await withTrace();
      const res = await call(r.port, 'GET', '/hb/traces', { authorization: `Bearer ${token}`, host: `attacker.example:${r.port}` });
      assert.equal(res.status, 403);
      assert.doesNotMatch(res.body.toString(), /secret op/);
      const post = await postJson(r.port, { resourceSpans: [] }, { host: 'attacker.example' });
      assert.equal(post.status, 403);
      const local = await call(r.port, 'GET', '/hb/traces', { authorization: `Bearer ${token}`, host: `localhost:${r.port}` });
      assert.equal(local.status, 200);
    });

    it('a request with an Origin header (a web page) is refused, and no CORS header is ever sent', async () => {
      const { r, token } = await withTrace();
      const q = await call(r.port, 'GET', '/hb/traces', { authorization: `Bearer ${token}`, origin: 'http://attacker.example' });
      assert.equal(q.status, 403);
      assert.doesNotMatch(q.body.toString(), /secret op/);
      const preflight = await call(r.port, 'OPTIONS', '/v1/traces', { origin: 'http://attacker.example', 'access-control-request-method': 'POST' });
      assert.equal(preflight.status, 403);
      const post = await postJson(r.port, { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: 'b7ad6b7169203331', name: 'injected' }] }] }] }, { origin: 'null' });
      assert.equal(post.status, 403);
      for (const res of [q, preflight, post]) {
        assert.equal(Object.keys(res.headers).filter((h) => h.startsWith('access-control-')).length, 0);
      }
      assert.equal(r.store.stats.traces, 1, 'the page could not add spans');
    });
  });

  describe('one receiver per user', () => {
    it('a second receiver on the same port forwards to the first: exports land there, queries read from there; it takes the port over when the first goes', async () => {
      const firstSaw: TraceSummary[][] = [];
      const first = await start({ changedIntervalMs: 20, onChanged: (t) => firstSaw.push(t) });
      const messagesSeen: string[] = [];
      const secondSaw: TraceSummary[][] = [];
      const second = await start({ port: first.port, takeoverMs: 50, onMessage: (m) => messagesSeen.push(m), onChanged: (t) => secondSaw.push(t) });
      assert.equal(second.state, 'forwarding');
      assert.equal(second.status().receiverPid, process.pid);
      assert.match(messagesSeen[0], /already listens on 127\.0\.0\.1:\d+; forwarding to it/);

      // the SDK exporter's bytes, handed to the second one (as its relay will)
      const spans = makeSpans('forwarded');
      const bodies: Buffer[] = [];
      const capture = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          bodies.push(Buffer.concat(chunks));
          res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        });
      });
      await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
      const exporter = new ProtoExporter({ url: `http://127.0.0.1:${(capture.address() as { port: number }).port}/v1/traces` });
      await exportWith(exporter, spans);
      await exporter.shutdown();
      capture.close();
      const answer = await second.export(bodies[0], 'application/x-protobuf');
      assert.equal(answer.status, 200);
      assert.equal(first.store.stats.spans, 2, 'stored by the first receiver');
      assert.equal(second.store.stats.spans, 0);
      await assertStored(second, spans, 'forwarded');
      assert.equal((await second.list({ service: 'forwarded' })).length, 1);
      assert.equal((await second.services()).find((s) => s.service === 'forwarded')?.spanCount, 2);
      const traceId = spans[0].spanContext().traceId;
      await waitFor('the first receiver to report the new trace', () => firstSaw.flat().some((t) => t.traceId === traceId));
      assert.equal(firstSaw.length, 1, 'one batched notice for the request');
      assert.equal(firstSaw[0][0].spanCount, 2);
      await waitFor('the forwarding receiver to hear of the trace from the first', () => secondSaw.flat().some((t) => t.traceId === traceId && t.spanCount === 2));

      await first.close();
      await waitFor('the second receiver to take the port over', () => second.state === 'listening');
      assert.match(messagesSeen.at(-1)!, /is gone; this one listens there now/);
      const res = await postJson(second.port, { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: 'b7ad6b7169203331', name: 'after takeover' }] }] }] });
      assert.equal(res.status, 200);
      assert.equal((await second.list())[0].rootName, 'after takeover');
    });

    it('a port held by another program is an error that says so, not a silent forward', async () => {
      const other = http.createServer((_req, res) => res.writeHead(404).end('not here'));
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
      const port = (other.address() as { port: number }).port;
      try {
        await assert.rejects(start({ port }), /is taken by a program that is not your HyperBox trace receiver.*choose another port/);
      } finally {
        other.close();
      }
    });

    it('another user\'s receiver (a different token) is not ours', async () => {
      const first = await start();
      const otherEnv = { HB_CONFIG_DIR: path.join(dir, 'other-user') };
      await assert.rejects(TraceReceiver.start({ port: first.port, env: otherEnv }), /not your HyperBox trace receiver/);
    });
  });
});
