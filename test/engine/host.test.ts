// What the host gives a dev container, on the real engine: the OCI runtime (crun, registered by
// scripts/docker.sh), hostRequirements and the GPU, the user's .gitconfig and SSH agent,
// shutdownAction in status, and hb exec -it on a real terminal (tmux).
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { connectEngine } from '../../src/engine/runtime/engine/docker';
import { RuntimeError } from '../../src/engine/runtime/errors';
import { listRuntimes } from '../../src/engine/runtime/engine/runtimes';
import { CONTAINER_SSH_AUTH_SOCK } from '../../src/engine/runtime/create/userFiles';
import { busyboxImage, derivedImage, devUserImage } from './images';
import { CLI, containersOf, dockerExec, hb, hbUp, inspect, removeEverythingUnder, TEST_ROOT, waitFor, workspace } from './helpers';

/** A tool the test needs that a fresh machine has (test/fixtures/fresh-machine-packages.txt). */
function ensureTool(bin: string, pkg: string): void {
  assert.equal(spawnSync('sh', ['-c', `command -v ${bin}`]).status, 0, `${bin} is needed for this test: install Debian's ${pkg} (a fresh machine has it)`);
}

describe('engine: runtimes, hostRequirements, user files, exec -it', () => {
  after(async () => {
    await removeEverythingUnder(TEST_ROOT);
  });

  it('creates the container under crun when customizations.hyperbox.runtime says so, and lists the runtimes', async () => {
    const engine = await connectEngine(process.env);
    const runtimes = await listRuntimes(engine);
    const crun = runtimes.runtimes.find((r) => r.name === 'crun');
    assert.ok(
      crun,
      `crun is not registered with this engine (it has ${runtimes.runtimes.map((r) => r.name).join(', ')}). ` +
        'Start the engine with "bash scripts/docker.sh", which installs crun and runs dockerd --add-runtime crun=/usr/bin/crun.',
    );
    assert.equal(crun.kind, 'crun');

    const folder = workspace('crun', { image: busyboxImage(), customizations: { hyperbox: { runtime: 'crun' } }, shutdownAction: 'none' });
    const { result, log } = await hbUp(folder);
    assert.match(log.text, /Using OCI runtime crun \(crun, .*\) from customizations\.hyperbox\.runtime/);
    assert.equal(result.runtime, 'crun');
    const info = await inspect(result.containerId!);
    assert.equal(info.HostConfig.Runtime, 'crun');
    // crun itself knows the container, with the container's init as its process (runc's state
    // layout is different: crun could not read a container runc made)
    const roots = [...new Set(['/run/docker', '/var/run/docker'].filter((d) => existsSync(d)).map((d) => realpathSync(d)))].flatMap((d) => ['runtime-crun', 'runtime-runc'].map((r) => path.join(d, r, 'moby')));
    const states = roots.map((root) => spawnSync('crun', ['--root', root, 'state', info.Id], { encoding: 'utf8' })).filter((r) => r.status === 0);
    assert.equal(states.length, 1, 'crun has the container in its state directory');
    const state = JSON.parse(states[0].stdout) as { pid: number; status: string };
    assert.equal(state.status, 'running');
    assert.equal(state.pid, info.State.Pid);
    // and that process is the container's PID 1: the keep-alive shell
    assert.equal(dockerExec(info.Id, 'cat /proc/1/comm').trim(), 'sh');
    assert.equal(readFileSync(`/proc/${info.State.Pid}/comm`, 'utf8').trim(), 'sh');

    // status: the runtime and the shutdownAction the editor acts on; hb runtimes lists crun
    const st = hb(['status', folder, '--json']);
    assert.equal(st.code, 0, st.stderr);
    const s = JSON.parse(st.stdout);
    assert.equal(s.runtime, 'crun');
    assert.equal(s.shutdownAction, 'none');
    const human = hb(['status', folder]);
    assert.match(human.stdout, /Runtime\s+crun/);
    assert.match(human.stdout, /On close\s+keep running \(shutdownAction none\)/);
    const rt = hb(['runtimes', '--json']);
    assert.equal(rt.code, 0, rt.stderr);
    const listed = JSON.parse(rt.stdout);
    assert.ok(listed.runtimes.some((r: { name: string; kind: string }) => r.name === 'crun' && r.kind === 'crun'));
    assert.ok(listed.runtimes.some((r: { isDefault: boolean }) => r.isDefault));
    const table = hb(['runtimes']);
    assert.match(table.stdout, /^crun\s+crun\s+\/usr\/bin\/crun/m);
  });

  it('refuses a runtime the engine does not have, naming the ones it has and how to register it', async () => {
    const folder = workspace('no-youki', { image: busyboxImage(), customizations: { hyperbox: { runtime: 'youki' } } });
    await assert.rejects(
      hbUp(folder),
      (e: Error) => e instanceof RuntimeError && /"youki" \(from customizations.hyperbox.runtime\) is not registered/.test(e.message) && /runc/.test(e.message) && /--add-runtime youki=/.test(e.message),
    );
    assert.equal((await containersOf(folder)).length, 0);
    // the editor's setting applies when the config names no runtime
    await assert.rejects(hbUp(workspace('setting', { image: busyboxImage() }), { defaultRuntime: 'runsc' }), /"runsc" \(from the hyperbox.runtime setting\) is not registered/);
    // hb up --runtime: the same check, naming the flag
    const r = hb(['up', workspace('flag', { image: busyboxImage() }), '--runtime', 'kata', '--trust']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /"kata" \(from hb up --runtime\) is not registered/);
  });

  it('checks hostRequirements: warns what falls short, fails gpu: true without a GPU, gpu "optional" goes on without one', async () => {
    const short = workspace('hostreq', { image: busyboxImage(), shutdownAction: 'stopContainer', hostRequirements: { cpus: 4096, memory: '64tb', storage: '1024tb', gpu: 'optional' } });
    const { result, log } = await hbUp(short);
    assert.equal(result.state, 'running');
    assert.match(log.text, /warning: hostRequirements\.cpus asks for at least 4096 CPUs; this machine has \d+/);
    assert.match(log.text, /warning: hostRequirements\.memory asks for at least 64 TB; this machine has [\d.]+ GB/);
    assert.match(log.text, /warning: hostRequirements\.storage asks for at least 1024 TB; \/\S+ has [\d.]+ [GTM]B free/);
    assert.match(log.text, /gpu is "optional" and this machine has no GPU/);
    const info = await inspect(result.containerId!);
    assert.ok(!info.HostConfig.DeviceRequests?.length);
    assert.equal(result.shutdownAction, 'stopContainer');

    const gpu = workspace('gpu', { image: busyboxImage(), hostRequirements: { gpu: true } });
    await assert.rejects(hbUp(gpu), (e: Error) => e instanceof RuntimeError && /gpu requires a GPU, and this machine has no GPU \(no NVIDIA device nodes/.test(e.message) && /"optional"/.test(e.message));
    assert.equal((await containersOf(gpu)).length, 0);
  });

  it('copies the user\'s .gitconfig to the remote user (unless it has one) and forwards the SSH agent', async () => {
    ensureTool('ssh-agent', 'openssh-client');
    const home = path.join(TEST_ROOT, 'home');
    mkdirSync(home, { recursive: true });
    const gitconfig = '[user]\n\tname = Test User\n\temail = test@example.invalid\n[core]\n\teditor = vi\n';
    writeFileSync(path.join(home, '.gitconfig'), gitconfig);
    const sock = path.join(TEST_ROOT, 'agent.sock');
    const agent = execFileSync('ssh-agent', ['-s', '-a', sock], { encoding: 'utf8' });
    const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent)![1]);
    try {
      const key = path.join(TEST_ROOT, 'id_test');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hb-test-key', '-f', key]);
      execFileSync('ssh-add', [key], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const env = { ...process.env, HOME: home, SSH_AUTH_SOCK: sock };

      const folder = workspace('userfiles', { image: devUserImage(), remoteUser: 'dev' });
      const { result, log } = await hbUp(folder, { env });
      assert.match(log.text, /Copied .*\.gitconfig to dev's ~\/\.gitconfig/);
      const id = result.containerId!;
      assert.equal(dockerExec(id, 'cat /home/dev/.gitconfig'), gitconfig);
      assert.equal(dockerExec(id, 'stat -c %u:%g /home/dev/.gitconfig').trim(), '1000:1000');
      // the agent: the socket is mounted and SSH_AUTH_SOCK names it, for hb exec too
      const info = await inspect(id);
      assert.ok(info.Config.Env.includes(`SSH_AUTH_SOCK=${CONTAINER_SSH_AUTH_SOCK}`));
      assert.ok(info.Mounts.some((m) => m.Type === 'bind' && m.Source === sock && m.Destination === CONTAINER_SSH_AUTH_SOCK));
      assert.equal(dockerExec(id, `test -S ${CONTAINER_SSH_AUTH_SOCK} && echo socket`).trim(), 'socket');
      const ex = hb(['exec', '--folder', folder, '--', 'sh', '-c', 'echo $SSH_AUTH_SOCK'], { env: { HOME: home } });
      assert.equal(ex.stdout.trim(), CONTAINER_SSH_AUTH_SOCK);
      // the socket in the container's file system answers as the agent, with the key added above
      const listed = spawnSync('ssh-add', ['-l'], { env: { ...process.env, SSH_AUTH_SOCK: `/proc/${info.State.Pid}/root${CONTAINER_SSH_AUTH_SOCK}` }, encoding: 'utf8' });
      assert.equal(listed.status, 0, listed.stderr);
      assert.match(listed.stdout, /hb-test-key \(ED25519\)/);

      // an untrusted folder (Restricted Mode in the editor) gets neither
      const untrusted = await hbUp(workspace('untrusted', { image: busyboxImage() }), { env, trusted: false });
      assert.match(untrusted.log.text, /Not forwarding your SSH agent or copying your .gitconfig .*not trusted/);
      const uinfo = await inspect(untrusted.result.containerId!);
      assert.ok(!uinfo.Config.Env.some((e) => e.startsWith('SSH_AUTH_SOCK=')));
      assert.equal(dockerExec(untrusted.result.containerId!, 'test -e /root/.gitconfig && echo yes || echo no').trim(), 'no');

      // a remote user with a git config of their own keeps it
      const own = derivedImage('busybox-gitconfig', 'RUN printf "[user]\\n\\tname = Image User\\n" > /root/.gitconfig');
      const kept = await hbUp(workspace('own-gitconfig', { image: own }), { env });
      assert.doesNotMatch(kept.log.text, /Copied/);
      assert.equal(dockerExec(kept.result.containerId!, 'cat /root/.gitconfig'), '[user]\n\tname = Image User\n');
    } finally {
      process.kill(agentPid);
    }
  });

  it('writes the .gitconfig in the exec that runs the create-time commands (no exec of its own), as the remote user, before they run', async () => {
    const home = path.join(TEST_ROOT, 'home-batch');
    mkdirSync(home, { recursive: true });
    const gitconfig = '[user]\n\tname = Batch User\n';
    writeFileSync(path.join(home, '.gitconfig'), gitconfig);
    const env = { ...process.env, HOME: home };
    const folder = workspace('gitconfig-batch', { image: devUserImage(), remoteUser: 'dev', onCreateCommand: 'cp ~/.gitconfig /tmp/seen-by-onCreate' });
    const { result, log } = await hbUp(folder, { env });
    const id = result.containerId!;
    assert.match(log.text, /Copied .*\.gitconfig to dev's ~\/\.gitconfig/);
    assert.equal(dockerExec(id, 'cat /home/dev/.gitconfig'), gitconfig);
    assert.equal(dockerExec(id, 'stat -c %u:%g /home/dev/.gitconfig').trim(), '1000:1000');
    // the lifecycle command already saw it
    assert.equal(dockerExec(id, 'cat /tmp/seen-by-onCreate'), gitconfig);
    assert.ok(!result.timings.some((t) => t.step === 'gitconfig'), `no exec of its own: ${result.timings.map((t) => t.step).join(', ')}`);
    // a remote user with a git config of their own keeps it, here too
    const own = derivedImage('busybox-gitconfig', 'RUN printf "[user]\\n\\tname = Image User\\n" > /root/.gitconfig');
    const kept = await hbUp(workspace('own-gitconfig-batch', { image: own, postCreateCommand: 'true' }), { env });
    assert.doesNotMatch(kept.log.text, /Copied/);
    assert.equal(dockerExec(kept.result.containerId!, 'cat /root/.gitconfig'), '[user]\n\tname = Image User\n');
  });

  it('hb exec -it attaches the terminal: a TTY of the window\'s size, resized with it, keys and exit code passed through', async () => {
    ensureTool('tmux', 'tmux');
    const folder = workspace('tty', { image: busyboxImage() });
    await hbUp(folder);
    const sock = path.join(TEST_ROOT, 'tmux.sock');
    const exitFile = path.join(TEST_ROOT, 'tty-exit');
    const tmux = (...args: string[]) => execFileSync('tmux', ['-S', sock, ...args], { encoding: 'utf8' });
    const pane = () => tmux('capture-pane', '-p', '-t', 'hb');
    const hbCmd = [process.execPath, CLI, 'exec', '-it', '--folder', folder, '--', 'sh'].map((a) => `'${a}'`).join(' ');
    tmux('new-session', '-d', '-s', 'hb', '-x', '100', '-y', '30', `${hbCmd}; echo $? > '${exitFile}'; sleep 30`);
    try {
      await waitFor(() => /[#$]$/m.test(pane()), 15_000, 'the shell prompt').catch((e) => assert.fail(`${e.message}; the terminal shows:\n${pane()}`));
      tmux('send-keys', '-t', 'hb', 'stty size; tty; echo "$((6*7))-$TERM"', 'Enter');
      await waitFor(() => /^42-/m.test(pane()), 10_000, 'the answer');
      let text = pane();
      assert.match(text, /^30 100$/m, text);
      assert.match(text, /^\/dev\/pts\/\d+$/m, text);
      // the window grows: SIGWINCH, and the exec is resized
      tmux('resize-window', '-t', 'hb', '-x', '120', '-y', '40');
      await new Promise((r) => setTimeout(r, 300));
      tmux('send-keys', '-t', 'hb', 'clear; stty size', 'Enter');
      await waitFor(() => /^40 120$/m.test(pane()), 10_000, 'the new size');
      // Ctrl-C reaches the command in the container, not hb
      tmux('send-keys', '-t', 'hb', 'sleep 60', 'Enter');
      await new Promise((r) => setTimeout(r, 500));
      tmux('send-keys', '-t', 'hb', 'C-c');
      await new Promise((r) => setTimeout(r, 300));
      tmux('send-keys', '-t', 'hb', 'echo still-here', 'Enter');
      await waitFor(() => /^still-here$/m.test(pane()), 10_000, 'the shell after Ctrl-C');
      tmux('send-keys', '-t', 'hb', 'exit 7', 'Enter');
      await waitFor(() => existsSync(exitFile) && readFileSync(exitFile, 'utf8').trim() !== '', 10_000, 'hb to exit');
      text = readFileSync(exitFile, 'utf8').trim();
      assert.equal(text, '7');
    } finally {
      spawnSync('tmux', ['-S', sock, 'kill-server']);
    }
    // -i without a terminal: stdin is forwarded and its end closes the command's stdin
    const piped = spawnSync(process.execPath, [CLI, 'exec', '-i', '--folder', folder, '--', 'sh', '-c', 'wc -l; exit 3'], { input: 'one\ntwo\n', encoding: 'utf8', timeout: 30_000 });
    assert.equal(piped.stdout.trim(), '2', piped.stderr);
    assert.equal(piped.status, 3);
  });
});
