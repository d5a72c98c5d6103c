// The hb commands as real processes: up --json, exec, status, ps, logs, stop, down, rebuild,
// trust, two ups at once, Ctrl-C, no engine, docker contexts.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { busyboxImage, devUserImage, docker } from './images';
import { containersOf, dockerExec, hb, hbAsync, removeEverythingUnder, TEST_ROOT, waitFor, workspace, writeConfig } from './helpers';

const json = (s: string) => JSON.parse(s);

describe('engine: hb commands', () => {
  const volume = `hb-test-down-${process.pid}`;
  after(async () => {
    await removeEverythingUnder(TEST_ROOT);
    docker(['volume', 'rm', '-f', volume], { allowFail: true });
  });

  it('up --json prints the container, its state and the time each step took; exec passes the exit code through', async () => {
    const folder = workspace('cli', {
      image: devUserImage(),
      remoteUser: 'dev',
      remoteEnv: { RE: 'remote-env' },
      appPort: 18790,
    });
    const up = hb(['up', folder, '--json']);
    assert.equal(up.code, 0, up.stderr);
    const r = json(up.stdout);
    for (const k of ['containerId', 'state', 'image', 'workspaceFolder', 'remoteUser', 'ports', 'timings', 'totalMs']) assert.ok(k in r, `missing ${k}`);
    assert.equal(r.state, 'running');
    assert.equal(r.remoteUser, 'dev');
    assert.equal(r.image, devUserImage());
    assert.deepEqual(r.ports, [{ containerPort: 18790, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 18790 }]);
    assert.ok(r.timings.length > 3 && r.timings.every((t: { step: string; ms: number }) => typeof t.ms === 'number'));
    assert.equal(r.engine.name, 'Docker Engine');

    const ex = hb(['exec', '--folder', folder, 'sh', '-c', 'echo "$(id -un) $(pwd) $RE"; ls -la / >/dev/null; exit 7']);
    assert.equal(ex.code, 7);
    assert.equal(ex.stdout.trim(), `dev ${r.workspaceFolder} remote-env`);
    const dashes = hb(['exec', '--folder', folder, '--', 'ls', '-a', '/home/dev']);
    assert.equal(dashes.code, 0, dashes.stderr);
    assert.match(dashes.stdout, /^\.\n\.\.\n/);
    const missing = hb(['exec', '--folder', folder, 'no-such-command']);
    assert.notEqual(missing.code, 0);
  });

  it('status and ps follow the container through running, stopped, stale and missing; logs shows its output', async () => {
    const folder = workspace('states', { image: busyboxImage() });
    assert.equal(json(hb(['status', folder, '--json']).stdout).state, 'missing');
    assert.equal(hb(['up', folder]).code, 0);
    const running = json(hb(['status', folder, '--json']).stdout);
    assert.equal(running.state, 'running');
    const ps = json(hb(['ps', '--json']).stdout).containers.find((c: { folder: string }) => c.folder === folder);
    assert.equal(ps.containerId, running.containerId);
    assert.equal(ps.madeBy, 'hyperbox');
    assert.match(hb(['logs', folder]).stdout, /HyperBox: container started/);
    assert.equal(hb(['stop', folder]).code, 0);
    assert.equal(json(hb(['status', folder, '--json']).stdout).state, 'stopped');
    writeConfig(folder, { image: busyboxImage(), containerEnv: { NEW: '1' } });
    const stale = json(hb(['status', folder, '--json']).stdout);
    assert.equal(stale.state, 'stale');
    assert.deepEqual(stale.drift.changed, ['devcontainer.json containerEnv (added)']);
    const up = hb(['up', folder, '--json']);
    assert.equal(json(up.stdout).state, 'stale');
    assert.match(up.stderr, /out of date: devcontainer.json containerEnv \(added\) changed since it was made\. Run hb rebuild/);
    const rebuilt = json(hb(['rebuild', folder, '--json']).stdout);
    assert.equal(rebuilt.state, 'running');
    assert.notEqual(rebuilt.containerId, running.containerId);
    assert.equal((await containersOf(folder)).length, 1);
  });

  it('down removes the container, and its volumes only with --volumes', async () => {
    const folder = workspace('down', { image: busyboxImage(), mounts: [`type=volume,source=${volume},target=/named`, 'type=volume,target=/anon'] });
    assert.equal(hb(['up', folder]).code, 0);
    const kept = json(hb(['down', folder, '--json']).stdout);
    assert.equal(kept.removed, true);
    assert.deepEqual(kept.volumesKept.includes(volume), true);
    // the anonymous one stays too (docker's way without --volumes); the test removes it itself
    const anonymous = kept.volumesKept.filter((v: string) => v !== volume);
    assert.equal(anonymous.length, 1);
    docker(['volume', 'rm', ...anonymous]);
    assert.equal(docker(['volume', 'inspect', volume], { allowFail: true }).code, 0);
    assert.equal((await containersOf(folder)).length, 0);
    assert.equal(hb(['up', folder]).code, 0);
    const gone = json(hb(['down', folder, '--volumes', '--json']).stdout);
    assert.ok(gone.volumesRemoved.includes(volume));
    assert.notEqual(docker(['volume', 'inspect', volume], { allowFail: true }).code, 0);
    assert.equal(json(hb(['down', folder, '--json']).stdout).removed, false);
  });

  it('asks for trust: refuses without a terminal naming --trust, remembers --trust until the settings change', async () => {
    const folder = workspace('trust', { image: busyboxImage(), postCreateCommand: 'echo hi' });
    const refused = hb(['up', folder]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is not trusted[\s\S]*postCreateCommand from devcontainer.json runs in the container: echo hi[\s\S]*run again with --trust/);
    assert.equal((await containersOf(folder)).length, 0);
    assert.equal(hb(['up', folder, '--trust']).code, 0);
    assert.equal(hb(['up', folder]).code, 0, 'remembered');
    writeConfig(folder, { image: busyboxImage(), postCreateCommand: 'echo changed' });
    assert.equal(hb(['up', folder]).code, 1, 'asks again when the commands change');
    // a config that runs nothing needs no trust
    assert.equal(hb(['up', workspace('notrust', { image: busyboxImage() })]).code, 0);
  });

  it('two ups of one folder at once make one container', async () => {
    const folder = workspace('concurrent', { image: busyboxImage(), postCreateCommand: 'sleep 1; echo ran >> /tmp/ran' });
    const [a, b] = await Promise.all([hbAsync(['up', folder, '--json', '--trust']), hbAsync(['up', folder, '--json', '--trust'])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(json(a.stdout).containerId, json(b.stdout).containerId);
    assert.equal((await containersOf(folder)).length, 1);
    assert.equal(dockerExec(json(a.stdout).containerId, 'cat /tmp/ran').trim(), 'ran');
    assert.match(a.stderr + b.stderr, /Another up of this dev container is in progress \(pid \d+\); waiting/);
  });

  it('--wait-for returns early; the rest runs in the background and shows in hb logs', async () => {
    const folder = workspace('bg', { image: busyboxImage(), waitFor: 'onCreateCommand', onCreateCommand: 'echo created', postCreateCommand: 'sleep 1; echo background-done' });
    const up = hb(['up', folder, '--wait-for', '--json', '--trust']);
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(json(up.stdout).pendingHooks, ['postCreateCommand']);
    assert.match(up.stderr, /keep running in the background/);
    await waitFor(() => /postCreateCommand \| background-done/.test(hb(['logs', folder]).stdout), 15_000, 'the background postCreateCommand');
  });

  it('Ctrl-C during a create-time command cancels and removes the half-made container', async () => {
    const folder = workspace('sigint', { image: busyboxImage(), postCreateCommand: 'sleep 30' });
    const run = hbAsync(['up', folder, '--trust']);
    await waitFor(async () => (await containersOf(folder)).length === 1, 10_000, 'the container');
    await new Promise((r) => setTimeout(r, 800));
    run.kill('SIGINT');
    const r = await run;
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cancelled/);
    assert.equal((await containersOf(folder)).length, 0);
  });

  it('recovers from an hb killed in the middle of up: no second container, nothing left half-run', async () => {
    const folder = workspace('killed', { image: busyboxImage(), onCreateCommand: 'echo onCreate >> /tmp/ran', postCreateCommand: 'sleep 30', postStartCommand: 'echo postStart >> /tmp/ran' });
    const run = hbAsync(['up', folder, '--trust']);
    await waitFor(async () => (await containersOf(folder)).length === 1 && dockerExec((await containersOf(folder))[0].Id, 'cat /tmp/ran 2>/dev/null || true').includes('onCreate'), 10_000, 'onCreateCommand to run');
    run.kill('SIGKILL');
    await run;
    // the lock file of the dead process is taken over; the container is found by its labels
    const again = hb(['up', folder, '--json']);
    assert.equal(again.code, 0, again.stderr);
    const [c] = await containersOf(folder);
    assert.equal(json(again.stdout).containerId, c.Id);
    assert.equal((await containersOf(folder)).length, 1);
    // as in the reference implementation, a command whose marker was written is not started again
    assert.equal(dockerExec(c.Id, 'cat /tmp/ran').trim(), 'onCreate\npostStart');
  });

  it('says clearly when there is no engine: socket missing, daemon down', async () => {
    const folder = workspace('noengine', { image: busyboxImage() });
    const missing = hb(['status', folder], { env: { DOCKER_HOST: `unix://${TEST_ROOT}/no.sock` } });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`Cannot talk to the Docker engine at unix://${TEST_ROOT}/no.sock \\(from DOCKER_HOST\\): the socket .* does not exist: no Docker engine is running there\\. Start Docker`));
    // a socket file nobody listens on: the daemon died
    const sock = path.join(TEST_ROOT, 'dead.sock');
    const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => console.log('up'))`]);
    await new Promise((r) => holder.stdout.once('data', r));
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    assert.ok(existsSync(sock));
    const down = hb(['up', folder], { env: { DOCKER_HOST: `unix://${sock}` } });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /exists but nothing answers: the Docker daemon is not running\. Start the daemon/);
  });

  it('follows the current docker context (~/.docker/config.json)', async () => {
    const folder = workspace('context', { image: busyboxImage() });
    const dockerConfig = path.join(TEST_ROOT, 'docker-config');
    const meta = (name: string, host: string) => {
      const dir = path.join(dockerConfig, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
    };
    meta('hb-good', 'unix:///var/run/docker.sock');
    meta('hb-bad', `unix://${TEST_ROOT}/ctx-missing.sock`);
    writeFileSync(path.join(dockerConfig, 'config.json'), JSON.stringify({ currentContext: 'hb-good' }));
    const env = { DOCKER_CONFIG: dockerConfig, DOCKER_HOST: '' };
    const good = hb(['status', folder, '--json'], { env });
    assert.equal(good.code, 0, good.stderr);
    assert.equal(json(good.stdout).engine.host, 'unix:///var/run/docker.sock');
    writeFileSync(path.join(dockerConfig, 'config.json'), JSON.stringify({ currentContext: 'hb-bad' }));
    const bad = hb(['status', folder], { env });
    assert.match(bad.stderr, /\(from docker context "hb-bad"\)/);
    const overridden = hb(['status', folder], { env: { ...env, DOCKER_CONTEXT: 'hb-good' } });
    assert.equal(overridden.code, 0, overridden.stderr);
  });
});
