// Traces in the built engine (dist/engine.js, over JSON-RPC) and the built `hb traces` commands,
// as the editor and a user in a terminal meet them: the engine starts without the receiver's code,
// TracesStart loads it and listens, spans show up as TracesChanged and in hb traces list --json,
// and `hb traces serve` on the engine's port forwards instead of failing.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { Initialize, Shutdown, TracesChanged, TracesGet, TracesList, TracesServices, TracesStart, TracesStatusRequest, TracesStop, type TraceSummary } from '../../../src/protocol';
import { CLI, ENGINE, REPO, ensureBuilt } from '../helpers/build';

function post(port: number, value: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end(JSON.stringify(value));
  });
}

function request(traceId: string, service: string, spans: { id: string; parent?: string; name: string; ms: number; error?: boolean }[]) {
  const t0 = 1_700_000_000_000_000_000n;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            spans: spans.map((s) => ({
              traceId,
              spanId: s.id,
              ...(s.parent ? { parentSpanId: s.parent } : {}),
              name: s.name,
              startTimeUnixNano: String(t0),
              endTimeUnixNano: String(t0 + BigInt(s.ms * 1e6)),
              ...(s.error ? { status: { code: 2 } } : {}),
            })),
          },
        ],
      },
    ],
  };
}

const TRACE = '0af7651916cd43dd8448eb211c80319c';

