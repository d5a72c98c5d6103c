// The startup timeline of an up, on a real engine: every step in order with its status, the
// lifecycle commands with their command text, exit code and last output; a failed up keeps its
// timeline with the error; the last timeline is saved per folder, so the editor's engine serves
// one that `hb` made; an up through the engine sends RuntimeTimelineChanged while it runs.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { RuntimeError } from '../../src/engine/runtime/errors';
import { loadTimeline } from '../../src/engine/runtime/up/timelineStore';
import { Initialize, RuntimeDown, RuntimeTimeline, RuntimeTimelineChanged, RuntimeUp, Shutdown, type UpTimeline } from '../../src/protocol';
import { busyboxImage } from './images';
import { hb, hbUp, REPO, removeEverythingUnder, TEST_ROOT, waitFor, workspace, writeConfig } from './helpers';

const CONFIG = '.devcontainer/devcontainer.json';

describe('engine: startup timeline', () => {
  after(() => removeEverythingUnder(TEST_ROOT));

  it('records a failing up: steps in order, the failing command with exit code and output, what did not run', async () => {
    const folder = workspace('timeline-fail', {
      image: busyboxImage(),
      initializeCommand: 'echo from the host',
      onCreateCommand: 'echo preparing; echo done preparing',
      postCreateCommand: 'echo about to fail; echo on stderr >&2; exit 3',
      postStartCommand: 'echo never',
    });
    await assert.rejects(hbUp(folder), (e: unknown) => e instanceof RuntimeError && e.code === 'command-failed');
    const t = await loadTimeline(process.env, folder, path.join(folder, CONFIG));
    assert.ok(t, 'a failed up keeps its timeline');
    assert.equal(t.outcome, 'failed');
    assert.match(t.error ?? '', /postCreateCommand from devcontainer\.json failed with exit code 3/);
    assert.equal(t.client, 'hb');
    assert.equal(t.configFile, path.join(folder, CONFIG));
    assert.ok(t.containerId, 'the container it made');
    const steps = t.entries.map((e) => e.step);
    // the order things happened in
    const order = ['config', 'engine', 'find container', 'initializeCommand', 'image', 'create', 'start', 'onCreateCommand', 'postCreateCommand', 'postStartCommand'];
    assert.deepEqual(
      steps.filter((s) => order.includes(s)),
      order,
    );
    for (let i = 1; i < t.entries.length; i++) assert.ok(t.entries[i].startMs >= t.entries[i - 1].startMs - 1, `${steps[i]} starts after ${steps[i - 1]}`);
    const by = (step: string) => t.entries.find((e) => e.step === step)!;
    assert.deepEqual([by('initializeCommand').kind, by('initializeCommand').status, by('initializeCommand').detail], ['lifecycle', 'ok', 'echo from the host']);
    assert.match(by('initializeCommand').output ?? '', /from the host/);
    assert.equal(by('image').kind, 'build');
    assert.equal(by('create').kind, 'engine');
    const onCreate = by('onCreateCommand');
    assert.deepEqual([onCreate.status, onCreate.exitCode, onCreate.detail], ['ok', 0, 'echo preparing; echo done preparing']);
    assert.match(onCreate.output ?? '', /preparing\ndone preparing/);
    const failed = by('postCreateCommand');
    assert.deepEqual([failed.status, failed.exitCode], ['failed', 3]);
    assert.match(failed.output ?? '', /about to fail/);
    assert.match(failed.output ?? '', /on stderr/);
    const never = by('postStartCommand');
    assert.equal(never.status, 'skipped');
    assert.match(never.detail ?? '', /Not run: an earlier command failed/);
    assert.ok(t.totalMs >= failed.startMs + failed.ms - 1);
  });

  it('serves the last timeline (also one hb made) from the editor engine, and sends it live during an up', async () => {
    const folder = workspace('timeline-rpc', { image: busyboxImage(), postCreateCommand: 'echo created', postStartCommand: 'sleep 0.3; echo started' });
    // hb (a process of its own) brings it up first
    const r = hb(['up', folder, '--trust', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).timings.some((s: { step: string }) => s.step === 'create'), 'hb up --json still prints timings');
    const child = spawn(process.execPath, [path.join(REPO, 'dist', 'engine.js')], { env: process.env });
    child.stderr.on('data', () => undefined);
    const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    conn.listen();
    try {
      await conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
      const fromHb = await conn.sendRequest(RuntimeTimeline, { folder });
      assert.ok(fromHb, "the editor's engine reads the timeline hb saved");
      assert.equal(fromHb.client, 'hb');
      assert.equal(fromHb.outcome, 'ok');
      assert.deepEqual(
        fromHb.entries.filter((e) => e.kind === 'lifecycle').map((e) => [e.step, e.status]),
        [
          ['postCreateCommand', 'ok'],
          ['postStartCommand', 'ok'],
        ],
      );
      assert.equal(await conn.sendRequest(RuntimeTimeline, { folder: path.join(TEST_ROOT, 'nowhere') }), null, 'no up: no timeline');

      // stopped, then up from the editor: postStartCommand runs again, postCreateCommand is skipped
      assert.equal(hb(['stop', folder]).code, 0);
      const seen: UpTimeline[] = [];
      conn.onNotification(RuntimeTimelineChanged, (t) => t.folder === folder && seen.push(t));
      // as the editor does: return once waitFor's command is done; postStartCommand goes on in the engine
      const result = await conn.sendRequest(RuntimeUp, { folder, trusted: true, waitFor: true });
      assert.deepEqual(result.pendingHooks, ['postStartCommand']);
      const during = await conn.sendRequest(RuntimeTimeline, { folder });
      assert.equal(during?.outcome, 'running', 'the up returned, its postStartCommand still runs');
      assert.equal(during?.entries.find((e) => e.step === 'postStartCommand')?.status, 'running');
      await waitFor(() => seen.at(-1)?.outcome === 'ok', 10_000, 'the final timeline notification');
      const last = await conn.sendRequest(RuntimeTimeline, { folder, configFile: path.join(folder, CONFIG) });
      assert.ok(last);
      assert.equal(last.client, 'editor');
      assert.equal(last.outcome, 'ok');
      const hooks = Object.fromEntries(last.entries.filter((e) => e.kind === 'lifecycle').map((e) => [e.step, e]));
      assert.equal(hooks.postCreateCommand.status, 'skipped');
      assert.match(hooks.postCreateCommand.detail ?? '', /Already ran for this container/);
      assert.equal(hooks.postStartCommand.status, 'ok');
      assert.ok(hooks.postStartCommand.ms >= 250, `postStartCommand took ${hooks.postStartCommand.ms} ms`);
      assert.match(hooks.postStartCommand.output ?? '', /started/);
      // live: seen running (the sleeping command) before the final one
      assert.ok(seen.some((t) => t.outcome === 'running' && t.entries.some((e) => e.step === 'postStartCommand' && e.status === 'running')), 'a notification while postStartCommand ran');
      assert.equal(seen.at(-1)?.outcome, 'ok');
      assert.ok(seen.length < 30, `throttled: ${seen.length} notifications`);
      // a changed config (its file is read again) does not lose the timeline
      writeConfig(folder, { image: busyboxImage(), postCreateCommand: 'echo created', postStartCommand: 'echo changed' });
      assert.equal((await conn.sendRequest(RuntimeTimeline, { folder }))?.client, 'editor');
      await conn.sendRequest(RuntimeDown, { folder });
    } finally {
      await conn.sendRequest(Shutdown).catch(() => undefined);
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      conn.dispose();
    }
  });
});
