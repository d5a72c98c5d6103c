// Podman's Docker-compatible socket (`podman system service`) as the engine: hb up (with lifecycle
// commands and the user's .gitconfig), status, exec, stop and down through
// DOCKER_HOST=unix://.../podman.sock. Podman has its own image store: the test image is copied into
// it from the test's Docker engine (docker save | podman load), no pulls. Podman is installed from
// Debian when missing (as root), else the test fails saying how to get it.
// Every hb runs with a time limit: an hb that does not exit (a connection left open keeps Node
// alive; an engine that never ends an exec's stream) fails the test instead of hanging mocha.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { devUserImage, DOCKER } from './images';
import { CLI, workspace } from './helpers';
import { ensureDebianPackages, waitUntil } from './system';

describe('engine: Podman (podman system service)', function () {
  this.timeout(120_000);
  let dir: string;
  let service: ChildProcess | undefined;
  let sock: string;
  let podmanVersion: string;
  const made: string[] = [];
  const podman = (args: string[], input?: Buffer) => {
    const r = spawnSync('podman', args, { input, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, CONTAINERS_CONF: path.join(dir, 'containers.conf') } });
    if (r.status !== 0) throw new Error(`podman ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout.toString('utf8');
  };
  // a HOME of the test's, with a .gitconfig for hb up to copy in (through the archive endpoints)
  const gitconfig = '[user]\n\tname = Podman User\n';
  const viaPodman = () => ({ DOCKER_HOST: `unix://${sock}`, DOCKER_CONTEXT: '', HOME: path.join(dir, 'home'), XDG_CONFIG_HOME: '' });
  const hb = (args: string[], limitMs = 30_000) => {
    const t = Date.now();
    const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...viaPodman() }, encoding: 'utf8', timeout: limitMs, killSignal: 'SIGKILL' });
    if (r.error || r.signal) {
      throw new Error(`hb ${args.join(' ')} did not exit within ${limitMs} ms (${r.error?.message ?? r.signal}, after ${Date.now() - t} ms)\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    }
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  before(async function () {
    this.timeout(300_000);
    ensureDebianPackages([{ pkg: 'podman', binary: '/usr/bin/podman' }]);
    dir = mkdtempSync(path.join(os.tmpdir(), 'hb-podman-'));
    mkdirSync(path.join(dir, 'home'));
    writeFileSync(path.join(dir, 'home', '.gitconfig'), gitconfig);
    sock = path.join(dir, 'podman.sock');
    // Podman gives containers nofile=1048576 and the host's nproc by default; where root may not
    // raise its own limits (a container like CI's), crun refuses that. Limits within this process's.
    const hard = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
    const nofile = /^\d+$/.test(hard) ? hard : '1024';
    writeFileSync(path.join(dir, 'containers.conf'), `[containers]\ndefault_ulimits = ["nofile=${nofile}:${nofile}", "nproc=4096:4096"]\n`);
    podmanVersion = podman(['version', '--format', '{{.Client.Version}}']).trim();
    // its log goes to a file: a pipe would fill while hb runs (spawnSync blocks this process) and stall Podman
    const logFile = path.join(dir, 'service.log');
    const logFd = openSync(logFile, 'w');
    service = spawn('podman', ['system', 'service', '--time=0', `unix://${sock}`], {
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, CONTAINERS_CONF: path.join(dir, 'containers.conf') },
    });
    closeSync(logFd);
    const log = () => readFileSync(logFile, 'utf8');
    let exited = false;
    service.once('exit', () => (exited = true));
    await waitUntil(() => {
      if (exited) throw new Error(`podman system service exited at once:\n${log()}`);
      return existsSync(sock);
    }, 20_000, `podman's socket ${sock}`);
    // the test image, from Docker's store into Podman's
    const image = devUserImage();
    const saved = spawnSync(DOCKER, ['save', image], { maxBuffer: 256 * 1024 * 1024 });
    if (saved.status !== 0) throw new Error(`docker save ${image} failed: ${saved.stderr}`);
    podman(['load', '-q'], saved.stdout);
  });

  after(async () => {
    for (const id of made) spawnSync('podman', ['rm', '-f', id]);
    if (service && service.exitCode === null) {
      service.kill('SIGTERM');
      await waitUntil(() => service!.exitCode !== null || service!.signalCode !== null, 10_000, 'podman system service to stop').catch(() => service!.kill('SIGKILL'));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('brings a dev container up with its lifecycle commands and .gitconfig, runs hb exec, reports, stops, starts and removes it, and says the engine is Podman', () => {
    const folder = workspace(
      'podman',
      {
        image: devUserImage(),
        remoteUser: 'dev',
        postCreateCommand: 'echo "created as $(id -un) in $PWD" > /tmp/created',
        postStartCommand: 'echo started >> /tmp/starts',
      },
      { 'hello.txt': 'from the workspace\n' },
    );
    const up = hb(['up', folder, '--json', '--trust']);
    assert.equal(up.code, 0, up.stderr);
    const result = JSON.parse(up.stdout);
    made.push(result.containerId);
    assert.equal(result.state, 'running');
    assert.equal(result.created, true);
    assert.deepEqual(result.engine, { name: 'Podman Engine', version: podmanVersion, host: `unix://${sock}` });
    // Podman's compat inspect says "oci"; hb names the runtime that really runs it
    assert.ok(result.runtime && result.runtime !== 'oci', `runtime ${result.runtime}`);
    // the container is in Podman's store, not Docker's; the workspace is bind-mounted (a local engine)
    assert.match(podman(['ps', '--format', '{{.ID}}', '--no-trunc']), new RegExp(result.containerId));
    assert.equal(podman(['exec', '-u', 'dev', '-w', result.workspaceFolder, result.containerId, 'cat', 'hello.txt']), 'from the workspace\n');
    // the lifecycle commands ran (as the remote user, in the workspace folder), and the .gitconfig is the user's
    assert.equal(podman(['exec', result.containerId, 'cat', '/tmp/created']), `created as dev in ${result.workspaceFolder}\n`);
    assert.equal(podman(['exec', result.containerId, 'cat', '/tmp/starts']), 'started\n');
    assert.match(up.stderr, /Copied .*\.gitconfig to dev's ~\/\.gitconfig/);
    assert.equal(podman(['exec', result.containerId, 'cat', '/home/dev/.gitconfig']), gitconfig);
    assert.equal(podman(['exec', result.containerId, 'stat', '-c', '%u:%g', '/home/dev/.gitconfig']).trim(), '1000:1000');

    // hb exec: output, stderr and the exit code pass through
    const ex = hb(['exec', '--folder', folder, '--', 'sh', '-c', 'cat hello.txt; id -un; echo oops >&2; exit 3']);
    assert.deepEqual([ex.code, ex.stdout, ex.stderr], [3, 'from the workspace\ndev\n', 'oops\n']);

    const status = JSON.parse(hb(['status', folder, '--json']).stdout);
    assert.deepEqual([status.state, status.containerId, status.engine.name, status.runtime], ['running', result.containerId, 'Podman Engine', result.runtime]);

    const stop = hb(['stop', folder]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(JSON.parse(hb(['status', folder, '--json']).stdout).state, 'stopped');
    assert.equal(podman(['inspect', '--format', '{{.State.Running}}', result.containerId]).trim(), 'false');

    // started again: postStartCommand runs once more, postCreateCommand not
    const again = hb(['up', folder, '--json']);
    assert.equal(again.code, 0, again.stderr);
    const second = JSON.parse(again.stdout);
    assert.deepEqual([second.containerId, second.started, second.created, second.state], [result.containerId, true, false, 'running']);
    assert.equal(podman(['exec', result.containerId, 'cat', '/tmp/starts']), 'started\nstarted\n');

    const down = hb(['down', folder]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(JSON.parse(hb(['status', folder, '--json']).stdout).state, 'missing');
    assert.equal(podman(['ps', '-a', '-q', '--filter', `id=${result.containerId}`]).trim(), '');
  });
});