describe('traces: the engine service and hb traces', function () {
  this.timeout(60_000);
  let child: ChildProcessWithoutNullStreams;
  let conn: MessageConnection;
  let scratch: string;
  let env: NodeJS.ProcessEnv;
  const changed: TraceSummary[][] = [];

  function hb(args: string[]) {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO, env, encoding: 'utf8', timeout: 15000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  before(async () => {
    ensureBuilt();
    scratch = fs.mkdtempSync(path.join(tmpdir(), 'hb-traces-rpc-'));
    env = { PATH: process.env.PATH, HOME: scratch, HB_CONFIG_DIR: path.join(scratch, 'config') };
    child = spawn(process.execPath, [ENGINE], { stdio: 'pipe', env });
    child.stderr.resume();
    conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    conn.onNotification(TracesChanged, (p) => changed.push(p.traces));
    conn.listen();
    const caps = await conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
    assert.ok(caps.capabilities.includes('traces'), caps.capabilities.join(', '));
  });

  after(async () => {
    await conn.sendRequest(Shutdown).catch(() => undefined);
    conn.dispose();
    child.kill();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('the engine bundle does not carry the receiver: it is dist/traces.js, loaded only when traces are turned on', () => {
    const engine = fs.readFileSync(ENGINE, 'utf8');
    assert.doesNotMatch(engine, /ExportTraceServiceRequest/);
    assert.match(engine, /require\("\.\/traces\.js"\)/);
    assert.match(fs.readFileSync(path.join(REPO, 'dist', 'traces.js'), 'utf8'), /ExportTraceServiceRequest/);
  });

  it('dist/traces.js needs no node_modules beside it and keeps 64-bit integers exact (as the packaged extension runs it)', async () => {
    const alone = path.join(scratch, 'alone');
    fs.mkdirSync(alone);
    fs.copyFileSync(path.join(REPO, 'dist', 'traces.js'), path.join(alone, 'traces.js'));
     
    const bundle = require(path.join(alone, 'traces.js')) as typeof import('../../../src/engine/traces/lazy');
     
    const { opentelemetry } = require('@opentelemetry/otlp-transformer/build/src/generated/root');
     
    const Long = require('long');
    const body = opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest.encode({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, 7), spanId: Buffer.alloc(8, 7), name: 'big', attributes: [{ key: 'id', value: { intValue: Long.fromString('9007199254740993') } }, { key: 'neg', value: { intValue: Long.fromNumber(-5) } }] }] }] }],
    }).finish();
    const r = await bundle.TraceReceiver.start({ port: 0, env });
    try {
      const answer = await r.export(body, 'application/x-protobuf');
      assert.equal(answer.status, 200);
      const span = (await r.get('07'.repeat(16)))!.spans[0];
      assert.equal(span.attributes.id, '9007199254740993');
      assert.equal(span.attributes.neg, -5);
    } finally {
      await r.close();
    }
  });

  let port = 0;
  it('TracesStart listens on 127.0.0.1; received spans come as TracesChanged and answer TracesList, TracesGet and TracesServices', async () => {
    assert.equal((await conn.sendRequest(TracesStatusRequest)).state, 'off');
    const s = await conn.sendRequest(TracesStart, { port: 0 });
    assert.equal(s.state, 'listening');
    assert.equal(s.host, '127.0.0.1');
    assert.equal(s.receiverPid, child.pid);
    port = s.port!;
    assert.ok(port > 0);
    // the child before its parent, in separate requests
    assert.equal(await post(port, request(TRACE, 'db', [{ id: 'bbbbbbbbbbbbbbbb', parent: 'aaaaaaaaaaaaaaaa', name: 'SELECT orders', ms: 30, error: true }])), 200);
    assert.equal(await post(port, request(TRACE, 'web', [{ id: 'aaaaaaaaaaaaaaaa', name: 'GET /orders', ms: 120 }])), 200);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !changed.flat().some((t) => t.traceId === TRACE && t.spanCount === 2)) await new Promise((r) => setTimeout(r, 50));
    const last = changed.flat().filter((t) => t.traceId === TRACE).at(-1);
    assert.ok(last, 'a TracesChanged notification named the trace');
    assert.equal(last.spanCount, 2);
    assert.equal(last.rootName, 'GET /orders');

    const { traces } = await conn.sendRequest(TracesList, { service: 'db' });
    assert.deepEqual(traces.map((t) => t.traceId), [TRACE]);
    assert.equal((await conn.sendRequest(TracesList, { service: 'nobody' })).traces.length, 0);
    const detail = await conn.sendRequest(TracesGet, { traceId: TRACE });
    assert.deepEqual(detail?.spans.map((x) => x.name), ['GET /orders', 'SELECT orders']);
    const { services } = await conn.sendRequest(TracesServices);
    assert.deepEqual(services.map((x) => [x.service, x.spanCount, x.errorCount]), [['db', 1, 1], ['web', 1, 0]]);
  });

  it('hb traces list --json reads the engine\'s receiver through the token-guarded endpoint', () => {
    const r = hb(['traces', 'list', '--port', String(port), '--json']);
    assert.equal(r.status, 0, r.stderr);
    const list = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.equal(list.length, 1);
    assert.equal(list[0].traceId, TRACE);
    assert.equal(list[0].rootName, 'GET /orders');
    assert.equal(list[0].service, 'web');
    assert.equal(list[0].durationMs, 120);
    assert.equal(list[0].spanCount, 2);
    assert.equal(list[0].errorCount, 1);
    const human = hb(['traces', 'list', '--port', String(port)]);
    assert.equal(human.status, 0);
    assert.match(human.stdout, /GET \/orders\s+120ms\s+2\s+1\s+0af7651916cd43dd8448eb211c80319c/);
    const filtered = hb(['traces', 'list', '--port', String(port), '--service', 'nobody', '--json']);
    assert.deepEqual(JSON.parse(filtered.stdout), []);
  });

  it('hb traces list without the user\'s token file contents fails clearly (another user)', () => {
    const other = { ...env, HB_CONFIG_DIR: path.join(scratch, 'other-user') };
    const r = spawnSync(process.execPath, [CLI, 'traces', 'list', '--port', String(port)], { cwd: REPO, env: other, encoding: 'utf8', timeout: 15000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /refused your HyperBox token/);
    assert.equal(r.stdout, '');
  });

  it('hb traces serve on the engine\'s port forwards to it instead of failing, and stops on Ctrl-C', async () => {
    const serve = spawn(process.execPath, [CLI, 'traces', 'serve', '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    serve.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !/Forwarding until Ctrl-C/.test(stderr)) await new Promise((r) => setTimeout(r, 50));
    assert.match(stderr, new RegExp(`already listens on 127\\.0\\.0\\.1:${port}; forwarding to it`));
    serve.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => serve.on('exit', resolve));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /Stopped receiving traces/);
  });

  it('TracesStop frees the port; hb traces list then says no receiver listens; hb traces serve takes it', async () => {
    assert.equal((await conn.sendRequest(TracesStop)).state, 'off');
    const r = hb(['traces', 'list', '--port', String(port)]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`No HyperBox trace receiver listens on 127\\.0\\.0\\.1:${port}\\. Start one with hb traces serve --port ${port}`));

    const serve = spawn(process.execPath, [CLI, 'traces', 'serve', '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    serve.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !/Receiving OTLP/.test(stderr)) await new Promise((res) => setTimeout(res, 50));
      assert.match(stderr, new RegExp(`Receiving OTLP/HTTP traces on http://127\\.0\\.0\\.1:${port}/v1/traces`));
      assert.equal(await post(port, request('4bf92f3577b34da6a3ce929d0e0e4736', 'cli', [{ id: 'cccccccccccccccc', name: 'from a terminal', ms: 5 }])), 200);
      const list = JSON.parse(hb(['traces', 'list', '--port', String(port), '--json']).stdout) as TraceSummary[];
      assert.deepEqual(list.map((t) => t.rootName), ['from a terminal']);
    } finally {
      serve.kill('SIGINT');
      await new Promise((res) => serve.on('exit', res));
    }
  });

  it('bad usage exits 2 with the usage', () => {
    const r = hb(['traces', 'watch']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown subcommand watch/);
    const p = hb(['traces', 'list', '--port', 'http']);
    assert.equal(p.status, 2);
    assert.match(p.stderr, /--port http is not a port number/);
  });
});
