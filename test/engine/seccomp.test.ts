// hb seccomp for real: record a busybox workload through strace on containerd, generate a profile,
// validate it with zero denials; a profile missing a call the workload needs is caught by
// validate naming the syscall and the program; apply keeps devcontainer.json's comments. A Python
// workload whose thread makes a call no other process makes (the recording must follow threads
// made inside the container's PID namespace), and Docker's own default profile measured.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { findContainer } from '../../src/engine/runtime/container';
import { connectEngine } from '../../src/engine/runtime/engine/docker';
import { measureEngineDefault } from '../../src/engine/seccomp/engineDefault';
import { showSeccomp } from '../../src/engine/seccomp/ops';
import { hb, hbUp, removeEverythingUnder, TEST_ROOT, workspace } from './helpers';
import { busyboxImage, pythonImage } from './images';

const WORKLOAD = ['--', 'sh', '-c', 'ls /; cat /etc/passwd'];
const ratelimit = readFileSync('/proc/sys/kernel/printk_ratelimit', 'utf8').trim();

describe('hb seccomp: record, generate, validate, apply', function () {
  this.timeout(180_000);
  let folder: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    folder = workspace('seccomp', `{\n  // the dev container\n  "image": "${busyboxImage()}"\n}\n`);
    env = { ...process.env };
    await hbUp(folder, { trusted: true });
  });
  after(async () => {
    if (folder) await removeEverythingUnder(path.join(TEST_ROOT, 'seccomp'));
  });

  it('records the workload, writes a minimal profile within a second, and the workload runs under it with no call blocked', () => {
    const rec = hb(['seccomp', 'record', folder, '--trust', '--json', ...WORKLOAD], { env });
    assert.equal(rec.code, 0, rec.stderr);
    const r = JSON.parse(rec.stdout) as { syscalls: number; exitCode: number; recordings: number; mechanism: string };
    assert.equal(r.exitCode, 0);
    // the kernel's seccomp log by default (this machine has no audit daemon), and printk's rate limit put back
    assert.equal(r.mechanism, 'seccomp-log');
    assert.equal(readFileSync('/proc/sys/kernel/printk_ratelimit', 'utf8').trim(), ratelimit);
    assert.ok(r.syscalls > 10 && r.syscalls < 80, `${r.syscalls} distinct syscalls`);

    const started = Date.now();
    const gen = hb(['seccomp', 'generate', folder, '--json'], { env });
    assert.equal(gen.code, 0, gen.stderr);
    assert.ok(Date.now() - started < 3000, 'generate is quick (the names were resolved while recording)');
    const g = JSON.parse(gen.stdout) as { file: string; allowed: string[] };
    assert.equal(g.file, path.join(folder, '.devcontainer', 'seccomp', 'default.json'));
    const profile = JSON.parse(readFileSync(g.file, 'utf8'));
    assert.equal(profile.defaultAction, 'SCMP_ACT_ERRNO');
    // ls reads the directory, cat writes the file out, and runc itself sets the user and capabilities
    for (const name of ['getdents64', 'execve', 'capset', 'exit_group']) assert.ok(g.allowed.includes(name), `${name} allowed: ${g.allowed.join(' ')}`);
    assert.ok(!g.allowed.includes('mount') && !g.allowed.includes('ptrace'));

    const val = hb(['seccomp', 'validate', folder, '--trust', '--json', ...WORKLOAD], { env });
    const v = JSON.parse(val.stdout) as { ok: boolean; denials: unknown[]; exitCode: number };
    assert.deepEqual(v.denials, [], val.stdout);
    assert.equal(v.exitCode, 0);
    assert.equal(val.code, 0);
  });

  it('catches a profile missing a needed call, naming the syscall and the program that made it', () => {
    const file = path.join(folder, '.devcontainer', 'seccomp', 'default.json');
    const profile = JSON.parse(readFileSync(file, 'utf8'));
    const broken = path.join(folder, '.devcontainer', 'seccomp', 'broken.json');
    // cat copies with sendfile (it falls back to read/write when refused: only tracing shows it)
    profile.syscalls[0].names = profile.syscalls[0].names.filter((n: string) => n !== 'sendfile');
    writeFileSync(broken, JSON.stringify(profile, null, 2));
    const val = hb(['seccomp', 'validate', folder, '--trust', '--profile', broken, ...WORKLOAD], { env });
    assert.equal(val.code, 1);
    // the workload's cat only: HyperBox's user environment probe prints with head (plain read and write)
    assert.match(val.stdout, /blocked: sendfile \(1×\) by cat \/etc\/passwd\n/);
    // runc reads /proc/self/fd after loading the filter: without getdents64 the container cannot start
    profile.syscalls[0].names = profile.syscalls[0].names.filter((n: string) => n !== 'getdents64');
    writeFileSync(broken, JSON.stringify(profile, null, 2));
    const start = hb(['seccomp', 'validate', folder, '--trust', '--profile', broken, ...WORKLOAD], { env });
    assert.equal(start.code, 1);
    assert.match(start.stderr, /did not start under the profile[^]*The profile blocked: getdents64 \(by runc init\)/);
  });

  it('refuses a profile that is not valid JSON or names an unknown syscall, saying where', () => {
    const bad = path.join(folder, '.devcontainer', 'seccomp', 'bad.json');
    writeFileSync(bad, '{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [\n    {"names": ["read" "write"], "action": "SCMP_ACT_ALLOW"}\n  ]\n}\n');
    const a = hb(['seccomp', 'apply', folder, '--profile', bad], { env });
    assert.equal(a.code, 1);
    assert.match(a.stderr, /bad\.json is not valid JSON: CommaExpected at line 4, column 23/);
    writeFileSync(bad, JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'reed'], action: 'SCMP_ACT_ALLOW' }] }));
    const b = hb(['seccomp', 'apply', folder, '--profile', bad], { env });
    assert.equal(b.code, 1);
    assert.match(b.stderr, /names a call that is not a syscall on x86_64, x86, x32: reed/);
  });

  it('apply sets customizations.hyperbox.seccomp.profile and keeps the comments', () => {
    const a = hb(['seccomp', 'apply', folder], { env });
    assert.equal(a.code, 0, a.stderr);
    const text = readFileSync(path.join(folder, '.devcontainer', 'devcontainer.json'), 'utf8');
    assert.match(text, /\/\/ the dev container/);
    assert.match(text, /"profile": "seccomp\/default\.json"/);
    assert.ok(existsSync(path.join(folder, '.devcontainer', 'seccomp', 'default.json')));
  });

  it('a container made with the profile recorded from the workload alone starts, stays up, runs under that profile, and the workload validates in it', async () => {
    const before = JSON.parse(hb(['status', folder, '--json'], { env }).stdout) as { seccomp?: { mode: string } };
    assert.deepEqual(before.seccomp, { mode: 'default' });
    // only the workload was recorded (the first test): the dev container's own process (HyperBox's
    // keep-alive: sh, trap, sleep & wait) ran in the recording's copy from its start, and is covered
    const rb = hb(['rebuild', folder, '--trust'], { env });
    assert.equal(rb.code, 0, rb.stderr);
    const file = path.join(folder, '.devcontainer', 'seccomp', 'default.json');
    const profile = JSON.parse(readFileSync(file, 'utf8')) as { syscalls: { names: string[]; action: string }[] };
    // what the engine was really asked for: the profile's JSON in HostConfig.SecurityOpt, and nothing else for seccomp
    const engine = await connectEngine(process.env);
    const found = await findContainer(engine, folder, path.join(folder, '.devcontainer', 'devcontainer.json'));
    assert.ok(found, 'the dev container exists');
    await new Promise((r) => setTimeout(r, 6000));
    const info = await engine.docker.getContainer(found.Id).inspect();
    const seccompOpts = (info.HostConfig.SecurityOpt ?? []).filter((o: string) => o.startsWith('seccomp'));
    assert.deepEqual(seccompOpts, [`seccomp=${JSON.stringify(profile)}`]);
    assert.equal(info.State.Running, true, `the container stopped under its profile: exit ${info.State.ExitCode}`);
    assert.equal(info.RestartCount, 0);
    const allowed = new Set(profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names)).size;
    const after = JSON.parse(hb(['status', folder, '--json'], { env }).stdout) as { seccomp?: { mode: string; file: string; allowed: number }; running: boolean };
    assert.equal(after.running, true, 'the container runs under its profile');
    assert.deepEqual(after.seccomp, { mode: 'profile', file: '.devcontainer/seccomp/default.json', allowed });
    assert.match(hb(['status', folder], { env }).stdout, new RegExp(`Seccomp +\\.devcontainer/seccomp/default\\.json \\(${allowed} syscalls allowed\\)`));
    // the workload exec'd into a copy of this container, under the profile: nothing blocked, the copy's own process stays up
    const val = hb(['seccomp', 'validate', folder, '--trust', '--json', ...WORKLOAD], { env });
    const v = JSON.parse(val.stdout) as { ok: boolean; denials: unknown[]; exitCode: number; ownProcessExit: number | null };
    assert.deepEqual(v.denials, [], val.stdout);
    assert.equal(v.ownProcessExit, null);
    assert.equal(v.ok, true, val.stdout);
    // and in the dev container itself, under the profile, the workload runs
    // (after HyperBox's own user environment probe, which the recording ran too: no warning that it failed)
    const ex = hb(['exec', '--folder', folder, '--', ...WORKLOAD.slice(1)], { env });
    assert.equal(ex.code, 0, ex.stderr);
    assert.doesNotMatch(ex.stderr, /Could not read|Operation not permitted/);
    assert.match(ex.stdout, /^root:x:0:0/m);
    assert.equal((await engine.docker.getContainer(found.Id).inspect()).State.Running, true);
  });

  it('stops a workload that does not end by itself after --duration (SIGTERM to its process), and records it', () => {
    const started = Date.now();
    const rec = hb(['seccomp', 'record', folder, '--trust', '--json', '--duration', '2', '--', 'sh', '-c', 'trap "echo bye; exit 0" TERM; while :; do sleep 1; done'], { env });
    assert.equal(rec.code, 0, rec.stderr);
    const r = JSON.parse(rec.stdout) as { ended: string; exitCode: number | null; file: string };
    assert.equal(r.ended, 'stopped');
    assert.equal(r.exitCode, null);
    assert.ok(Date.now() - started < 30_000, `${Date.now() - started} ms`);
    // the trap ran: sh woke from its wait (wait4 interrupted) and wrote "bye"
    const calls = (JSON.parse(readFileSync(r.file, 'utf8')) as { syscalls: { name: string }[] }).syscalls.map((x) => x.name);
    for (const n of ['wait4', 'rt_sigreturn', 'write', 'exit_group']) assert.ok(calls.includes(n), `${n}: ${calls.join(' ')}`);
  });
});

