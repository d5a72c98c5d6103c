// The HyperBox view's tree, as pure data: what a user sees under each project for each state of
// its container, its ports, mounts, lifecycle commands and recommended extensions, and which
// context-menu actions each node offers.
import { strict as assert } from 'node:assert';
import type { ContainerSummary, PortForward, UpTimeline } from '../../../src/protocol';
import { availableActions, containerView } from '../../../src/extension/containerState';
import { Commands } from '../../../src/extension/contributions';
import { buildTree, configHooks, folderOfArg, recommendedExtensions, type ProjectInput, type TreeInput, type TreeNode } from '../../../src/extension/treeModel';

const FOLDER = '/work/app';

function summary(state: ContainerSummary['state'], extra: Partial<ContainerSummary> = {}): ContainerSummary {
  const exists = state !== 'missing';
  return {
    folder: FOLDER,
    configFile: `${FOLDER}/.devcontainer/devcontainer.json`,
    containerId: exists ? '4f1c2d3e4b5a69788796a5b4c3d2e1f0' : null,
    name: exists ? 'app-dev' : null,
    state,
    running: state === 'running',
    image: exists ? 'node-app:dev' : null,
    workspaceFolder: '/workspaces/app',
    remoteUser: exists ? 'node' : null,
    ports: [],
    drift: { known: true, changed: state === 'stale' ? ['Dockerfile'] : [] },
    madeBy: exists ? 'hyperbox' : null,
    runtime: exists ? 'crun' : undefined,
    ...extra,
  };
}

function project(s: ContainerSummary | undefined, extra: Partial<ProjectInput> = {}): ProjectInput {
  const container = containerView({ summary: s });
  return {
    folder: FOLDER,
    folderName: 'app',
    configLabel: '.devcontainer/devcontainer.json',
    state: { kind: 'checked', configLabel: '.devcontainer/devcontainer.json', errors: 0, warnings: 0 },
    container,
    summary: s,
    hooks: [],
    extensions: [],
    actions: availableActions({ trusted: true, configOk: true, container }),
    ...extra,
  };
}

function tree(projects: ProjectInput[], extra: Partial<TreeInput> = {}): TreeNode[] {
  return buildTree({ engineRunning: true, projects, installedExtensions: new Set(), ...extra });
}

const child = (node: TreeNode, kind: TreeNode['kind']) => {
  const c = node.children?.find((n) => n.kind === kind);
  assert.ok(c, `${node.label} has no ${kind} node; it has ${node.children?.map((n) => n.kind).join(', ')}`);
  return c;
};

const WEB: PortForward = { containerPort: 3000, hostPort: 3000, source: 'forwardPorts', label: 'Web App', state: 'forwarded', by: { pid: 4242, what: 'HyperBox engine' } };
const PUBLISHED: PortForward = { containerPort: 80, hostPort: 8080, source: 'appPort', state: 'published' };
const TAKEN: PortForward = { containerPort: 5173, hostPort: 5173, source: 'added', state: 'conflict', message: 'node (pid 77) listens on 127.0.0.1:5173' };

