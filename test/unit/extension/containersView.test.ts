// The HyperBox view and its commands, with the `vscode` API stubbed: the tree the real engine's
// answers give for a multi-root workspace, commands run on a node acting on that node's project,
// and the port commands (Open Ports, Forward a Port..., Open in Browser, Copy Address, Stop
// Forwarding) against a scripted engine.
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { NotificationType, RequestType } from 'vscode-jsonrpc';
import { Capability, RuntimePorts, RuntimePortsAdd, RuntimePortsChanged, RuntimePortsRemove, RuntimeTimeline, type ContainerSummary, type PortForward, type PortsResult } from '../../../src/protocol';
import { Commands, ContextKeys, Views } from '../../../src/extension/contributions';
import { ProjectDetails } from '../../../src/extension/details';
import { activate, deactivate } from '../../../src/extension/main';
import { registerPortCommands } from '../../../src/extension/ports';
import type { Project, Projects } from '../../../src/extension/projects';
import type { TreeNode } from '../../../src/extension/treeModel';
import { EventEmitter, ThemeIcon, TreeItemCollapsibleState, Uri, commands, stub, window } from '../stubs/vscode';
import { ROOT, copyFixture, ensureBuilt, removeTempDirs, tempDir, waitFor } from './helpers';

describe('the HyperBox view (vscode stubbed, real engine)', function () {
  this.timeout(20_000);
  const contexts: ReturnType<typeof stub.extensionContext>[] = [];
  const savedEnv = process.env.HYPERBOX_ENGINE_PATH;

  before(async () => {
    delete process.env.HYPERBOX_ENGINE_PATH;
    await ensureBuilt();
  });
  after(async () => {
    if (savedEnv !== undefined) process.env.HYPERBOX_ENGINE_PATH = savedEnv;
    await removeTempDirs();
  });
  beforeEach(() => {
    stub.reset();
    stub.setConfig('hyperbox.autoStart', { globalValue: false }, false);
  });
  afterEach(async () => {
    await deactivate();
    for (const c of contexts.splice(0)) for (const d of c.subscriptions.splice(0)) d.dispose();
    stub.reset();
  });

  function start(folders: string[]) {
    stub.setFolders(folders);
    const context = stub.extensionContext(ROOT);
    contexts.push(context);
    return activate(context as never);
  }

  const view = () => {
    const v = stub.treeViews.find((t) => t.id === Views.containers && !t.disposed);
    assert.ok(v, `no tree view ${Views.containers} was created`);
    return v;
  };
  const roots = async () => (await view().provider.getChildren()) as TreeNode[];

  it('shows one project per folder with a config, and a command run on a node acts on that node\'s project', async () => {
    const app = await copyFixture('ok');
    const api = path.join(await tempDir('ext'), 'api');
    await fs.cp(app, api, { recursive: true });
    const docs = await copyFixture('none');
    const exported = start([app, api, docs]);

    // both projects, once the engine has said their containers do not exist yet
    const nodes = await waitFor(
      async () => {
        const r = await roots();
        return r.length === 2 && r.every((n) => n.description === 'no container') ? r : undefined;
      },
      'two project nodes with their container state',
      15_000,
      () => stub.log().text(),
    );
    assert.deepEqual(
      nodes.map((n) => [n.label, n.folder]),
      [
        ['ok', app],
        ['api', api],
      ],
    );
    assert.deepEqual(exported.containersTree().map((n) => n.label), ['ok', 'api'], 'the extension API returns the same tree');
    const item = view().provider.getTreeItem(nodes[1]);
    assert.equal(item.label, 'api');
    assert.equal(item.collapsibleState, TreeItemCollapsibleState.Expanded);
    assert.match(item.contextValue!, /^project\b.*\bstart\b/);
    assert.ok(item.iconPath instanceof ThemeIcon);
    assert.equal(item.iconPath.id, 'circle-large-outline');
    const children = (await view().provider.getChildren(nodes[1])) as TreeNode[];
    assert.deepEqual(children.map((n) => n.label), ['No container yet', 'Lifecycle Commands']);

    // Open Config on the second node: its config, without asking which folder
    await stub.commands.get(Commands.openConfig)!(nodes[1]);
    assert.equal(stub.shownDocuments.at(-1)?.uri.fsPath, path.join(api, '.devcontainer.json'));
    assert.equal(stub.quickPicks.length, 0);
    // Show Container Logs on it: says why not, about that project
    await stub.commands.get(Commands.showContainerLogs)!(nodes[1]);
    assert.match(stub.messages.at(-1)!.message, /^HyperBox: api has no dev container yet, so it has no output/);
    assert.equal(stub.quickPicks.length, 0);
    // from the palette (no node, no editor in a project): the user is asked which folder
    stub.setActiveEditor(undefined);
    await stub.commands.get(Commands.openConfig)!();
    assert.deepEqual((stub.quickPicks[0].items as { label: string }[]).map((i) => i.label), ['ok', 'api']);
  });

  it('shows no node (so VS Code shows the welcome with "Add Dev Container Configuration") when no folder has a config', async () => {
    start([await copyFixture('none')]);
    // the status bar says so once the engine has looked
    await waitFor(() => / no config$/.test(stub.statusBarItem().text), 'the status "no config"', 8000, () => stub.statusBarItem().text);
    assert.equal(stub.contextKeys.get(ContextKeys.engineRunning), true);
    assert.equal(stub.contextKeys.get(ContextKeys.hasConfig), false);
    assert.equal(stub.contextKeys.get(ContextKeys.engineStopped), false);
    assert.deepEqual(await roots(), []);
    for (const id of [Commands.openPorts, Commands.forwardPort, Commands.refreshView, Commands.installRecommendedExtension]) assert.ok(stub.commands.has(id), `${id} is registered`);
  });
});

