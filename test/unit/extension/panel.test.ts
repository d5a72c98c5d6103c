// The webview infrastructure and the Dev Container panel, with the `vscode` API stubbed: the HTML
// shell's Content Security Policy and nonces, validation of every message a webview sends, the
// ready handshake (no state before it), live timeline updates, the buttons acting on the folder's
// container only when offered, and the serializer that restores the panel after a reload.
import { strict as assert } from 'node:assert';
import type { RequestType } from 'vscode-jsonrpc';
import { contentSecurityPolicy, escapeHtml, makeNonce, panelHtml } from '../../../src/extension/panels/html';
import { timelineMatches } from '../../../src/extension/details';
import { DevContainerPanels, panelActions, type PanelCtx } from '../../../src/extension/panels/devContainerPanel';
import type { ProjectModel } from '../../../src/extension/model';
import type { Project } from '../../../src/extension/projects';
import { ProjectDetect, RuntimeTimeline, type ContainerSummary, type DetectionResult, type UpTimeline } from '../../../src/protocol';
import { DEV_CONTAINER_VIEW_TYPE, validateDevContainerMessage, validateDevContainerWebviewState, type DevContainerState } from '../../../src/protocol/webview';
import { EventEmitter, StubLogChannel, StubWebviewPanel, stub, Uri } from '../stubs/vscode';
import { waitFor } from './helpers';

const html = (nonce = 'bm9uY2Ux') =>
  panelHtml({ title: 'Dev Container: <app>', cspSource: 'https://cdn.test', nonce, scriptUri: 'https://cdn.test/dist/media/devContainer.js', styleUri: 'https://cdn.test/dist/media/devContainer.css', panel: 'devContainer' });