describe('the HyperBox view (tree model)', () => {
  it('shows nothing while the engine is not running, and only folders with a config (the view then shows its welcome)', () => {
    const withConfig = project(summary('running'));
    const without = { ...project(undefined), folder: '/work/docs', folderName: 'docs', state: { kind: 'none' as const } };
    assert.deepEqual(tree([withConfig, without], { engineRunning: false }), []);
    assert.deepEqual(tree([without]), []);
    assert.deepEqual(
      tree([withConfig, without]).map((n) => n.label),
      ['app'],
    );
  });

  it('shows a running project with a green icon, and Stop / Open Terminal / Open Ports / Rebuild in its context menu, not Start', () => {
    const [node] = tree([project(summary('running'))]);
    assert.equal(node.kind, 'project');
    assert.equal(node.description, 'running');
    assert.deepEqual(node.icon, { id: 'vm-running', color: 'testing.iconPassed' });
    const words = node.contextValue.split(' ');
    assert.equal(words[0], 'project');
    for (const w of ['stop', 'openTerminal', 'openPorts', 'rebuild', 'showContainerLogs', 'openConfig']) assert.ok(words.includes(w), `${w} in ${node.contextValue}`);
    assert.ok(!words.includes('start'));
    assert.ok(/^project\b.*\bstop\b/.test(node.contextValue), 'the menu regex of Stop matches');
    assert.ok(!/^project\b.*\bstart\b/.test(node.contextValue), 'the menu regex of Start does not match');
    assert.equal(node.folder, FOLDER, 'commands run on the node find their project by its folder');
  });

  it('shows the container with its image, runtime and short id', () => {
    const [node] = tree([project(summary('running'))]);
    const c = child(node, 'container');
    assert.equal(c.label, 'app-dev');
    assert.equal(c.description, 'running');
    assert.deepEqual(
      c.children?.map((n) => `${n.label}: ${n.description}`),
      ['Image: node-app:dev', 'Runtime: crun', 'Container ID: 4f1c2d3e4b5a', 'Remote user: node', 'Workspace folder: /workspaces/app'],
    );
  });

  it('shows the seccomp profile the container runs under', () => {
    const seccompOf = (s: ContainerSummary) => child(tree([project(s)])[0], 'container').children!.find((n) => n.label === 'Seccomp')?.description;
    assert.equal(seccompOf(summary('running', { seccomp: { mode: 'profile', file: '.devcontainer/seccomp/default.json', allowed: 64 } })), '.devcontainer/seccomp/default.json (64 syscalls allowed)');
    assert.equal(seccompOf(summary('running', { seccomp: { mode: 'unconfined' } })), 'unconfined (no seccomp filter)');
    assert.equal(seccompOf(summary('running', { seccomp: { mode: 'default' } })), "the engine's default profile");
  });

  it('says "no container yet" when there is none, offers Start, and shows no ports or mounts', () => {
    const [node] = tree([project(summary('missing'), { hooks: ['postCreateCommand'] })]);
    assert.equal(node.description, 'no container');
    assert.ok(/^project\b.*\bstart\b/.test(node.contextValue));
    assert.ok(!/\bshowContainerLogs\b/.test(node.contextValue));
    const c = child(node, 'container');
    assert.equal(c.label, 'No container yet');
    assert.equal(c.description, 'Start creates it');
    assert.deepEqual(node.children?.map((n) => n.kind), ['container', 'lifecycle', 'reload']);
    assert.equal(child(node, 'lifecycle').description, 'not run yet');
  });

  it('themes stopped, stale and failing containers differently', () => {
    const icon = (s: ContainerSummary) => tree([project(s)])[0].icon;
    assert.deepEqual(icon(summary('stopped')), { id: 'primitive-square', color: 'disabledForeground' });
    assert.deepEqual(icon(summary('stale', { running: true })), { id: 'warning', color: 'list.warningForeground' });
    assert.deepEqual(icon(summary('error', { message: 'dead' })), { id: 'error', color: 'list.errorForeground' });
    const stale = tree([project(summary('stale', { running: true }))])[0];
    assert.match(child(stale, 'container').description!, /stale \(running\): rebuild/);
  });

  it('says Restricted Mode (and asks nothing about the container) until the folder is trusted; a click manages trust', () => {
    const container = containerView({});
    const [node] = tree([project(undefined, { container, actions: availableActions({ trusted: false, configOk: true, container }), extensions: ['a.b'] })], { trusted: false });
    assert.equal(node.description, 'Restricted Mode');
    assert.deepEqual(node.icon, { id: 'shield', color: 'list.warningForeground' });
    assert.equal(node.command?.command, 'workbench.trust.manage');
    assert.ok(!/\b(start|rebuild)\b/.test(node.contextValue));
    assert.deepEqual(node.children!.map((n) => n.kind), ['extensions'], 'what the config recommends is still shown: it runs nothing');
  });

  it('explains a config with errors instead of showing a container, and opens the config on click', () => {
    const [node] = tree([
      project(undefined, { state: { kind: 'checked', configLabel: '.devcontainer/devcontainer.json', errors: 2, warnings: 0, firstProblem: 'devcontainer.json:3:5 "image" must be a string' } }),
    ]);
    assert.equal(node.description, '2 errors in .devcontainer/devcontainer.json');
    assert.deepEqual(node.icon, { id: 'error', color: 'list.errorForeground' });
    assert.equal(node.command?.command, Commands.openConfig);
    assert.match(node.tooltip!, /must be a string/);
    assert.deepEqual(node.children, []);
  });

  it('lists ports with their labels, address and who forwards them, with Open/Copy only where reachable and Stop only for forwards', () => {
    const [node] = tree([project(summary('running'), { ports: [WEB, PUBLISHED, TAKEN] })]);
    const ports = child(node, 'ports');
    assert.equal(ports.description, '2 of 3 reachable');
    assert.ok(/^ports running\b/.test(ports.contextValue), 'Forward a Port... is offered on the Ports node of a running container');
    const [web, published, taken, forward] = ports.children!;
    assert.equal(web.label, 'Web App');
    assert.equal(web.description, '127.0.0.1:3000 → 3000 · forwarded by HyperBox engine (pid 4242)');
    assert.equal(web.contextValue, 'port open copy stop');
    assert.equal(web.command?.command, Commands.openPortInBrowser);
    assert.deepEqual(web.command?.arguments, [{ folder: FOLDER, port: WEB }]);
    assert.equal(published.label, 'Port 80');
    assert.equal(published.description, '127.0.0.1:8080 → 80 · published by Docker (appPort)');
    assert.equal(published.contextValue, 'port open copy', 'a published port cannot be stopped without recreating the container');
    assert.equal(taken.contextValue, 'port stop');
    assert.match(taken.description!, /host port taken: node \(pid 77\)/);
    assert.deepEqual(taken.icon, { id: 'warning', color: 'list.warningForeground' });
    assert.equal(taken.command, undefined);
    assert.equal(forward.kind, 'forwardPort');
    assert.equal(forward.command?.command, Commands.forwardPort);
  });

  it('falls back on the status\'s ports, then on the published ones, and offers no forwarding for a stopped container', () => {
    const s = summary('running', { ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080 }] });
    assert.deepEqual(child(tree([project(s)])[0], 'ports').children!.map((n) => n.label), ['Port 80', 'Forward a Port…']);
    assert.deepEqual(child(tree([project({ ...s, forwards: [WEB] })])[0], 'ports').children!.map((n) => n.label), ['Web App', 'Forward a Port…']);
    const stopped = child(tree([project(summary('stopped'))])[0], 'ports');
    assert.deepEqual(stopped.children, []);
    assert.equal(stopped.contextValue, 'ports');
  });

  it('lists the mounts, a volume by its name and read-only ones marked', () => {
    const s = summary('running', {
      mounts: [
        { type: 'bind', source: '/home/me/app', target: '/workspaces/app', readOnly: false },
        { type: 'volume', source: 'hb-npm-cache', target: '/home/node/.npm', readOnly: false },
        { type: 'bind', source: '/run/host.sock', target: '/tmp/hyperbox-ssh-agent.sock', readOnly: true },
      ],
    });
    const mounts = child(tree([project(s)])[0], 'mounts');
    assert.equal(mounts.description, '3');
    assert.deepEqual(
      mounts.children!.map((n) => [n.label, n.description, n.icon?.id]),
      [
        ['/workspaces/app', 'bind /home/me/app', 'folder'],
        ['/home/node/.npm', 'volume hb-npm-cache', 'database'],
        ['/tmp/hyperbox-ssh-agent.sock', 'bind /run/host.sock (read-only)', 'folder'],
      ],
    );
    assert.equal(child(tree([project(summary('running'))])[0], 'mounts').description, 'not reported by this engine');
  });

  it('shows each lifecycle command of the config with its last result, "not run yet" for the others, and those Features added', () => {
    const timeline: UpTimeline = {
      folder: FOLDER,
      configFile: null,
      containerId: 'c1',
      startedAt: '2026-11-22T09:05:00.000Z',
      totalMs: 12_400,
      outcome: 'failed',
      error: 'postCreateCommand failed with exit code 2',
      client: 'editor',
      entries: [
        { step: 'create', kind: 'engine', startMs: 0, ms: 300, status: 'ok' },
        { step: 'onCreateCommand', kind: 'lifecycle', startMs: 300, ms: 1200, status: 'ok', detail: 'npm ci' },
        { step: 'postCreateCommand', kind: 'lifecycle', startMs: 1500, ms: 400, status: 'failed', exitCode: 2, detail: 'npm run setup', output: 'missing script: setup\n' },
        { step: 'featureHook', kind: 'lifecycle', startMs: 1900, ms: 50, status: 'skipped', detail: 'already ran' },
      ],
    };
    const [node] = tree([project(summary('running'), { hooks: ['onCreateCommand', 'postCreateCommand', 'postStartCommand'], timeline })]);
    const lifecycle = child(node, 'lifecycle');
    assert.match(lifecycle.description!, /^last up failed · 12 s/);
    assert.match(lifecycle.tooltip!, /exit code 2/);
    assert.deepEqual(
      lifecycle.children!.map((n) => [n.label, n.description, n.icon?.id]),
      [
        ['onCreateCommand', 'ok · 1.2 s', 'pass'],
        ['postCreateCommand', 'failed (exit 2) · 400 ms', 'error'],
        ['postStartCommand', 'not run yet', 'circle-large-outline'],
        ['featureHook', 'skipped: already ran', 'debug-step-over'],
      ],
    );
    assert.match(lifecycle.children![1].tooltip!, /npm run setup[\s\S]*missing script: setup/);
  });

  it('says "not run yet" when the engine has no timeline (or does not record them)', () => {
    const [node] = tree([project(summary('running'), { hooks: ['postStartCommand'], timeline: null })]);
    const lifecycle = child(node, 'lifecycle');
    assert.equal(lifecycle.description, 'not run yet');
    assert.deepEqual(lifecycle.children!.map((n) => n.description), ['not run yet']);
    const none = child(tree([project(summary('running'), { timeline: null })])[0], 'lifecycle');
    assert.equal(none.description, 'not run yet · the config names none');
  });

  it('lists the recommended extensions, with Install only for those not installed', () => {
    const [node] = tree([project(summary('running'), { extensions: ['dbaeumer.vscode-eslint', 'esbenp.prettier-vscode'] })], {
      installedExtensions: new Set(['dbaeumer.vscode-eslint']),
    });
    const ext = child(node, 'extensions');
    assert.equal(ext.description, '1 not installed');
    assert.deepEqual(
      ext.children!.map((n) => [n.label, n.description, n.contextValue]),
      [
        ['dbaeumer.vscode-eslint', 'installed', 'extension'],
        ['esbenp.prettier-vscode', 'not installed', 'extension installable'],
      ],
    );
    assert.equal(ext.children![1].extensionId, 'esbenp.prettier-vscode');
    assert.equal(ext.children![1].command?.command, Commands.showExtension);
    assert.equal(tree([project(summary('running'))])[0].children!.some((n) => n.kind === 'extensions'), false, 'no node when the config recommends none');
  });

  it('gives every node a unique id, stable across rebuilds (so expansion survives a refresh)', () => {
    const input = project(summary('running', { mounts: [{ type: 'tmpfs', source: null, target: '/tmp', readOnly: false }] }), {
      ports: [WEB, PUBLISHED],
      hooks: ['postCreateCommand'],
      timeline: null,
      extensions: ['a.b'],
    });
    const ids = (nodes: TreeNode[]): string[] => nodes.flatMap((n) => [n.id, ...ids(n.children ?? [])]);
    const first = ids(tree([input, { ...input, folder: '/work/api', folderName: 'api' }]));
    assert.equal(new Set(first).size, first.length);
    assert.deepEqual(ids(tree([input, { ...input, folder: '/work/api', folderName: 'api' }])), first);
  });
});

