// "Docker not running" as a user meets it: the real engine, pointed (DOCKER_HOST) at a socket where
// nothing answers, reports no Docker engine; the status bar says so in its own words and colour,
// tells how to start Docker and offers Retry. Once something answers on that socket (a relay to
// the machine's Docker engine), Retry brings the usual state back. The `vscode` API is stubbed.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { activate, deactivate } from '../../../src/extension/main';
import { availableActions, containerView, type ContainerView } from '../../../src/extension/containerState';
import { Commands, ContextKeys } from '../../../src/extension/contributions';
import { START_DOCKER_HINT, WARNING_BACKGROUND, escapeMarkdown, statusView } from '../../../src/extension/status';
import { RuntimeErrorCodes } from '../../../src/protocol';
import { stub } from '../stubs/vscode';
import { ROOT, copyFixture, ensureBuilt, removeTempDirs, tempDir, waitFor } from './helpers';

const DOCKER_SOCKET = '/var/run/docker.sock';

describe('Docker not running (vscode stubbed, real engine)', function () {
  this.timeout(30_000);
  const saved = { host: process.env.DOCKER_HOST, context: process.env.DOCKER_CONTEXT, engine: process.env.HYPERBOX_ENGINE_PATH };
  let context: ReturnType<typeof stub.extensionContext> | undefined;
  let relay: net.Server | undefined;

  before(async function () {
    // scripts/test.sh starts the engine before the unit tests; without one this fails, never skips
    if (!existsSync(DOCKER_SOCKET)) throw new Error(`${DOCKER_SOCKET} is missing: this test relays to a real Docker engine (bash scripts/docker.sh starts one)`);
    delete process.env.HYPERBOX_ENGINE_PATH;
    await ensureBuilt();
  });
  after(async () => {
    for (const [key, value] of [['DOCKER_HOST', saved.host], ['DOCKER_CONTEXT', saved.context], ['HYPERBOX_ENGINE_PATH', saved.engine]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await removeTempDirs();
  });
  afterEach(async () => {
    await deactivate();
    for (const d of context?.subscriptions.splice(0) ?? []) d.dispose();
    await new Promise<void>((r) => (relay ? relay.close(() => r()) : r()));
    relay = undefined;
    stub.reset();
  });

  /** Starts answering on `socket`, passing every connection on to the machine's Docker engine. */
  function startRelay(socket: string): Promise<void> {
    relay = net.createServer((client) => {
      const docker = net.connect(DOCKER_SOCKET);
      client.pipe(docker).pipe(client);
      client.on('error', () => docker.destroy());
      docker.on('error', () => client.destroy());
    });
    return new Promise((resolve) => relay!.listen(socket, resolve));
  }

  it('shows "Docker not running" with how to start it and Retry, and recovers when Docker answers', async () => {
    const socket = path.join(await tempDir('docker'), 'docker.sock');
    process.env.DOCKER_HOST = `unix://${socket}`;
    delete process.env.DOCKER_CONTEXT;
    stub.reset();
    stub.setConfig('hyperbox.autoStart', { globalValue: false }, false);
    const folder = await copyFixture('ok');
    stub.setFolders([folder]);
    context = stub.extensionContext(ROOT);
    activate(context as never);

    const item = () => stub.statusBarItem();
    await waitFor(() => item().text === '$(debug-disconnect) HyperBox: Docker not running', 'the Docker-not-running state', 15_000, () => `status is "${item().text}"`);
    assert.equal(item().backgroundColor?.id, 'statusBarItem.warningBackground', 'a warning, not an error: nothing is broken in HyperBox or the config');
    assert.equal(item().command, Commands.retryDocker);
    const tooltip = (item().tooltip as { value: string }).value;
    assert.match(tooltip, /systemctl start docker/, tooltip);
    assert.ok(tooltip.includes(socket.replace(/[.\-_]/g, (c) => `\\${c}`)), `the tooltip names where HyperBox looked:\n${tooltip}`);
    assert.ok(tooltip.includes(`[Retry](command:${Commands.retryDocker})`), tooltip);
    await waitFor(() => stub.contextKeys.get(ContextKeys.dockerUnreachable) === true, 'hyperbox.dockerUnreachable');
    assert.equal(stub.contextKeys.get(ContextKeys.canStart), false, 'nothing to start without Docker');

    // the quick pick offers Retry first, and no Start
    await stub.commands.get(Commands.showActions)!();
    const labels = (stub.quickPicks.at(-1)!.items as { label: string }[]).map((i) => i.label);
    assert.deepEqual(labels, ['$(debug-disconnect) Retry Connecting to Docker', '$(graph) Show Dev Container Panel', '$(go-to-file) Open Config', '$(output) Show HyperBox Log']);

    // Retry while Docker is still away: says so, with the engine's reason
    await stub.commands.get(Commands.retryDocker)!();
    assert.match(stub.messages.at(-1)!.message, /^HyperBox still cannot reach Docker: Cannot talk to the Docker engine at /);
    assert.deepEqual(stub.messages.at(-1)!.items, ['Retry', 'Show Logs']);

    // Docker comes back: Retry finds it, and the usual state returns
    await startRelay(socket);
    await stub.commands.get(Commands.retryDocker)!();
    await waitFor(() => /^\$\((circle-large-outline|primitive-square|vm-running)\) HyperBox: (no dev container|dev container stopped|dev container running)$/.test(item().text), 'the container state', 15_000, () => `status is "${item().text}"`);
    assert.equal(stub.messages.at(-1)!.message, 'HyperBox: Docker is reachable again.');
    assert.equal(item().command, Commands.showActions);
    await waitFor(() => stub.contextKeys.get(ContextKeys.dockerUnreachable) === false, 'hyperbox.dockerUnreachable off');
  });
});

describe('the Docker-not-running state (pure)', () => {
  const running = { kind: 'running', version: '0.1.0', pid: 42 } as const;
  const project = (container: ContainerView) => ({
    folderName: 'app',
    configCount: 1,
    state: { kind: 'checked', configLabel: '.devcontainer/devcontainer.json', errors: 0, warnings: 0 } as const,
    container,
  });

  it('comes from the engine\'s error code, not from its wording', () => {
    const noEngine = { failure: 'Cannot talk to the Docker engine at unix:///x.sock: nothing answers.', failureCode: RuntimeErrorCodes.noEngine };
    assert.deepEqual(containerView(noEngine), { kind: 'noDocker', message: noEngine.failure });
    assert.equal(containerView({ failure: 'Cannot talk to the Docker engine at unix:///x.sock', failureCode: 'create-failed' }).kind, 'error');
    assert.equal(containerView({ failure: 'Cannot talk to the Docker engine' }).kind, 'error', 'no code, no guessing from the text');
  });

  it('has its own text, a warning colour, Retry on click, and how to start Docker in the tooltip', () => {
    const v = statusView({ engine: running, projects: [project({ kind: 'noDocker', message: 'the socket /var/run/docker.sock does not exist' })], focus: 0 });
    assert.equal(v.text, '$(debug-disconnect) HyperBox: Docker not running');
    assert.equal(v.background, WARNING_BACKGROUND);
    assert.equal(v.command, Commands.retryDocker);
    assert.ok(v.linkedCommands.includes(Commands.retryDocker));
    assert.match(v.tooltip, /HyperBox cannot reach Docker: the socket \/var\/run\/docker\\\.sock does not exist/);
    assert.ok(v.tooltip.includes(escapeMarkdown(START_DOCKER_HINT)), v.tooltip);
    assert.match(v.accessibilityLabel, /Docker is not running/);
  });

  it('offers only Retry among the container actions', () => {
    assert.deepEqual(availableActions({ trusted: true, configOk: true, container: { kind: 'noDocker', message: 'x' }, devContainers: true }), ['retryDocker', 'showPanel', 'openConfig', 'showLogs']);
  });
});
