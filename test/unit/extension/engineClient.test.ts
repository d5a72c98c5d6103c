// The engine client against the real bundled engine (dist/engine.js, built first), run with
// `node` as the editor would run it with its own runtime.
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ConfigResolve, Initialize, LogMessage, Ping, PROTOCOL_VERSION, Shutdown } from '../../../src/protocol';
import { RestartPolicy } from '../../../src/extension/backoff';
import { EngineClient, EngineTimeoutError, quietLogger, EngineUnavailableError, RequestCancelledError, type EngineClientOptions, type EngineState } from '../../../src/extension/engineClient';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { ENGINE_JS, FIXTURES, MemoryLogger, ROOT, alive, ensureBuilt, removeTempDirs, sleep, tempDir, waitFor } from './helpers';

const FAKE_ENGINE = path.join(__dirname, 'fake-engine.cjs');
const VERSION: string = JSON.parse(require('node:fs').readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;

describe('engine client (real engine)', function () {
  this.timeout(20_000);
  const clients: EngineClient[] = [];
  let logger: MemoryLogger;

  /** A client as the extension makes one: no execPath given, so the editor's own runtime. */
  function client(over: Partial<EngineClientOptions> = {}): EngineClient {
    const c = new EngineClient({
      enginePath: ENGINE_JS,
      engineOrigin: 'the engine bundled with the extension',
      logger,
      clientName: 'test',
      clientVersion: '0',
      ...over,
    });
    clients.push(c);
    return c;
  }
  const states = (c: EngineClient) => {
    const seen: EngineState[] = [];
    c.onDidChangeState((s) => seen.push(s));
    return seen;
  };

  before(() => ensureBuilt());
  beforeEach(() => {
    logger = new MemoryLogger();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });
  after(() => removeTempDirs());

  it('spawns the engine, completes the handshake and logs its version and capabilities', async () => {
    const c = client();
    const state = await c.start();
    assert.equal(state.kind, 'running', logger.text());
    if (state.kind !== 'running') return;
    assert.equal(state.info.version, VERSION);
    assert.equal(state.info.protocolVersion, PROTOCOL_VERSION);
    assert.ok(state.info.capabilities.includes('config'));
    assert.equal(state.info.pid, c.pid);
    assert.ok(alive(c.pid));
    assert.ok(logger.has('info', new RegExp(`^Engine ${VERSION.replace(/\./g, '\\.')} ready in \\d+ ms: pid \\d+, Node v\\d+.*capabilities: .*config`)), logger.text());
    const pong = await c.request(Ping);
    assert.ok(pong.uptimeMs >= 0 && pong.rssBytes > 0);
  });

  it('answers ConfigResolve with the problems of a broken config, 1-based', async () => {
    const c = client();
    await c.start();
    const folder = path.join(FIXTURES, 'broken');
    const result = await c.request(ConfigResolve, { folder });
    assert.equal(result.configFile, path.join(folder, '.devcontainer', 'devcontainer.json'));
    assert.deepEqual(
      result.problems.map((p) => [p.severity, p.line, p.column, p.code]),
      [
        ['warning', 5, 3, 'unknown-property'],
        ['error', 6, 17, 'type'],
        ['error', 7, 21, 'enum'],
      ],
    );
  });

  it('stops on request: Shutdown, the process exits, and nothing restarts it', async () => {
    const c = client();
    await c.start();
    const pid = c.pid;
    const seen = states(c);
    await c.stop();
    assert.equal(c.state.kind, 'stopped');
    await waitFor(() => !alive(pid), `engine pid ${pid} to exit`);
    await sleep(100);
    assert.deepEqual(seen.map((s) => s.kind), ['stopped']);
    await assert.rejects(c.request(Ping), (e: Error) => e instanceof EngineUnavailableError && /Restart Engine/.test(e.message));
  });

  it('restarts the engine after it is killed, with a new process', async () => {
    const c = client({ restartPolicy: new RestartPolicy({ maxRestarts: 5, windowMs: 60_000, initialDelayMs: 20, maxDelayMs: 100 }) });
    await c.start();
    const first = c.pid!;
    const seen = states(c);
    process.kill(first, 'SIGKILL');
    await waitFor(() => c.state.kind === 'running' && c.pid !== first, 'the engine to be running again', 8000, () => logger.text());
    assert.notEqual(c.pid, first);
    assert.ok(alive(c.pid));
    assert.deepEqual(
      seen.map((s) => s.kind),
      ['starting', 'running'],
    );
    assert.deepEqual(seen[0], { kind: 'starting', attempt: 1, maxRestarts: 5 });
    assert.equal((seen[1] as { session: number }).session, 2);
    assert.ok(logger.has('error', new RegExp(`pid ${first}\\) was killed by signal SIGKILL unexpectedly`)), logger.text());
    assert.ok(logger.has('warn', /Restarting the engine in 20 ms \(attempt 1 of 5\)/), logger.text());
    // and it serves requests again
    assert.ok((await c.request(Ping)).uptimeMs >= 0);
  });

  it('gives up after the cap of restarts within the window, with longer waits each time', async () => {
    const c = client({ restartPolicy: new RestartPolicy({ maxRestarts: 3, windowMs: 60_000, initialDelayMs: 10, maxDelayMs: 1000 }) });
    await c.start();
    for (let i = 0; i < 4; i++) {
      const pid = c.pid!;
      assert.ok(alive(pid));
      process.kill(pid, 'SIGKILL');
      if (i < 3) await waitFor(() => c.state.kind === 'running' && c.pid !== pid, `restart ${i + 1}`, 8000, () => logger.text());
    }
    const failed = await waitFor(() => (c.state.kind === 'failed' ? c.state : undefined), 'the client to give up', 8000, () => logger.text());
    assert.equal(failed.gaveUp, true);
    assert.match(failed.message, /stopped 4 times within 1 minute \(last time it was killed by signal SIGKILL\), so HyperBox stopped restarting it/);
    assert.match(failed.message, /HyperBox: Restart Engine/);
    const waits = logger.lines.filter((l) => /^Restarting the engine in/.test(l.message)).map((l) => Number(/in (\d+) ms/.exec(l.message)![1]));
    assert.deepEqual(waits, [10, 20, 40]);
    // no process, and no more attempts
    assert.equal(c.pid, undefined);
    await sleep(150);
    assert.equal(c.state.kind, 'failed');
    await assert.rejects(c.request(Ping), (e: Error) => e instanceof EngineUnavailableError && /stopped restarting it/.test(e.message));
  });

  it('times out a request the engine does not answer, and cancels it on the wire', async () => {
    const c = client({ trace: 'messages' });
    await c.start();
    const pid = c.pid!;
    process.kill(pid, 'SIGSTOP'); // the engine is stuck
    try {
      const t0 = Date.now();
      await assert.rejects(
        c.request(Ping, { timeoutMs: 200 }),
        (e: Error) => e instanceof EngineTimeoutError && /did not answer "hyperbox\/ping" within 0\.2 seconds, so the request was cancelled/.test(e.message),
      );
      assert.ok(Date.now() - t0 < 2000);
      assert.ok(logger.has('info', /\[rpc\] Sending notification '\$\/cancelRequest'/), logger.text());
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // the engine is fine again and the client still uses it
    assert.ok((await c.request(Ping)).uptimeMs >= 0);
    assert.equal(c.pid, pid);
  });

  it('rejects at once when the caller cancels', async () => {
    const c = client();
    await c.start();
    const pid = c.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      const cts = new CancellationTokenSource();
      const pending = c.request(Ping, { token: cts.token, timeoutMs: 5000 });
      setTimeout(() => cts.cancel(), 20);
      await assert.rejects(pending, RequestCancelledError);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  it('kills an engine that does not exit within the grace period', async () => {
    const c = client({ shutdownGraceMs: 200 });
    await c.start();
    const pid = c.pid!;
    process.kill(pid, 'SIGSTOP'); // cannot answer Shutdown nor notice its stdin closing
    const t0 = Date.now();
    await c.stop();
    assert.ok(Date.now() - t0 < 3000, `stop took ${Date.now() - t0} ms`);
    await waitFor(() => !alive(pid), `pid ${pid} to be gone`);
    assert.ok(logger.has('warn', /did not exit within 0\.2 seconds of being asked to; killing it/), logger.text());
  });

  it('reports a missing engine once, naming the path, where it came from and the fix', async () => {
    const c = client({ enginePath: '/nonexistent/hyperbox/engine.js', engineOrigin: 'the HYPERBOX_ENGINE_PATH environment variable' });
    const seen = states(c);
    const state = await c.start();
    assert.equal(state.kind, 'failed');
    if (state.kind !== 'failed') return;
    assert.equal(state.gaveUp, false);
    assert.equal(
      state.message,
      'The HyperBox engine /nonexistent/hyperbox/engine.js (from the HYPERBOX_ENGINE_PATH environment variable) does not exist. Correct or remove the HYPERBOX_ENGINE_PATH environment variable, then run "HyperBox: Restart Engine".',
    );
    await sleep(100);
    assert.deepEqual(seen.map((s) => s.kind), ['starting', 'failed'], 'no restart after a missing engine');
  });

  it('reports a runtime that cannot be run', async () => {
    const c = client({ execPath: '/nonexistent/node' });
    const state = await c.start();
    assert.equal(state.kind, 'failed');
    if (state.kind === 'failed') assert.match(state.message, /running \/nonexistent\/node failed \(.*ENOENT/);
  });

  it('counts an engine that never answers the handshake as a crash', async () => {
    const c = client({
      enginePath: FAKE_ENGINE,
      env: { ...process.env, FAKE_ENGINE_MODE: 'silent', HB_METHOD_INITIALIZE: Initialize.method, HB_METHOD_SHUTDOWN: Shutdown.method },
      handshakeTimeoutMs: 150,
      restartPolicy: new RestartPolicy({ maxRestarts: 1, windowMs: 60_000, initialDelayMs: 10, maxDelayMs: 10 }),
    });
    void c.start();
    await waitFor(() => c.state.kind === 'failed', 'the client to give up', 8000, () => logger.text());
    assert.ok(logger.has('error', /did not complete the handshake: no handshake answer within 0\.2 seconds\. Killing it\./), logger.text());
    assert.ok(logger.has('error', /stopped 2 times within 1 minute/), logger.text());
  });

  it('logs an engine that exits at once, with its stderr, and gives up after the cap', async () => {
    const c = client({
      enginePath: FAKE_ENGINE,
      env: { ...process.env, FAKE_ENGINE_MODE: 'exit' },
      restartPolicy: new RestartPolicy({ maxRestarts: 2, windowMs: 60_000, initialDelayMs: 10, maxDelayMs: 10 }),
    });
    void c.start();
    const failed = await waitFor(() => (c.state.kind === 'failed' ? c.state : undefined), 'the client to give up', 8000, () => logger.text());
    assert.match(failed.message, /stopped 3 times .* \(last time it exited with code 3\)/);
    assert.ok(logger.has('warn', /^engine stderr: fake engine: giving up at once$/), logger.text());
  });

  it('maps engine log messages to log levels, and keeps stderr copies of them out of sight', async () => {
    const c = client({
      enginePath: FAKE_ENGINE,
      env: {
        ...process.env,
        FAKE_ENGINE_MODE: 'log',
        HB_METHOD_INITIALIZE: Initialize.method,
        HB_METHOD_LOG: LogMessage.method,
        HB_METHOD_SHUTDOWN: Shutdown.method,
        HB_PROTOCOL_VERSION: String(PROTOCOL_VERSION),
      },
    });
    const state = await c.start();
    assert.equal(state.kind, 'running', logger.text());
    // started the way the editor starts it: its own runtime, as Node
    if (state.kind === 'running') assert.deepEqual(state.info.capabilities, ['fake', 'ELECTRON_RUN_AS_NODE=1', `execPath=${process.execPath}`]);
    for (const level of ['trace', 'debug', 'info', 'warn', 'error']) {
      assert.ok(logger.has(level, new RegExp(`^engine: a ${level} message$`)), `${level} missing:\n${logger.text()}`);
    }
    await waitFor(() => logger.has('warn', /^engine stderr: something the runtime printed$/), 'stderr to be logged', 2000, () => logger.text());
    // a log line the engine wrote to stderr (before a client said hello) shows at its own level, once
    assert.ok(logger.has('info', /^engine: a copy of a log message$/), logger.text());
    assert.ok(!logger.has('trace', /a copy of a log message/));
  });

  it('warns when the engine speaks another protocol version', async () => {
    const c = client({
      enginePath: FAKE_ENGINE,
      env: {
        ...process.env,
        FAKE_ENGINE_MODE: 'log',
        HB_METHOD_INITIALIZE: Initialize.method,
        HB_METHOD_LOG: LogMessage.method,
        HB_METHOD_SHUTDOWN: Shutdown.method,
        HB_PROTOCOL_VERSION: String(PROTOCOL_VERSION + 1),
      },
    });
    await c.start();
    assert.ok(logger.has('warn', new RegExp(`speaks protocol ${PROTOCOL_VERSION + 1} and this extension ${PROTOCOL_VERSION}`)), logger.text());
  });

  it('reports an engine path that is a folder', async () => {
    const dir = await tempDir('engine-dir');
    await fs.mkdir(path.join(dir, 'engine.js'));
    const c = client({ enginePath: path.join(dir, 'engine.js'), engineOrigin: 'the "hyperbox.engine.path" setting (user settings)' });
    const state = await c.start();
    assert.equal(state.kind, 'failed');
    if (state.kind === 'failed') assert.match(state.message, /engine\.js \(from the "hyperbox\.engine\.path" setting \(user settings\)\) is not a file\. Correct or remove/);
  });
});

describe('engine client: logging while the window closes', () => {
  it('a log channel that throws ("Channel has been closed") never breaks shutdown: the line is dropped', () => {
    const lines: string[] = [];
    let closed = false;
    const channel = {
      trace: (m: string) => lines.push(m),
      debug: (m: string) => lines.push(m),
      info(m: string) {
        if (closed) throw new Error('Channel has been closed');
        lines.push(m);
      },
      warn: (m: string) => lines.push(m),
      error: (m: string) => lines.push(m),
    };
    const log = quietLogger(channel);
    log.info('before');
    closed = true;
    assert.doesNotThrow(() => log.info('engine stopped'));
    log.warn('after');
    assert.deepEqual(lines, ['before', 'after']);
  });
});
