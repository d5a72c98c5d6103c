// The real engine process (dist/engine.js) against hostile input: a few hundred random, mutated
// and truncated devcontainer.json texts over JSON-RPC (ConfigResolve with `text`), requests with
// wrong parameters, and, in a separate run, garbage bytes on its stdin. Every request must be
// answered within a timeout, the engine must stay up (Ping answers afterwards), and everything it
// writes to stdout must be a well-formed protocol message. Randomness is seeded: a failure
// repeats with the same seed (printed in the test title).
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { ConfigDiscover, ConfigResolve, Initialize, LogMessage, Ping, Shutdown, type ResolvedConfig } from '../../../src/protocol';
import { ENGINE, ensureBuilt } from '../helpers/build';
import { makeFolder, removeAll } from '../helpers/folders';

const SEED = 0x5eed2;
const CASES = 300;
const REQUEST_TIMEOUT_MS = 5000;

// ---------------------------------------------------------------------------------------------
// Seeded randomness (mulberry32)

function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof rng>;

const KEYS = [
  'image', 'build', 'dockerFile', 'context', 'dockerComposeFile', 'service', 'runServices', 'workspaceFolder', 'workspaceMount',
  'forwardPorts', 'portsAttributes', 'containerEnv', 'remoteEnv', 'remoteUser', 'containerUser', 'mounts', 'runArgs', 'features',
  'customizations', 'postCreateCommand', 'onCreateCommand', 'waitFor', 'shutdownAction', 'hostRequirements', 'privileged', 'init',
  'forwardPort', 'remoteUsr', 'name', 'appPort', 'userEnvProbe', 'overrideCommand', 'capAdd', 'securityOpt', 'dockerfile', 'args',
];
const STRINGS = [
  'node:20', '${localWorkspaceFolder}', '${localWorkspaceFolderBasename}', '${containerWorkspaceFolder}', '${devcontainerId}',
  '${localEnv:HOME}', '${localEnv:HB_FUZZ_UNSET}', '${localEnv:X:default:more}', '${env:PATH}', '${containerEnv:PATH}', '${unknown}',
  '${', '${}', '${localEnv}', '${localEnv:}', '$${x}}', 'Dockerfile', '../Dockerfile', 'docker-compose.yml', '/', '', ' ',
  'stopContainer', 'loginShell', '3000', 'app:3000', 'source=${localWorkspaceFolder},target=/w,type=bind', '\u0000', '\u2028', '\ud800',
  'ünïcödé', '🙂', '"quoted"', 'back\\slash', 'C:\\Users\\x',
];

function value(r: Rng, depth: number): unknown {
  const k = r.int(depth > 3 ? 4 : 7);
  switch (k) {
    case 0:
      return r.pick(STRINGS) + (r.chance(0.3) ? r.pick(STRINGS) : '');
    case 1:
      return r.pick([0, 1, -1, 3000, 65536, 1.5, 1e300, -0]);
    case 2:
      return r.chance(0.5);
    case 3:
      return null;
    case 4:
    case 5: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(5); i > 0; i--) o[r.chance(0.7) ? r.pick(KEYS) : r.pick(STRINGS)] = value(r, depth + 1);
      return o;
    }
    default:
      return Array.from({ length: r.int(5) }, () => value(r, depth + 1));
  }
}

const NOISE = ['{', '}', '[', ']', '"', ',', ':', '/', '*', '\n', '\r', '\\', '$', '{', '//', '/*', '*/', ',,', '\u0000', '\ud800', '\ufeff', 'x', ' '];

