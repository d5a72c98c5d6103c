// Hot reload on a real engine: a Node app under HyperBox's supervision in a dev container. A save
// on the host makes the container serve the new code (restarted through a standby process); a
// crash after a reload is reported with the app's output and the next save starts it again; a
// burst of 5 000 files becomes one reload; the editor's save notice and the watcher's event for
// the same save make one reload, not two. hb watch / reload / status from a terminal, and the
// engine's own hot reload (reload.enabled) following the container through the live host.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { Initialize, ReloadChanged, ReloadSaved, RuntimeStatus, Shutdown, type ReloadEvent } from '../../src/protocol';
import { connectEngine, type Engine } from '../../src/engine/runtime/docker';
import { rememberTrust } from '../../src/engine/runtime/trust';
import { reloadTrustFindings } from '../../src/engine/reload/plan';
import { ReloadSession, type ReloadRecord } from '../../src/engine/reload/session';
import { docker, nodeImage, pythonImage } from './images';
import { hb, hbAsync, hbUp, inspect, REPO, waitFor, workspace } from './helpers';

/** GET / on the container's address; the body or the error code. */
export function get(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    // settles once: a body, or '' / the error when the server breaks off (a restart mid-response)
    let done = false;
    const settle = (v: string) => {
      if (!done) (done = true), clearTimeout(timer), resolve(v);
    };
    const timer = setTimeout(() => (req.destroy(), settle('error timeout')), 2000);
    const req = http.get({ host, port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => settle(body));
      res.on('error', () => settle('error response'));
      res.on('close', () => settle(res.complete ? body : 'error closed'));
    });
    req.on('error', (e: NodeJS.ErrnoException) => settle(`error ${e.code ?? e.message}`));
  });
}

const server = (msg: string) => `require('http').createServer((q, s) => s.end(${JSON.stringify(msg)})).listen(3000, () => console.log('serving ${msg}'));\n`;

