// Prewarming from the editor, with the `vscode` API stubbed and a scripted engine: asked only for
// a trusted folder with the setting on whose Dockerfile container is missing or stale, once per
// situation; the engine's deferral (the host under pressure) is shown and asked again later; the
// findings the user accepted for the folder travel with the request.
import { strict as assert } from 'node:assert';
import type { RequestType } from 'vscode-jsonrpc';
import { PrewarmRequest, type ContainerSummary, type PrewarmStatus, type ResolvedConfig } from '../../../src/protocol';
import { Prewarming } from '../../../src/extension/prewarm';
import { prewarmDecision, type PrewarmFacts } from '../../../src/extension/prewarmDecision';
import type { Project } from '../../../src/extension/projects';
import { EventEmitter, StubLogChannel, Uri, stub, workspace } from '../stubs/vscode';
import { sleep, waitFor } from './helpers';

const FOLDER = '/work/app';
const CONFIG = `${FOLDER}/.devcontainer/devcontainer.json`;

function summary(state: ContainerSummary['state'], changed: string[] = state === 'stale' ? ['Dockerfile'] : []): ContainerSummary {
  return {
    folder: FOLDER,
    configFile: CONFIG,
    containerId: state === 'missing' ? null : 'c1',
    name: state === 'missing' ? null : 'app-dev',
    state,
    running: state === 'running',
    image: 'hb-test:1',
    workspaceFolder: '/workspaces/app',
    remoteUser: 'dev',
    ports: [],
    drift: { known: true, changed },
    madeBy: 'hyperbox',
  };
}

const calm: PrewarmFacts = { workspaceTrusted: true, enabled: true, engineRunning: true, usable: true, kind: 'dockerfile', summary: summary('stale'), busy: false };

