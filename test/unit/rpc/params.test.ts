// The protocol boundary: every request's parameters are checked in one place before a handler
// runs (rpc/params.ts, called by the reader), wrong ones answered with -32602 naming the field,
// and every malformed message that carries an id is answered. Against the real engine process.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { PARAMS, checkMessage } from '../../../src/engine/rpc/params';
import { SERVICES } from '../../../src/engine/services';
import { ENGINE, ensureBuilt } from '../helpers/build';
import { makeFolder, removeAll } from '../helpers/folders';

/** The engine on raw stdio: write bytes, read every answer it sends. */
class RawEngine {
  readonly child: ChildProcessWithoutNullStreams;
  private buf = Buffer.alloc(0);
  readonly messages: Record<string, unknown>[] = [];
  stderr = '';
  constructor(env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [ENGINE], { env: { PATH: process.env.PATH, HOME: process.env.HOME, HB_CONFIG_DIR: makeFolder(), HB_CACHE_DIR: makeFolder(), ...env } });
    this.child.stderr.on('data', (b) => (this.stderr += b));
    this.child.stdout.on('data', (b: Buffer) => {
      this.buf = Buffer.concat([this.buf, b]);
      for (;;) {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const len = Number(/Content-Length: (\d+)/i.exec(this.buf.subarray(0, end).toString())![1]);
        if (this.buf.length < end + 4 + len) return;
        this.messages.push(JSON.parse(this.buf.subarray(end + 4, end + 4 + len).toString('utf8')));
        this.buf = this.buf.subarray(end + 4 + len);
      }
    });
  }
  raw(body: string, contentLength = Buffer.byteLength(body)): void {
    this.child.stdin.write(`Content-Length: ${contentLength}\r\n\r\n${body}`);
  }
  send(message: object): void {
    this.raw(JSON.stringify(message));
  }
  /** The answer with this id (and no method: not a notification). */
  async answer(id: unknown, ms = 5000): Promise<Record<string, unknown>> {
    const end = Date.now() + ms;
    for (;;) {
      const m = this.messages.find((x) => !('method' in x) && JSON.stringify(x.id) === JSON.stringify(id));
      if (m) return m;
      if (Date.now() > end) throw new Error(`no answer with id ${JSON.stringify(id)} in ${ms} ms; got ${JSON.stringify(this.messages)}\nstderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  stop(): void {
    this.child.kill();
  }
}

const errorOf = (m: Record<string, unknown>) => m.error as { code: number; message: string } | undefined;

describe('protocol boundary: parameters checked in one place, malformed messages answered', function () {
  this.timeout(30000);
  let engine: RawEngine;
  before(() => {
    ensureBuilt();
    engine = new RawEngine();
  });
  after(() => {
    engine.stop();
    removeAll();
  });

  it('runtime/up with "trusted": "false" (a string) is refused with -32602 naming the field; nothing runs', async () => {
    const folder = makeFolder({ '.devcontainer/devcontainer.json': JSON.stringify({ image: 'x', initializeCommand: 'touch ran' }) });
    engine.send({ jsonrpc: '2.0', id: 1, method: 'hyperbox/runtime/up', params: { folder, trusted: 'false' } });
    const e = errorOf(await engine.answer(1));
    assert.equal(e?.code, -32602);
    assert.equal(e?.message, 'Invalid params for hyperbox/runtime/up: trusted: expected boolean, got the string "false".');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(existsSync(path.join(folder, 'ran')), false, 'initializeCommand ran');
  });

  it('wrong types get a clear -32602, never Node internals', async () => {
    const cases: [object, RegExp][] = [
      [{ method: 'hyperbox/config/resolve', params: { folder: 42 } }, /^Invalid params for hyperbox\/config\/resolve: folder: expected string, got the number 42\.$/],
      [{ method: 'hyperbox/config/resolve', params: { folder: '' } }, /folder: must not be empty, got the string ""/],
      [{ method: 'hyperbox/runtime/status', params: null }, /params: expected Object, got null/],
      [{ method: 'hyperbox/runtime/terminal/open', params: { folder: '/x', cols: 0, rows: 'a' } }, /cols: .*got the number 0; rows: expected number, got the string "a"/],
      [{ method: 'hyperbox/runtime/ports/add', params: { folder: '/x', port: { p: 1 } } }, /port: .*got an object/],
      [{ method: 'hyperbox/runtime/runHooks', params: { folder: '/x', trusted: true, hooks: ['postCreate'] } }, /hooks\.0: .*got the string "postCreate"/],
      [{ method: 'hyperbox/ping', params: { x: 1 } }, /params: .*got an object/],
    ];
    let id = 100;
    for (const [m, re] of cases) {
      engine.send({ jsonrpc: '2.0', id: ++id, ...m });
      const e = errorOf(await engine.answer(id));
      assert.equal(e?.code, -32602, JSON.stringify(m));
      assert.match(e.message, re);
      assert.doesNotMatch(e.message, /TypeError|Cannot read|undefined|at .*\.js/);
    }
  });

  it('an id without a method, a bad jsonrpc version, a batch, a message cut short: each answered with its id', async () => {
    engine.send({ jsonrpc: '2.0', id: 7 });
    assert.equal(errorOf(await engine.answer(7))?.code, -32600);
    engine.send({ jsonrpc: '1.0', id: 8, method: 'hyperbox/ping' });
    assert.match(errorOf(await engine.answer(8))!.message, /"jsonrpc" must be "2.0"/);
    engine.send({ jsonrpc: '2.0', id: { a: 1 }, method: 'hyperbox/ping' });
    assert.match(errorOf(await engine.answer(null))!.message, /"id" must be a number or a string/);
    engine.raw(JSON.stringify([{ jsonrpc: '2.0', id: 'b1', method: 'hyperbox/ping' }, { jsonrpc: '2.0', id: 'b2', method: 'hyperbox/ping' }]));
    for (const id of ['b1', 'b2']) assert.match(errorOf(await engine.answer(id))!.message, /batches .* are not supported/);
    // the body is shorter than its Content-Length says, and the next message follows
    engine.raw('{"jsonrpc":"2.0","id":21,"method":"hyperbox/ping"', 200);
    engine.send({ jsonrpc: '2.0', id: 22, method: 'hyperbox/ping' });
    assert.equal(errorOf(await engine.answer(21))?.code, -32700);
    assert.ok((await engine.answer(22)).result, 'the next message is still served');
    // a body cut inside (Content-Length shorter than the JSON)
    const full = '{"jsonrpc":"2.0","id":23,"method":"hyperbox/ping","params":{}}';
    engine.raw(full, 30);
    engine.send({ jsonrpc: '2.0', id: 24, method: 'hyperbox/ping' });
    assert.match(errorOf(await engine.answer(23))!.message, /^Parse error: the message is not valid JSON/);
    assert.ok((await engine.answer(24)).result);
  });

  it('every request and notification the engine serves has a schema', () => {
    const methods: string[] = ['hyperbox/initialize', 'hyperbox/ping', 'hyperbox/shutdown'];
    const conn = new Proxy(
      {},
      {
        get: (_t, key) =>
          key === 'onRequest' || key === 'onNotification'
            ? (type: { method: string } | string) => void methods.push(typeof type === 'string' ? type : type.method)
            : () => ({ dispose() {} }),
      },
    );
    const log = { info() {}, warn() {}, error() {}, debug() {} };
    for (const s of SERVICES) s.register(conn as never, log);
    assert.ok(methods.length > 20, methods.join(', '));
    assert.deepEqual(methods.filter((m) => !PARAMS[m]), []);
    // and the check is the one the reader runs: a valid message is delivered with its parameters
    const ok = checkMessage({ jsonrpc: '2.0', id: 1, method: 'hyperbox/runtime/up', params: { folder: '/x', trusted: false } });
    assert.deepEqual(ok, { deliver: { jsonrpc: '2.0', id: 1, method: 'hyperbox/runtime/up', params: { folder: '/x', trusted: false } } });
  });
});