describe('hot reload (engine, real Docker)', function () {
  this.timeout(180_000);
  let engine: Engine;
  let folder: string;
  let ip: string;
  let session: ReloadSession;
  const records: ReloadRecord[] = [];
  const crashes: { code: number; output: string }[] = [];
  let output = '';

  before(async () => {
    engine = await connectEngine(process.env);
    folder = workspace('reload-node', { image: nodeImage(), overrideCommand: true }, { 'server.js': server('v1'), '.gitignore': 'logs/\n' });
    const up = await hbUp(folder);
    const info = await inspect(up.result.containerId!);
    ip = info.NetworkSettings.IPAddress;
    const resolved = { config: { image: nodeImage() } };
    session = new ReloadSession({
      engine,
      info,
      config: resolved.config,
      root: folder,
      containerWorkspace: up.result.workspaceFolder ?? `/workspaces/${path.basename(folder)}`,
      command: 'node server.js',
      strategy: 'restart',
      rebuildOn: ['package.json', 'package-lock.json'],
      env: process.env,
      events: {
        output: (t) => (output += t),
        reloaded: (r) => records.push(r),
        crashed: (code, out) => crashes.push({ code, output: out }),
      },
    });
    await session.start();
    await waitFor(async () => (await get(ip, 3000)) === 'v1', 15_000, 'the app to serve v1');
  });

  after(async () => {
    await session?.close();
  });

  it('a saved change is served by the restarted app, through a standby that waited ahead', async () => {
    assert.equal(session.standby, 'node');
    const firstPid = session.supervisor!.pid;
    // the standby starts a moment after the app; give it that moment
    await new Promise((r) => setTimeout(r, 400));
    const t0 = Date.now();
    writeFileSync(path.join(folder, 'server.js'), server('v2'));
    await waitFor(async () => (await get(ip, 3000)) === 'v2', 10_000, 'v2 to be served');
    const ms = Date.now() - t0;
    await session.idle();
    assert.equal(records.length, 1, JSON.stringify(records));
    assert.equal(records[0].action, 'restarted');
    assert.deepEqual(records[0].files, ['server.js']);
    assert.notEqual(session.supervisor!.pid, firstPid);
    assert.ok(ms < 2000, `save to served took ${ms} ms`);
    assert.match(output, /serving v2/);
  });

  it("the editor's save notice and the watcher's event for one save make one reload", async () => {
    const before = records.length;
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(path.join(folder, 'server.js'), server('v3'));
    session.saved(path.join(folder, 'server.js'));
    await waitFor(async () => (await get(ip, 3000)) === 'v3', 10_000, 'v3 to be served');
    await new Promise((r) => setTimeout(r, 300));
    session.saved('server.js'); // a late notice for the same save
    await new Promise((r) => setTimeout(r, 200));
    await session.idle();
    assert.equal(records.length - before, 1, JSON.stringify(records.slice(before)));
  });

  it('ignored files (.gitignore, editor temp files, node_modules) never reload', async () => {
    const before = records.length;
    mkdirSync(path.join(folder, 'logs'), { recursive: true });
    mkdirSync(path.join(folder, 'node_modules', 'x'), { recursive: true });
    writeFileSync(path.join(folder, 'logs', 'a.log'), 'x');
    writeFileSync(path.join(folder, 'node_modules', 'x', 'index.js'), 'x');
    writeFileSync(path.join(folder, '.server.js.swp'), 'x');
    writeFileSync(path.join(folder, '4913'), 'x');
    writeFileSync(path.join(folder, 'server.js~'), 'x');
    await new Promise((r) => setTimeout(r, 500));
    await session.idle();
    assert.equal(records.length, before, JSON.stringify(records.slice(before)));
  });

  it('a crash after a reload is reported with its output, and the next save starts the app again', async () => {
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(path.join(folder, 'server.js'), "console.log('about to fail'); throw new Error('broken on purpose');\n");
    await waitFor(() => crashes.length > 0, 10_000, 'the crash to be reported');
    assert.notEqual(crashes[0].code, 0);
    assert.match(crashes[0].output, /about to fail/);
    assert.match(crashes[0].output, /broken on purpose/);
    assert.match(await get(ip, 3000), /^error/);
    writeFileSync(path.join(folder, 'server.js'), server('v4'));
    await waitFor(async () => (await get(ip, 3000)) === 'v4', 10_000, 'v4 to be served after the crash');
  });

  it('a burst of 5 000 files (a branch switch) is one reload', async () => {
    await session.idle();
    await new Promise((r) => setTimeout(r, 300));
    const before = records.length;
    mkdirSync(path.join(folder, 'src'), { recursive: true });
    for (let i = 0; i < 5000; i++) writeFileSync(path.join(folder, 'src', `f${i}.js`), `module.exports = ${i};\n`);
    writeFileSync(path.join(folder, 'server.js'), server('v5'));
    await waitFor(async () => (await get(ip, 3000)) === 'v5', 30_000, 'v5 to be served after the burst');
    await new Promise((r) => setTimeout(r, 500));
    await session.idle();
    const made = records.slice(before);
    assert.equal(made.length, 1, `${made.length} reloads: ${JSON.stringify(made.map((r) => r.count))}`);
    // the folder, its 5 000 files and server.js
    assert.equal(made[0].count, 5002);
    assert.equal(made[0].action, 'restarted');
  });
});

interface EngineProc {
  child: ChildProcessWithoutNullStreams;
  conn: MessageConnection;
}
function startEngine(): EngineProc {
  const child = spawn(process.execPath, [path.join(REPO, 'dist', 'engine.js')], { env: process.env });
  child.stderr.on('data', () => undefined);
  const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  conn.listen();
  return { child, conn };
}
async function stopEngine(e: EngineProc): Promise<void> {
  await e.conn.sendRequest(Shutdown).catch(() => undefined);
  await new Promise((r) => (e.child.exitCode !== null ? r(undefined) : e.child.once('exit', r)));
  e.conn.dispose();
}