// a Python workload: the request-serving work happens in a thread, as in a threaded Flask server
const PY = [
  'import os, socket, threading',
  'a, b = socket.socketpair()',
  'def serve():',
  '    os.sched_get_priority_max(0)',
  '    a.sendall(a.recv(16).upper())',
  't = threading.Thread(target=serve)',
  't.start()',
  "b.sendall(b'ping')",
  'print(b.recv(16).decode())',
  't.join()',
].join('\n');

describe('hb seccomp: a dev container with lifecycle commands', function () {
  this.timeout(180_000);
  let folder: string;
  const env = { ...process.env };
  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    // HyperBox runs these through its own driver script (redirections, markers) at create and at every start
    folder = workspace(
      'seccomp-hooks',
      JSON.stringify({
        image: busyboxImage(),
        postCreateCommand: 'mkdir -p /tmp/made && echo made > /tmp/made/x',
        postStartCommand: 'date > /tmp/started 2>&1',
      }),
    );
    await hbUp(folder, { trusted: true });
  });
  after(async () => {
    if (folder) await removeEverythingUnder(path.join(TEST_ROOT, 'seccomp-hooks'));
  });

  it('a profile recorded from the workload alone still lets the lifecycle commands run: the recording ran them in its copy', async () => {
    const rec = hb(['seccomp', 'record', folder, '--trust', '--json', ...WORKLOAD], { env });
    assert.equal(rec.code, 0, rec.stderr);
    assert.doesNotMatch(rec.stderr, /lifecycle commands failed/);
    assert.equal(hb(['seccomp', 'generate', folder], { env }).code, 0);
    assert.equal(hb(['seccomp', 'apply', folder], { env }).code, 0);
    // made under the profile: postCreateCommand, then postStartCommand; then a restart runs postStartCommand again
    const rb = hb(['rebuild', folder, '--trust'], { env });
    assert.equal(rb.code, 0, rb.stderr);
    const engine = await connectEngine(process.env);
    const found = await findContainer(engine, folder, path.join(folder, '.devcontainer', 'devcontainer.json'));
    assert.ok(found);
    const info = await engine.docker.getContainer(found.Id).inspect();
    assert.ok((info.HostConfig.SecurityOpt ?? []).some((o: string) => o.startsWith('seccomp={')), 'the container runs under the profile');
    assert.equal(hb(['stop', folder], { env }).code, 0);
    const up = hb(['up', folder, '--trust'], { env });
    assert.equal(up.code, 0, up.stderr);
    const ex = hb(['exec', '--folder', folder, '--', 'cat', '/tmp/made/x', '/tmp/started'], { env });
    assert.equal(ex.code, 0, ex.stderr);
    assert.match(ex.stdout, /^made\n\S/);
  });
});

