// "Reopen in Container" hands the window to the Dev Containers extension when it is installed
// (HyperBox's containers carry its labels, so it attaches to the one HyperBox made); without it
// the command is hidden and says what is missing. The `vscode` API is stubbed, the engine is real.
import { strict as assert } from 'node:assert';
import { activate, deactivate } from '../../../src/extension/main';
import { availableActions } from '../../../src/extension/containerState';
import { Commands, ContextKeys, DEV_CONTAINERS_EXTENSION_ID, ExternalCommands } from '../../../src/extension/contributions';
import { env, stub, workspace } from '../stubs/vscode';
import { ROOT, copyFixture, ensureBuilt, removeTempDirs, waitFor } from './helpers';

describe('Reopen in Container (vscode stubbed, real engine)', function () {
  this.timeout(20_000);
  let context: ReturnType<typeof stub.extensionContext> | undefined;
  const saved = process.env.HYPERBOX_ENGINE_PATH;

  before(async () => {
    delete process.env.HYPERBOX_ENGINE_PATH;
    await ensureBuilt();
  });
  after(async () => {
    if (saved !== undefined) process.env.HYPERBOX_ENGINE_PATH = saved;
    await removeTempDirs();
  });
  afterEach(async () => {
    await deactivate();
    for (const d of context?.subscriptions.splice(0) ?? []) d.dispose();
    stub.reset();
  });

  async function start(): Promise<string[]> {
    stub.reset();
    stub.setConfig('hyperbox.autoStart', { globalValue: false }, false);
    const handed: string[] = [];
    // what the Dev Containers extension would do: here, only note that it was asked
    stub.commands.set(ExternalCommands.reopenInContainer, () => handed.push(ExternalCommands.reopenInContainer));
    stub.setFolders([await copyFixture('ok')]);
    context = stub.extensionContext(ROOT);
    activate(context as never);
    await waitFor(() => stub.contextKeys.get(ContextKeys.hasConfig) === true && stub.statusBarItem().command === Commands.showActions, 'the container state', 15_000);
    return handed;
  }
  const pickLabels = () => (stub.quickPicks.at(-1)!.items as { label: string }[]).map((i) => i.label);

  it('is hidden without the Dev Containers extension, and says what is missing when run anyway', async () => {
    const handed = await start();
    assert.equal(stub.contextKeys.get(ContextKeys.devContainersAvailable), false);
    await stub.commands.get(Commands.showActions)!();
    assert.ok(!pickLabels().some((l) => l.includes('Reopen in Container')), pickLabels().join(', '));
    await stub.commands.get(Commands.reopenInContainer)!();
    assert.match(stub.messages.at(-1)!.message, new RegExp(`Dev Containers extension \\(${DEV_CONTAINERS_EXTENSION_ID.replace(/\./g, '\\.')}\\), which is not installed`));
    assert.deepEqual(handed, []);
  });

  it('appears once the extension is installed, in the palette and the actions, and hands over to it', async () => {
    const handed = await start();
    stub.setExtensionInstalled(DEV_CONTAINERS_EXTENSION_ID, true);
    await waitFor(() => stub.contextKeys.get(ContextKeys.devContainersAvailable) === true, 'hyperbox.devContainersAvailable');
    await stub.commands.get(Commands.showActions)!();
    assert.ok(pickLabels().includes('$(remote) Reopen in Container'), pickLabels().join(', '));
    stub.pick = (items) => (items as { label: string }[]).find((i) => i.label === '$(remote) Reopen in Container');
    await stub.commands.get(Commands.showActions)!();
    assert.deepEqual(handed, [ExternalCommands.reopenInContainer]);
    // uninstalled again: hidden again
    stub.setExtensionInstalled(DEV_CONTAINERS_EXTENSION_ID, false);
    await waitFor(() => stub.contextKeys.get(ContextKeys.devContainersAvailable) === false, 'hyperbox.devContainersAvailable off');
  });

  it('hands nothing over in Restricted Mode or from a window that is already remote', async () => {
    const handed = await start();
    stub.setExtensionInstalled(DEV_CONTAINERS_EXTENSION_ID, true);
    workspace.isTrusted = false;
    await stub.commands.get(Commands.reopenInContainer)!();
    assert.match(stub.messages.at(-1)!.message, /Restricted Mode/);
    workspace.isTrusted = true;
    env.remoteName = 'ssh-remote';
    await stub.commands.get(Commands.reopenInContainer)!();
    assert.match(stub.messages.at(-1)!.message, /already remote \(ssh-remote\)/);
    assert.deepEqual(handed, []);
  });
});

describe('Reopen in Container among the actions (pure)', () => {
  it('is offered with the Dev Containers extension, a usable config and a container that is not busy or broken', () => {
    const with_ = (container: Parameters<typeof availableActions>[0]['container'], configOk = true) =>
      availableActions({ trusted: true, configOk, container, devContainers: true }).includes('reopenInContainer');
    assert.ok(with_({ kind: 'missing' }));
    assert.ok(with_({ kind: 'running', name: 'x', image: null, ports: [] }));
    assert.ok(!with_({ kind: 'starting', rebuild: false }));
    assert.ok(!with_({ kind: 'error', message: 'dead' }));
    assert.ok(!with_({ kind: 'noDocker', message: 'no socket' }));
    assert.ok(!with_({ kind: 'missing' }, false), 'a config with errors');
    assert.ok(!availableActions({ trusted: true, configOk: true, container: { kind: 'missing' } }).includes('reopenInContainer'), 'without the extension');
    assert.ok(!availableActions({ trusted: false, configOk: true, container: { kind: 'missing' }, devContainers: true }).includes('reopenInContainer'), 'in Restricted Mode');
  });
});
