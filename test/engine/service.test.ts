// The runtime over JSON-RPC, as the editor uses it: the bundled engine process, progress and
// output notifications, cancellation, errors with codes; and dockerode is not loaded at start.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CancellationTokenSource, createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { Initialize, Ping, Progress, RuntimeDown, RuntimeList, RuntimeOutput, RuntimeStatus, RuntimeTrustPreview, RuntimeUp, Shutdown, type RuntimeErrorData } from '../../src/protocol';
import { busyboxImage, derivedImage } from './images';
import { containersOf, REPO, removeEverythingUnder, TEST_ROOT, waitFor, workspace } from './helpers';

interface Engine {
  child: ChildProcessWithoutNullStreams;
  conn: MessageConnection;
  loadedFile: string;
}

function startEngine(): Engine {
  // records which files the engine process loaded, written when it exits
  const preload = path.join(TEST_ROOT, 'record-loaded.cjs');
  const loadedFile = path.join(TEST_ROOT, `loaded-${Date.now()}.txt`);
  writeFileSync(preload, "process.on('exit', () => require('fs').writeFileSync(process.env.HB_LOADED_FILE, Object.keys(require.cache).join('\\n')));\n");
  const child = spawn(process.execPath, ['-r', preload, path.join(REPO, 'dist', 'engine.js')], { env: { ...process.env, HB_LOADED_FILE: loadedFile } });
  child.stderr.on('data', () => undefined);
  const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  conn.listen();
  return { child, conn, loadedFile };
}

async function stopEngine(e: Engine): Promise<void> {
  await e.conn.sendRequest(Shutdown).catch(() => undefined);
  await new Promise((r) => (e.child.exitCode !== null ? r(undefined) : e.child.once('exit', r)));
  e.conn.dispose();
}