describe('hot reload: hb watch and the engine (real Docker)', function () {
  this.timeout(180_000);

  it('hb watch runs the app, reloads on a save, hb reload forces one, hb status shows the app; Ctrl-C stops it', async () => {
    const folder = workspace('reload-cli', { image: nodeImage(), overrideCommand: true, customizations: { hyperbox: { devCommand: 'node server.js' } } }, { 'server.js': server('w1') });
    const { result } = await hbUp(folder);
    const ip = (await inspect(result.containerId!)).NetworkSettings.IPAddress;
    // not trusted, no terminal: it refuses and names --trust and the dev command
    const refused = hb(['watch', folder]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /hot reload: the dev command, started and restarted after every change, runs in the container: node server\.js/);
    assert.match(refused.stderr, /--trust/);
    assert.match(hb(['reload', folder]).stderr, /no hot reload runs for .*hb watch/);
    const w = hbAsync(['watch', folder, '--trust']);
    try {
      await waitFor(async () => (await get(ip, 3000)) === 'w1', 20_000, 'hb watch to serve w1');
      // a second hb watch does not start a second copy of the app
      const second = hb(['watch', folder]);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /Port 3000 is already served in the container|already runs/);
      await new Promise((r) => setTimeout(r, 300));
      writeFileSync(path.join(folder, 'server.js'), server('w2'));
      await waitFor(async () => (await get(ip, 3000)) === 'w2', 10_000, 'w2 after the save');
      const forced = hb(['reload', folder, '--json']);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(JSON.parse(forced.stdout).action, 'restarted');
      const status = hb(['status', folder]).stdout;
      assert.match(status, /App\s+node server\.js \(pid \d+, restart, supervised by hb watch pid \d+; last reload restarted in \d+ ms/);
    } finally {
      w.kill('SIGINT');
    }
    const r = await w;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /serving w1[\s\S]*serving w2/);
    assert.match(r.stderr, /restarted in \d+ ms \(server\.js\)/);
    await waitFor(async () => /^error/.test(await get(ip, 3000)), 5000, 'the app to stop with hb watch');
    assert.doesNotMatch(hb(['status', folder]).stdout, /App\s/);
  });

  it('the engine runs it when reload.enabled: reloads reported as ReloadChanged; a change while the container is stopped is served after docker start', async () => {
    const config = { image: nodeImage(), overrideCommand: true, customizations: { hyperbox: { devCommand: 'node server.js', reload: { enabled: true } } } };
    const folder = workspace('reload-engine', config, { 'server.js': server('e1') });
    const { result } = await hbUp(folder);
    const id = result.containerId!;
    await rememberTrust(process.env, folder, reloadTrustFindings('node server.js'), path.join(folder, '.devcontainer', 'devcontainer.json'));
    const e = startEngine();
    const events: ReloadEvent[] = [];
    e.conn.onNotification(ReloadChanged, (ev) => events.push(ev));
    try {
      await e.conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
      await e.conn.sendRequest(RuntimeStatus, { folder });
      const ip = (await inspect(id)).NetworkSettings.IPAddress;
      await waitFor(() => events.some((x) => x.kind === 'started'), 60_000, 'hot reload to start');
      await waitFor(async () => (await get(ip, 3000)) === 'e1', 10_000, 'e1 served');
      await new Promise((r) => setTimeout(r, 300));
      writeFileSync(path.join(folder, 'server.js'), server('e2'));
      e.conn.sendNotification(ReloadSaved, { folder, paths: [path.join(folder, 'server.js')] });
      await waitFor(async () => (await get(ip, 3000)) === 'e2', 10_000, 'e2 served');
      await waitFor(() => events.some((x) => x.kind === 'reloaded'), 5000, 'ReloadChanged');
      const reloaded = events.filter((x) => x.kind === 'reloaded');
      assert.equal(reloaded.length, 1, JSON.stringify(reloaded));
      assert.equal(reloaded[0].action, 'restarted');
      assert.deepEqual(reloaded[0].files, ['server.js']);
      assert.ok(typeof reloaded[0].p95 === 'number');
      // hb reload talks to the engine's hot reload
      const forced = hb(['reload', folder, '--json']);
      assert.equal(forced.code, 0, forced.stderr);
      docker(['stop', '-t', '1', id]);
      await waitFor(() => events.some((x) => x.kind === 'stopped'), 10_000, 'hot reload to end with the container');
      writeFileSync(path.join(folder, 'server.js'), server('e3'));
      docker(['start', id]);
      const ip2 = (await inspect(id)).NetworkSettings.IPAddress;
      await waitFor(async () => (await get(ip2, 3000)) === 'e3', 20_000, 'the change made while stopped to be served after docker start');
    } finally {
      await stopEngine(e);
    }
  });

  it('the engine does not run the dev command of a folder not trusted for it, and says so', async () => {
    const config = { image: nodeImage(), overrideCommand: true, customizations: { hyperbox: { devCommand: 'node server.js', reload: { enabled: true } } } };
    const folder = workspace('reload-untrusted', config, { 'server.js': server('u1') });
    const { result } = await hbUp(folder);
    const e = startEngine();
    const events: ReloadEvent[] = [];
    e.conn.onNotification(ReloadChanged, (ev) => events.push(ev));
    try {
      await e.conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
      await e.conn.sendRequest(RuntimeStatus, { folder });
      await waitFor(() => events.length > 0, 20_000, 'a ReloadChanged');
      assert.equal(events[0].kind, 'not-trusted');
      assert.match(events[0].message!, /not trusted.*hb watch/);
      const ip = (await inspect(result.containerId!)).NetworkSettings.IPAddress;
      assert.match(await get(ip, 3000), /^error/);
    } finally {
      await stopEngine(e);
    }
  });
});