describe('extension: prewarming', () => {
  describe('the decision', () => {
    it('asks for a trusted folder with the setting on whose Dockerfile container is stale or missing', () => {
      assert.equal(prewarmDecision(calm).ask, true);
      assert.equal(prewarmDecision({ ...calm, summary: summary('missing') }).ask, true);
      // an image config: its missing container (there is no image of its own to build)
      assert.equal(prewarmDecision({ ...calm, kind: 'image', summary: summary('missing') }).ask, true);
      // a container the user removed in this window: the image again, not the container
      assert.deepEqual(prewarmDecision({ ...calm, summary: summary('missing'), removed: true }), { ask: true, situation: 'missing\n\n\nremoved', container: false });
      assert.equal((prewarmDecision({ ...calm, summary: summary('missing') }) as { container: boolean }).container, true);
    });
    it('does not ask, and says why, in every other case', () => {
      const why = (f: Partial<PrewarmFacts>) => {
        const d = prewarmDecision({ ...calm, ...f });
        assert.equal(d.ask, false, JSON.stringify(f));
        return (d as { why: string }).why;
      };
      assert.match(why({ enabled: false }), /hyperbox\.prewarm is off/);
      assert.match(why({ workspaceTrusted: false }), /not trusted/);
      assert.match(why({ engineRunning: false }), /engine is not running/);
      assert.match(why({ usable: false }), /errors/);
      assert.match(why({ kind: 'image' }), /stale: an image config has nothing to prepare/);
      assert.match(why({ kind: 'image', summary: summary('missing'), removed: true }), /you removed the container in this window/);
      assert.match(why({ kind: 'compose' }), /only image and Dockerfile configs.*compose/);
      assert.match(why({ busy: true }), /under way/);
      assert.match(why({ summary: summary('running') }), /running: nothing to prepare/);
      assert.match(why({ summary: summary('stopped') }), /stopped/);
      assert.match(why({ summary: undefined }), /not known yet/);
    });
    it('a new drift is a new situation', () => {
      const a = prewarmDecision(calm) as { situation: string };
      const b = prewarmDecision({ ...calm, summary: summary('stale', ['Dockerfile', 'build.args']) }) as { situation: string };
      assert.notEqual(a.situation, b.situation);
    });
  });

  describe('asking the engine', () => {
    let prewarming: Prewarming | undefined;
    const changed = new EventEmitter<void>();
    let project: Project;
    let answers: PrewarmStatus[];
    let sent: { folder: string; configFile?: string; trusted: boolean; acceptedFindings?: string[] }[];
    let log: StubLogChannel;
    /** Containers.accepted: the finding keys the user accepted per folder and config. */
    let accepted: Map<string, string[]>;

    beforeEach(() => {
      stub.reset();
      stub.setConfig('hyperbox.prewarm', { globalValue: true }, false);
      project = {
        folder: { uri: Uri.file(FOLDER), name: 'app', index: 0 },
        configFiles: [CONFIG],
        choice: { kind: 'chosen', configFile: CONFIG },
        result: { kind: 'dockerfile', problems: [] } as unknown as ResolvedConfig,
        discovering: false,
        container: { summary: summary('running') },
      } as unknown as Project;
      answers = [];
      sent = [];
      log = new StubLogChannel('HyperBox');
      accepted = new Map();
      prewarming = new Prewarming({
        projects: { list: () => [project], onDidChange: changed.event as never },
        request: (async <P, R>(type: RequestType<P, R, void>, params: P) => {
          assert.equal(type.method, PrewarmRequest.method);
          sent.push(params as never);
          const a = answers.shift();
          if (!a) throw new Error('no answer scripted');
          return a as R;
        }),
        engineRunning: () => true,
        accepted: (folder: string, configFile: string) => accepted.get(`${folder}\0${configFile}`) ?? [],
        log: log as never,
        retryMs: 50,
      });
    });
    afterEach(() => {
      prewarming?.dispose();
      prewarming = undefined;
      stub.reset();
    });

    /** The container's state changes as the engine reports it (e.g. after a save made it stale). */
    const becomes = (s: ContainerSummary) => {
      project.container.summary = s;
      changed.fire();
    };

    it('a stale container is prewarmed with the findings the user accepted; a deferral is shown and asked again', async () => {
      // the up that made the container was accepted with its build
      accepted.set(`${FOLDER}\0${CONFIG}`, ['build:dockerfile:.devcontainer/Dockerfile']);
      becomes(summary('running'));
      assert.equal(sent.length, 0, 'a running, current container needs nothing');

      answers.push({ state: 'deferred', reason: 'Deferred: the host is under memory pressure (some avg10 4.5 % ≥ 1 %).' });
      answers.push({ state: 'ready', reason: 'The image is prewarmed as hb-prewarm-abc:123.', tag: 'hb-prewarm-abc:123', buildMs: 12_300 });
      becomes(summary('stale'));
      await waitFor(() => sent.length === 1, 'the first prewarm request');
      assert.deepEqual(sent[0], { folder: FOLDER, configFile: CONFIG, trusted: true, acceptedFindings: ['build:dockerfile:.devcontainer/Dockerfile'] });
      await waitFor(() => stub.statusBarMessages.some((m) => /prewarming app deferred \(machine under pressure\)/.test(m)), 'the deferral in the status bar');
      assert.match(log.text(), /Prewarming app waits: Deferred: the host is under memory pressure \(some avg10 4\.5 % ≥ 1 %\)\. HyperBox asks again in a minute\./);
      // the same situation again (another poll): not asked twice while the retry is pending
      changed.fire();
      // after the retry delay: asked again, and this time built
      await waitFor(() => sent.length === 2, 'the retry');
      await waitFor(() => /Prewarmed app: The image is prewarmed as hb-prewarm-abc:123\. The build took 12\.3 s, which the next start saves\./.test(log.text()), 'the ready line', 2000, () => log.text());
      // ready: the same drift is not asked again
      changed.fire();
      await sleep(120);
      assert.equal(sent.length, 2);
    });

    it('a missing container is prewarmed under the user\'s runtime, and the view asks again for the container made', async () => {
      prewarming!.dispose();
      const refreshed: Project[] = [];
      prewarming = new Prewarming({
        projects: { list: () => [project], onDidChange: changed.event as never },
        request: (async (_type: unknown, params: never) => {
          sent.push(params);
          return answers.shift();
        }) as never,
        engineRunning: () => true,
        accepted: () => ['build:dockerfile:.devcontainer/Dockerfile'],
        refresh: (p) => refreshed.push(p),
        runtime: () => 'crun',
        log: log as never,
      });
      answers.push({ state: 'ready', reason: 'The dev container is prewarmed: its image is built and its container hb-app-1 made (stopped); the next start only starts it.', tag: 'hb-prewarm-abc:1', buildMs: 4_000, containerId: 'c0ffee' });
      becomes(summary('missing'));
      await waitFor(() => refreshed.length === 1, 'the container asked for again');
      assert.equal((sent[0] as { container?: boolean }).container, undefined, 'a container never seen in this window may be made');
      assert.equal(refreshed[0], project);
      assert.equal((sent[0] as { runtime?: string }).runtime, 'crun', 'made under the runtime the user\'s own up would use');
      assert.match(log.text(), /Prewarmed app: The dev container is prewarmed: its image is built and its container hb-app-1 made \(stopped\); the next start only starts it\. The build took 4\.0 s/);
      // the user removes that container: the next prewarm prepares the image only
      becomes(summary('stopped'));
      answers.push({ state: 'ready', reason: 'The image is prewarmed as hb-prewarm-abc:1. No container was made: you removed its container in this window.', tag: 'hb-prewarm-abc:1' });
      becomes(summary('missing'));
      await waitFor(() => sent.length === 2, 'the prewarm after the removal');
      assert.equal((sent[1] as { container?: boolean }).container, false);
    });

    it('asks nothing in Restricted Mode, with the setting off, or for a Compose config; turning the setting on asks', async () => {
      workspace.isTrusted = false;
      becomes(summary('missing'));
      workspace.isTrusted = true;
      project.result = { kind: 'compose', problems: [] } as unknown as ResolvedConfig;
      changed.fire();
      project.result = { kind: 'dockerfile', problems: [] } as unknown as ResolvedConfig;
      stub.setConfig('hyperbox.prewarm', { globalValue: false });
      await sleep(50);
      assert.equal(sent.length, 0);
      answers.push({ state: 'untrusted', reason: 'HyperBox has no record that you trusted this folder\'s build (it builds an image from .devcontainer/Dockerfile (its RUN steps run on the engine)). Start its dev container once (HyperBox: Start, or hb up) and prewarming takes over from then on.' });
      stub.setConfig('hyperbox.prewarm', { globalValue: true });
      await waitFor(() => sent.length === 1, 'a request once the setting is on');
      assert.deepEqual(sent[0].acceptedFindings, [], 'nothing accepted in this editor yet: the engine looks in its own record');
      await waitFor(() => /Prewarming app skipped: HyperBox has no record that you trusted this folder's build/.test(log.text()), 'the reason in the log');
    });
  
    it('a start of the folder cancels the prewarm under way: that up builds what it needs itself', async () => {
      let cancelled = false;
      prewarming!.dispose();
      prewarming = new Prewarming({
        projects: { list: () => [project], onDidChange: changed.event as never },
        request: (async (_type: unknown, params: never, options: { token: { onCancellationRequested(f: () => void): void } }) => {
          sent.push(params);
          return new Promise((_resolve, reject) => options.token.onCancellationRequested(() => ((cancelled = true), reject(new Error('cancelled')))));
        }) as never,
        engineRunning: () => true,
        accepted: (folder: string, configFile: string) => accepted.get(`${folder}\0${configFile}`) ?? [],
        log: log as never,
      });
      becomes(summary('missing'));
      await waitFor(() => sent.length === 1, 'the prewarm request');
      project.container.busy = { kind: 'starting', rebuild: false };
      changed.fire();
      await waitFor(() => cancelled, 'the prewarm cancelled');
      await sleep(20);
      assert.ok(!/failed/.test(log.text()), log.text());
    });
});
});