describe('webview HTML and its Content Security Policy', () => {
  it('allows nothing by default, scripts only by nonce, styles only from the extension', () => {
    const csp = contentSecurityPolicy('https://cdn.test', 'abc');
    const rules = Object.fromEntries(csp.split(';').map((r) => r.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    assert.deepEqual(rules['default-src'], ["'none'"]);
    assert.deepEqual(rules['script-src'], ["'nonce-abc'"]);
    assert.deepEqual(rules['style-src'], ['https://cdn.test']);
    assert.ok(!/unsafe-(inline|eval)/.test(csp), csp);
  });

  it('puts the policy in a meta tag, and every script carries the nonce and has no inline code', () => {
    const page = html('Zm9vYmFy');
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page);
    assert.ok(meta, 'a CSP meta tag');
    assert.match(meta[1], /script-src 'nonce-Zm9vYmFy'/);
    const scripts = [...page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    for (const [, attrs, body] of scripts) {
      assert.match(attrs, /\bnonce="Zm9vYmFy"/);
      assert.match(attrs, /\bsrc="https:\/\/cdn\.test\/dist\/media\/devContainer\.js"/);
      assert.equal(body.trim(), '', 'no inline script');
    }
    assert.ok(!/\son[a-z]+=/i.test(page), 'no inline event handlers');
    assert.match(page, /<link rel="stylesheet" href="https:\/\/cdn\.test\/dist\/media\/devContainer\.css">/);
    assert.match(page, /<title>Dev Container: &lt;app&gt;<\/title>/);
  });

  it('makes a fresh, unguessable nonce for every page', () => {
    const nonces = new Set(Array.from({ length: 200 }, () => makeNonce()));
    assert.equal(nonces.size, 200);
    for (const n of nonces) {
      assert.match(n, /^[A-Za-z0-9+/]+=*$/);
      assert.ok(Buffer.from(n, 'base64').length >= 16, 'at least 128 bits');
    }
    assert.equal(escapeHtml(`"><script>alert('x')</script>`), '&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;');
  });
});

describe('Dev Container panel messages', () => {
  it('accepts exactly what the webview may send', () => {
    assert.deepEqual(validateDevContainerMessage({ type: 'ready', params: {} }), { type: 'ready', params: {} });
    assert.deepEqual(validateDevContainerMessage({ type: 'ready' }), { type: 'ready', params: {} });
    assert.deepEqual(validateDevContainerMessage({ type: 'action', params: { action: 'rebuild' } }), { type: 'action', params: { action: 'rebuild' } });
  });

  it('drops anything else: unknown types and actions, extra or wrong parameters, non-objects', () => {
    for (const bad of [
      null,
      'ready',
      42,
      [],
      { type: 'state', params: {} },
      { type: 'action', params: { action: 'rm -rf' } },
      { type: 'action', params: { action: 'start', folder: '/etc' } },
      { type: 'action', params: { action: ['start'] } },
      { type: 'action', params: 'start' },
      { type: 'action' },
      { type: 'ready', params: { extra: 1 } },
      { type: 'action', params: { action: 'constructor' } },
      { type: 'action', params: { action: 'toString' } },
    ]) {
      assert.equal(validateDevContainerMessage(bad), undefined, JSON.stringify(bad));
    }
  });

  it('restores only a saved state that names a local folder', () => {
    assert.deepEqual(validateDevContainerWebviewState({ folderUri: 'file:///work/app', expanded: ['build#3', 7] }), { folderUri: 'file:///work/app', expanded: ['build#3'] });
    assert.equal(validateDevContainerWebviewState({ folderUri: 'https://evil.test/' }), undefined);
    assert.equal(validateDevContainerWebviewState(undefined), undefined);
  });

  it('offers the buttons of the actions that apply, Open Config with a config, Refresh always', () => {
    assert.deepEqual(panelActions(['start', 'rebuild', 'showContainerLogs', 'showPanel', 'openConfig', 'showLogs'], true), ['start', 'rebuild', 'showContainerLogs', 'openConfig', 'refresh']);
    assert.deepEqual(panelActions(['manageTrust', 'showPanel', 'openConfig', 'showLogs'], true), ['openConfig', 'refresh']);
    assert.deepEqual(panelActions([], false), ['refresh']);
  });

  it('follows the timelines of its folder and config only', () => {
    const t = { folder: '/work/app', configFile: '/work/app/.devcontainer/devcontainer.json' } as UpTimeline;
    assert.ok(timelineMatches(t, '/work/app', '/work/app/.devcontainer/devcontainer.json'));
    assert.ok(!timelineMatches(t, '/work/app', '/work/app/.devcontainer/other/devcontainer.json'));
    assert.ok(!timelineMatches(t, '/work/other', null));
  });
});

// ---------------------------------------------------------------------------------------------

const FOLDER = '/work/app';
const CONFIG = `${FOLDER}/.devcontainer/devcontainer.json`;

function timeline(outcome: UpTimeline['outcome'], folder = FOLDER): UpTimeline {
  return {
    folder,
    configFile: CONFIG,
    containerId: 'c1',
    startedAt: '2026-01-02T03:04:05.000Z',
    totalMs: 120,
    outcome,
    client: 'hb',
    entries: [
      { step: 'create', kind: 'engine', startMs: 0, ms: 20, status: 'ok' },
      { step: 'postCreateCommand', kind: 'lifecycle', startMs: 20, ms: 100, status: outcome === 'running' ? 'running' : 'failed', detail: 'npm ci', exitCode: 1, output: 'npm ERR! <b>no</b>\n' },
    ],
  };
}

const running: ContainerSummary = {
  folder: FOLDER,
  configFile: CONFIG,
  containerId: 'c1',
  name: 'app-dev',
  state: 'running',
  running: true,
  image: 'hb-test:1',
  workspaceFolder: '/workspaces/app',
  remoteUser: 'dev',
  ports: [{ containerPort: 3000, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 3000 }],
  drift: { known: true, changed: [] },
  madeBy: 'hyperbox',
  runtime: 'runc',
};

function fakeCtx(actions: string[] = ['stop', 'openTerminal', 'rebuild', 'remove', 'showContainerLogs', 'showPanel', 'openConfig', 'showLogs']) {
  const project = {
    folder: { uri: Uri.file(FOLDER), name: 'app', index: 0 },
    configFiles: [CONFIG],
    choice: { kind: 'chosen', configFile: CONFIG },
    result: { configFile: CONFIG, workspaceFolder: FOLDER, config: { image: 'hb-test:1' }, devcontainerId: 'abc', workspace: null, paths: {}, kind: 'image', problems: [], otherConfigFiles: [] },
    discovering: false,
    container: { summary: running },
  } as unknown as Project;
  const rendered = new EventEmitter<void>();
  const calls: string[] = [];
  const log = new StubLogChannel('HyperBox');
  const detection = { primary: '.', label: 'TypeScript · Express · npm', languageName: 'TypeScript', frameworkName: 'Express', packageManagerName: 'npm', devCommand: 'npm run dev', ports: [3000], evidence: [{ file: 'package.json', reason: 'depends on express' }], parts: [], notes: [] } as unknown as DetectionResult;
  // the model every surface renders from: what the panel shows comes from here, not from its own requests
  const model: ProjectModel = {
    folder: FOLDER,
    folderUri: Uri.file(FOLDER).toString(),
    folderName: 'app',
    configFile: CONFIG,
    view: { folderName: 'app', configCount: 1, state: { kind: 'checked', configLabel: '.devcontainer/devcontainer.json', errors: 0, warnings: 0 } },
    container: { kind: 'running', name: 'app-dev', image: 'hb-test:1', ports: running.ports },
    exists: true,
    running: true,
    summary: running,
    ports: [{ containerPort: 3000, hostPort: 3000, source: 'forwardPorts', state: 'forwarded', by: { pid: 7, what: 'HyperBox engine' } }],
    timeline: timeline('failed'),
    actions: actions as ProjectModel['actions'],
    discovering: false,
  };
  const ctx = {
    extension: { extensionUri: Uri.file('/ext') },
    log,
    projects: { list: () => [project] },
    containers: {
      stop: async () => void calls.push('stop'),
      refresh: async () => void calls.push('refresh'),
    },
    request: async <P, R>(type: RequestType<P, R, void>, params: P) => {
      calls.push(`request ${type.method} ${JSON.stringify(params)}`);
      if (type.method === ProjectDetect.method) return detection as R;
      throw new Error(`unexpected ${type.method}`);
    },
    onDidRender: rendered.event,
    model: () => model,
    engineState: { kind: 'running', version: '1', pid: 1, session: 1 },
  } as unknown as PanelCtx;
  return { ctx, project, model, rendered, calls, log };
}

const messages = (panel: StubWebviewPanel, type: string) => panel.posted.filter((m) => (m as { type: string }).type === type).map((m) => (m as { params: unknown }).params);

describe('the Dev Container panel', () => {
  beforeEach(() => stub.reset());

  it('loads only the bundle from dist/media, and sends nothing before the webview is ready', async () => {
    const f = fakeCtx();
    const panels = new DevContainerPanels(f.ctx);
    panels.show(f.project);
    const [panel] = stub.webviewPanels;
    assert.equal(panel.viewType, DEV_CONTAINER_VIEW_TYPE);
    assert.equal(panel.title, 'Dev Container: app');
    assert.equal(panel.webview.options.enableScripts, true);
    assert.deepEqual(panel.webview.options.localResourceRoots?.map((u) => u.path), ['/ext/dist/media']);
    assert.match(panel.webview.html, /src="https:\/\/stub\.vscode-cdn\.test\/ext\/dist\/media\/devContainer\.js"/);
    assert.ok(!panel.webview.html.includes('hb-test'), 'no data in the HTML');
    f.rendered.fire();
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(panel.posted, [], 'nothing before ready');
    panels.dispose();
  });

  it('after ready: the summary, resolved config, detection and the last timeline', async () => {
    const f = fakeCtx();
    const panels = new DevContainerPanels(f.ctx);
    panels.show(f.project);
    const [panel] = stub.webviewPanels;
    panel.receive({ type: 'ready', params: {} });
    const state = await waitFor(() => (messages(panel, 'state') as DevContainerState[]).find((s) => s.timeline && s.detection), 'a state with timeline and detection');
    assert.equal(state.container?.image, 'hb-test:1');
    assert.equal(state.stateWord, 'dev container running', 'the status bar\'s words');
    assert.deepEqual(state.ports.map((p) => [p.hostPort, p.state]), [[3000, 'forwarded']], 'the forwarded port, not "none published"');
    assert.deepEqual(state.resolved?.config, { image: 'hb-test:1' });
    assert.equal(state.detection?.label, 'TypeScript · Express · npm');
    assert.deepEqual(state.detection?.evidence, [{ file: 'package.json', reason: 'depends on express' }]);
    assert.equal(state.timeline?.outcome, 'failed');
    assert.deepEqual(state.actions, ['stop', 'openTerminal', 'rebuild', 'showContainerLogs', 'openConfig', 'refresh']);
    assert.ok(!f.calls.some((c) => c.includes(RuntimeTimeline.method)), 'the timeline comes from the model, not from a cache of its own');
    panels.dispose();
  });

  it('follows the model live (a running up, its output), and sends nothing while hidden', async () => {
    const f = fakeCtx();
    const panels = new DevContainerPanels(f.ctx);
    panels.show(f.project);
    const [panel] = stub.webviewPanels;
    panel.receive({ type: 'ready' });
    await waitFor(() => messages(panel, 'state').length >= 2, 'state after fetch');
    const running = timeline('running');
    running.entries[running.entries.length - 1] = { ...running.entries[running.entries.length - 1], status: 'running', output: 'npm install\nadded 3 packages' };
    f.model.timeline = running;
    f.model.container = { kind: 'starting', rebuild: true };
    f.rendered.fire();
    f.rendered.fire();
    const live = await waitFor(() => (messages(panel, 'state') as DevContainerState[]).find((s) => s.timeline?.outcome === 'running'), 'the running timeline');
    assert.equal(live.stateWord, 'rebuilding dev container');
    assert.match(live.timeline!.entries.at(-1)!.output!, /added 3 packages/);
    const count = messages(panel, 'state').length;
    // hidden: the webview is unloaded; nothing is sent until it is ready again, then the whole state
    panel.setVisible(false);
    f.model.timeline = timeline('ok');
    f.rendered.fire();
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(messages(panel, 'state').length, count);
    panel.setVisible(true);
    panel.receive({ type: 'ready' });
    const last = (messages(panel, 'state') as DevContainerState[]).at(-1)!;
    assert.equal(last.timeline?.outcome, 'ok');
    panels.dispose();
  });

  it('acts on its folder for the buttons it offers, and ignores forged or stale ones', async () => {
    const f = fakeCtx(['start', 'showContainerLogs', 'showPanel', 'openConfig', 'showLogs']);
    const panels = new DevContainerPanels(f.ctx);
    panels.show(f.project);
    const [panel] = stub.webviewPanels;
    panel.receive({ type: 'ready' });
    panel.receive({ type: 'action', params: { action: 'start' } });
    await waitFor(() => stub.executed.some((e) => e.id === 'hyperbox.start'), 'start');
    panel.receive({ type: 'action', params: { action: 'stop' } }); // not offered now
    panel.receive({ type: 'action', params: { action: 'start', folder: '/etc' } }); // forged
    panel.receive({ type: 'exec', params: { cmd: 'rm' } });
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(!f.calls.includes('stop'));
    assert.deepEqual(stub.executed.filter((e) => e.id === 'hyperbox.start').map((e) => e.args), [[{ folder: FOLDER }]], 'the command itself (the walkthrough counts it), on this folder');
    assert.equal(f.log.lines.filter((l) => /ignored/.test(l.message)).length, 3, f.log.lines.map((l) => l.message).join("\n"));
    panels.dispose();
  });

  it('comes back after a window reload from the state the webview saved', async () => {
    const f = fakeCtx();
    const panels = new DevContainerPanels(f.ctx);
    const serializer = stub.serializers.get(DEV_CONTAINER_VIEW_TYPE);
    assert.ok(serializer, 'a serializer for the panel');
    const restored = new StubWebviewPanel(DEV_CONTAINER_VIEW_TYPE, 'Dev Container: app', undefined);
    await serializer.deserializeWebviewPanel(restored, { folderUri: Uri.file(FOLDER).toString(), expanded: [] });
    assert.deepEqual(panels.folders(), [Uri.file(FOLDER).toString()]);
    assert.deepEqual(restored.webview.options.localResourceRoots?.map((u) => u.path), ['/ext/dist/media']);
    restored.receive({ type: 'ready' });
    await waitFor(() => (messages(restored, 'state') as DevContainerState[]).some((s) => s.timeline), 'state of the restored panel');
    // showing it again reveals the same panel
    panels.show(f.project);
    assert.equal(stub.webviewPanels.length, 0);
    assert.equal(restored.revealed, 1);
    // a state it cannot use: the panel is closed, not left empty
    const junk = new StubWebviewPanel(DEV_CONTAINER_VIEW_TYPE, 'x', undefined);
    await serializer.deserializeWebviewPanel(junk, { folderUri: 'javascript:alert(1)' });
    assert.equal(junk.disposed, true);
    panels.dispose();
    assert.equal(restored.disposed, true);
  });
});