describe('hot reload: Flask (real Docker)', function () {
  this.timeout(240_000);

  it('a saved change is served by Flask restarted from a standby that imported Flask ahead', async () => {
    const app = (msg: string) => `from flask import Flask\napp = Flask(__name__)\n\n@app.route("/")\ndef index():\n    return ${JSON.stringify(msg)}\n`;
    const folder = workspace('reload-flask', { image: pythonImage(), overrideCommand: true }, { 'app.py': app('f1') });
    const { result } = await hbUp(folder);
    const info = await inspect(result.containerId!);
    const ip = info.NetworkSettings.IPAddress;
    const records: ReloadRecord[] = [];
    let output = '';
    const session = new ReloadSession({
      engine: await connectEngine(process.env),
      info,
      config: { image: pythonImage() },
      root: folder,
      containerWorkspace: result.workspaceFolder!,
      command: 'python3 -m flask --app app run --host 0.0.0.0 --port 5000',
      strategy: 'restart',
      rebuildOn: ['requirements*.txt'],
      preload: ['flask'],
      env: process.env,
      events: { reloaded: (r) => records.push(r), output: (t) => (output += t) },
    });
    try {
      await session.start();
      assert.equal(session.standby, 'python');
      await waitFor(async () => (await get(ip, 5000)) === 'f1', 30_000, 'Flask to serve f1');
      // the standby imports Flask before it waits: give it the time a cold start would take
      await waitFor(() => dockerExecOut(result.containerId!, 'ps -o args').split('\n').filter((l) => l.includes('flask --app')).length >= 2, 15_000, 'the standby');
      await new Promise((r) => setTimeout(r, 2500));
      const t0 = Date.now();
      writeFileSync(path.join(folder, 'app.py'), app('f2'));
      await waitFor(async () => (await get(ip, 5000)) === 'f2', 15_000, 'f2 served');
      const ms = Date.now() - t0;
      await session.idle();
      assert.equal(records.length, 1, JSON.stringify(records));
      assert.equal(records[0].action, 'restarted');
      process.stderr.write(`      (Flask: save to new content served in ${ms} ms)\n`);
      assert.match(output, /Running on/);
    } finally {
      await session.close();
    }
  });
});

function dockerExecOut(id: string, cmd: string): string {
  return docker(['exec', id, 'sh', '-c', cmd], { allowFail: true }).stdout;
}