describe('engine: runtime service over JSON-RPC', () => {
  after(() => removeEverythingUnder(TEST_ROOT));

  it('starts without loading dockerode and offers the runtime capability', async () => {
    const e = startEngine();
    const caps = await e.conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
    assert.ok(caps.capabilities.includes('runtime'));
    const { rssBytes } = await e.conn.sendRequest(Ping);
    await stopEngine(e);
    const loaded = readFileSync(e.loadedFile, 'utf8').split('\n');
    assert.ok(loaded.some((f) => f.endsWith(path.join('dist', 'engine.js'))));
    assert.ok(!loaded.some((f) => /docker(-build|-ssh)?\.js$/.test(f)), `loaded at start: ${loaded.join(', ')}`);
    process.stderr.write(`      idle engine RSS: ${(rssBytes / 1048576).toFixed(1)} MiB\n`);
  });

  it('brings a container up with progress and output notifications; status, list and down', async () => {
    const e = startEngine();
    try {
      await e.conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
      const progress: string[] = [];
      const output: string[] = [];
      e.conn.onNotification(Progress, (p) => p.token === 'up-1' && progress.push(p.message));
      e.conn.onNotification(RuntimeOutput, (o) => o.token === 'up-1' && output.push(`${o.source}: ${o.text}`));
      const folder = workspace('rpc', { image: busyboxImage(), postCreateCommand: 'echo from-post-create' });
      // untrusted: refused with a code the editor can act on
      await assert.rejects(e.conn.sendRequest(RuntimeUp, { folder, trusted: false }), (err: unknown) => {
        assert.ok(err instanceof ResponseError);
        // the code, and exactly what was found, so the editor can list it
        const data = err.data as { code: string; findings: { key: string; text: string }[] };
        assert.equal(data.code, 'trust-required');
        assert.deepEqual(
          data.findings.map((f) => f.text),
          ['postCreateCommand from devcontainer.json runs in the container: echo from-post-create'],
        );
        return true;
      });
      const result = await e.conn.sendRequest(RuntimeUp, { folder, trusted: true, progressToken: 'up-1' });
      assert.equal(result.state, 'running');
      assert.ok(progress.includes('Creating container'));
      assert.ok(progress.includes('Running postCreateCommand'));
      assert.ok(output.some((o) => o === 'postCreateCommand: from-post-create\n'));
      // the editor's path: no process start; up on a running container is a few requests
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await e.conn.sendRequest(RuntimeUp, { folder, trusted: true });
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      process.stderr.write(`      engine up on a running container: median ${times[2].toFixed(1)} ms\n`);
      assert.ok(times[2] < 250, `median ${times[2]} ms`);
      const status = await e.conn.sendRequest(RuntimeStatus, { folder });
      assert.equal(status.containerId, result.containerId);
      // the HyperBox view's Mounts: the workspace, bound from the folder
      const workspaceMount = status.mounts?.find((m) => m.target === status.workspaceFolder);
      assert.deepEqual(workspaceMount && { type: workspaceMount.type, source: workspaceMount.source, readOnly: workspaceMount.readOnly }, { type: 'bind', source: folder, readOnly: false }, JSON.stringify(status.mounts));
      const { containers } = await e.conn.sendRequest(RuntimeList);
      assert.ok(containers.some((c) => c.containerId === result.containerId));
      const down = await e.conn.sendRequest(RuntimeDown, { folder });
      assert.equal(down.removed, true);
      assert.equal((await containersOf(folder)).length, 0);
    } finally {
      await stopEngine(e);
    }
  });

  it("RuntimeTrustPreview (the editor's Restricted Mode) lists what an up would ask to trust, the image's metadata label included, without running or making anything", async () => {
    const e = startEngine();
    try {
      await e.conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
      const share = mkdtempSync(path.join(TEST_ROOT, 'preview-'));
      const marker = path.join(share, 'init-ran');
      const label = JSON.stringify([{ postCreateCommand: 'echo from-the-label', mounts: ['type=bind,source=/,target=/host'] }]);
      const image = derivedImage('trust-preview-metadata', `LABEL devcontainer.metadata='${label}'`);
      const folder = workspace('rpcpreview', { image, initializeCommand: `touch ${marker}`, mounts: ['type=bind,source=/etc,target=/e'] });
      const preview = await e.conn.sendRequest(RuntimeTrustPreview, { folder });
      assert.deepEqual(preview.findings.map((f) => f.text).sort(), [
        "a bind mount of / (this machine's whole file system; it holds the engine socket) at /host: outside the workspace folder",
        'a bind mount of /etc at /e: outside the workspace folder',
        `initializeCommand runs on this machine: touch ${marker}`,
        'postCreateCommand from image metadata runs in the container: echo from-the-label',
      ]);
      assert.deepEqual(preview.pending, [], 'the image is here: nothing more to find at the up');
      assert.equal(existsSync(marker), false, 'initializeCommand ran for a preview');
      assert.deepEqual(await containersOf(folder), []);
      // a Dockerfile config: the build's metadata is found only at the up, and the preview says so
      const built = workspace('rpcpreviewbuild', { build: { dockerfile: 'Dockerfile' } }, { '.devcontainer/Dockerfile': `FROM ${image}\nRUN touch ${marker}\n` });
      const later = await e.conn.sendRequest(RuntimeTrustPreview, { folder: built });
      assert.deepEqual(later.findings.map((f) => f.text), ['it builds an image from .devcontainer/Dockerfile (its RUN steps run on the engine)']);
      assert.match(later.pending.join('\n'), /built from \.devcontainer\/Dockerfile at the up: what its metadata label adds is known once it is built/);
      assert.equal(existsSync(marker), false, 'the preview built the image');
    } finally {
      await stopEngine(e);
    }
  });

  it("the editor's start with acceptedFindings: a finding not among them is refused as new before anything is made; with all of them it comes up", async () => {
    const e = startEngine();
    try {
      await e.conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
      const share = mkdtempSync(path.join(TEST_ROOT, 'accepted-'));
      const marker = path.join(share, 'post-create-ran');
      const folder = workspace('rpcaccepted', { image: busyboxImage(), mounts: [`type=bind,source=${share},target=/s`], postCreateCommand: 'touch /s/post-create-ran' });
      const { findings } = await e.conn.sendRequest(RuntimeTrustPreview, { folder });
      assert.equal(findings.length, 2);
      const [hook, mount] = [findings.find((f) => f.key.startsWith('command:'))!, findings.find((f) => f.key.startsWith('host-path:'))!];
      await assert.rejects(e.conn.sendRequest(RuntimeUp, { folder, trusted: true, acceptedFindings: [mount.key] }), (err: unknown) => {
        assert.ok(err instanceof ResponseError);
        const data = err.data as RuntimeErrorData;
        assert.equal(data.code, 'trust-required');
        assert.deepEqual(data.newFindings, [hook.key]);
        assert.deepEqual(data.findings?.map((f) => f.key).sort(), [hook.key, mount.key].sort());
        return true;
      });
      assert.deepEqual(await containersOf(folder), [], 'refused, yet a container was made');
      assert.equal(existsSync(marker), false);
      const up = await e.conn.sendRequest(RuntimeUp, { folder, trusted: true, acceptedFindings: [mount.key, hook.key] });
      assert.equal(up.state, 'running');
      assert.deepEqual(up.findings?.map((f) => f.key).sort(), [hook.key, mount.key].sort(), 'the result names what it was trusted for');
      assert.equal(existsSync(marker), true);
      await e.conn.sendRequest(RuntimeDown, { folder });
    } finally {
      await stopEngine(e);
    }
  });

  it('cancels an up through the request token and removes the half-made container', async () => {
    const e = startEngine();
    try {
      await e.conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
      const folder = workspace('rpccancel', { image: busyboxImage(), postCreateCommand: 'sleep 30' });
      const source = new CancellationTokenSource();
      e.conn.onNotification(Progress, (p) => {
        if (p.token === 'c' && p.message === 'Running postCreateCommand') setTimeout(() => source.cancel(), 300);
      });
      const started = Date.now();
      await assert.rejects(e.conn.sendRequest(RuntimeUp, { folder, trusted: true, progressToken: 'c' }, source.token));
      assert.ok(Date.now() - started < 10_000);
      await waitFor(async () => (await containersOf(folder)).length === 0, 5000, 'the half-made container to be removed');
    } finally {
      await stopEngine(e);
    }
  });
});
