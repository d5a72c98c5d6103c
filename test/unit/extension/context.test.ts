// The owner of the engine's life, with the `vscode` API stubbed and the real engine: restarts
// after a crash, giving up with a "Restart Engine" action, fresh session handlers at every
// restart, and where the engine comes from (environment > user setting > bundled; never the
// workspace).
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { RestartPolicy } from '../../../src/extension/backoff';
import { registerCommands } from '../../../src/extension/commands';
import { Ctx, type CtxOptions } from '../../../src/extension/context';
import { ENGINE_JS, ROOT, alive, copyFixture, ensureBuilt, removeTempDirs, tempDir, waitFor } from './helpers';
import { StubLogChannel, stub, window } from '../stubs/vscode';

/** A config without problems: "config OK" until the engine says there is no container yet. */
const CONFIG_OK = /^\$\((check|circle-large-outline)\) HyperBox: (config OK|no dev container)$/;

describe('engine lifecycle in the extension (vscode stubbed, real engine)', function () {
  this.timeout(30_000);
  const savedEnv = process.env.HYPERBOX_ENGINE_PATH;
  let ctx: Ctx | undefined;
  let context: ReturnType<typeof stub.extensionContext>;

  before(async () => {
    delete process.env.HYPERBOX_ENGINE_PATH;
    await ensureBuilt();
  });
  after(async () => {
    if (savedEnv !== undefined) process.env.HYPERBOX_ENGINE_PATH = savedEnv;
    else delete process.env.HYPERBOX_ENGINE_PATH;
    await removeTempDirs();
  });
  beforeEach(() => {
    stub.reset();
    // these tests are about configs and the engine; containers have their own tests
    stub.setConfig('hyperbox.autoStart', { globalValue: false }, false);
  });
  afterEach(async () => {
    delete process.env.HYPERBOX_ENGINE_PATH;
    await ctx?.stop();
    ctx?.dispose();
    for (const d of context?.subscriptions.splice(0) ?? []) d.dispose();
    ctx = undefined;
    stub.reset();
  });

  function make(folders: string[], options: CtxOptions = {}): { ctx: Ctx; log: StubLogChannel } {
    stub.setFolders(folders);
    context = stub.extensionContext(ROOT);
    const log = window.createOutputChannel('HyperBox', { log: true });
    ctx = new Ctx(context as never, log as never, options);
    registerCommands(ctx);
    void ctx.start();
    return { ctx, log };
  }
  const status = () => stub.statusBarItem();
  const statusIs = (text: string | RegExp, log?: StubLogChannel) =>
    waitFor(() => (typeof text === 'string' ? status().text === text : text.test(status().text)), `status "${text}"`, 10_000, () => `status is "${status().text}"\n${log?.text() ?? ''}`);
  const running = (c: Ctx, not?: number) =>
    waitFor(() => (c.engineState.kind === 'running' && c.enginePid !== not ? c.enginePid : undefined), 'a running engine', 10_000);

  it('restarts a killed engine, and after the cap says so with a "Restart Engine" action that works', async () => {
    const folder = await copyFixture('broken');
    const { ctx, log } = make([folder], {
      restartPolicy: () => new RestartPolicy({ maxRestarts: 2, windowMs: 60_000, initialDelayMs: 50, maxDelayMs: 100 }),
    });
    await statusIs('$(error) HyperBox: 2 errors', log);
    let pid = await running(ctx);

    // killed once: the status says it is restarting, then shows the config again
    process.kill(pid, 'SIGKILL');
    pid = await running(ctx, pid);
    await statusIs('$(error) HyperBox: 2 errors', log);
    const history = status().history;
    assert.ok(history.includes('$(sync~spin) HyperBox: restarting engine'), history.join('\n'));

    // the user will press "Restart Engine" on the notification
    stub.respond = (message, items) => (/stopped 3 times/.test(message) && items.includes('Restart Engine') ? 'Restart Engine' : undefined);
    process.kill(pid, 'SIGKILL');
    pid = await running(ctx, pid);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => stub.messages.find((m) => m.level === 'error'), 'an error notification', 10_000, () => log.text());
    const message = stub.messages.find((m) => m.level === 'error')!;
    assert.match(message.message, /The HyperBox engine stopped 3 times within 1 minute \(last time it was killed by signal SIGKILL\), so HyperBox stopped restarting it\./);
    assert.deepEqual(message.items, ['Restart Engine', 'Show Logs']);
    assert.ok(status().history.includes('$(error) HyperBox: engine failed'));

    // "Restart Engine" brought it back, with a fresh restart budget
    pid = await running(ctx, pid);
    await statusIs('$(error) HyperBox: 2 errors', log);
    process.kill(pid, 'SIGKILL');
    pid = await running(ctx, pid);
    assert.equal(stub.messages.filter((m) => m.level === 'error').length, 1);
  });

  it('shows "engine failed" with the reason when it gives up', async () => {
    const folder = await copyFixture('ok');
    const { ctx, log } = make([folder], {
      restartPolicy: () => new RestartPolicy({ maxRestarts: 0, windowMs: 60_000, initialDelayMs: 10, maxDelayMs: 10 }),
    });
    await statusIs(CONFIG_OK, log);
    process.kill((await running(ctx)), 'SIGKILL');
    await statusIs('$(error) HyperBox: engine failed', log);
    assert.equal(status().backgroundColor?.id, 'statusBarItem.errorBackground');
    assert.equal(status().command, 'hyperbox.restartEngine');
    assert.match(String((status().tooltip as { value: string }).value), /Engine not running: The HyperBox engine stopped 1 time within 1 minute/);
    assert.equal(stub.contextKeys.get('hyperbox.engineRunning'), false);
    // commands that need the engine say so, and offer the way out
    await stub.commands.get('hyperbox.showResolvedConfig')!();
    const last = stub.messages.at(-1)!;
    assert.equal(last.level, 'error');
    assert.match(last.message, /The HyperBox engine is not running: /);
    assert.deepEqual(last.items, ['Restart Engine', 'Show Logs']);
  });

  it('disposes one session\'s handlers at each restart: nothing leaks, the old engine is gone', async () => {
    const folder = await copyFixture('ok');
    const { ctx, log } = make([folder]);
    await statusIs(CONFIG_OK, log);
    const listeners = stub.listenerCounts();
    const checks = () => log.lines.filter((l) => /^Checked /.test(l.message)).length;
    const pids: number[] = [];
    for (let i = 0; i < 3; i++) {
      await waitFor(() => checks() === i + 1, `check ${i + 1}`, 10_000, () => log.text());
      pids.push(ctx.enginePid!);
      await stub.commands.get('hyperbox.restartEngine')!();
      await running(ctx, pids.at(-1));
    }
    await waitFor(() => checks() === 4, 'the last session\'s check', 10_000, () => log.text());
    await statusIs(CONFIG_OK, log);
    assert.deepEqual(stub.listenerCounts(), listeners);
    for (const pid of pids) await waitFor(() => !alive(pid), `old engine ${pid} to be gone`);
    // one engine, one check per session: no stale session reacts again
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(checks(), 4, log.text());
  });

  describe('where the engine comes from', () => {
    let settingEngine: string;
    let envEngine: string;
    before(async () => {
      const dir = await tempDir('engines');
      settingEngine = path.join(dir, 'setting-engine.js');
      envEngine = path.join(dir, 'env-engine.js');
      await fs.copyFile(ENGINE_JS, settingEngine);
      await fs.copyFile(ENGINE_JS, envEngine);
      // the runtime's lazily loaded chunks live beside the engine
      const dist = path.dirname(ENGINE_JS);
      for (const f of await fs.readdir(dist)) if (/^docker.*\.js$/.test(f)) await fs.copyFile(path.join(dist, f), path.join(dir, f));
    });
    const enginePathLine = (log: StubLogChannel) => log.lines.filter((l) => /^Engine .* ready/.test(l.message)).at(-1)?.message ?? '';

    it('never from the workspace: a workspace value of the machine setting is ignored', async () => {
      stub.setConfig('hyperbox.engine.path', { workspaceValue: '/evil/engine.js', workspaceFolderValue: '/evil/engine.js' }, false);
      const { ctx, log } = make([await copyFixture('ok')]);
      await running(ctx);
      assert.ok(enginePathLine(log).endsWith(`${ENGINE_JS} (from the engine bundled with the extension)`), log.text());
      assert.ok(!log.text().includes('/evil/'));
    });

    it('the user setting over the bundled engine, the environment over both; a change restarts the engine', async () => {
      const { ctx, log } = make([await copyFixture('ok')]);
      let pid = await running(ctx);
      stub.setConfig('hyperbox.engine.path', { globalValue: settingEngine });
      pid = await running(ctx, pid);
      await waitFor(() => enginePathLine(log).includes(settingEngine), 'the engine from the setting', 10_000, () => log.text());
      assert.match(enginePathLine(log), /\(from the "hyperbox\.engine\.path" setting \(user settings\)\)$/);

      process.env.HYPERBOX_ENGINE_PATH = envEngine;
      await ctx.restart();
      await running(ctx, pid);
      assert.ok(enginePathLine(log).endsWith(`${envEngine} (from the HYPERBOX_ENGINE_PATH environment variable)`), log.text());
    });

    it('a bad override: "engine failed", and a message that names the setting and the fix', async () => {
      stub.setConfig('hyperbox.engine.path', { globalValue: 'engine.js' }, false);
      const { log } = make([await copyFixture('ok')]);
      await statusIs('$(error) HyperBox: engine failed', log);
      const message = await waitFor(() => stub.messages.find((m) => m.level === 'error'), 'an error message');
      assert.match(message.message, /"hyperbox\.engine\.path" setting \(user settings\) is "engine\.js", a relative path\. Give the absolute path/);
      assert.deepEqual(message.items, ['Restart Engine', 'Show Logs']);

      // fixing the setting restarts the engine
      stub.setConfig('hyperbox.engine.path', { globalValue: settingEngine });
      await statusIs(CONFIG_OK, log);
    });
  });

  it('a restart while the engine is answering is not a problem of the project', async () => {
    const { ctx, log } = make([await copyFixture('ok')], { shutdownGraceMs: 300 });
    await statusIs(CONFIG_OK, log);
    const first = (await running(ctx));
    // the engine hangs with a discovery and a check in flight; the user restarts it
    process.kill(first, 'SIGSTOP');
    const project = ctx.projects.list()[0];
    const inFlight = [ctx.projects.refreshFolder(project.folder), ctx.projects.validate(project)];
    await new Promise((r) => setTimeout(r, 50));
    await ctx.restart();
    await Promise.all(inFlight);
    await running(ctx, first);
    await waitFor(() => !alive(first), 'the hung engine to be killed');
    await statusIs(CONFIG_OK, log);
    // the engine being stopped is not reported as a problem with the folder or its config
    assert.ok(!log.lines.some((l) => /^Could not (look for|check)/.test(l.message)), log.text());
    assert.ok(!log.lines.some((l) => l.level === 'error'), log.text());
    assert.ok(!status().history.includes('$(warning) HyperBox: not checked'), status().history.join('\n'));
  });

  it('reads hyperbox.trace.server live', async () => {
    const { ctx, log } = make([await copyFixture('ok')]);
    await statusIs(CONFIG_OK, log);
    assert.ok(!log.lines.some((l) => l.message.startsWith('[rpc]')));
    stub.setConfig('hyperbox.trace.server', { globalValue: 'verbose' });
    const file = path.join(ctx.projects.list()[0].folder.uri.fsPath, '.devcontainer.json');
    await ctx.projects.validateFile(file);
    assert.ok(log.lines.some((l) => /^\[rpc\] Sending request 'hyperbox\/config\/resolve/.test(l.message) && /Params: /.test(l.message)), log.text());
  });
  it('passes the live settings to the engine at start and on change with the pressure item off: the trace receiver follows hyperbox.traces.*', async () => {
    const freePort = () =>
      new Promise<number>((resolve) => {
        const s = net.createServer().listen(0, '127.0.0.1', () => {
          const { port } = s.address() as net.AddressInfo;
          s.close(() => resolve(port));
        });
      });
    // an empty OTLP/JSON export: 200 from a receiver, a refused connection without one
    const post = (port: number) =>
      new Promise<number | string>((resolve) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
        req.end('{"resourceSpans":[]}');
      });
    const [first, second] = [await freePort(), await freePort()];
    stub.setConfig('hyperbox.pressure.statusBar', { globalValue: false }, false);
    stub.setConfig('hyperbox.traces.enabled', { globalValue: true }, false);
    stub.setConfig('hyperbox.traces.port', { globalValue: first }, false);
    const { ctx, log } = make([await copyFixture('ok')]);
    await running(ctx);
    await waitFor(async () => (await post(first)) === 200, `the receiver on ${first} (set before the engine started)`, 10_000, () => log.text());
    // a change while the engine runs: the receiver moves to the new port
    stub.setConfig('hyperbox.traces.port', { globalValue: second });
    await waitFor(async () => (await post(second)) === 200, `the receiver on ${second} (changed)`, 10_000, () => log.text());
    assert.equal(await post(first), 'ECONNREFUSED', 'the old port is let go');
    // the pressure item stayed off all along
    assert.equal(stub.statusBarItem('hyperbox.pressure').visible, false);
  });
});
