// Hot reload on a real engine: a Node app under HyperBox's supervision in a dev container. A save
// on the host makes the container serve the new code (restarted through a standby process); a
// crash after a reload is reported with the app's output and the next save starts it again; a
// burst of 5 000 files becomes one reload; the editor's save notice and the watcher's event for
// the same save make one reload, not two. hb watch / reload / status from a terminal, and the
// engine's own hot reload (reload.enabled) following the container through the live host.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ContainerInspectInfo } from 'dockerode';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { Initialize, ReloadChanged, ReloadSaved, ReloadToggle, RuntimeStatus, Shutdown, type ReloadEvent } from '../../src/protocol';
import { connectEngine } from '../../src/engine/runtime/engine/docker';
import { rememberTrust } from '../../src/engine/runtime/create/trust';
import { reloadTrustFindings } from '../../src/engine/reload/plan';
import { ReloadSession, type ReloadRecord, type SessionOptions } from '../../src/engine/reload/session';
import { docker, nodeImage, pythonImage, TEST_LABEL } from './images';
import { hb, hbAsync, hbUp, inspect, REPO, waitFor, workspace } from './helpers';
import { flaskApp, get, nodeServer, serves } from './reloadApps';

const server = nodeServer;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A hot-reload session of a test's container, its records, crashes and output collected. */
async function openSession(info: ContainerInspectInfo, folder: string, o: Pick<SessionOptions, 'command' | 'containerWorkspace'> & Partial<SessionOptions>) {
  const records: ReloadRecord[] = [];
  const crashes: { code: number; output: string }[] = [];
  const seen = { output: '', suspended: 0 };
  const session = new ReloadSession({
    engine: await connectEngine(process.env),
    info,
    config: {},
    root: folder,
    strategy: 'restart',
    rebuildOn: [],
    env: process.env,
    ...o,
    events: {
      output: (t) => (seen.output += t),
      reloaded: (r) => records.push(r),
      crashed: (code, out) => crashes.push({ code, output: out }),
      suspended: () => seen.suspended++,
    },
  });
  await session.start();
  return { session, records, crashes, seen };
}

