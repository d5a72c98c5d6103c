// The dev containers of the projects, with the `vscode` API stubbed and a scripted engine: state
// following the engine, auto-start, Workspace Trust, progress with Cancel reaching the engine,
// errors with "Show Logs" and "Retry".
import { strict as assert } from 'node:assert';
import type { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import { SERVICES } from '../../../src/engine/services';
import { Capability, Progress, RUNTIME_ERROR, RuntimeContainerChanged, RuntimeStatus, RuntimeStop, RuntimeTrustPreview, RuntimeUp, RuntimeWatch, type ContainerSummary, type ResolvedConfig, type TrustFinding } from '../../../src/protocol';
import { availableActions, containerView, type ContainerView } from '../../../src/extension/containerState';
import { acceptedFindingsKey, Containers } from '../../../src/extension/containers';
import { RequestCancelledError, type RequestOptions } from '../../../src/extension/engineClient';
import type { Project, Projects } from '../../../src/extension/projects';
import { Uri, stub, window, workspace } from '../stubs/vscode';
import { waitFor } from './helpers';

const FOLDER = '/work/app';
const CONFIG = `${FOLDER}/.devcontainer/devcontainer.json`;

function summary(state: ContainerSummary['state'], running = state === 'running'): ContainerSummary {
  return {
    folder: FOLDER,
    configFile: CONFIG,
    containerId: state === 'missing' ? null : 'c1',
    name: state === 'missing' ? null : 'app-dev',
    state,
    running,
    image: 'hb-test:1',
    workspaceFolder: '/workspaces/app',
    remoteUser: 'dev',
    ports: [],
    drift: { known: true, changed: state === 'stale' ? ['image'] : [] },
    madeBy: 'hyperbox',
  };
}

interface Sent {
  method: string;
  params: any;
  options?: RequestOptions;
}

/** A scripted engine: answers per method, records what was sent, delivers notifications. */
class FakeEngine {
  readonly sent: Sent[] = [];
  readonly handlers = new Map<string, (p: unknown) => void>();
  answers = new Map<string, (params: any, options?: RequestOptions) => Promise<unknown>>();
  request = <P, R>(type: RequestType<P, R, void>, params: P, options?: RequestOptions): Promise<R> => {
    this.sent.push({ method: type.method, params, options });
    const answer = this.answers.get(type.method);
    return (answer ? answer(params, options) : Promise.reject(new Error(`no answer for ${type.method}`))) as Promise<R>;
  };
  request0 = <R>(type: RequestType0<R, void>): Promise<R> => {
    this.sent.push({ method: type.method, params: undefined });
    const answer = this.answers.get(type.method);
    return (answer ? answer(undefined) : Promise.reject(new Error('unhandled method'))) as Promise<R>;
  };
  onNotification = <P>(type: NotificationType<P>, handler: (p: P) => void) => {
    this.handlers.set(type.method, handler as (p: unknown) => void);
    return { dispose: () => this.handlers.delete(type.method) };
  };
  notify<P>(type: NotificationType<P>, params: P): void {
    this.handlers.get(type.method)?.(params);
  }
  count(method: string): number {
    return this.sent.filter((s) => s.method === method).length;
  }
}

function project(problems: ResolvedConfig['problems'] = []): Project {
  return {
    folder: { uri: Uri.file(FOLDER), name: 'app', index: 0 },
    configFiles: [CONFIG],
    choice: { kind: 'chosen', configFile: CONFIG, reason: 'only' },
    result: { problems } as unknown as ResolvedConfig,
    discovering: false,
    container: {},
  };
}

describe('dev containers (vscode stubbed, scripted engine)', () => {
  let engine: FakeEngine;
  let p: Project;
  let containers: Containers | undefined;
  let state: ReturnType<typeof stub.extensionContext>['workspaceState'];

  function make(options: { pollMs?: number } = {}): Containers {
    // as in Ctx: a change of a project is a projects change
    const projects = {
      list: () => [p],
      touch: () => {
        containers?.projectsChanged();
      },
    } as unknown as Projects;
    containers = new Containers({
      projects,
      log: window.createOutputChannel('HyperBox', { log: true }) as never,
      request: engine.request,
      request0: engine.request0,
      onNotification: engine.onNotification,
      engineRunning: () => true,
      pollMs: options.pollMs ?? 60_000,
      state: state,
    });
    return containers;
  }

  beforeEach(() => {
    stub.reset();
    engine = new FakeEngine();
    p = project();
    state = stub.extensionContext('/ext').workspaceState;
    engine.answers.set(RuntimeWatch.method, async () => ({ watching: true }));
    engine.answers.set(RuntimeStatus.method, async () => summary('stopped'));
    engine.answers.set(RuntimeUp.method, async () => ({ ...summary('running'), created: false, started: true, timings: [], totalMs: 500, pendingHooks: [] }));
    engine.answers.set(RuntimeStop.method, async () => summary('stopped'));
  });
  afterEach(() => {
    containers?.dispose();
    containers = undefined;
    stub.reset();
  });

  it('auto-starts a trusted folder\'s stopped container once, passing Workspace Trust to the engine', async () => {
    const c = make();
    await c.engineStarted();
    c.projectsChanged();
    await waitFor(() => engine.count(RuntimeUp.method) === 1, 'an up');
    const up = engine.sent.find((s) => s.method === RuntimeUp.method)!;
    assert.deepEqual(
      { folder: up.params.folder, configFile: up.params.configFile, trusted: up.params.trusted, waitFor: up.params.waitFor, rebuild: up.params.rebuild },
      { folder: FOLDER, configFile: CONFIG, trusted: true, waitFor: true, rebuild: false },
    );
    await waitFor(() => containerView(p.container).kind === 'running', 'running');
    c.projectsChanged();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(engine.count(RuntimeUp.method), 1, 'once per window');
  });

  it('passes the hyperbox.runtime setting to the engine from user settings only (a workspace cannot choose the runtime)', async () => {
    stub.setConfig('hyperbox.runtime', { workspaceValue: 'runc' }, false);
    const c = make();
    await c.engineStarted();
    c.projectsChanged();
    await waitFor(() => engine.count(RuntimeUp.method) === 1, 'an up');
    await waitFor(() => containerView(p.container).kind === 'running', 'running');
    assert.equal(engine.sent.find((s) => s.method === RuntimeUp.method)!.params.runtime, undefined, 'a workspace value is ignored');
    stub.setConfig('hyperbox.runtime', { globalValue: 'crun' }, false);
    await c.up(p);
    assert.equal(engine.sent.filter((s) => s.method === RuntimeUp.method)[1].params.runtime, 'crun', 'the user setting is passed');
  });

  it('reuses a running container without an up, and does nothing with hyperbox.autoStart off', async () => {
    engine.answers.set(RuntimeStatus.method, async () => summary('running'));
    let c = make();
    await c.engineStarted();
    c.projectsChanged();
    await waitFor(() => p.container.summary, 'the status');
    c.projectsChanged();
    assert.equal(engine.count(RuntimeUp.method), 0);
    c.dispose();

    p = project();
    engine.answers.set(RuntimeStatus.method, async () => summary('stopped'));
    stub.setConfig('hyperbox.autoStart', { globalValue: false }, false);
    c = make();
    await c.engineStarted();
    c.projectsChanged();
    await waitFor(() => p.container.summary, 'the status');
    c.projectsChanged();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(engine.count(RuntimeUp.method), 0);
    assert.equal(containerView(p.container).kind, 'stopped');
  });

  it('runs nothing in Restricted Mode, says why, lists what the config would reach (found by the engine without running anything) and offers to manage trust; starts once trusted', async () => {
    workspace.isTrusted = false;
    engine.answers.set(RuntimeTrustPreview.method, async () => ({
      folder: FOLDER,
      configFile: CONFIG,
      findings: [
        { key: 'host-path:/etc:rw:/e', text: 'a bind mount of /etc at /e: outside the workspace folder' },
        { key: 'command:postCreateCommand:1', text: 'postCreateCommand from devcontainer.json runs in the container: npm install' },
      ],
      pending: ['the image is built from .devcontainer/Dockerfile at the up: what its metadata label adds is known once it is built'],
    }));
    stub.respond = (_m, items) => (items.includes('Manage Workspace Trust') ? 'Manage Workspace Trust' : undefined);
    let managed = 0;
    stub.commands.set('workbench.trust.manage', () => managed++);
    const c = make();
    await c.engineStarted();
    c.projectsChanged();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(engine.count(RuntimeStatus.method), 0, 'not even the Docker engine is asked');
    assert.equal(await c.up(p), undefined);
    assert.equal(engine.count(RuntimeUp.method), 0);
    await waitFor(() => stub.messages.length, 'the Restricted Mode message');
    const warning = stub.messages.at(-1)!;
    assert.equal(warning.level, 'warning');
    assert.equal(warning.modal, true);
    assert.match(warning.message, /runs nothing for app in Restricted Mode: starting its dev container would build images and run the config's commands\. Trust the folder/);
    assert.equal(
      warning.detail,
      'Trusting the folder lets its dev container:\n• a bind mount of /etc at /e: outside the workspace folder\n• postCreateCommand from devcontainer.json runs in the container: npm install\n\n' +
        'The up may find more, and asks again then:\n• the image is built from .devcontainer/Dockerfile at the up: what its metadata label adds is known once it is built',
    );
    assert.deepEqual(engine.sent.find((s) => s.method === RuntimeTrustPreview.method)!.params, { folder: FOLDER, configFile: CONFIG });
    assert.deepEqual(warning.items, ['Manage Workspace Trust']);
    await waitFor(() => managed === 1, 'workbench.trust.manage');
    assert.deepEqual(availableActions({ trusted: false, configOk: true, container: containerView(p.container) }), ['manageTrust', 'showPanel', 'openConfig', 'showLogs']);

    stub.grantTrust();
    await waitFor(() => engine.count(RuntimeUp.method) === 1, 'the auto-start after trust');
    assert.equal(engine.sent.find((s) => s.method === RuntimeUp.method)!.params.trusted, true);
  });

  describe('findings not accepted yet (the engine\'s trust gate)', () => {
    const mount: TrustFinding = { key: 'host-path:/etc:rw:/e', text: 'a bind mount of /etc at /e: outside the workspace folder' };
    const hook: TrustFinding = { key: 'command:postCreateCommand:abc', text: 'postCreateCommand from devcontainer.json runs in the container: npm install' };
    /** As the engine answers: refuses (nothing made) unless every finding is among acceptedFindings. */
    function gatedUp(findings: TrustFinding[]) {
      return async (params: any) => {
        const accepted: string[] = params.acceptedFindings ?? [];
        const fresh = findings.filter((f) => !accepted.includes(f.key));
        if (fresh.length) {
          throw Object.assign(new Error(`${FOLDER} is not trusted for what its dev container reaches and runs, so nothing was made and nothing ran`), {
            code: RUNTIME_ERROR,
            data: { code: 'trust-required', findings, newFindings: fresh.map((f) => f.key) },
          });
        }
        return { ...summary('running'), created: true, started: true, timings: [], totalMs: 1, pendingHooks: [], findings };
      };
    }

    it('auto-start meets a new finding: a modal lists exactly the new one, and Cancel starts nothing', async () => {
      await state.update(acceptedFindingsKey(FOLDER, CONFIG), [mount.key]);
      engine.answers.set(RuntimeUp.method, gatedUp([mount, hook]));
      const c = make();
      await c.engineStarted();
      c.projectsChanged();
      await waitFor(() => stub.messages.some((m) => m.modal), 'the modal');
      const modal = stub.messages.find((m) => m.modal)!;
      assert.equal(modal.level, 'warning');
      assert.match(modal.message, /The dev container of app would reach into this machine or run code in ways you have not accepted since you last started it\. Start it\?/);
      assert.equal(modal.detail?.split('\n')[0], `• ${hook.text}`, 'exactly the new finding, in plain words');
      assert.ok(!modal.detail?.includes(mount.text), 'an accepted finding is not listed again');
      assert.match(modal.detail, /\(1 more you accepted before is unchanged\.\)/);
      assert.deepEqual(modal.items, ['Trust and Start']);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(engine.count(RuntimeUp.method), 1, 'no second up without the answer');
      assert.equal(engine.sent.find((s) => s.method === RuntimeUp.method)!.params.acceptedFindings.join(), mount.key);
      assert.deepEqual(state.get(acceptedFindingsKey(FOLDER, CONFIG)), [mount.key], 'nothing new recorded');
      assert.ok(!stub.messages.some((m) => m.level === 'error'), 'a refusal is a question, not an error');
      assert.notEqual(containerView(p.container).kind, 'running');
    });

    it('"Trust and Start" records the findings and starts with them accepted; the next start asks nothing', async () => {
      engine.answers.set(RuntimeUp.method, gatedUp([mount, hook]));
      stub.respond = (_m, items) => (items.includes('Trust and Start') ? 'Trust and Start' : undefined);
      const c = make();
      await c.engineStarted();
      c.projectsChanged();
      await waitFor(() => containerView(p.container).kind === 'running', 'running after the answer');
      const ups = engine.sent.filter((s) => s.method === RuntimeUp.method);
      assert.equal(ups.length, 2);
      assert.deepEqual(ups[0].params.acceptedFindings, [], 'first start: nothing accepted, every finding is new');
      assert.deepEqual(ups[1].params.acceptedFindings, [hook.key, mount.key].sort());
      const modal = stub.messages.find((m) => m.modal)!;
      assert.equal(modal.detail?.split('\n\n')[0], `• ${mount.text}\n• ${hook.text}`);
      assert.deepEqual(state.get(acceptedFindingsKey(FOLDER, CONFIG)), [hook.key, mount.key].sort());
      stub.messages.length = 0;
      await c.up(p);
      assert.equal(engine.count(RuntimeUp.method), 3);
      assert.ok(!stub.messages.some((m) => m.modal), 'the same findings: no question');
    });

    it('a manual Rebuild asks the same way ("Trust and Rebuild"), and a declined rebuild runs nothing', async () => {
      stub.setConfig('hyperbox.autoStart', { globalValue: false }, false);
      engine.answers.set(RuntimeUp.method, gatedUp([hook]));
      const c = make();
      assert.equal(await c.up(p, true), undefined);
      const modal = stub.messages.find((m) => m.modal)!;
      assert.deepEqual(modal.items, ['Trust and Rebuild']);
      assert.equal(modal.detail?.split('\n')[0], `• ${hook.text}`);
      assert.equal(engine.count(RuntimeUp.method), 1);
      stub.respond = (_m, items) => (items.includes('Trust and Rebuild') ? 'Trust and Rebuild' : undefined);
      const result = await c.up(p, true);
      assert.equal(result?.state, 'running');
      const last = engine.sent.filter((s) => s.method === RuntimeUp.method).at(-1)!;
      assert.deepEqual({ rebuild: last.params.rebuild, accepted: last.params.acceptedFindings }, { rebuild: true, accepted: [hook.key] });
    });
  });

  it('shows up as a cancellable progress notification fed by the engine, and Cancel reaches the engine', async () => {
    stub.setConfig('hyperbox.autoStart', { globalValue: false }, false);
    let seenToken: RequestOptions['token'];
    engine.answers.set(
      RuntimeUp.method,
      (params, options) =>
        new Promise((_, reject) => {
          seenToken = options?.token;
          engine.notify(Progress, { token: params.progressToken, message: 'Pulling hb-test:1' });
          options?.token?.onCancellationRequested(() => reject(new RequestCancelledError('"hyperbox/runtime/up" was cancelled.')));
        }),
    );
    const c = make();
    const done = c.up(p, true);
    await waitFor(() => stub.progress[0]?.messages.length, 'a progress message');
    const bar = stub.progress[0];
    assert.equal(bar.options.cancellable, true);
    assert.equal(bar.options.title, 'HyperBox: Rebuilding the dev container of app');
    assert.deepEqual(bar.messages, ['Pulling hb-test:1']);
    assert.deepEqual(containerView(p.container), { kind: 'starting', rebuild: true, step: 'Pulling hb-test:1' });
    assert.ok(engine.sent.find((s) => s.method === RuntimeUp.method)!.params.rebuild);
    bar.cancel();
    assert.equal(seenToken?.isCancellationRequested, true);
    assert.equal(await done, undefined);
    assert.ok(!stub.messages.some((m) => m.level === 'error'), 'a cancel is not an error');
    await waitFor(() => containerView(p.container).kind === 'stopped', 'the state after the cancel');
  });

  it('reports a failed start with "Show Logs" and "Retry"; Retry starts again', async () => {
    stub.setConfig('hyperbox.autoStart', { globalValue: false }, false);
    let calls = 0;
    engine.answers.set(RuntimeUp.method, async () => {
      if (++calls === 1) throw new Error('image hb-test:1 is not present and could not be pulled. Build or load it locally.');
      return { ...summary('running'), created: true, started: true, timings: [], totalMs: 1, pendingHooks: [] };
    });
    stub.respond = (_m, items) => (items.includes('Retry') ? 'Retry' : undefined);
    const c = make();
    await c.up(p);
    const error = stub.messages.find((m) => m.level === 'error')!;
    assert.equal(error.message, 'HyperBox could not start the dev container of app: image hb-test:1 is not present and could not be pulled. Build or load it locally.');
    assert.deepEqual(error.items, ['Show Logs', 'Retry']);
    await waitFor(() => calls === 2 && containerView(p.container).kind === 'running', 'the retry to start it');
  });

  it('follows container events from the engine, and stops', async () => {
    stub.setConfig('hyperbox.autoStart', { globalValue: false }, false);
    engine.answers.set(RuntimeStatus.method, async () => summary('running'));
    const c = make();
    await c.engineStarted();
    c.projectsChanged();
    await waitFor(() => containerView(p.container).kind === 'running', 'running');
    // stopped outside the editor (docker stop): the engine's event brings the new state
    engine.answers.set(RuntimeStatus.method, async () => summary('stopped'));
    engine.notify(RuntimeContainerChanged, { containerId: 'c1', name: 'app-dev', folder: FOLDER, configFile: CONFIG, action: 'stop', state: 'stopped', time: new Date().toISOString() });
    await waitFor(() => containerView(p.container).kind === 'stopped', 'stopped after the event');
    assert.deepEqual(availableActions({ trusted: true, configOk: true, container: containerView(p.container) }), ['start', 'rebuild', 'remove', 'showContainerLogs', 'showPanel', 'openConfig', 'showLogs']);

    engine.answers.set(RuntimeStatus.method, async () => summary('running'));
    engine.notify(RuntimeContainerChanged, { containerId: 'c1', name: 'app-dev', folder: FOLDER, configFile: CONFIG, action: 'start', state: 'running', time: new Date().toISOString() });
    await waitFor(() => containerView(p.container).kind === 'running', 'running after the event');
    await c.stop(p);
    assert.equal(containerView(p.container).kind, 'stopped');
    assert.equal(engine.count(RuntimeStop.method), 1);
  });

  it('polls while the window has focus, and not while it does not', async () => {
    stub.setConfig('hyperbox.autoStart', { globalValue: false }, false);
    engine.answers.set(RuntimeWatch.method, async () => Promise.reject(new Error('unhandled method')));
    const c = make({ pollMs: 20 });
    await c.engineStarted();
    await waitFor(() => engine.count(RuntimeStatus.method) >= 2, 'two polls');
    stub.setWindowFocused(false);
    await new Promise((r) => setTimeout(r, 30));
    const n = engine.count(RuntimeStatus.method);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(engine.count(RuntimeStatus.method), n, 'no poll while unfocused');
    stub.setWindowFocused(true);
    await waitFor(() => engine.count(RuntimeStatus.method) > n, 'a poll on focus');
  });

  it('does not start a config with errors', () => {
    assert.deepEqual(availableActions({ trusted: true, configOk: false, container: { kind: 'stopped', name: null } }), ['remove', 'showContainerLogs', 'showPanel', 'openConfig', 'showLogs']);
    assert.deepEqual(availableActions({ trusted: true, configOk: true, container: { kind: 'missing' } }), ['start', 'showPanel', 'openConfig', 'showLogs']);
    assert.deepEqual(availableActions({ trusted: true, configOk: true, container: { kind: 'starting', rebuild: false } }), ['showPanel', 'openConfig', 'showLogs']);
  });

  it('offers Rebuild first for a stale container: it is what applies the changed config', () => {
    assert.deepEqual(availableActions({ trusted: true, configOk: true, container: { kind: 'stale', running: true, changed: ['image'] } }), [
      'rebuild',
      'stop',
      'openTerminal',
      'openPorts',
      'remove',
      'showContainerLogs',
      'showPanel',
      'openConfig',
      'showLogs',
    ]);
  });

  it('offers neither Rebuild nor container output when a failed up left no container', () => {
    const failed = containerView({ summary: { ...summary('missing'), containerId: null }, failure: 'the image hb-nope:1 does not exist' });
    assert.equal(failed.kind, 'error');
    const actions = availableActions({ trusted: true, configOk: true, container: failed, exists: false });
    assert.deepEqual(actions, ['start', 'showPanel', 'openConfig', 'showLogs']);
    // a failed rebuild of a container that still exists keeps them
    assert.ok(availableActions({ trusted: true, configOk: true, container: failed, exists: true }).includes('rebuild'));
  });
});

describe('what the editor offers follows the engine\'s capabilities (pure)', () => {
  it('drops the actions whose capability the handshake does not list', () => {
    const container: ContainerView = { kind: 'running', name: 'app', image: 'img', ports: [] };
    const all = availableActions({ trusted: true, configOk: true, container, exists: true, can: () => true });
    assert.deepEqual(all, ['stop', 'openTerminal', 'openPorts', 'rebuild', 'remove', 'showContainerLogs', 'showPanel', 'openConfig', 'showLogs']);
    // an engine with only the runtime: start / stop / rebuild, nothing it cannot serve
    const runtimeOnly = availableActions({ trusted: true, configOk: true, container, exists: true, can: (c) => c === Capability.runtime });
    assert.deepEqual(runtimeOnly, ['stop', 'rebuild', 'showPanel', 'openConfig', 'showLogs']);
  });

  it('the engine lists the capabilities the editor asks about in its handshake', () => {
    const listed = new Set(SERVICES.flatMap((s) => s.capabilities));
    for (const c of Object.values(Capability)) assert.ok(listed.has(c), `the engine lists ${c}`);
  });
});
