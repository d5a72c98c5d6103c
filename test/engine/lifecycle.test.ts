// Lifecycle commands: order, forms, run-once markers, failures, userEnvProbe, remoteEnv,
// remoteUser, updateRemoteUserUID, waitFor and cancellation.
import { strict as assert } from 'node:assert';
import { readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { RuntimeError } from '../../src/engine/runtime/errors';
import { stop } from '../../src/engine/runtime/ops';
import { up } from '../../src/engine/runtime/up/up';
import { busyboxImage, devUserImage } from './images';
import { collector, containersOf, dockerExec, hb, hbUp, removeEverythingUnder, TEST_ROOT, waitFor, workspace } from './helpers';

const LOG = '/tmp/hooks.log';
const readLog = (id: string) => dockerExec(id, `cat ${LOG} 2>/dev/null || true`).trim().split('\n').filter(Boolean);

describe('engine: lifecycle commands', () => {
  after(() => removeEverythingUnder(TEST_ROOT));

  it('runs every form in the spec order; create-time once, postStart per start, postAttach per up', async () => {
    const folder = workspace('hooks', {
      image: busyboxImage(),
      initializeCommand: 'echo init >> host-side.log',
      onCreateCommand: `echo onCreate >> ${LOG}`,
      updateContentCommand: ['sh', '-c', `echo updateContent >> ${LOG}`],
      postCreateCommand: { one: `sleep 1; echo postCreate-one >> ${LOG}`, two: ['sh', '-c', `echo postCreate-two >> ${LOG}`] },
      postStartCommand: `echo postStart >> ${LOG}`,
      postAttachCommand: `echo postAttach >> ${LOG}; echo visible output`,
    });
    const first = await hbUp(folder);
    const id = first.result.containerId!;
    // object form: both run, in parallel (two finishes before one's sleep ends)
    assert.deepEqual(readLog(id), ['onCreate', 'updateContent', 'postCreate-two', 'postCreate-one', 'postStart', 'postAttach']);
    assert.match(first.log.text, /\[postAttachCommand\] visible output/);
    assert.deepEqual(first.log.steps.filter((s) => s.startsWith('Running')), [
      'Running initializeCommand on the host',
      'Running onCreateCommand',
      'Running updateContentCommand',
      'Running postCreateCommand',
      'Running postStartCommand',
      'Running postAttachCommand',
    ]);
    await hbUp(folder);
    assert.deepEqual(readLog(id).slice(6), ['postAttach']);
    await stop({ folder, env: process.env });
    await hbUp(folder);
    assert.deepEqual(readLog(id).slice(7), ['postStart', 'postAttach']);
    // initializeCommand runs on the host, in the folder, at every up
    assert.equal(readFileSync(path.join(folder, 'host-side.log'), 'utf8'), 'init\ninit\ninit\n');
    // the reference implementation's markers, holding the container's creation / start time
    const markers = dockerExec(id, 'cd ~/.devcontainer && for f in .*Marker; do echo "$f $(cat $f)"; done');
    assert.match(markers, /\.onCreateCommandMarker \d{4}-\d\d-\d\dT/);
    assert.match(markers, /\.postStartCommandMarker \d{4}-\d\d-\d\dT/);
  });

  it('re-reads the markers when its own records are gone, so nothing runs twice', async () => {
    const folder = workspace('markers', { image: busyboxImage(), postCreateCommand: `echo postCreate >> ${LOG}`, postStartCommand: `echo postStart >> ${LOG}` });
    const { result } = await hbUp(folder);
    rmSync(path.join(process.env.HB_CACHE_DIR!, 'containers'), { recursive: true, force: true });
    const again = await hbUp(folder);
    assert.ok(again.result.timings.some((t) => t.step === 'markers'));
    assert.deepEqual(readLog(result.containerId!), ['postCreate', 'postStart']);
  });

  it('names the failing command, its exit code and its last lines', async () => {
    const folder = workspace('failing', {
      image: busyboxImage(),
      onCreateCommand: `echo onCreate >> ${LOG}`,
      postCreateCommand: 'echo first line; echo second line >&2; exit 5',
      postStartCommand: `echo postStart >> ${LOG}`,
    });
    await assert.rejects(hbUp(folder), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.code, 'command-failed');
      assert.match(e.message, /^postCreateCommand from devcontainer\.json failed with exit code 5: echo first line; echo second line >&2; exit 5\n/);
      // stdout and stderr travel separately through the engine: their relative order is not kept
      assert.match(e.message, /Last lines of its output:\n(first line\nsecond line|second line\nfirst line)\n/);
      return true;
    });
    // the container stays for inspection; postStart did not run
    const [c] = await containersOf(folder);
    assert.equal(c.State, 'running');
    assert.deepEqual(readLog(c.Id), ['onCreate']);
  });

  it('says when the container stops while a command runs', async () => {
    const folder = workspace('dies', { image: busyboxImage(), postCreateCommand: 'echo going down; kill -TERM 1; sleep 10' });
    await assert.rejects(hbUp(folder), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.match(e.message, /postCreateCommand did not finish: the container stopped while it ran \(exit code 0\)/);
      assert.match(e.message, /going down/);
      return true;
    });
  });

  it('runs commands as remoteUser with the login shell environment (userEnvProbe) and remoteEnv', async () => {
    const folder = workspace('user', {
      image: devUserImage(),
      remoteUser: 'dev',
      containerEnv: { CE: 'from-container' },
      remoteEnv: { RE: '${containerEnv:CE}-and-remote', PATH: '${containerEnv:PATH}:/opt/extra' },
      postCreateCommand: `echo "$(id -un) $HOME $RE $PROFILE_LOADED $PATH" > /tmp/who`,
    });
    const { result } = await hbUp(folder);
    assert.equal(result.remoteUser, 'dev');
    // the commands ran in one exec, started from dev's login shell
    assert.ok(result.timings.some((t) => t.step === 'lifecycle exec + userEnvProbe'));
    assert.equal(dockerExec(result.containerId!, 'cat /tmp/who').trim(), 'dev /home/dev from-container-and-remote yes /usr/sbin:/usr/bin:/sbin:/bin:/opt/extra');
    // the marker lives in the remote user's home, as the reference implementation keeps it
    assert.match(dockerExec(result.containerId!, 'ls -A /home/dev/.devcontainer'), /\.postCreateCommandMarker/);

    const none = workspace('noprobe', { image: devUserImage(), remoteUser: 'dev', userEnvProbe: 'none', postCreateCommand: 'echo "[$PROFILE_LOADED]" > /tmp/probe' });
    const r2 = await hbUp(none);
    assert.equal(dockerExec(r2.result.containerId!, 'cat /tmp/probe').trim(), '[]');
  });

  it('hb exec gets the environment of the login shell /etc/passwd names, and of /bin/sh when that shell is missing', async () => {
    // no hooks: the first hb exec probes (nothing was cached at up)
    const folder = workspace('probeshell', { image: busyboxImage() });
    const { result } = await hbUp(folder);
    const id = result.containerId!;
    // root's shell (passwd's first line): a script that marks the environment, then runs sh
    dockerExec(id, `printf '#!/bin/sh\\nexport VIA_MYSHELL=yes\\nexec /bin/sh "$@"\\n' > /bin/myshell; chmod +x /bin/myshell; sed -i '1s#:/bin/sh$#:/bin/myshell#' /etc/passwd`);
    assert.equal(dockerExec(id, 'head -n 1 /etc/passwd; /bin/myshell -c \'echo $VIA_MYSHELL\'').trim(), 'root:x:0:0:root:/root:/bin/myshell\nyes');
    const ex = hb(['exec', '--folder', folder, '--', 'sh', '-c', 'echo "[$VIA_MYSHELL] [$PROFILE_LOADED]"']);
    assert.equal(ex.code, 0, ex.stderr);
    assert.equal(ex.stdout.trim(), '[yes] [yes]');
    assert.doesNotMatch(ex.stderr, /Could not read/);

    const gone = workspace('probenoshell', { image: busyboxImage() });
    const r2 = await hbUp(gone);
    dockerExec(r2.result.containerId!, `sed -i '1s#:/bin/sh$#:/bin/no-such-shell#' /etc/passwd`);
    assert.equal(dockerExec(r2.result.containerId!, 'head -n 1 /etc/passwd').trim(), 'root:x:0:0:root:/root:/bin/no-such-shell');
    const ex2 = hb(['exec', '--folder', gone, '--', 'sh', '-c', 'echo "[$PROFILE_LOADED]"']);
    assert.equal(ex2.code, 0, ex2.stderr);
    assert.equal(ex2.stdout.trim(), '[yes]');
    assert.doesNotMatch(ex2.stderr, /Could not read/);
  });

  it('gives the remote user the local UID/GID (updateRemoteUserUID) before any command runs', async () => {
    const folder = workspace('uid', { image: devUserImage(), remoteUser: 'dev', onCreateCommand: 'id -u > /tmp/uid; id -g >> /tmp/uid; touch ~/mine' });
    const { result, log } = await hbUp(folder, { localUser: { uid: 4321, gid: 4322 } });
    assert.match(log.text, /updateRemoteUserUID: dev now has UID 4321 and GID 4322/);
    assert.equal(dockerExec(result.containerId!, 'cat /tmp/uid').trim(), '4321\n4322');
    assert.equal(dockerExec(result.containerId!, 'stat -c %u:%g /home/dev /home/dev/mine').trim(), '4321:4322\n4321:4322');
    const off = workspace('uidoff', { image: devUserImage(), remoteUser: 'dev', updateRemoteUserUID: false, onCreateCommand: 'id -u > /tmp/uid' });
    const r2 = await hbUp(off, { localUser: { uid: 4321, gid: 4322 } });
    assert.equal(dockerExec(r2.result.containerId!, 'cat /tmp/uid').trim(), '1000');
  });

  it('with waitFor, returns once the waitFor command is done and finishes the rest later', async () => {
    const folder = workspace('waitfor', {
      image: busyboxImage(),
      waitFor: 'onCreateCommand',
      onCreateCommand: `echo onCreate >> ${LOG}`,
      postCreateCommand: `sleep 1; echo postCreate >> ${LOG}`,
      postStartCommand: `echo postStart >> ${LOG}`,
    });
    const outcome = await hbUp(folder, { waitFor: true });
    assert.deepEqual(outcome.result.pendingHooks, ['postCreateCommand', 'postStartCommand']);
    const id = outcome.result.containerId!;
    assert.deepEqual(readLog(id), ['onCreate']);
    assert.ok(outcome.rest);
    await outcome.rest();
    assert.deepEqual(readLog(id), ['onCreate', 'postCreate', 'postStart']);
    // the lock was held until then: a new up now finds everything done
    const again = await hbUp(folder);
    assert.deepEqual(again.result.pendingHooks, []);
    assert.deepEqual(readLog(id), ['onCreate', 'postCreate', 'postStart']);
  });

  it('cancelling during a create-time command removes the half-made container', async () => {
    const folder = workspace('cancel', { image: busyboxImage(), postCreateCommand: 'sleep 30' });
    const controller = new AbortController();
    const log = collector();
    const step = log.step;
    log.step = (m) => {
      step(m);
      if (m.startsWith('Running postCreateCommand')) setTimeout(() => controller.abort(), 200);
    };
    const started = Date.now();
    await assert.rejects(up({ folder, env: process.env, trusted: true, report: log, signal: controller.signal }), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.code, 'cancelled');
      return true;
    });
    assert.ok(Date.now() - started < 10_000, 'cancel did not wait for the command');
    await waitFor(async () => (await containersOf(folder)).length === 0, 5000, 'the container to be removed');
    assert.match(log.text, /Cancelled: removed the half-made container/);
  });
});