function configText(r: Rng): string {
  const o: Record<string, unknown> = {};
  for (let i = r.int(8); i > 0; i--) o[r.pick(KEYS)] = value(r, 1);
  let text = JSON.stringify(o, null, r.pick([0, 2, 4, '\t']));
  if (r.chance(0.3)) text = `// a comment\n${text.replace(/\n/g, ' /* c */\n')}`;
  if (r.chance(0.3)) text = text.replace(/([}\]])/g, (m) => (r.chance(0.3) ? `,${m}` : m)); // trailing commas
  const mode = r.int(4);
  if (mode === 0 || mode === 3) text = text.slice(0, r.int(text.length + 1)); // truncated
  if (mode === 1 || mode === 3) {
    for (let i = 1 + r.int(6); i > 0; i--) {
      const at = r.int(text.length + 1);
      const cut = r.chance(0.5) ? r.int(4) : 0;
      text = text.slice(0, at) + r.pick(NOISE) + text.slice(at + cut);
    }
  }
  if (mode === 2 && r.chance(0.3)) {
    // random code units, including lone surrogates and control characters
    text = Array.from({ length: r.int(300) }, () => String.fromCharCode(r.int(r.chance(0.8) ? 128 : 0x10000))).join('');
  }
  return text;
}

/** Big and pathological texts, each a known way to hurt a parser. */
function specialTexts(): [string, string][] {
  return [
    ['empty', ''],
    ['a BOM alone', '\ufeff'],
    ['nesting 100 000 deep', '['.repeat(100_000)],
    ['object nesting that closes', '{"customizations":'.repeat(5000) + '{}' + '}'.repeat(5000)],
    ['just over 2 MB', `{"image":"x","name":"${'n'.repeat(2 * 1024 * 1024)}"}`],
    ['1.8 MB of syntax errors', '{' + '# '.repeat(900_000)],
    ['1.8 MB of duplicate unknown keys', '{' + '"a":1,'.repeat(300_000) + '}'],
    ['100 000 unclosed variables', JSON.stringify({ image: 'x', name: '${'.repeat(100_000) })],
    ['many unset variables', JSON.stringify({ image: 'x', containerEnv: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`K${i}`, `\${localEnv:HB_FUZZ_${i}}`])) })],
  ];
}

// ---------------------------------------------------------------------------------------------
// The engine process and a strict check of its stdout

/** Checks that a byte stream is nothing but "Content-Length: N\r\n\r\n" + N bytes of JSON-RPC. */
class FrameChecker {
  private buf = Buffer.alloc(0);
  frames = 0;
  errors: string[] = [];
  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        // an incomplete header so far: it must at least start like one, and be short
        if (!'Content-'.startsWith(this.buf.subarray(0, 8).toString('latin1')) || this.buf.length > 1024) {
          this.fail(`not a header: ${JSON.stringify(this.buf.subarray(0, 80).toString('latin1'))}`);
        }
        return;
      }
      const header = this.buf.subarray(0, end).toString('latin1');
      const lines = header.split('\r\n');
      const len = lines.map((l) => /^Content-Length: (\d+)$/.exec(l)).find(Boolean);
      if (!len || lines.some((l) => !/^Content-(Length|Type): .+$/.test(l))) return this.fail(`bad header: ${JSON.stringify(header.slice(0, 80))}`);
      const n = Number(len[1]);
      if (this.buf.length < end + 4 + n) return;
      const body = this.buf.subarray(end + 4, end + 4 + n).toString('utf8');
      this.buf = this.buf.subarray(end + 4 + n);
      try {
        const msg = JSON.parse(body);
        if (msg.jsonrpc !== '2.0') this.fail(`not JSON-RPC 2.0: ${body.slice(0, 80)}`);
      } catch {
        this.fail(`body is not JSON: ${body.slice(0, 80)}`);
      }
      this.frames++;
    }
  }
  private fail(why: string): void {
    this.errors.push(why);
    this.buf = Buffer.alloc(0);
  }
  get leftover(): number {
    return this.buf.length;
  }
}

interface Engine {
  child: ChildProcessWithoutNullStreams;
  conn: MessageConnection;
  stdout: FrameChecker;
  stderr: () => string;
  /** The LogMessage notifications so far, as `[level] message` lines. */
  logs: () => string;
  exited: Promise<number | null>;
}

