// Hot reload on a real engine: a Node app under HyperBox's supervision in a dev container. A save
// on the host makes the container serve the new code (restarted through a standby process); a
// crash after a reload is reported with the app's output and the next save starts it again; a
// burst of 5 000 files becomes one reload; the editor's save notice and the watcher's event for
// the same save make one reload, not two.
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { connectEngine, type Engine } from '../../src/engine/runtime/docker';
import { ReloadSession, type ReloadRecord } from '../../src/engine/reload/session';
import { nodeImage } from './images';
import { hbUp, inspect, waitFor, workspace } from './helpers';

/** GET / on the container's address; the body or the error code. */
export function get(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
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
