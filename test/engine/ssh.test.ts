// An engine reached over ssh (DOCKER_HOST=ssh://root@127.0.0.1:PORT): a throw-away sshd on
// 127.0.0.1 (sshd.ts) in front of the test engine. ssh counts as another machine, so hb up copies
// the workspace in instead of bind-mounting it. The sshd's own key files live in a temp folder;
// hb gets a HOME of the test's with the client key and known_hosts.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { devUserImage, docker } from './images';
import { dockerExec, hb, inspect, TEST_ROOT, workspace } from './helpers';
import { startSshd, type Sshd } from './sshd';

describe('engine: ssh DOCKER_HOST', function () {
  this.timeout(120_000);
  let sshd: Sshd;
  let agentPid: number | undefined;
  let agentSock: string;
  const viaSsh = (home: string, extra: NodeJS.ProcessEnv = {}) => ({ HOME: home, DOCKER_HOST: `ssh://root@127.0.0.1:${sshd.port}`, DOCKER_CONTEXT: '', SSH_AUTH_SOCK: '', ...extra });

  before(async () => {
    sshd = await startSshd();
    // an ssh agent holding the client key, for the agent path
    agentSock = path.join(sshd.dir, 'agent.sock');
    const agent = spawnSync('ssh-agent', ['-s', '-a', agentSock], { encoding: 'utf8' });
    const pid = /SSH_AGENT_PID=(\d+)/.exec(agent.stdout);
    if (agent.status !== 0 || !pid) throw new Error(`ssh-agent did not start: ${agent.stderr}`);
    agentPid = Number(pid[1]);
    const add = spawnSync('ssh-add', [sshd.clientKey], { encoding: 'utf8', env: { ...process.env, SSH_AUTH_SOCK: agentSock } });
    if (add.status !== 0) throw new Error(`ssh-add failed: ${add.stderr}`);
  });
  after(async () => {
    if (agentPid) process.kill(agentPid, 'SIGTERM');
    await sshd?.stop();
  });

  it('hb status --json talks to the engine through ssh with the key in the ssh agent, and says so', () => {
    const folder = workspace('ssh-status', { image: devUserImage() });
    const r = hb(['status', folder, '--json'], { env: viaSsh(sshd.keylessHome, { SSH_AUTH_SOCK: agentSock }) });
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout);
    assert.equal(status.state, 'missing');
    assert.equal(status.engine.host, `ssh://root@127.0.0.1:${sshd.port}`);
    assert.match(status.engine.name, /Docker/);
    assert.ok(status.engine.version, 'the engine names its version');
  });

  it('hb up copies the workspace in (no bind mount), owned by remoteUser, before postCreateCommand runs', async () => {
    const folder = workspace(
      'ssh-up',
      {
        image: devUserImage(),
        remoteUser: 'dev',
        mounts: ['type=bind,source=/tmp,target=/host-tmp', 'type=volume,source=hb-ssh-test-cache,target=/cache'],
        postCreateCommand: 'cat src/app.txt > /tmp/seen && id -un >> /tmp/seen && ls -A >> /tmp/seen',
      },
      {
        'src/app.txt': 'hello from this machine\n',
        'src/nested/.gitignore': '*.tmp\n',
        'src/nested/keep.txt': 'kept\n',
        'src/nested/scratch.tmp': 'left out by the nested .gitignore\n',
        '.gitignore': 'node_modules/\n*.log\n',
        'node_modules/big/index.js': 'left out\n',
        'debug.log': 'left out\n',
        '.git/HEAD': 'ref: refs/heads/main\n',
      },
    );
    const r = hb(['up', folder, '--json', '--trust'], { env: viaSsh(sshd.clientHome) });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.state, 'running');
    assert.equal(result.engine.host, `ssh://root@127.0.0.1:${sshd.port}`);
    // what hb says about the copy, and what it left out
    assert.match(r.stderr, /Copied the workspace into the container .*: 5 files, .* to \/workspaces\/ssh-up-\d+, owned by dev; left out \.git\/, debug\.log, node_modules\//);
    assert.match(r.stderr, /bind mounts of this machine's folders are left out of the container: \/tmp -> \/host-tmp/);
    assert.deepEqual([result.workspaceCopy.files, result.workspaceCopy.target], [5, result.workspaceFolder]);

    // the container as the engine sees it: no bind mounts, the volume kept
    const c = await inspect(result.containerId);
    assert.deepEqual(
      c.Mounts.filter((m) => m.Type === 'bind').map((m) => m.Source),
      [],
      'no bind mount from this machine',
    );
    {
      assert.ok(c.Mounts.some((m) => m.Type === 'volume' && m.Destination === '/cache'), 'the volume mount is kept');
      const seen = dockerExec(result.containerId, 'cat /tmp/seen');
      assert.match(seen, /^hello from this machine\ndev\n/, 'postCreateCommand ran as dev in the copied workspace');
      const listed = seen.split('\n').slice(2).filter(Boolean).sort();
      assert.deepEqual(listed, ['.devcontainer', '.gitignore', 'src']);
      assert.equal(dockerExec(result.containerId, `cd ${result.workspaceFolder} && find src -type f | sort`).trim(), 'src/app.txt\nsrc/nested/.gitignore\nsrc/nested/keep.txt');
      assert.equal(dockerExec(result.containerId, `stat -c %U:%G ${result.workspaceFolder} ${result.workspaceFolder}/src/app.txt`).trim(), 'dev:dev\ndev:dev');

      // a second up reuses the container and copies nothing again
      const again = hb(['up', folder, '--json', '--trust'], { env: viaSsh(sshd.clientHome) });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(JSON.parse(again.stdout).containerId, result.containerId);
      assert.doesNotMatch(again.stderr, /Copied the workspace/);

      const down = hb(['down', folder], { env: viaSsh(sshd.clientHome) });
      assert.equal(down.code, 0, down.stderr);
      docker(['volume', 'rm', '-f', 'hb-ssh-test-cache'], { allowFail: true });
    }
  });

  it('says when the ssh server refuses the key, names the keys offered and the fix', () => {
    const folder = workspace('ssh-auth', { image: devUserImage() });
    const r = hb(['status', folder], { env: viaSsh(sshd.strangerHome) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Cannot talk to the Docker engine at ssh:\/\/root@127\.0\.0\.1:\d+ \(from DOCKER_HOST\): the ssh server refused to log in root: none of the keys offered was accepted \(.*home-stranger\/\.ssh\/id_ed25519\)/);
    assert.match(r.stderr, /authorized_keys/);
    const none = hb(['status', folder], { env: viaSsh(sshd.keylessHome) });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /HyperBox had no key to offer/);
  });

  it('refuses a host whose key is not in known_hosts, and one whose key changed', () => {
    const folder = workspace('ssh-hostkey', { image: devUserImage() });
    const stranger = path.join(TEST_ROOT, 'ssh-no-known-hosts');
    mkdirSync(path.join(stranger, '.ssh'), { recursive: true });
    const unknown = hb(['status', folder], { env: viaSsh(stranger, { SSH_AUTH_SOCK: agentSock }) });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /the ssh host \[127\.0\.0\.1\]:\d+ is not in .*known_hosts.*its key: SHA256:/);
    assert.match(unknown.stderr, /ssh -p \d+ root@127\.0\.0\.1/);
    // another ed25519 key recorded for this host: a changed key
    writeFileSync(
      path.join(stranger, '.ssh', 'known_hosts'),
      `[127.0.0.1]:${sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOZ3Rj3Sx8sP2cN0n6J6T0n9oZ0n4XoY0T6dRr2o2Ue0\n`,
    );
    const changed = hb(['status', folder], { env: viaSsh(stranger, { SSH_AUTH_SOCK: agentSock }) });
    assert.equal(changed.code, 1);
    assert.match(changed.stderr, /host key of \[127\.0\.0\.1\]:\d+ has CHANGED/);
  });

  it('says when nothing listens at the ssh address', () => {
    const folder = workspace('ssh-unreachable', { image: devUserImage() });
    const r = hb(['status', folder], { env: { ...viaSsh(sshd.clientHome), DOCKER_HOST: 'ssh://root@127.0.0.1:1' } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Cannot talk to the Docker engine at ssh:\/\/root@127\.0\.0\.1:1 \(from DOCKER_HOST\): the connection to 127\.0\.0\.1 port 1 was refused: no ssh server listens there\. Check the address/);
  });
});