describe('hot reload (engine, real Docker)', function () {
  this.timeout(180_000);
  let folder: string;
  let ip: string;
  let s: Awaited<ReturnType<typeof openSession>>;

  before(async () => {
    folder = workspace('reload-node', { image: nodeImage(), overrideCommand: true }, { 'server.js': server('v1'), '.gitignore': 'logs/\n' });
    const up = await hbUp(folder);
    const info = await inspect(up.result.containerId!);
    ip = info.NetworkSettings.IPAddress;
    s = await openSession(info, folder, {
      containerWorkspace: up.result.workspaceFolder ?? `/workspaces/${path.basename(folder)}`,
      command: 'node server.js',
      rebuildOn: ['package.json', 'package-lock.json'],
      ports: [3000],
      // a quiet period long enough that acting on a save without it shows, however loaded the machine
      debounceMs: 300,
    });
    await serves(ip, 3000, 'v1', 15_000);
  });

  after(async () => {
    await s?.session.close();
  });

  it('a saved change is served by the restarted app, through a standby that waited ahead; the record times it to serving', async () => {
    const { session, records, seen } = s;
    assert.equal(session.standby, 'node');
    const firstPid = session.supervisor!.pid;
    // the standby starts once the app serves; give it that moment
    await sleep(400);
    const t0 = Date.now();
    writeFileSync(path.join(folder, 'server.js'), server('v2'));
    await serves(ip, 3000, 'v2', 10_000);
    const ms = Date.now() - t0;
    await session.idle();
    assert.equal(records.length, 1, JSON.stringify(records));
    assert.equal(records[0].action, 'restarted');
    assert.deepEqual(records[0].files, ['server.js']);
    assert.notEqual(session.supervisor!.pid, firstPid);
    assert.ok(ms < 2000, `save to served took ${ms} ms`);
    // the app's output streams in beside its answers: the line may come a moment after the port answered
    await waitFor(() => /serving v2/.test(seen.output), 5000, 'the app\'s output "serving v2"');
    // the latency shown to the user runs until the port answered, and says where the time went
    const p = records[0].phases!;
    assert.ok(p.restart !== undefined && p.serve !== undefined, JSON.stringify(p));
    assert.ok(records[0].ms >= p.wait + p.restart + p.serve, JSON.stringify(records[0]));
  });

  it("the editor's save is acted on at once (no quiet period), and its watcher event adds no second reload", async () => {
    const { session, records } = s;
    const before = records.length;
    await sleep(400);
    writeFileSync(path.join(folder, 'server.js'), server('v2b'));
    session.saved(path.join(folder, 'server.js'));
    await serves(ip, 3000, 'v2b', 10_000);
    await sleep(300);
    session.saved('server.js'); // a late notice for the same save
    await sleep(200);
    await session.idle();
    const made = records.slice(before);
    assert.equal(made.length, 1, JSON.stringify(made));
    assert.ok(made[0].phases!.wait < 150, `waited ${made[0].phases!.wait} ms before acting on a save (the watcher's quiet period is 300 ms)`);
  });

  it('ignored files (.gitignore, editor temp files, node_modules) never reload', async () => {
    const { session, records } = s;
    const before = records.length;
    mkdirSync(path.join(folder, 'logs'), { recursive: true });
    mkdirSync(path.join(folder, 'node_modules', 'x'), { recursive: true });
    writeFileSync(path.join(folder, 'logs', 'a.log'), 'x');
    writeFileSync(path.join(folder, 'node_modules', 'x', 'index.js'), 'x');
    writeFileSync(path.join(folder, '.server.js.swp'), 'x');
    writeFileSync(path.join(folder, '4913'), 'x');
    writeFileSync(path.join(folder, 'server.js~'), 'x');
    await sleep(500);
    await session.idle();
    assert.equal(records.length, before, JSON.stringify(records.slice(before)));
  });

  it('a crash after a reload is reported with its output, and the next save starts the app again', async () => {
    const { crashes } = s;
    await sleep(300);
    writeFileSync(path.join(folder, 'server.js'), "console.log('about to fail'); throw new Error('broken on purpose');\n");
    await waitFor(() => crashes.length > 0, 10_000, 'the crash to be reported');
    assert.notEqual(crashes[0].code, 0);
    assert.match(crashes[0].output, /about to fail/);
    assert.match(crashes[0].output, /broken on purpose/);
    assert.match(await get(ip, 3000), /^error/);
    writeFileSync(path.join(folder, 'server.js'), server('v4'));
    await serves(ip, 3000, 'v4', 10_000);
  });

  it('a burst of 5 000 files (a branch switch) is one reload', async () => {
    const { session, records } = s;
    await session.idle();
    await sleep(300);
    const before = records.length;
    mkdirSync(path.join(folder, 'src'), { recursive: true });
    for (let i = 0; i < 5000; i++) writeFileSync(path.join(folder, 'src', `f${i}.js`), `module.exports = ${i};\n`);
    writeFileSync(path.join(folder, 'server.js'), server('v5'));
    await serves(ip, 3000, 'v5', 30_000);
    await sleep(500);
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

  it('hb watch runs the app, reloads on a save, hb reload forces one, hb status shows the app, waits through a container restart; Ctrl-C stops it', async () => {
    const folder = workspace('reload-cli', { image: nodeImage(), overrideCommand: true, customizations: { hyperbox: { devCommand: 'node server.js' } } }, { 'server.js': server('w1') });
    const { result } = await hbUp(folder);
    let ip = (await inspect(result.containerId!)).NetworkSettings.IPAddress;
    // not trusted, no terminal: it refuses and names --trust and the dev command
    const refused = hb(['watch', folder]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /hot reload: the dev command, started and restarted after every change, runs in the container: node server\.js/);
    assert.match(refused.stderr, /--trust/);
    assert.match(hb(['reload', folder]).stderr, /no hot reload runs for .*hb watch/);
    const w = hbAsync(['watch', folder, '--trust']);
    try {
      await serves(ip, 3000, 'w1', 20_000);
      // a second hb watch does not start a second copy of the app
      const second = hb(['watch', folder]);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /Port 3000 is already served in the container|already runs/);
      await sleep(300);
      writeFileSync(path.join(folder, 'server.js'), server('w2'));
      await serves(ip, 3000, 'w2', 10_000);
      const forced = hb(['reload', folder, '--json']);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(JSON.parse(forced.stdout).action, 'restarted');
      const status = hb(['status', folder]).stdout;
      assert.match(status, /App\s+node server\.js \(pid \d+, restart, supervised by hb watch pid \d+; last reload restarted in \d+ ms/);
      // the container stops: hb watch waits for it, and a change made meanwhile is served once it runs again
      docker(['stop', '-t', '1', result.containerId!]);
      await sleep(500);
      writeFileSync(path.join(folder, 'server.js'), server('w3'));
      docker(['start', result.containerId!]);
      ip = (await inspect(result.containerId!)).NetworkSettings.IPAddress;
      await serves(ip, 3000, 'w3', 30_000);
    } finally {
      w.kill('SIGINT');
    }
    const r = await w;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /serving w1[\s\S]*serving w2/);
    assert.match(r.stderr, /restarted in \d+ ms \(server\.js\)/);
    assert.match(r.stderr, /changes are queued and replayed[\s\S]*runs again/);
    await waitFor(async () => /^error/.test(await get(ip, 3000)), 5000, 'the app to stop with hb watch');
    assert.doesNotMatch(hb(['status', folder]).stdout, /App\s/);
  });

  /** A folder whose config turns hot reload on, its container up, an engine process serving it; ReloadChanged collected. */
  async function withEngine(name: string, msg: string, trusted: boolean, test: (t: { folder: string; id: string; ip: string; conn: MessageConnection; events: ReloadEvent[] }) => Promise<void>) {
    const config = { image: nodeImage(), overrideCommand: true, customizations: { hyperbox: { devCommand: 'node server.js', reload: { enabled: true } } } };
    const folder = workspace(name, config, { 'server.js': server(msg) });
    const { result } = await hbUp(folder);
    const id = result.containerId!;
    if (trusted) await rememberTrust(process.env, folder, reloadTrustFindings('node server.js'), path.join(folder, '.devcontainer', 'devcontainer.json'));
    const e = startEngine();
    const events: ReloadEvent[] = [];
    e.conn.onNotification(ReloadChanged, (ev) => events.push(ev));
    try {
      await e.conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
      await e.conn.sendRequest(RuntimeStatus, { folder });
      await test({ folder, id, ip: (await inspect(id)).NetworkSettings.IPAddress, conn: e.conn, events });
    } finally {
      await stopEngine(e);
    }
  }

  it('the engine runs it when reload.enabled: reloads reported as ReloadChanged; a change while the container is stopped is served after docker start', async () => {
    await withEngine('reload-engine', 'e1', true, async ({ folder, id, ip, conn, events }) => {
      await waitFor(() => events.some((x) => x.kind === 'started'), 60_000, 'hot reload to start');
      await serves(ip, 3000, 'e1', 10_000);
      await sleep(300);
      writeFileSync(path.join(folder, 'server.js'), server('e2'));
      void conn.sendNotification(ReloadSaved, { folder, paths: [path.join(folder, 'server.js')] });
      await serves(ip, 3000, 'e2', 10_000);
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
      await waitFor(() => events.some((x) => x.kind === 'suspended'), 10_000, 'hot reload to wait for the container');
      writeFileSync(path.join(folder, 'server.js'), server('e3'));
      docker(['start', id]);
      const ip2 = (await inspect(id)).NetworkSettings.IPAddress;
      await serves(ip2, 3000, 'e3', 20_000);
    });
  });

  it('the engine does not run the dev command of a folder not trusted for it, and says so; Toggle Hot Reload in a trusted window starts it, and turns it off', async () => {
    await withEngine('reload-untrusted', 'u1', false, async ({ folder, ip, conn, events }) => {
      await waitFor(() => events.length > 0, 20_000, 'a ReloadChanged');
      assert.equal(events[0].kind, 'not-trusted');
      assert.match(events[0].message!, /not trusted.*hb watch/);
      assert.match(await get(ip, 3000), /^error/);
      const on = await conn.sendRequest(ReloadToggle, { folder, enabled: true, trusted: true });
      assert.equal(on.enabled, true);
      assert.match(on.message, /runs/);
      await serves(ip, 3000, 'u1', 20_000);
      const off = await conn.sendRequest(ReloadToggle, { folder, enabled: false, trusted: true });
      assert.equal(off.enabled, false);
      await waitFor(async () => /^error/.test(await get(ip, 3000)), 10_000, 'the app to stop when hot reload is turned off');
      assert.ok(events.some((x) => x.kind === 'off'), JSON.stringify(events));
    });
  });
});

describe('hot reload: copy-sync (a workspace not bind-mounted, real Docker)', function () {
  this.timeout(180_000);
  const started: string[] = [];
  after(() => {
    if (started.length) docker(['rm', '-f', ...started], { allowFail: true });
  });

  it('a change is copied in and served; changes made while the container is stopped are replayed when it runs again, deletions included', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'hb-reload-copy-'));
    try {
      writeFileSync(path.join(folder, 'server.js'), server('c1'));
      writeFileSync(path.join(folder, 'old.txt'), 'to be deleted');
      const id = docker(['run', '-d', '--label', `${TEST_LABEL}=1`, '-w', '/app', nodeImage(), 'sh', '-c', 'mkdir -p /app && exec sleep 1000000']).stdout.trim();
      started.push(id);
      const info = await inspect(id);
      const { session, records, seen } = await openSession(info, folder, { containerWorkspace: '/app', command: 'node server.js', ports: [3000], followRestarts: true });
      try {
        assert.equal(session.copy, true);
        await serves(info.NetworkSettings.IPAddress, 3000, 'c1', 15_000);
        await sleep(300);
        writeFileSync(path.join(folder, 'server.js'), server('c2'));
        await serves(info.NetworkSettings.IPAddress, 3000, 'c2', 10_000);
        await session.idle();
        assert.equal(records.at(-1)!.action, 'restarted');
        assert.ok(records.at(-1)!.phases!.sync !== undefined, JSON.stringify(records.at(-1)));
        docker(['stop', '-t', '1', id]);
        await waitFor(() => seen.suspended > 0, 10_000, 'the session to wait for the container');
        rmSync(path.join(folder, 'old.txt'));
        writeFileSync(path.join(folder, 'server.js'), server('c3'));
        await sleep(300);
        docker(['start', id]);
        const again = await inspect(id);
        await session.resume(again);
        await serves(again.NetworkSettings.IPAddress, 3000, 'c3', 15_000);
        await session.idle();
        assert.equal(docker(['exec', id, 'test', '-e', '/app/old.txt'], { allowFail: true }).code, 1, 'the file deleted while the container was stopped is gone from it');
        assert.ok(existsSync(path.join(folder, 'server.js')));
      } finally {
        await session.close();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('hot reload: copy-sync of a burst (real Docker)', function () {
  this.timeout(180_000);
  let id: string | undefined;
  after(() => {
    if (id) docker(['rm', '-f', id], { allowFail: true });
  });

  it('a burst of 1 500 files in a new folder (several tars) arrives whole: contents, mtimes, owner, a symbolic link; one action', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'hb-reload-copyburst-'));
    try {
      writeFileSync(path.join(folder, 'server.js'), server('b1'));
      // the workspace belongs to uid 1000 in the container: copied files must too
      id = docker(['run', '-d', '--label', `${TEST_LABEL}=1`, '-w', '/app', nodeImage(), 'sh', '-c', 'mkdir -p /app && chown 1000:1000 /app && exec sleep 1000000']).stdout.trim();
      const info = await inspect(id);
      const { session, records } = await openSession(info, folder, { containerWorkspace: '/app', command: 'node server.js', strategy: 'framework-native', ports: [3000] });
      try {
        await serves(info.NetworkSettings.IPAddress, 3000, 'b1', 15_000);
        await sleep(300);
        const before = records.length;
        mkdirSync(path.join(folder, 'lib', 'deep'), { recursive: true });
        for (let i = 0; i < 1500; i++) writeFileSync(path.join(folder, 'lib', i % 2 ? 'deep' : '', `m${i}.js`), `module.exports = ${i};\n`);
        symlinkSync('deep/m1.js', path.join(folder, 'lib', 'link.js'));
        await waitFor(() => records.length > before, 30_000, 'the burst to be copied');
        await sleep(1500);
        await session.idle();
        const made = records.slice(before);
        assert.equal(made.length, 1, JSON.stringify(made.map((r) => [r.action, r.count, r.error])));
        assert.equal(made[0].action, 'synced', made[0].error);
        const out = docker(['exec', id, 'sh', '-c', 'cd /app/lib && find . -type f | wc -l && cat deep/m1499.js m0.js && readlink link.js && stat -c "%u %Y" deep/m777.js']).stdout.trim().split('\n');
        assert.deepEqual(out.slice(0, 4), ['1500', 'module.exports = 1499;', 'module.exports = 0;', 'deep/m1.js']);
        const [uid, mtime] = out[4].split(' ').map(Number);
        assert.equal(uid, 1000, 'owned by the workspace owner');
        assert.equal(mtime, Math.floor(statSync(path.join(folder, 'lib', 'deep', 'm777.js')).mtimeMs / 1000), "the host file's mtime, so watchers in the container fire");
      } finally {
        await session.close();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('hot reload: copy-sync of a burst of deletions (real Docker)', function () {
  this.timeout(180_000);
  let id: string | undefined;
  after(() => {
    if (id) docker(['rm', '-f', id], { allowFail: true });
  });

  it('a branch switch that removes a folder of 300 files and 250 files beside it: one action, all of them gone in the container, the rest kept', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'hb-reload-gone-'));
    try {
      writeFileSync(path.join(folder, 'server.js'), server('g1'));
      mkdirSync(path.join(folder, 'old', 'deep'), { recursive: true });
      for (let i = 0; i < 300; i++) writeFileSync(path.join(folder, 'old', i % 2 ? 'deep' : '', `o${i}.js`), `${i}`);
      for (let i = 0; i < 250; i++) writeFileSync(path.join(folder, `r${i}.txt`), `${i}`);
      writeFileSync(path.join(folder, 'keep.txt'), 'kept');
      id = docker(['run', '-d', '--label', `${TEST_LABEL}=1`, '-w', '/app', nodeImage(), 'sh', '-c', 'mkdir -p /app && exec sleep 1000000']).stdout.trim();
      const info = await inspect(id);
      const { session, records } = await openSession(info, folder, { containerWorkspace: '/app', command: 'node server.js', strategy: 'framework-native', ports: [3000] });
      try {
        await serves(info.NetworkSettings.IPAddress, 3000, 'g1', 15_000);
        const count = () => docker(['exec', id!, 'sh', '-c', 'find /app -type f | wc -l']).stdout.trim();
        assert.equal(count(), '552', 'the whole workspace copied in when the session started');
        await sleep(300);
        const before = records.length;
        rmSync(path.join(folder, 'old'), { recursive: true });
        for (let i = 0; i < 250; i++) rmSync(path.join(folder, `r${i}.txt`));
        await waitFor(() => records.length > before, 30_000, 'the deletions to be acted on');
        await sleep(1000);
        await session.idle();
        const made = records.slice(before);
        assert.equal(made.length, 1, JSON.stringify(made.map((r) => [r.action, r.count, r.error])));
        assert.equal(made[0].action, 'synced', made[0].error);
        // (removed 100 paths at a time by the agent: 251 paths, three removals)
        assert.equal(docker(['exec', id, 'sh', '-c', 'ls /app | sort | tr "\\n" " "']).stdout.trim(), 'keep.txt server.js');
      } finally {
        await session.close();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('hot reload: copy-sync of a burst while it is written (real Docker)', function () {
  this.timeout(180_000);
  let id: string | undefined;
  after(() => {
    if (id) docker(['rm', '-f', id], { allowFail: true });
  });

  it("a burst's files are in the container before its one action; a file written again and one deleted mid-burst end as on the host; late reports unpack nothing again", async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'hb-reload-ahead-'));
    try {
      writeFileSync(path.join(folder, 'server.js'), server('a1'));
      mkdirSync(path.join(folder, 'src'));
      writeFileSync(path.join(folder, 'src', 'gone.js'), 'to be deleted');
      id = docker(['run', '-d', '--label', `${TEST_LABEL}=1`, '-w', '/app', nodeImage(), 'sh', '-c', 'mkdir -p /app && exec sleep 1000000']).stdout.trim();
      const info = await inspect(id);
      const { session, records } = await openSession(info, folder, { containerWorkspace: '/app', command: 'node server.js', strategy: 'framework-native', ports: [3000] });
      try {
        await serves(info.NetworkSettings.IPAddress, 3000, 'a1', 15_000);
        await sleep(300);
        const before = records.length;
        const inContainer = () => Number(docker(['exec', id!, 'sh', '-c', 'ls /app/src | grep -c "^m"'], { allowFail: true }).stdout.trim() || 0);
        // 1 500 files, 50 every 60 ms (about 2 s); m7.js written again and gone.js deleted midway
        let early = 0;
        for (let i = 0; i < 1500; i += 50) {
          for (let j = i; j < i + 50; j++) writeFileSync(path.join(folder, 'src', `m${j}.js`), `module.exports = ${j};\n`);
          if (i === 750) {
            writeFileSync(path.join(folder, 'src', 'm7.js'), 'module.exports = "seven, again";\n');
            rmSync(path.join(folder, 'src', 'gone.js'));
          }
          if (i === 1000 && records.length === before) early = inContainer();
          await sleep(60);
        }
        await waitFor(() => records.length > before, 30_000, 'the burst to be acted on');
        await session.idle();
        const made = records.slice(before);
        assert.equal(made.length, 1, JSON.stringify(made.map((r) => [r.action, r.count, r.error])));
        assert.equal(made[0].action, 'synced', made[0].error);
        assert.ok(early > 0, 'files of the burst were copied in while it was still written');
        const state = () => docker(['exec', id!, 'sh', '-c', 'cd /app/src && ls | grep -c "^m" && cat m7.js m1499.js && (test -e gone.js && echo present || echo gone) && stat -c %z m3.js m900.js']).stdout.trim().split('\n');
        const out = state();
        assert.deepEqual(out.slice(0, 4), ['1500', 'module.exports = "seven, again";', 'module.exports = 1499;', 'gone']);
        // a burst written as fast as it can be: chokidar's own reports of it come a second late,
        // after it was acted on, and must not unpack it again
        await sleep(500);
        mkdirSync(path.join(folder, 'fast'));
        for (let i = 0; i < 4000; i++) writeFileSync(path.join(folder, 'fast', `f${i}.js`), `${i}\n`);
        await waitFor(() => records.length > before + 1, 30_000, 'the fast burst to be acted on');
        await session.idle();
        const ctimes = () => docker(['exec', id!, 'sh', '-c', 'cd /app/fast && ls | wc -l && stat -c %z f1.js f2000.js f3999.js']).stdout.trim().split('\n');
        const fast = ctimes();
        assert.equal(fast[0], '4000');
        await sleep(2500);
        await session.idle();
        assert.deepEqual(ctimes(), fast, 'the files were not unpacked again (their ctime in the container)');
        assert.deepEqual(state().slice(4), out.slice(4));
        assert.equal(records.length, before + 2, JSON.stringify(records.slice(before).map((r) => [r.action, r.count])));
      } finally {
        await session.close();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('hot reload: Flask (real Docker)', function () {
  this.timeout(240_000);

  it('a saved change is served by Flask restarted from a warm parent that imported Flask ahead', async () => {
    const folder = workspace('reload-flask', { image: pythonImage(), overrideCommand: true }, { 'app.py': flaskApp('f1') });
    const { result } = await hbUp(folder);
    const info = await inspect(result.containerId!);
    const ip = info.NetworkSettings.IPAddress;
    const { session, records, seen } = await openSession(info, folder, {
      containerWorkspace: result.workspaceFolder!,
      command: 'python3 -m flask --app app run --host 0.0.0.0 --port 5000',
      rebuildOn: ['requirements*.txt'],
      preload: ['flask'],
      ports: [5000],
    });
    try {
      assert.equal(session.standby, 'python');
      await serves(ip, 5000, 'f1', 30_000);
      // the warm parent (which imported Flask) and the app it forked
      await waitFor(() => dockerExecOut(result.containerId!, 'ps -o args').split('\n').filter((l) => l.includes('flask --app')).length >= 2, 15_000, 'the warm parent and its app');
      await sleep(2500);
      const t0 = Date.now();
      writeFileSync(path.join(folder, 'app.py'), flaskApp('f2'));
      await serves(ip, 5000, 'f2', 15_000);
      const ms = Date.now() - t0;
      await session.idle();
      assert.equal(records.length, 1, JSON.stringify(records));
      assert.equal(records[0].action, 'restarted');
      process.stderr.write(`      (Flask: save to new content served in ${ms} ms)\n`);
      assert.match(seen.output, /Running on/);
    } finally {
      await session.close();
    }
  });
});

describe('hot reload: Flask saves faster than Flask imports (real Docker)', function () {
  this.timeout(240_000);
  let id: string | undefined;
  let folder: string | undefined;
  after(() => {
    if (id) docker(['rm', '-f', id], { allowFail: true });
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  /** The container's Flask processes: pid, parent, process group (the pattern split, so this shell's own command line does not match). */
  const flaskProcs = (cid: string) =>
    dockerExecOut(cid, 'for p in /proc/[0-9]*; do case "$(tr "\\0" " " < $p/cmdline 2>/dev/null)" in *"fla""sk --app"*) cut -d" " -f1,4,5 $p/stat;; esac; done')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ').map(Number));

  it('5 saves 150 ms apart: each new content served, one app process at a time, the supervisor knows its pid; a workspace module the preload names is never kept warm', async () => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'hb-reload-flaskfast-'));
    // the app's text comes from a module of the workspace, which the preload also names (and can
    // import: the workspace is on PYTHONPATH): the warm parent must not keep it
    writeFileSync(path.join(folder, 'msg.py'), 'TEXT = "m0"\n');
    writeFileSync(path.join(folder, 'app.py'), 'from flask import Flask\nimport msg\napp = Flask(__name__)\n\n@app.route("/")\ndef index():\n    return msg.TEXT\n');
    id = docker(['run', '-d', '--label', `${TEST_LABEL}=1`, '--init', '-e', 'PYTHONPATH=/app', '-v', `${folder}:/app`, '-w', '/app', pythonImage(), 'sleep', '1000000']).stdout.trim();
    const info = await inspect(id);
    const ip = info.NetworkSettings.IPAddress;
    const { session, records, crashes, seen } = await openSession(info, folder, {
      containerWorkspace: '/app',
      command: 'python3 -m flask --app app run --host 0.0.0.0 --port 5000',
      preload: ['flask', 'msg'],
      ports: [5000],
    });
    try {
      await serves(ip, 5000, 'm0', 30_000);
      // how many Flask processes run at once, sampled while the saves come
      let most = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          most = Math.max(most, flaskProcs(id).length);
          await sleep(30);
        }
      })();
      const took: number[] = [];
      let last = Date.now();
      for (let i = 1; i <= 5; i++) {
        await sleep(Math.max(0, 150 - (Date.now() - last)));
        last = Date.now();
        writeFileSync(path.join(folder, 'msg.py'), `TEXT = "m${i}"\n`);
        await serves(ip, 5000, `m${i}`, 15_000);
        took.push(Date.now() - last);
      }
      sampling = false;
      await sampler;
      await session.idle();
      process.stderr.write(`      (Flask, saves 150 ms apart: served in ${took.join(', ')} ms)\n`);
      assert.deepEqual(crashes, [], seen.output.slice(-2000));
      assert.ok(records.length >= 5 && records.every((r) => r.action === 'restarted' && !r.error), JSON.stringify(records));
      assert.doesNotMatch(seen.output, /Address already in use/);
      // the warm parent and the one app it forked: never two apps
      assert.ok(most <= 2, `${most} Flask processes at once`);
      const procs = flaskProcs(id);
      assert.equal(procs.length, 2, JSON.stringify(procs));
      const app = procs.find(([pid]) => pid === session.supervisor!.pid);
      assert.ok(app, `the supervisor's pid ${session.supervisor!.pid} is a running Flask process: ${JSON.stringify(procs)}`);
      assert.equal(app[2], app[0], 'in its own process group (a reload stops all of it)');
      assert.ok(procs.some(([pid]) => pid === app[1]), 'forked by the warm parent');
    } finally {
      await session.close();
    }
    assert.deepEqual(flaskProcs(id), [], 'stopped with the session, the warm parent too');
  });

  it('when the warm parent dies, the next save starts the app cold and a new warm parent follows', async () => {
    const folder2 = mkdtempSync(path.join(os.tmpdir(), 'hb-reload-flaskwarm-'));
    writeFileSync(path.join(folder2, 'app.py'), flaskApp('w1'));
    const cid = docker(['run', '-d', '--label', `${TEST_LABEL}=1`, '--init', '-v', `${folder2}:/app`, '-w', '/app', pythonImage(), 'sleep', '1000000']).stdout.trim();
    const info = await inspect(cid);
    const ip = info.NetworkSettings.IPAddress;
    const { session, records, crashes } = await openSession(info, folder2, {
      containerWorkspace: '/app',
      command: 'python3 -m flask --app app run --host 0.0.0.0 --port 5000',
      preload: ['flask'],
      ports: [5000],
    });
    try {
      await serves(ip, 5000, 'w1', 30_000);
      // the first start is cold; the warm parent follows, and the next save is a fork of it
      await waitFor(() => flaskProcs(cid).length === 2, 30_000, 'the warm parent');
      writeFileSync(path.join(folder2, 'app.py'), flaskApp('w2'));
      await serves(ip, 5000, 'w2', 30_000);
      await session.idle();
      const app = session.supervisor!.pid!;
      const forked = flaskProcs(cid).find(([pid]) => pid === app);
      assert.ok(forked, `the serving app ${app} is a Flask process: ${JSON.stringify(flaskProcs(cid))}`);
      const parent = forked[1];
      docker(['exec', cid, 'kill', '-KILL', String(parent)]);
      await sleep(300);
      assert.equal(session.supervisor!.pid, app, 'the app serves on without its parent');
      writeFileSync(path.join(folder2, 'app.py'), flaskApp('w3'));
      await serves(ip, 5000, 'w3', 30_000);
      await session.idle();
      // a new warm parent: the next save is served by a fork of it
      await waitFor(() => flaskProcs(cid).length === 2, 30_000, 'a new warm parent');
      writeFileSync(path.join(folder2, 'app.py'), flaskApp('w4'));
      await serves(ip, 5000, 'w4', 15_000);
      await session.idle();
      const procs = flaskProcs(cid);
      assert.equal(procs.length, 2, JSON.stringify(procs));
      const now = procs.find(([pid]) => pid === session.supervisor!.pid)!;
      assert.ok(procs.some(([pid]) => pid === now[1] && pid !== parent), `forked by the new warm parent: ${JSON.stringify(procs)}`);
      assert.deepEqual(crashes, []);
      assert.ok(records.every((r) => r.action === 'restarted' && !r.error), JSON.stringify(records));
    } finally {
      await session.close();
      docker(['rm', '-f', cid], { allowFail: true });
      rmSync(folder2, { recursive: true, force: true });
    }
  });
});

function dockerExecOut(id: string, cmd: string): string {
  return docker(['exec', id, 'sh', '-c', cmd], { allowFail: true }).stdout;
}
