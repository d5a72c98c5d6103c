#!/usr/bin/env node
// Trace ingest: spans per second through the receiver the engine uses (dist/traces.js, POST
// /v1/traces over loopback HTTP, protobuf) with its store bounded, fed 512-span batches (the SDK's
// default export batch) of realistic spans made by the OpenTelemetry JS SDK and encoded by its
// own protobuf serializer; then the receiver's memory with the store full. Not part of the tests'
// pass/fail. Goals (issue 17): >= 20 000 spans/s on one core; <= 256 MB with 50 000 spans stored.
//
// The receiver runs in a process of its own, so its CPU time is its own: "spans/s on one core" is
// spans divided by the receiver's CPU seconds (user + system), which does not depend on how busy
// the rest of the machine is; the wall-clock rate is printed beside it.
//
//   node bench/traces/ingest.mjs [spans]      (default 200 000; builds dist/ first when missing)
import { execFileSync, fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const require = createRequire(import.meta.url);
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { ProtobufTraceSerializer } = require('@opentelemetry/otlp-transformer');
const api = require('@opentelemetry/api');

const TOTAL = Number(process.argv[2] ?? 200_000);
const BATCH = 512;
const STORE_SPANS = 50_000;
const WARMUP_BATCHES = 20;
const IN_FLIGHT = 2;
const GOAL_RATE = 20_000;
const GOAL_MB = 256;

if (!existsSync(path.join(repo, 'dist', 'traces.js'))) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: repo, stdio: 'inherit' });

// ---- batches: traces of 8 spans (a server root, database, cache and HTTP client children) ----
function makeBatches(total) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-shop', 'service.version': '1.4.2', 'host.name': 'devbox', 'process.pid': 4242, 'telemetry.sdk.language': 'nodejs' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('@bench/http', '0.1.0');
  const batches = [];
  let made = 0;
  let order = 0;
  while (made < total) {
    order++;
    const root = tracer.startSpan('GET /api/orders/:id', {
      kind: api.SpanKind.SERVER,
      attributes: {
        'http.request.method': 'GET',
        'http.route': '/api/orders/:id',
        'url.path': `/api/orders/${order}`,
        'http.response.status_code': 200,
        'server.address': 'localhost',
        'server.port': 3000,
        'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) bench',
        'client.address': '172.17.0.1',
      },
    });
    const ctx = api.trace.setSpan(api.context.active(), root);
    for (let i = 0; i < 7; i++) {
      const kind = i % 3;
      const child = tracer.startSpan(
        kind === 0 ? 'SELECT orders' : kind === 1 ? 'redis GET' : 'POST /payments/authorize',
        {
          kind: api.SpanKind.CLIENT,
          attributes:
            kind === 0
              ? { 'db.system': 'postgresql', 'db.namespace': 'shop', 'db.query.text': 'SELECT * FROM orders WHERE id = $1', 'server.address': 'db', 'server.port': 5432, 'code.filepath': '/workspace/src/orders/repo.ts', 'code.lineno': 40 + i }
              : kind === 1
                ? { 'db.system': 'redis', 'db.operation.name': 'GET', 'server.address': 'cache', 'server.port': 6379 }
                : { 'http.request.method': 'POST', 'url.full': 'http://payments:8080/payments/authorize', 'http.response.status_code': 201, 'server.address': 'payments' },
        },
        ctx,
      );
      if (kind === 2) child.addEvent('retry', { attempt: 1 });
      child.end();
    }
    root.end();
    made += 8;
    const finished = memory.getFinishedSpans();
    if (finished.length >= BATCH || made >= total) {
      batches.push(ProtobufTraceSerializer.serializeRequest(finished.slice(0, BATCH)));
      const rest = finished.slice(BATCH);
      memory.reset();
      // the spans beyond this batch start the next one
      for (const s of rest) memory.export([s], () => undefined);
    }
  }
  return batches;
}

function post(agent, port, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/traces', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.byteLength } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, retryAfter: Number(res.headers['retry-after'] ?? 0) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const ask = (child, what) =>
  new Promise((resolve) => {
    child.once('message', resolve);
    child.send(what);
  });

const t0 = performance.now();
const batches = makeBatches(TOTAL + WARMUP_BATCHES * BATCH);
const bytes = batches.reduce((n, b) => n + b.byteLength, 0);
console.log(`made ${batches.length} batches of up to ${BATCH} spans with the OpenTelemetry JS SDK and its protobuf serializer (${(bytes / 1e6).toFixed(1)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const configDir = mkdtempSync(path.join(tmpdir(), 'hb-bench-traces-'));
const child = fork(path.join(here, 'receiver.cjs'), [repo, configDir, String(STORE_SPANS)], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const { port } = await new Promise((resolve) => child.once('message', resolve));
const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

async function send(list) {
  let next = 0;
  let accepted = 0;
  let refused = 0;
  const worker = async () => {
    while (next < list.length) {
      const body = list[next++];
      for (;;) {
        const r = await post(agent, port, body);
        if (r.status === 200) break;
        if (r.status !== 429 && r.status !== 503) throw new Error(`the receiver answered ${r.status}`);
        refused++;
        await new Promise((res) => setTimeout(res, 100));
      }
      accepted++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { accepted, refused };
}

await send(batches.slice(0, WARMUP_BATCHES));
const measured = batches.slice(WARMUP_BATCHES);
const spans = measured.length * BATCH;
const before = await ask(child, 'usage');
const w0 = performance.now();
const { refused } = await send(measured);
const wallS = (performance.now() - w0) / 1000;
const after = await ask(child, 'usage');
const cpuS = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
const perCore = spans / cpuS;
const mb = (n) => (n / 1024 / 1024).toFixed(0);

console.log(`trace ingest: ${spans} spans in ${measured.length} protobuf batches through dist/traces.js over loopback HTTP, store bounded at ${STORE_SPANS} spans`);
console.log(`  ${Math.round(perCore).toLocaleString('en')} spans/s per receiver CPU second (goal >= ${GOAL_RATE.toLocaleString('en')} on one core): ${perCore >= GOAL_RATE ? 'met' : 'NOT met'}`);
console.log(`  ${Math.round(spans / wallS).toLocaleString('en')} spans/s wall clock (sender and receiver share this machine; ${refused} retries after 429/503)`);
console.log(`  store: ${after.stats.storedSpans} spans in ${after.stats.storedTraces} traces, ${after.stats.evictedTraces} traces evicted`);
const rssAfterGc = after.afterGc?.rss ?? after.rss;
console.log(
  `  memory with ${after.stats.storedSpans.toLocaleString('en')} spans stored: RSS ${mb(after.rss)} MB, ${mb(rssAfterGc)} MB after a GC (heap ${mb(after.afterGc?.heapUsed ?? after.heapUsed)} MB) (goal <= ${GOAL_MB} MB): ${after.rss <= GOAL_MB * 1024 * 1024 ? 'met' : 'NOT met'}`,
);
if (process.env.HB_BENCH_DEBUG) console.log(after);
await ask(child, "stop").catch(() => undefined);
agent.destroy();
rmSync(configDir, { recursive: true, force: true });
