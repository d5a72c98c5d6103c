// hb up on `image` configs: the container per the spec, reuse, stop/start, missing images.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { RuntimeError } from '../../src/engine/runtime/errors';
import { LABEL_CONFIG_FILE, LABEL_INPUTS, LABEL_LOCAL_FOLDER, LABEL_METADATA } from '../../src/engine/runtime/create/labels';
import { stop } from '../../src/engine/runtime/ops';
import { busyboxImage, docker, TEST_LABEL } from './images';
import { containersOf, dockerExec, hbUp, inspect, removeEverythingUnder, TEST_ROOT, workspace } from './helpers';

describe('engine: up (image configs)', () => {
  const volume = `hb-test-vol-${process.pid}`;
  after(async () => {
    await removeEverythingUnder(TEST_ROOT);
    docker(['volume', 'rm', '-f', volume], { allowFail: true });
  });

  it('creates the container per the spec: labels, workspace mount, env, mounts, security options, ports', async () => {
    const folder = workspace('spec', {
      image: busyboxImage(),
      containerEnv: { CE: 'ce-value', WS: '${containerWorkspaceFolder}' },
      remoteEnv: { RE: '${containerEnv:CE}-plus' },
      mounts: [
        `type=volume,source=${volume},target=/data`,
        { type: 'tmpfs', target: '/scratch' },
        { type: 'bind', source: '${localWorkspaceFolder}/extra', target: '/extra' },
      ],
      capAdd: ['SYS_PTRACE'],
      securityOpt: ['seccomp=unconfined'],
      init: true,
      appPort: [18765, '127.0.0.1:18766:81'],
      runArgs: ['--label', `${TEST_LABEL}=1`, '--cap-add=NET_ADMIN', '-e', 'FROM_RUNARGS=1', '--shm-size', '128m', '--hostname', 'devbox'],
    }, { 'extra/hello.txt': 'hi from host', 'file.txt': 'workspace file' });
    const { result } = await hbUp(folder);
    assert.equal(result.state, 'running');
    assert.equal(result.created, true);
    assert.equal(result.workspaceFolder, `/workspaces/${path.basename(folder)}`);
    assert.equal(result.remoteUser, 'root');
    assert.ok(result.timings.some((t) => t.step === 'create'));
    const info = await inspect(result.containerId!);
    // the reference implementation's labels, plus metadata and our inputs hash
    assert.equal(info.Config.Labels[LABEL_LOCAL_FOLDER], folder);
    assert.equal(info.Config.Labels[LABEL_CONFIG_FILE], path.join(folder, '.devcontainer', 'devcontainer.json'));
    const metadata = JSON.parse(info.Config.Labels[LABEL_METADATA]);
    assert.deepEqual(metadata.at(-1).containerEnv.CE, 'ce-value');
    assert.ok(JSON.parse(info.Config.Labels[LABEL_INPUTS])['devcontainer.json image']);
    assert.equal(info.Config.Labels[TEST_LABEL], '1');
    // environment, security options, runArgs
    assert.ok(info.Config.Env.includes('CE=ce-value'));
    assert.ok(info.Config.Env.includes(`WS=${result.workspaceFolder}`));
    assert.ok(info.Config.Env.includes('FROM_RUNARGS=1'));
    assert.deepEqual(new Set(info.HostConfig.CapAdd), new Set(['SYS_PTRACE', 'NET_ADMIN']));
    assert.deepEqual(info.HostConfig.SecurityOpt, ['seccomp=unconfined']);
    assert.equal(info.HostConfig.Init, true);
    assert.equal(info.HostConfig.ShmSize, 128 * 1024 * 1024);
    assert.equal(info.Config.Hostname, 'devbox');
    // appPort on 127.0.0.1 only
    assert.deepEqual(result.ports.map((p) => `${p.hostIp}:${p.hostPort}->${p.containerPort}`).sort(), ['127.0.0.1:18765->18765', '127.0.0.1:18766->81']);
    // mounts: workspace (bind), a named volume, tmpfs, another bind
    assert.equal(dockerExec(result.containerId!, `cat ${result.workspaceFolder}/file.txt`), 'workspace file');
    assert.equal(dockerExec(result.containerId!, 'cat /extra/hello.txt'), 'hi from host');
    const types = Object.fromEntries(info.Mounts.map((m) => [m.Destination, m.Type]));
    assert.equal(types['/data'], 'volume');
    assert.equal(types[result.workspaceFolder], 'bind');
    assert.match(dockerExec(result.containerId!, 'grep " /scratch " /proc/mounts'), /tmpfs/);
    // keep-alive command: PID 1 is the init (init: true), the shell loop runs under it
    assert.equal(info.State.Running, true);
  });

  it('reuses the running container, starts a stopped one, and adopts nothing else', async () => {
    const folder = workspace('reuse', { image: busyboxImage() });
    const first = await hbUp(folder);
    const second = await hbUp(folder);
    assert.equal(second.result.containerId, first.result.containerId);
    assert.equal(second.result.created, false);
    assert.equal(second.result.started, false);
    // a running container needs no exec and no create: a handful of requests
    assert.ok(!second.result.timings.some((t) => ['create', 'start', 'markers', 'userEnvProbe'].includes(t.step)));
    await stop({ folder, env: process.env });
    assert.equal((await inspect(first.result.containerId!)).State.Running, false);
    const third = await hbUp(folder);
    assert.equal(third.result.containerId, first.result.containerId);
    assert.equal(third.result.started, true);
    assert.equal(third.result.state, 'running');
    assert.equal((await containersOf(folder)).length, 1);
  });

  it('says exactly that an image is missing and could not be pulled', async () => {
    // a registry on 127.0.0.1 where nothing listens: the pull fails at once, without the internet
    const image = '127.0.0.1:9/hyperbox-test/not-there:1';
    const folder = workspace('missing', { image });
    await assert.rejects(hbUp(folder), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.code, 'image-missing');
      assert.match(e.message, new RegExp(`^image ${image.replace(/[.]/g, '\\.')} is not present and could not be pulled: .*(connection refused|dial tcp)`));
      return true;
    });
    assert.equal((await containersOf(folder)).length, 0);
  });

  it('keeps overrideCommand: false containers on their own command, and explains one that exits at once', async () => {
    const folder = workspace('override', { image: busyboxImage(), overrideCommand: false });
    // busybox's command is a shell, which exits at once without a terminal
    await assert.rejects(hbUp(folder), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.match(e.message, /stopped right after it started \(exit code 0\)/);
      assert.match(e.message, /overrideCommand/);
      return true;
    });
  });

  it('maps runArgs to the API and refuses flags it cannot map, naming them', async () => {
    const folder = workspace('runargs', { image: busyboxImage(), runArgs: ['--cidfile', '/tmp/x'] });
    await assert.rejects(hbUp(folder), /runArgs: --cidfile cannot be applied/);
    const folder2 = workspace('runargs2', { image: busyboxImage(), runArgs: ['--frobnicate'] });
    await assert.rejects(hbUp(folder2), /runArgs: --frobnicate is not a docker run flag HyperBox can map/);
    assert.equal((await containersOf(folder2)).length, 0);
  });

  it('reports config errors before touching the engine, a compose service that does not exist, and a missing local Feature', async () => {
    const bad = workspace('bad', '{ "image": 42 }');
    await assert.rejects(hbUp(bad), (e: unknown) => e instanceof RuntimeError && e.code === 'config');
    const compose = workspace('compose', { dockerComposeFile: 'compose.yml', service: 'app' }, { '.devcontainer/compose.yml': `version: '2.4'\nservices:\n  other:\n    image: ${busyboxImage()}\n` });
    await assert.rejects(hbUp(compose), /Service "app" .* is not in the compose files .*; they define other/);
    const features = workspace('features', { image: busyboxImage(), features: { './local-feature': {} } });
    await assert.rejects(hbUp(features), /Feature "\.\/local-feature" has no readable .*devcontainer-feature\.json/);
  });

  it('finds a config change (drift) and says what changed', async () => {
    const folder = workspace('drift', { image: busyboxImage(), containerEnv: { A: '1' } });
    await hbUp(folder);
    writeFileSync(path.join(folder, '.devcontainer', 'devcontainer.json'), JSON.stringify({ image: busyboxImage(), containerEnv: { A: '2' }, remoteUser: 'root' }));
    const { result, log } = await hbUp(folder);
    assert.equal(result.state, 'stale');
    assert.deepEqual(result.drift, { known: true, changed: ['devcontainer.json containerEnv'] });
    assert.match(log.text, /out of date: devcontainer.json containerEnv changed.*hb rebuild/);
  });
});