// ---------------------------------------------------------------------------------------------

const FOLDER = '/work/app';
const CONFIG = `${FOLDER}/.devcontainer/devcontainer.json`;
const WEB: PortForward = { containerPort: 3000, hostPort: 3000, source: 'forwardPorts', label: 'Web App', state: 'forwarded', by: { pid: 1, what: 'HyperBox engine' } };
const APP: PortForward = { containerPort: 80, hostPort: 8080, source: 'appPort', state: 'published' };

function running(): ContainerSummary {
  return {
    folder: FOLDER,
    configFile: CONFIG,
    containerId: 'c1',
    name: 'app-dev',
    state: 'running',
    running: true,
    image: 'x',
    workspaceFolder: '/workspaces/app',
    remoteUser: 'root',
    ports: [],
    drift: { known: true, changed: [] },
    madeBy: 'hyperbox',
  };
}

describe('the port commands (vscode stubbed, scripted engine)', () => {
  let sent: { method: string; params: any }[];
  let answers: Map<string, (params: any) => Promise<unknown>>;
  let handlers: Map<string, (p: unknown) => void>;
  let project: Project;
  let details: ProjectDetails;
  const changed = new EventEmitter<void>();

  const request = <P, R>(type: RequestType<P, R, void>, params: P): Promise<R> => {
    sent.push({ method: type.method, params });
    const answer = answers.get(type.method);
    return (answer ? answer(params) : Promise.reject(new Error(`no answer for ${type.method}`))) as Promise<R>;
  };
  const count = (method: string) => sent.filter((s) => s.method === method).length;
  const run = (id: string, arg?: unknown) => stub.commands.get(id)!(arg) as Promise<void>;

  beforeEach(() => {
    stub.reset();
    sent = [];
    handlers = new Map();
    answers = new Map();
    answers.set(RuntimePorts.method, async (): Promise<PortsResult> => ({ folder: FOLDER, containerId: 'c1', ports: [WEB, APP] }));
    // an engine whose handshake does not list timelines is never asked for one
    answers.set(RuntimeTimeline.method, async () => assert.fail('RuntimeTimeline asked of an engine without the timeline capability'));
    project = {
      folder: { uri: Uri.file(FOLDER), name: 'app', index: 0 },
      configFiles: [CONFIG],
      choice: { kind: 'chosen', configFile: CONFIG, reason: 'only' } as never,
      result: { problems: [], kind: 'image', config: {} } as never,
      discovering: false,
      container: { summary: running() },
    };
    const projects = { list: () => [project], forUri: () => project, onDidChange: changed.event, touch: () => changed.fire() } as unknown as Projects;
    const log = window.createOutputChannel('HyperBox', { log: true });
    details = new ProjectDetails({
      projects,
      request,
      onNotification: <P>(type: NotificationType<P>, handler: (p: P) => void) => {
        handlers.set(type.method, handler as (p: unknown) => void);
        return { dispose: () => handlers.delete(type.method) };
      },
      engineRunning: () => true,
      engineHas: (capability) => capability !== Capability.timeline,
      log: log as never,
    });
    const ctx = { projects, engineState: { kind: 'running', session: 1 }, focusedProject: () => project, request, log };
    registerPortCommands(ctx as never, details, (id, fn) => void commands.registerCommand(id, fn));
  });
  afterEach(() => {
    details.dispose();
    stub.reset();
  });

  it('Open Ports: picks a port by its label, then "Open in Browser" opens its address on 127.0.0.1', async () => {
    const picks = [(items: any[]) => items.find((i) => i.label === '$(plug) Web App'), (items: any[]) => items.find((i) => i.action === 'open')];
    stub.pick = (items) => picks.shift()!(items);
    await run(Commands.openPorts);
    assert.equal(count(RuntimePorts.method), 1);
    assert.deepEqual((stub.quickPicks[0].items as { label: string }[]).map((i) => i.label), ['$(plug) Web App', '$(plug) Port 80', '$(add) Forward a Port…']);
    assert.deepEqual((stub.quickPicks[1].items as { label: string }[]).map((i) => i.label), ['$(globe) Open in Browser', '$(copy) Copy Address', '$(debug-disconnect) Stop Forwarding']);
    assert.deepEqual(stub.opened, ['http://127.0.0.1:3000']);
  });

  it('Copy Address and Stop Forwarding act on the port of the view\'s node', async () => {
    await run(Commands.copyPortAddress, { folder: FOLDER, port: APP });
    assert.equal(stub.clipboard, '127.0.0.1:8080');
    assert.match(stub.statusBarMessages.at(-1)!, /copied 127\.0\.0\.1:8080/);

    answers.set(RuntimePortsRemove.method, async (): Promise<PortsResult> => ({ folder: FOLDER, containerId: 'c1', ports: [APP] }));
    answers.set(RuntimePorts.method, async (): Promise<PortsResult> => ({ folder: FOLDER, containerId: 'c1', ports: [APP] }));
    await run(Commands.stopForwardingPort, { id: 'port:x', folder: FOLDER, port: WEB });
    const remove = sent.find((s) => s.method === RuntimePortsRemove.method)!;
    assert.deepEqual(remove.params, { folder: FOLDER, configFile: CONFIG, port: 3000 });
    assert.deepEqual(details.ports(project), [APP], 'the view shows the ports the engine has now');
  });

  it('Forward a Port...: checks what is typed, forwards a valid port and offers to open it', async () => {
    stub.input = () => '70000';
    await assert.rejects(run(Commands.forwardPort, { folder: FOLDER }), /70000 is out of range: a port is a number from 1 to 65535/);
    assert.match(stub.inputValidations[0]!, /out of range/);
    assert.equal(count(RuntimePortsAdd.method), 0);

    const added: PortForward = { containerPort: 5173, hostPort: 5173, source: 'added', state: 'forwarded', by: { pid: 1, what: 'HyperBox engine' } };
    answers.set(RuntimePortsAdd.method, async (): Promise<PortsResult> => ({ folder: FOLDER, containerId: 'c1', ports: [WEB, APP, added] }));
    stub.input = () => '5173';
    stub.respond = (_m, items) => items.find((i) => i === 'Open in Browser');
    await run(Commands.forwardPort, { folder: FOLDER });
    assert.deepEqual(sent.find((s) => s.method === RuntimePortsAdd.method)!.params, { folder: FOLDER, configFile: CONFIG, port: 5173 });
    assert.equal(stub.inputValidations[1], undefined);
    assert.match(stub.messages.at(-1)!.message, /port 5173 of app is at 127\.0\.0\.1:5173/);
    assert.deepEqual(stub.opened, ['http://127.0.0.1:5173']);
  });

  it('says who holds a host port the engine could not forward', async () => {
    answers.set(RuntimePortsAdd.method, async () => Promise.reject(new Error('127.0.0.1:5000 is taken by python3 (pid 812): stop it, or forward another port.')));
    stub.input = () => '5000';
    await assert.rejects(run(Commands.forwardPort, { folder: FOLDER }), /^Error: HyperBox could not forward port 5000 of app: 127\.0\.0\.1:5000 is taken by python3 \(pid 812\)/);
  });

  it('says why there are no ports when the container is not running', async () => {
    project.container = { summary: { ...running(), state: 'stopped', running: false } };
    await run(Commands.openPorts);
    assert.equal(stub.quickPicks.length, 0);
    assert.match(stub.messages.at(-1)!.message, /no dev container is running, so there are no ports to reach/);
  });

  it('follows the engine: port changes as they come, and "not run yet" from an engine without timelines', async () => {
    changed.fire();
    await waitFor(() => details.timeline(project) === null, 'the timeline to be known as none');
    handlers.get(RuntimePortsChanged.method)!({ folder: FOLDER, containerId: 'c1', ports: [APP] });
    assert.deepEqual(details.ports(project), [APP]);
    // an engine without RuntimeTimeline is not asked again in this session
    const asked = count(RuntimeTimeline.method);
    project.container = { summary: { ...running(), containerId: 'c2' } };
    changed.fire();
    await waitFor(() => count(RuntimePorts.method) >= 2, 'the ports of the new container');
    assert.equal(count(RuntimeTimeline.method), asked);
  });
});