describe('what a config and a command argument say', () => {
  it('reads customizations.vscode.extensions, leaving out "-id" exclusions, duplicates and non-ids', () => {
    assert.deepEqual(
      recommendedExtensions({ customizations: { vscode: { extensions: ['ms-python.python', '-ms-python.vscode-pylance', 'MS-Python.python', 42, 'not an id', ' golang.go '] } } }),
      ['ms-python.python', 'golang.go'],
    );
    assert.deepEqual(recommendedExtensions({}), []);
    assert.deepEqual(recommendedExtensions(null), []);
  });

  it('lists the lifecycle commands a config names, in the order they run', () => {
    assert.deepEqual(configHooks({ postStartCommand: 'x', onCreateCommand: ['a', 'b'], postCreateCommand: { a: 'x' }, updateContentCommand: '', initializeCommand: [] }), [
      'onCreateCommand',
      'postCreateCommand',
      'postStartCommand',
    ]);
  });

  it('finds the folder of a view node, of { folder }, or of an Explorer Uri; nothing from the palette', () => {
    assert.equal(folderOfArg({ id: 'project:/work/app', folder: '/work/app' }), '/work/app');
    assert.equal(folderOfArg({ scheme: 'file', fsPath: '/work/app/src/x.ts' }), '/work/app/src/x.ts');
    assert.equal(folderOfArg({ scheme: 'untitled', fsPath: 'Untitled-1' }), undefined);
    assert.equal(folderOfArg(undefined), undefined);
    assert.equal(folderOfArg('hyperbox.start'), undefined);
  });
});