function startEngine(): Engine {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS; // costs ~150 ms per start and changes nothing here
  const child = spawn(process.execPath, [ENGINE], { stdio: ['pipe', 'pipe', 'pipe'], env });
  const stdout = new FrameChecker();
  child.stdout.on('data', (c: Buffer) => stdout.push(c));
  let err = '';
  child.stderr.on('data', (c: Buffer) => {
    if (err.length < 200_000) err += c.toString();
  });
  const quiet = { error: () => {}, warn: () => {}, info: () => {}, log: () => {} };
  const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin), quiet);
  let logged = '';
  conn.onNotification(LogMessage, (m) => void (logged += `[${m.level}] ${m.message}\n`));
  conn.listen();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, conn, stdout, stderr: () => err, logs: () => logged, exited };
}

function within<T>(p: Promise<T>, ms: number, what: string, engine: Engine): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms to ${what}\nengine stderr (tail):\n${engine.stderr().slice(-2000)}\nengine log (tail):\n${engine.logs().slice(-2000)}`)), ms);
    }),
  ]);
}

async function stop(engine: Engine): Promise<void> {
  if (engine.child.exitCode === null) {
    await within(engine.conn.sendRequest(Shutdown), REQUEST_TIMEOUT_MS, 'Shutdown', engine).catch(() => undefined);
    const code = await Promise.race([engine.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 3000))]);
    if (code === 'timeout') engine.child.kill('SIGKILL');
  }
  engine.conn.dispose();
}

function assertWellFormed(result: ResolvedConfig, what: string): void {
  assert.ok(Array.isArray(result.problems), what);
  for (const p of result.problems) {
    assert.ok(p.severity === 'error' || p.severity === 'warning', `${what}: severity ${p.severity}`);
    assert.ok(Number.isInteger(p.line) && p.line >= 1 && Number.isInteger(p.column) && p.column >= 1, `${what}: position ${p.line}:${p.column}`);
    assert.equal(typeof p.message, 'string');
    assert.equal(typeof p.file, 'string');
  }
  assert.ok(result.problems.length <= 501, `${what}: ${result.problems.length} problems`);
}

// ---------------------------------------------------------------------------------------------

describe(`engine robustness (seed ${SEED.toString(16)})`, function () {
  this.timeout(60000);
  let folder: string;
  let configFile: string;

  before(() => {
    ensureBuilt();
    folder = makeFolder({ '.devcontainer/Dockerfile': 'FROM scratch\n', '.devcontainer/docker-compose.yml': 'services: {}\n' });
    configFile = path.join(folder, '.devcontainer', 'devcontainer.json');
  });
  after(removeAll);

  it(`answers ${CASES} random and truncated configs, pathological ones and bad parameters, and stays up`, async () => {
    const engine = startEngine();
    try {
      const init = await within(engine.conn.sendRequest(Initialize, { clientName: 'fuzz', clientVersion: '0' }), REQUEST_TIMEOUT_MS, 'Initialize', engine);
      assert.ok(init.capabilities.includes('config'));
      const r = rng(SEED);
      const texts: [string, string][] = Array.from({ length: CASES }, (_, i) => [`random #${i}`, configText(r)]);
      const specials = specialTexts();

      let answered = 0;
      const resolve = async ([what, text]: [string, string]) => {
        const result = await within(engine.conn.sendRequest(ConfigResolve, { folder, configFile, text }), REQUEST_TIMEOUT_MS, `ConfigResolve (${what}, ${text.length} chars)`, engine);
        assertWellFormed(result, what);
        answered++;
      };
      // the random ones a few at a time, as an editor sends them while the user types
      const queue = [...texts];
      const worker = async () => {
        for (let item = queue.shift(); item; item = queue.shift()) await resolve(item);
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      // the big ones one at a time, so each gets the whole timeout to itself
      for (const item of specials) await resolve(item);
      assert.equal(answered, texts.length + specials.length);

      // wrong parameters: an answer (an error is fine), never silence or a crash
      const bad: unknown[] = [undefined, null, 42, 'x', [], {}, { folder: 42 }, { folder: null, text: {} }, { folder, configFile: 7, text: 7 }, { folder: '\u0000' }];
      for (const params of bad) {
        const answer = engine.conn.sendRequest(ConfigResolve.method, params).then(
          () => 'result',
          () => 'error',
        );
        assert.ok(['result', 'error'].includes(await within(answer, REQUEST_TIMEOUT_MS, `ConfigResolve(${JSON.stringify(params)})`, engine)));
        const discover = engine.conn.sendRequest(ConfigDiscover.method, params).then(
          () => 'result',
          () => 'error',
        );
        await within(discover, REQUEST_TIMEOUT_MS, `ConfigDiscover(${JSON.stringify(params)})`, engine);
      }

      const ping = await within(engine.conn.sendRequest(Ping), REQUEST_TIMEOUT_MS, 'Ping after the fuzzing', engine);
      assert.ok(ping.uptimeMs > 0);
      assert.equal(engine.child.exitCode, null, 'the engine is still running');
      await stop(engine);
      assert.deepEqual(engine.stdout.errors, [], 'stdout carries protocol messages only');
      assert.equal(engine.stdout.leftover, 0);
      assert.ok(engine.stdout.frames > texts.length + specials.length);
    } finally {
      if (engine.child.exitCode === null) engine.child.kill('SIGKILL');
    }
  });

  it('survives garbage bytes on stdin and answers the next real request', async () => {
    const engine = startEngine();
    try {
      await within(engine.conn.sendRequest(Initialize, { clientName: 'fuzz', clientVersion: '0' }), REQUEST_TIMEOUT_MS, 'Initialize', engine);
      const r = rng(SEED ^ 0xbad);
      const frame = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      const garbage: Buffer[] = [
        Buffer.from(Array.from({ length: 64 * 1024 }, () => r.int(256))),
        Buffer.from('Hello engine\r\n\r\n'),
        Buffer.from('Content-Length: abc\r\n\r\n{}'),
        Buffer.from('Content-Length: 999999999999\r\n\r\n{}'),
        Buffer.from('Content-Length: 5\r\n\r\n12345'),
        Buffer.from(frame('{not json at all')),
        Buffer.from(frame('[1,2,3]')),
        Buffer.from(frame('"a string"')),
        Buffer.from(frame('{"jsonrpc":"2.0","id":"raw-1","method":"no/such/method","params":{}}')),
        Buffer.from(frame('{"jsonrpc":"2.0","id":"raw-2","method":"hyperbox/config/resolve","params":{"folder":5}}')),
        Buffer.from(frame('{"jsonrpc":"2.0","method":"hyperbox/config/resolve"}')),
        Buffer.from(Array.from({ length: 4096 }, () => r.int(256))),
        Buffer.from('Content-Type: x\r\n'),
        Buffer.from('\r\n\r\n\r\n'),
        // a made-up length with a body that starts like JSON: the reader waits, then gives up on it
        Buffer.from('Content-Length: 5000000\r\n\r\n{"partial": '),
      ];
      for (const g of garbage) {
        await new Promise<void>((resolve, reject) => engine.child.stdin.write(g, (e) => (e ? reject(e) : resolve())));
      }
      const ping = await within(engine.conn.sendRequest(Ping), REQUEST_TIMEOUT_MS, 'Ping after garbage', engine);
      assert.ok(ping.uptimeMs > 0);
      const result = await within(
        engine.conn.sendRequest(ConfigResolve, { folder, configFile, text: '{ "image": "node:20" }' }),
        REQUEST_TIMEOUT_MS,
        'ConfigResolve after garbage',
        engine,
      );
      assert.deepEqual(result.problems, []);
      assert.equal(engine.child.exitCode, null, 'the engine is still running');
      // said once, to the client that said hello: as a LogMessage, not also on stderr
      assert.match(engine.logs(), /skipped \d+ byte\(s\) of input that is not a JSON-RPC message/);
      assert.doesNotMatch(engine.stderr(), /skipped \d+ byte/);
      await stop(engine);
      assert.equal(await engine.exited, 0);
      assert.deepEqual(engine.stdout.errors, [], 'stdout carries protocol messages only');
      assert.equal(engine.stdout.leftover, 0);
    } finally {
      if (engine.child.exitCode === null) engine.child.kill('SIGKILL');
    }
  });
});
