// Every surface says the same thing (vscode stubbed, real engine, real Docker): the status bar, the
// HyperBox view, the Dev Container panel and the walkthrough, read after each step a user takes —
// up, stop (outside the editor too), start, an unsaved broken config, rebuild, remove — and for a
// failing up and for Docker out of reach. Each step waits until the status bar shows the new
// state, then reads all the others at that moment: a surface that lags or disagrees fails.
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Commands, ContextKeys } from '../../../src/extension/contributions';
import { activate, deactivate, type HyperBoxApi } from '../../../src/extension/main';
import { busyboxImage, docker } from '../../engine/images';
import { stub, type StubWebviewPanel } from '../stubs/vscode';
import { describeSurfaces, readSurfaces, resetWalkthrough, type Surfaces } from './surfaces';
import { ROOT, ensureBuilt, removeTempDirs, tempDir, waitFor } from './helpers';

const LABEL_FOLDER = 'devcontainer.local_folder';

describe('every surface says the same thing (vscode stubbed, real engine)', function () {
  this.timeout(180_000);
  const saved = { host: process.env.DOCKER_HOST, engine: process.env.HYPERBOX_ENGINE_PATH };
  const folders: string[] = [];
  let context: ReturnType<typeof stub.extensionContext> | undefined;
  let api: HyperBoxApi;
  let panel: StubWebviewPanel | undefined;

  before(async () => {
    delete process.env.HYPERBOX_ENGINE_PATH;
    await ensureBuilt();
  });
  afterEach(async () => {
    await deactivate();
    for (const d of context?.subscriptions.splice(0) ?? []) d.dispose();
    context = undefined;
    panel = undefined;
    stub.reset();
    if (saved.host === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved.host;
  });
  after(async () => {
    if (saved.engine !== undefined) process.env.HYPERBOX_ENGINE_PATH = saved.engine;
    // containers this suite made (Remove is tested, but a failure may leave one)
    for (const f of folders) {
      const ids = docker(['ps', '-aq', '--filter', `label=${LABEL_FOLDER}=${f}`], { allowFail: true }).stdout.split(/\s+/).filter(Boolean);
      if (ids.length) docker(['rm', '-f', ...ids], { allowFail: true });
    }
    await removeTempDirs();
  });

  async function project(config: Record<string, unknown>): Promise<string> {
    const folder = path.join(await tempDir('surfaces'), 'app');
    await fs.mkdir(path.join(folder, '.devcontainer'), { recursive: true });
    await fs.writeFile(path.join(folder, '.devcontainer', 'devcontainer.json'), `${JSON.stringify(config, null, 2)}\n`);
    folders.push(folder);
    return folder;
  }

  function open(folder: string): void {
    stub.reset();
    resetWalkthrough();
    stub.setConfig('hyperbox.autoStart', { globalValue: false }, false);
    stub.setFolders([folder]);
    context = stub.extensionContext(ROOT);
    api = activate(context as never);
  }

  /** Opens the Dev Container panel as the view's menu does, and lets its webview say ready. */
  async function openPanel(folder: string): Promise<void> {
    await waitFor(() => stub.commands.has(Commands.showPanel) && api.containersTree().length > 0, 'the view to show the project', 30_000);
    await stub.commands.get(Commands.showPanel)!({ folder });
    panel = stub.webviewPanels.at(-1);
    panel!.receive({ type: 'ready', params: {} });
  }

  /** Waits until every surface satisfies `check`; fails with what each one says. */
  async function agree(what: string, check: (s: Surfaces) => boolean, timeoutMs = 60_000): Promise<Surfaces> {
    return waitFor(
      () => {
        const s = readSurfaces(api, panel);
        return check(s) ? s : undefined;
      },
      what,
      timeoutMs,
      () => `${describeSurfaces(readSurfaces(api, panel))}\n--- log ---\n${stub.log().text().split('\n').slice(-25).join('\n')}`,
    );
  }

  const run = (id: string, folder: string) => stub.commands.get(id)!({ folder });
  const APP = 'mkdir -p /tmp/www && echo hello-from-app > /tmp/www/index.html && httpd -p 3000 -h /tmp/www';
  /** The body of GET / on 127.0.0.1:port; rejects with the socket's error (ECONNREFUSED). */
  const httpGet = (port: number) =>
    new Promise<string>((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1');
      let data = '';
      sock.setTimeout(3000, () => sock.destroy(new Error('timed out')));
      sock.on('connect', () => sock.write('GET / HTTP/1.0\r\nHost: localhost\r\n\r\n'));
      sock.on('data', (b) => (data += b));
      sock.on('error', reject);
      sock.on('close', () => resolve(data.split('\r\n\r\n').slice(1).join('\r\n\r\n')));
    });

  it('up, stop (from the editor and outside it), start, an unsaved broken config, rebuild and remove', async () => {
    const folder = await project({
      image: busyboxImage(),
      forwardPorts: [3000],
      postCreateCommand: 'echo made-by-postCreate',
      // the app: busybox httpd on the forwarded port (it detaches, so it outlives the hook)
      postStartCommand: `echo hello-from-postStart && ${APP}`,
    });
    open(folder);
    await openPanel(folder);
    let s = await agree('no container yet, everywhere', (x) =>
      /: no dev container$/.test(x.status) && x.view === 'no container' && x.panel?.stateKind === 'missing' && x.panel.stateWord === 'no dev container',
    );
    assert.deepEqual(s.walkthrough, { config: true, start: false, terminal: false }, 'the config exists: its step is done');
    assert.deepEqual(s.panel!.actions.includes('rebuild'), false, 'nothing to rebuild without a container');

    // up: the config's commands are findings not accepted yet, so a modal lists them first
    stub.respond = (_m, items) => items.find((i) => i === 'Trust and Start' || i === 'Trust and Rebuild');
    await run(Commands.start, folder);
    const asked = stub.messages.find((m) => m.modal && m.items.includes('Trust and Start'));
    assert.match(asked?.detail ?? '', /^• postCreateCommand from devcontainer\.json runs in the container: echo made-by-postCreate\n• postStartCommand from devcontainer\.json runs in the container: echo hello-from-postStart/);
    s = await agree('running, everywhere', (x) =>
      / dev container running$/.test(x.status) && x.view === 'running' && x.panel?.stateKind === 'running' && x.panel.stateWord === 'dev container running' && x.viewLifecycle?.startsWith('last up ok') === true && x.panel.timeline?.outcome === 'ok',
    );
    assert.equal(s.walkthrough.start, true, '"Start the container" is done');
    assert.deepEqual(s.panel!.ports.map((p) => p.containerPort), [3000], 'the panel lists the forwarded port, as the view does');
    assert.match(s.viewPorts!, /reachable/);
    const hostPort = s.panel!.ports[0].hostPort;
    await waitFor(async () => (await httpGet(hostPort).catch(() => '')) === 'hello-from-app\n', 'an HTTP answer through the forwarded port', 30_000);
    // the lifecycle output streamed into the HyperBox log while the up ran
    assert.match(stub.log().text(), /app: \[postStartCommand\] hello-from-postStart/);
    assert.doesNotMatch(stub.log().text(), /can't access tty/);

    // stop from the editor: recorded in the log; the ports are reachable by nobody
    await run(Commands.stop, folder);
    s = await agree('stopped, everywhere', (x) => / dev container stopped$/.test(x.status) && x.view === 'stopped' && x.panel?.stateKind === 'stopped');
    assert.match(s.viewPorts!, /none reachable/);
    assert.ok(s.panel!.ports.every((p) => p.state !== 'forwarded' && p.state !== 'published'), 'no port of a stopped container is said to be forwarded');
    assert.match(stub.log().text(), /app: stopping the dev container\.[\s\S]*app: the dev container \S* ?is stopped\./);

    // start again: the lifecycle commands are not left "running"
    await run(Commands.start, folder);
    // the start's lifecycle commands end as "ok" in the view and the panel alike, without a Refresh
    await agree('running again, everywhere', (x) => / dev container running$/.test(x.status) && x.view === 'running' && x.panel?.stateKind === 'running' && x.viewLifecycle?.startsWith('last up ok') === true && x.panel.timeline?.outcome === 'ok');

    // stopped outside the editor (docker stop): the event reaches every surface
    const id = docker(['ps', '-q', '--filter', `label=${LABEL_FOLDER}=${folder}`]).stdout.trim();
    assert.ok(id, 'the container runs');
    docker(['stop', '-t', '0', id]);
    s = await agree('stopped outside the editor, everywhere', (x) => / dev container stopped$/.test(x.status) && x.view === 'stopped' && x.panel?.stateKind === 'stopped' && /none reachable/.test(x.viewPorts ?? ''), 15_000);
    assert.ok(s.panel!.ports.every((p) => p.state !== 'forwarded' && p.state !== 'published'), 'the panel says the port is not forwarded, as the view does');
    await waitFor(async () => (await httpGet(hostPort).catch((e: NodeJS.ErrnoException) => e.code)) === 'ECONNREFUSED', 'the forwarded port refuses once the container stopped', 30_000);
    // started outside the editor (docker start): forwarding comes back with it, on the same host port
    docker(['start', id]);
    s = await agree(
      'started outside the editor, forwarded again everywhere',
      (x) => / dev container running$/.test(x.status) && x.panel?.stateKind === 'running' && /reachable/.test(x.viewPorts ?? '') && !/none reachable/.test(x.viewPorts ?? '') && x.panel.ports.some((p) => p.state === 'forwarded'),
      15_000,
    );
    assert.equal(s.panel!.ports[0].hostPort, hostPort);
    docker(['exec', id, 'sh', '-c', APP]); // docker start runs no postStartCommand: start the app as a user would
    await waitFor(async () => (await httpGet(hostPort).catch(() => '')) === 'hello-from-app\n', 'an HTTP answer through the forwarded port after docker start', 30_000);
    await run(Commands.start, folder);
    await agree('running once more', (x) => / dev container running$/.test(x.status) && x.panel?.stateKind === 'running');

    // an unsaved typo in devcontainer.json: beside the running container, never in its place
    const file = path.join(folder, '.devcontainer', 'devcontainer.json');
    const doc = await stub.openDocument(file);
    stub.edit(doc, (await fs.readFile(file, 'utf8')).replace('"forwardPorts"', '"forwardPorts": 1, "forwardPortz"'));
    s = await agree('running with a config error beside it, everywhere', (x) =>
      / dev container running · \$\(error\) \d+ config errors?$/.test(x.status) && /^running · \d+ config errors?$/.test(x.view ?? '') && x.panel?.stateKind === 'running' && /error/.test(x.panel.notice ?? ''),
    );
    assert.ok(s.viewKinds.includes('container') && s.viewKinds.includes('ports') && s.viewKinds.includes('mounts'), `the container's nodes stay: ${s.viewKinds.join(', ')}`);
    assert.equal(s.viewKinds[0], 'config', 'the config problem comes first, beside the container');
    stub.edit(doc, await fs.readFile(file, 'utf8'));
    await agree('the config fixed, everywhere', (x) => / dev container running$/.test(x.status) && x.view === 'running');

    // a terminal, then Rebuild: the terminal is told why it ended (no "exit code 137")
    await run(Commands.openTerminal, folder);
    await agree('the walkthrough\'s terminal step', (x) => x.walkthrough.terminal);
    assert.equal(stub.contextKeys.get(ContextKeys.terminalOpen), true);
    const term = stub.terminals.at(-1)!;
    await run(Commands.rebuild, folder);
    s = await agree('running after the rebuild, everywhere', (x) => / dev container running$/.test(x.status) && x.view === 'running' && x.panel?.stateKind === 'running' && x.viewLifecycle?.startsWith('last up ok') === true);
    assert.match(term.written, /HyperBox: The dev container is being rebuilt \(it is removed and made again\)\. This shell has ended\./);

    // Remove, with a modal confirmation
    stub.respond = (_m, items) => (items.includes('Remove Container') ? 'Remove Container' : undefined);
    await run(Commands.removeContainer, folder);
    const confirm = stub.messages.find((m) => m.items.includes('Remove Container'))!;
    assert.equal(confirm.modal, true, 'a modal confirmation');
    assert.match(confirm.detail ?? '', /image, the volumes and devcontainer\.json stay/);
    s = await agree('removed, everywhere', (x) => /: no dev container$/.test(x.status) && x.view === 'no container' && x.panel?.stateKind === 'missing');
    assert.equal(docker(['ps', '-aq', '--filter', `label=${LABEL_FOLDER}=${folder}`]).stdout.trim(), '', 'the container is gone');
    assert.equal(s.walkthrough.start, true, 'a walkthrough step stays done');
  });

  it('a failing up: the same error everywhere, and nothing offered for a container that was never made', async () => {
    const folder = await project({ image: 'hyperbox-test/does-not-exist:1' });
    open(folder);
    await openPanel(folder);
    await agree('no container yet', (x) => /: no dev container$/.test(x.status) && x.panel?.stateKind === 'missing');
    await run(Commands.start, folder);
    const s = await agree('the error, everywhere', (x) => / dev container error$/.test(x.status) && x.view === 'error' && x.panel?.stateKind === 'error' && x.panel.stateWord === 'dev container error');
    assert.deepEqual(s.walkthrough.start, false);
    assert.ok(!s.panel!.actions.includes('rebuild') && !s.panel!.actions.includes('showContainerLogs'), `panel actions: ${s.panel!.actions.join(', ')}`);
    assert.doesNotMatch(s.panel!.containerText, /hb up/, 'an editor user is not told to run hb');
    assert.doesNotMatch(s.viewLifecycle ?? '', /the config (has|names) none/);
    await stub.commands.get(Commands.showActions)!();
    const labels = (stub.quickPicks.at(-1)!.items as { label: string }[]).map((i) => i.label);
    assert.ok(!labels.some((l) => /Rebuild|Container Output/.test(l)), labels.join(' | '));
  });

  it('Docker out of reach: the same words everywhere', async () => {
    // a port on this machine where nothing listens
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${port}`;
    const folder = await project({ image: busyboxImage() });
    open(folder);
    await openPanel(folder);
    const s = await agree('Docker not running, everywhere', (x) => /: Docker not running$/.test(x.status) && x.view === 'Docker not reachable' && x.panel?.stateKind === 'noDocker', 30_000);
    assert.equal(s.panel!.stateWord, 'Docker not running');
    const tooltip = (stub.statusBarItem().tooltip as { value: string }).value;
    assert.doesNotMatch(tooltip, /CI machines/);
    assert.ok((tooltip.match(/systemctl start docker|unset DOCKER\\_HOST/g) ?? []).length === 1, `the advice once:\n${tooltip}`);
  });
});