describe('hb seccomp on a Python workload with threads', function () {
  this.timeout(300_000);
  let folder: string;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    folder = workspace('seccomp-python', { image: pythonImage() });
    await hbUp(folder, { trusted: true });
  });
  after(async () => {
    if (folder) await removeEverythingUnder(path.join(TEST_ROOT, 'seccomp-python'));
  });

  it('records the calls of a thread made inside the container (with strace, and with the kernel\'s seccomp log), and the workload runs under the profile', () => {
    const rec = hb(['seccomp', 'record', folder, '--trust', '--json', '--strace', '--', 'python3', '-c', PY]);
    assert.equal(rec.code, 0, rec.stderr);
    assert.equal(JSON.parse(rec.stdout).exitCode, 0);
    assert.equal(JSON.parse(rec.stdout).mechanism, 'strace');
    const viaLog = hb(['seccomp', 'record', folder, '--trust', '--json', '--', 'python3', '-c', PY]);
    assert.equal(viaLog.code, 0, viaLog.stderr);
    assert.equal(JSON.parse(viaLog.stdout).mechanism, 'seccomp-log');
    // the kernel logs the thread's call as any other: the log's recording has it by itself
    const logged = JSON.parse(readFileSync(JSON.parse(viaLog.stdout).file, 'utf8')) as { syscalls: { name: string; count: number; firstExe: string }[] };
    const prio = logged.syscalls.find((x) => x.name === 'sched_get_priority_max');
    assert.ok(prio && prio.count >= 1 && /python3/.test(prio.firstExe), JSON.stringify(prio));
    const gen = hb(['seccomp', 'generate', folder, '--json']);
    assert.equal(gen.code, 0, gen.stderr);
    const g = JSON.parse(gen.stdout) as { allowed: string[] };
    // only the thread makes this call: without following the thread it would be missing
    assert.ok(g.allowed.includes('sched_get_priority_max'), g.allowed.join(' '));
    assert.ok(g.allowed.includes('socketpair') && g.allowed.includes('recvfrom'), g.allowed.join(' '));
    assert.ok(g.allowed.length <= 75, `${g.allowed.length} allowed`);
    const val = hb(['seccomp', 'validate', folder, '--trust', '--json', '--', 'python3', '-c', PY]);
    const v = JSON.parse(val.stdout) as { ok: boolean; denials: unknown[]; exitCode: number };
    assert.deepEqual(v.denials, [], val.stdout);
    assert.equal(v.exitCode, 0);
  });

  it('shows the profile, grouped, with the validation (the Seccomp panel\'s request)', async () => {
    const view = await showSeccomp({ folder, env: process.env });
    assert.ok(view.exists);
    const network = view.groups.find((x) => x.category === 'network')!;
    assert.ok(network.syscalls.some((s) => s.name === 'recvfrom' && s.count! > 0));
    assert.equal(view.validation?.ok, true);
  });
});

describe("Docker's own default seccomp profile, measured", function () {
  this.timeout(120_000);
  before(function () {
    if (process.getuid?.() !== 0) this.skip();
  });

  it('counts the syscalls the filter runc loads for a default container allows on x86_64', async function () {
    if (process.arch !== 'x64') this.skip();
    const engine = await connectEngine(process.env);
    const d = await measureEngineDefault({ engine, env: { ...process.env, HB_CACHE_DIR: path.join(TEST_ROOT, 'engine-default-cache') }, image: busyboxImage(), cmd: ['sleep', '2'] });
    assert.ok(d.allowed > 250 && d.allowed < 400, `${d.allowed}`);
    for (const n of ['read', 'write', 'execve', 'clone', 'socket']) assert.ok(d.names.includes(n), n);
    // not without CAP_SYS_ADMIN / never in Docker's default
    for (const n of ['mount', 'reboot', 'kexec_load', 'init_module']) assert.ok(!d.names.includes(n), n);
    assert.ok(d.conditional.includes('personality'), d.conditional.join(' '));
    assert.match(d.engine, /Docker Engine/);
  });
});
