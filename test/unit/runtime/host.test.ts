// The pure parts of what the host gives a dev container: OCI runtimes (the engine's /info),
// hostRequirements against any machine, GPU detection on fixture trees with a fake nvidia-smi,
// the user's git config and SSH agent, and shutdownAction.
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { shutdownActionOf } from '../../../src/engine/runtime/container';
import { describeGpu, detectGpu, gpuHostConfig } from '../../../src/engine/runtime/create/gpu';
import { checkHostRequirements, formatSize, gpuWanted, parseSize, type HostFacts } from '../../../src/engine/runtime/create/host';
import { applyHostSetup } from '../../../src/engine/runtime/create/hostSetup';
import { chooseRuntime, configuredRuntime, parseRuntimes, requestedRuntime, runtimeKind } from '../../../src/engine/runtime/engine/runtimes';
import { CONTAINER_SSH_AUTH_SOCK, hostGitConfig, sshAgentForward, sshAgentSocket } from '../../../src/engine/runtime/create/userFiles';

const GB = 1024 ** 3;

describe('runtime: OCI runtimes', () => {
  // /info Runtimes as engines with each runtime registered report them
  const info = {
    DefaultRuntime: 'runc',
    Runtimes: {
      runc: { path: 'runc' },
      'io.containerd.runc.v2': { path: 'runc' },
      crun: { path: '/usr/bin/crun' },
      youki: { path: '/usr/local/bin/youki' },
      runsc: { path: '/usr/local/bin/runsc' },
      'runsc-debug': { path: '/usr/local/bin/runsc' },
      kata: { path: '/opt/kata/bin/kata-runtime' },
      'kata-qemu': { runtimeType: 'io.containerd.kata-qemu.v2' },
      sandbox: { path: '/usr/local/bin/gvisor-runsc' },
      mine: { path: '/opt/bin/my-runtime' },
    },
  };

  it('recognises runc, crun, youki, runsc and kata by binary and by name', () => {
    const list = parseRuntimes(info);
    const kinds = Object.fromEntries(list.runtimes.map((r) => [r.name, r.kind]));
    assert.deepEqual(kinds, {
      runc: 'runc',
      'io.containerd.runc.v2': 'runc',
      crun: 'crun',
      youki: 'youki',
      runsc: 'runsc',
      'runsc-debug': 'runsc',
      kata: 'kata',
      'kata-qemu': 'kata',
      sandbox: 'runsc',
      mine: 'other',
    });
    assert.equal(list.runtimes[0].name, 'runc', 'the default comes first');
    assert.equal(list.runtimes[0].isDefault, true);
    assert.equal(list.runtimes.filter((r) => r.isDefault).length, 1);
    assert.match(list.runtimes.find((r) => r.name === 'kata')!.description, /VM/);
    assert.equal(runtimeKind('x', '/usr/bin/crun'), 'crun');
    assert.deepEqual(parseRuntimes({}).runtimes, []);
  });

  it('takes the runtime asked for, and names the registered ones and how to register when it is missing', () => {
    const list = parseRuntimes({ DefaultRuntime: 'runc', Runtimes: { runc: { path: 'runc' }, crun: { path: '/usr/bin/crun' } } });
    assert.equal(chooseRuntime(list, { name: 'crun', from: 'customizations.hyperbox.runtime' }, 'x64').runtime, 'crun');
    assert.throws(
      () => chooseRuntime(list, { name: 'youki', from: 'customizations.hyperbox.runtime' }, 'x64'),
      (e: Error) =>
        /"youki" \(from customizations.hyperbox.runtime\) is not registered/.test(e.message) &&
        /has: runc, crun/.test(e.message) &&
        /dockerd with --add-runtime youki=\/usr\/bin\/youki/.test(e.message),
    );
    assert.deepEqual(chooseRuntime(list, undefined, 'x64'), {}, 'elsewhere the engine default stays');
  });

  it('prefers youki, then crun, on arm64 hosts and says why', () => {
    const both = parseRuntimes({ DefaultRuntime: 'runc', Runtimes: { runc: {}, crun: { path: '/usr/bin/crun' }, youki: { path: '/usr/bin/youki' } } });
    const y = chooseRuntime(both, undefined, 'arm64');
    assert.equal(y.runtime, 'youki');
    assert.match(y.reason!, /ARM \(arm64\).*faster.*less memory/);
    const crunOnly = parseRuntimes({ DefaultRuntime: 'runc', Runtimes: { runc: {}, crun: { path: '/usr/bin/crun' } } });
    assert.equal(chooseRuntime(crunOnly, undefined, 'arm64').runtime, 'crun');
    assert.deepEqual(chooseRuntime(parseRuntimes({ DefaultRuntime: 'runc', Runtimes: { runc: {} } }), undefined, 'arm64'), {});
    // already the default: nothing to change
    assert.deepEqual(chooseRuntime(parseRuntimes({ DefaultRuntime: 'crun', Runtimes: { crun: { path: '/usr/bin/crun' } } }), undefined, 'arm64'), {});
    // asked for explicitly: that one, even on ARM
    assert.equal(chooseRuntime(both, { name: 'runc', from: 'hb up --runtime' }, 'arm64').runtime, 'runc');
  });

  it('reads customizations.hyperbox.runtime', () => {
    assert.equal(configuredRuntime({ customizations: { hyperbox: { runtime: 'crun' } } }), 'crun');
    assert.equal(configuredRuntime({ customizations: { vscode: {} } }), undefined);
    assert.equal(configuredRuntime({}), undefined);
  });
});

describe('runtime: hostRequirements', () => {
  const machine: HostFacts = { cpus: 4, memory: 16 * GB - 300 * 1024 ** 2, storageFree: 50 * GB, storagePath: '/var/lib/docker' };

  it('parses the spec\'s sizes', () => {
    assert.equal(parseSize('4gb'), 4 * GB);
    assert.equal(parseSize('512MB'), 512 * 1024 ** 2);
    assert.equal(parseSize('1.5tb'), 1.5 * 1024 * GB);
    assert.equal(parseSize('100'), 100);
    assert.equal(parseSize('lots'), undefined);
    assert.equal(formatSize(4 * GB), '4 GB');
    assert.equal(formatSize(1.5 * GB), '1.5 GB');
  });

  it('passes a machine that meets them (a "16gb" machine reports a little less than 16 GB)', () => {
    assert.deepEqual(checkHostRequirements({ cpus: 4, memory: '16gb', storage: '32gb' }, machine), { warnings: [], useGpu: false });
    assert.deepEqual(checkHostRequirements(undefined, machine), { warnings: [], useGpu: false });
  });

  it('warns, naming what falls short and by how much', () => {
    const r = checkHostRequirements({ cpus: 8, memory: '32gb', storage: '64gb' }, machine);
    assert.equal(r.error, undefined);
    assert.equal(r.warnings.length, 3);
    assert.match(r.warnings[0], /cpus asks for at least 8 CPUs; this machine has 4/);
    assert.match(r.warnings[1], /memory asks for at least 32 GB; this machine has 15\.7 GB/);
    assert.match(r.warnings[2], /storage asks for at least 64 GB; \/var\/lib\/docker has 50 GB free/);
    assert.match(checkHostRequirements({ memory: 'big' }, machine).warnings[0], /"big" is not a size/);
    // storage not measurable (a remote engine): not checked
    assert.deepEqual(checkHostRequirements({ storage: '1tb' }, { cpus: 1, memory: GB }).warnings, []);
  });

  it('fails gpu: true without a GPU, and uses one only when present for "optional"', () => {
    const none = { present: false, nvidia: [], renderNodes: [], details: ['no NVIDIA device nodes (/dev/nvidia0, ...)', 'no DRM render node (/dev/dri/renderD*)'] };
    const some = { present: true, nvidia: ['GPU 0: NVIDIA A10 (UUID: GPU-1)'], renderNodes: [], details: [] };
    assert.equal(gpuWanted({ gpu: true }), 'required');
    assert.equal(gpuWanted({ gpu: { cores: 1000 } }), 'required');
    assert.equal(gpuWanted({ gpu: 'optional' }), 'optional');
    assert.equal(gpuWanted({ gpu: false }), undefined);
    const fail = checkHostRequirements({ gpu: true }, { ...machine, gpu: none });
    assert.match(fail.error!, /gpu requires a GPU, and this machine has no GPU \(no NVIDIA device nodes.*\).*"gpu": "optional"/);
    assert.deepEqual(checkHostRequirements({ gpu: 'optional' }, { ...machine, gpu: none }), { warnings: [], useGpu: false });
    assert.equal(checkHostRequirements({ gpu: 'optional' }, { ...machine, gpu: some }).useGpu, true);
    assert.equal(checkHostRequirements({ gpu: true }, { ...machine, gpu: some }).useGpu, true);
  });
});

describe('runtime: GPU detection', () => {
  let dir: string;
  let bin: string;
  const root = (name: string, files: string[]) => {
    const r = path.join(dir, name);
    for (const f of files) {
      mkdirSync(path.dirname(path.join(r, f)), { recursive: true });
      writeFileSync(path.join(r, f), '');
    }
    mkdirSync(path.join(r, 'dev'), { recursive: true });
    return r;
  };
  const smi = (script: string) => {
    writeFileSync(path.join(bin, 'nvidia-smi'), `#!/bin/sh\n${script}\n`);
    chmodSync(path.join(bin, 'nvidia-smi'), 0o755);
  };
  const env = () => ({ PATH: bin });
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hb-gpu-'));
    bin = path.join(dir, 'bin');
    mkdirSync(bin);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds NVIDIA GPUs when the device nodes exist and nvidia-smi -L lists them', async () => {
    writeFileSync(path.join(bin, 'nvidia-container-runtime-hook'), '#!/bin/sh\n');
    chmodSync(path.join(bin, 'nvidia-container-runtime-hook'), 0o755);
    smi('[ "$1" = -L ] || exit 2\necho "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-0000)"\necho "GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-0001)"');
    const gpu = await detectGpu({ root: root('nv', ['dev/nvidia0', 'dev/nvidia1', 'dev/nvidiactl', 'dev/nvidia-uvm']), env: env() });
    assert.equal(gpu.present, true);
    assert.equal(gpu.nvidia.length, 2);
    assert.equal(gpu.toolkit, true);
    assert.deepEqual(gpuHostConfig(gpu), { DeviceRequests: [{ Driver: '', Count: -1, DeviceIDs: null, Capabilities: [['gpu']], Options: {} }] });
    assert.match(describeGpu(gpu), /NVIDIA: GPU 0: NVIDIA A100/);
    // without the NVIDIA Container Toolkit Docker cannot hand it over: nothing (or the render nodes)
    rmSync(path.join(bin, 'nvidia-container-runtime-hook'));
    const noToolkit = await detectGpu({ root: root('nv-no-toolkit', ['dev/nvidia0', 'dev/dri/renderD128']), env: env() });
    assert.equal(noToolkit.toolkit, false);
    assert.deepEqual(gpuHostConfig(noToolkit), { Devices: [{ PathOnHost: '/dev/dri', PathInContainer: '/dev/dri', CgroupPermissions: 'rwm' }] });
    assert.deepEqual(gpuHostConfig({ ...noToolkit, renderNodes: [] }), {});
  });

  it('does not count device nodes whose nvidia-smi fails', async () => {
    smi('echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver." >&2; exit 9');
    const gpu = await detectGpu({ root: root('nv-broken', ['dev/nvidia0', 'dev/nvidiactl']), env: env() });
    assert.equal(gpu.present, false);
    assert.match(gpu.details.join('\n'), /\/dev\/nvidia0 exists but nvidia-smi -L fails \(NVIDIA-SMI has failed/);
  });

  it('does not count an installed driver or runtime without device nodes', async () => {
    smi('echo "GPU 0: NVIDIA T4 (UUID: GPU-1)"');
    const gpu = await detectGpu({ root: root('nv-driver-only', ['proc/driver/nvidia/gpus/0000:01:00.0/information']), env: env() });
    assert.equal(gpu.present, false);
    assert.match(gpu.details[0], /driver knows 1 GPU\(s\) but there is no \/dev\/nvidiaN device node/);
  });

  it('does not count device nodes without nvidia-smi', async () => {
    rmSync(path.join(bin, 'nvidia-smi'), { force: true });
    const gpu = await detectGpu({ root: root('nv-no-smi', ['dev/nvidia0']), env: env() });
    assert.equal(gpu.present, false);
    assert.match(gpu.details[0], /nvidia-smi -L fails \(not installed\)/);
  });

  it('finds a DRM render node (AMD, Intel), but not a display card alone', async () => {
    const gpu = await detectGpu({ root: root('dri', ['dev/dri/card0', 'dev/dri/renderD128']), env: env() });
    assert.equal(gpu.present, true);
    assert.deepEqual(gpu.renderNodes, ['/dev/dri/renderD128']);
    assert.deepEqual(gpuHostConfig(gpu), { Devices: [{ PathOnHost: '/dev/dri', PathInContainer: '/dev/dri', CgroupPermissions: 'rwm' }] });
    const card = await detectGpu({ root: root('card-only', ['dev/dri/card0']), env: env() });
    assert.equal(card.present, false);
    assert.deepEqual(gpuHostConfig(card), {});
  });

  it('tells the truth about this machine', async () => {
    const gpu = await detectGpu();
    const nodes = existsSync('/dev') ? readdirSync('/dev').filter((n) => /^nvidia\d+$/.test(n)) : [];
    const render = existsSync('/dev/dri') ? readdirSync('/dev/dri').filter((n) => /^renderD\d+$/.test(n)) : [];
    if (!nodes.length && !render.length) {
      // the machines this project's CI runs on have no GPU
      assert.equal(gpu.present, false);
      assert.match(describeGpu(gpu), /^no GPU \(no NVIDIA device nodes .*no DRM render node/);
    } else {
      assert.equal(gpu.present, render.length > 0 || gpu.nvidia.length > 0);
    }
  });
});

describe('runtime: the user\'s git config and SSH agent', () => {
  let dir: string;
  let server: Server | undefined;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'hb-userfiles-'))));
  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads $HOME/.gitconfig, else the XDG git config', async () => {
    const home = path.join(dir, 'home');
    mkdirSync(path.join(home, '.config', 'git'), { recursive: true });
    writeFileSync(path.join(home, '.config', 'git', 'config'), '[user]\n\tname = X\n');
    assert.equal((await hostGitConfig({ HOME: home }))?.file, path.join(home, '.config', 'git', 'config'));
    writeFileSync(path.join(home, '.gitconfig'), '[user]\n\tname = Y\n');
    assert.deepEqual(await hostGitConfig({ HOME: home }), { file: path.join(home, '.gitconfig'), text: '[user]\n\tname = Y\n' });
    assert.equal(await hostGitConfig({ HOME: path.join(dir, 'nobody') }), undefined);
    assert.equal(await hostGitConfig({}), undefined);
  });

  it('forwards SSH_AUTH_SOCK only when it names a socket', async () => {
    const sock = path.join(dir, 'agent.sock');
    server = createServer();
    await new Promise<void>((r) => server!.listen(sock, r));
    assert.equal(await sshAgentSocket({ SSH_AUTH_SOCK: sock }), sock);
    assert.equal(await sshAgentSocket({ SSH_AUTH_SOCK: path.join(dir, 'gone.sock') }), undefined);
    writeFileSync(path.join(dir, 'file'), '');
    assert.equal(await sshAgentSocket({ SSH_AUTH_SOCK: path.join(dir, 'file') }), undefined);
    assert.equal(await sshAgentSocket({ SSH_AUTH_SOCK: 'relative.sock' }), undefined);
    assert.equal(await sshAgentSocket({}), undefined);
    assert.deepEqual(sshAgentForward(sock), { mount: { Type: 'bind', Source: sock, Target: CONTAINER_SSH_AUTH_SOCK }, env: `SSH_AUTH_SOCK=${CONTAINER_SSH_AUTH_SOCK}` });
  });
});

describe('runtime: shutdownAction', () => {
  it('is the config\'s, else stopContainer (stopCompose for Compose)', () => {
    assert.equal(shutdownActionOf('none', 'image'), 'none');
    assert.equal(shutdownActionOf(undefined, 'image'), 'stopContainer');
    assert.equal(shutdownActionOf(undefined, 'dockerfile'), 'stopContainer');
    assert.equal(shutdownActionOf(undefined, 'compose'), 'stopCompose');
    assert.equal(shutdownActionOf('bogus', 'image'), 'stopContainer');
  });
});

describe('runtime: what the host adds to a create request', () => {
  let dir: string;
  let server: Server | undefined;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'hb-hostsetup-'))));
  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const fakeEngine = (runtimes: Record<string, { path?: string }>, calls: { info: number }) =>
    ({
      endpoint: { options: { socketPath: '/var/run/docker.sock' }, host: 'unix:///var/run/docker.sock', source: 'default' },
      docker: {
        info: async () => {
          calls.info++;
          return { Runtimes: runtimes, DefaultRuntime: 'runc', NCPU: 2, MemTotal: 4 * GB, DockerRootDir: '/nonexistent-docker-root' };
        },
      },
    }) as never;
  const quiet = () => {
    const lines: string[] = [];
    return { lines, report: { step: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`warning: ${m}`), output: () => undefined } };
  };
  const runtimes = { runc: { path: 'runc' }, crun: { path: '/usr/bin/crun' }, youki: { path: '/usr/bin/youki' } };

  it('asks the engine nothing when nothing needs it', async () => {
    const calls = { info: 0 };
    const body = { HostConfig: {}, Env: [] as string[] };
    const r = await applyHostSetup({ engine: fakeEngine(runtimes, calls), config: {}, body, env: {}, report: quiet().report, arch: 'x64' });
    assert.deepEqual(r, { runtime: undefined, gpu: false, sshAgent: false });
    assert.equal(calls.info, 0);
    assert.deepEqual(body, { HostConfig: {}, Env: [] });
  });

  it('one precedence for the runtime: hb up --runtime, runArgs --runtime, customizations.hyperbox.runtime, the hyperbox.runtime setting', () => {
    assert.deepEqual(requestedRuntime({}), undefined);
    assert.deepEqual(requestedRuntime({ cli: 'crun', runArgs: 'runc', config: 'youki', setting: 'crun' }), {
      name: 'crun',
      from: 'hb up --runtime',
      over: [
        { name: 'runc', from: 'runArgs --runtime' },
        { name: 'youki', from: 'customizations.hyperbox.runtime' },
      ],
    });
    assert.deepEqual(requestedRuntime({ runArgs: 'runc', config: 'youki', setting: 'crun' })?.from, 'runArgs --runtime');
    assert.deepEqual(requestedRuntime({ config: 'youki', setting: 'crun' })?.from, 'customizations.hyperbox.runtime');
    assert.deepEqual(requestedRuntime({ setting: ' crun ' }), { name: 'crun', from: 'the hyperbox.runtime setting', over: [] });
    assert.deepEqual(requestedRuntime({ cli: '', runArgs: '  ', setting: 'runc' })?.from, 'the hyperbox.runtime setting', 'empty values ask for nothing');
  });

  it('applies that precedence to the create request and says what it won over; youki on arm64', async () => {
    const pick = async (o: { runArgs?: string; flag?: string; config?: 'runc' | 'crun' | 'youki'; setting?: string; arch?: string }) => {
      const body: { HostConfig: Record<string, unknown>; Env: string[] } = { HostConfig: o.runArgs ? { Runtime: o.runArgs } : {}, Env: [] };
      const q = quiet();
      await applyHostSetup({
        engine: fakeEngine(runtimes, { info: 0 }),
        config: o.config ? { customizations: { hyperbox: { runtime: o.config } } } : {},
        body,
        env: {},
        report: q.report,
        arch: o.arch ?? 'x64',
        runtime: o.flag,
        defaultRuntime: o.setting,
      });
      return { runtime: body.HostConfig.Runtime, said: q.lines.join('\n') };
    };
    const flag = await pick({ runArgs: 'runc', flag: 'crun', config: 'youki' });
    assert.equal(flag.runtime, 'crun');
    assert.match(flag.said, /Using OCI runtime crun .* from hb up --runtime \(over runc from runArgs --runtime, youki from customizations\.hyperbox\.runtime\)\./);
    assert.equal((await pick({ runArgs: 'runc', config: 'youki', setting: 'crun' })).runtime, 'runc');
    assert.equal((await pick({ flag: 'crun', config: 'youki', setting: 'runc' })).runtime, 'crun');
    assert.equal((await pick({ config: 'youki', setting: 'crun' })).runtime, 'youki');
    const setting = await pick({ setting: 'crun' });
    assert.equal(setting.runtime, 'crun');
    assert.match(setting.said, /Using OCI runtime crun .* from the hyperbox.runtime setting/);
    const arm = await pick({ arch: 'arm64' });
    assert.equal(arm.runtime, 'youki');
    assert.match(arm.said, /ARM \(arm64\)/);
    assert.equal((await pick({})).runtime, undefined);
  });

  it('with an engine on another machine: no GPU check of this one, no SSH agent socket', async () => {
    const remote = {
      endpoint: { options: { host: 'build-box', port: 22, protocol: 'ssh' }, host: 'ssh://me@build-box', source: 'DOCKER_HOST' },
      docker: { info: async () => ({ Runtimes: { runc: {} }, DefaultRuntime: 'runc', NCPU: 64, MemTotal: 256 * GB }) },
    } as never;
    const body = { HostConfig: {}, Env: [] as string[] };
    const q = quiet();
    const r = await applyHostSetup({ engine: remote, config: {}, hostRequirements: { gpu: true, cpus: 32 }, body, env: { SSH_AUTH_SOCK: '/tmp/whatever.sock' }, report: q.report, arch: 'x64' });
    assert.deepEqual(r, { runtime: undefined, gpu: false, sshAgent: false });
    assert.deepEqual(body, { HostConfig: {}, Env: [] });
    assert.match(q.lines.join('\n'), /gpu cannot be checked: the Docker engine is on another machine \(ssh:\/\/me@build-box\)/);
    assert.doesNotMatch(q.lines.join('\n'), /cpus asks/, 'the engine\'s machine has 64 CPUs');
  });

  it('gives the container the GPU that is there, and forwards the SSH agent socket', async () => {
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'dev', 'dri'), { recursive: true });
    writeFileSync(path.join(root, 'dev', 'dri', 'renderD128'), '');
    const sock = path.join(dir, 'agent.sock');
    server = createServer();
    await new Promise<void>((r) => server!.listen(sock, r));
    const body: { HostConfig: Record<string, unknown>; Env: string[] } = { HostConfig: { Mounts: [] }, Env: ['A=1'] };
    const q = quiet();
    const r = await applyHostSetup({
      engine: fakeEngine(runtimes, { info: 0 }),
      config: {},
      hostRequirements: { gpu: 'optional', cpus: 8 },
      body,
      env: { SSH_AUTH_SOCK: sock },
      report: q.report,
      arch: 'x64',
      gpuProbe: { root, env: { PATH: path.join(dir, 'no-bin') } },
    });
    assert.deepEqual(r, { runtime: undefined, gpu: true, sshAgent: true });
    assert.deepEqual(body.HostConfig.Devices, [{ PathOnHost: '/dev/dri', PathInContainer: '/dev/dri', CgroupPermissions: 'rwm' }]);
    assert.deepEqual(body.HostConfig.Mounts, [{ Type: 'bind', Source: sock, Target: CONTAINER_SSH_AUTH_SOCK }]);
    assert.deepEqual(body.Env, ['A=1', `SSH_AUTH_SOCK=${CONTAINER_SSH_AUTH_SOCK}`]);
    assert.match(q.lines.join('\n'), /warning: hostRequirements.cpus asks for at least 8 CPUs; this machine has 2/);
    // an untrusted folder (the editor's Restricted Mode) does not get the agent
    const untrusted: { HostConfig: Record<string, unknown>; Env: string[] } = { HostConfig: {}, Env: [] };
    const u = quiet();
    assert.equal((await applyHostSetup({ engine: fakeEngine(runtimes, { info: 0 }), config: {}, body: untrusted, env: { SSH_AUTH_SOCK: sock }, report: u.report, arch: 'x64', untrusted: true })).sshAgent, false);
    assert.deepEqual(untrusted, { HostConfig: {}, Env: [] });
    assert.match(u.lines.join('\n'), /Not forwarding your SSH agent .*not trusted/);
    // gpu: true on a machine without one: an error, before anything is made
    await assert.rejects(
      applyHostSetup({ engine: fakeEngine(runtimes, { info: 0 }), config: {}, hostRequirements: { gpu: true }, body: { HostConfig: {}, Env: [] }, env: {}, report: quiet().report, arch: 'x64', gpuProbe: { root: path.join(dir, 'empty'), env: { PATH: '' } } }),
      /gpu requires a GPU, and this machine has no GPU/,
    );
  });
});

describe('runtime: an NVIDIA GPU without the NVIDIA Container Toolkit', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hb-nvtk-'));
    mkdirSync(path.join(dir, 'root', 'dev'), { recursive: true });
    writeFileSync(path.join(dir, 'root', 'dev', 'nvidia0'), '');
    mkdirSync(path.join(dir, 'bin'));
    writeFileSync(path.join(dir, 'bin', 'nvidia-smi'), '#!/bin/sh\necho "GPU 0: NVIDIA L4 (UUID: GPU-9)"\n');
    chmodSync(path.join(dir, 'bin', 'nvidia-smi'), 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const engine = {
    endpoint: { options: { socketPath: '/var/run/docker.sock' }, host: 'unix:///var/run/docker.sock', source: 'default' },
    docker: { info: async () => ({ Runtimes: { runc: {} }, DefaultRuntime: 'runc', NCPU: 2, MemTotal: GB }) },
  } as never;
  const report = { step: () => undefined, info: () => undefined, warn: (m: string) => warnings.push(m), output: () => undefined };
  const warnings: string[] = [];

  it('fails gpu: true naming the toolkit, and leaves the GPU out for "optional" with a warning', async () => {
    const probe = { root: path.join(dir, 'root'), env: { PATH: path.join(dir, 'bin') } };
    await assert.rejects(
      applyHostSetup({ engine, config: {}, hostRequirements: { gpu: true }, body: { HostConfig: {}, Env: [] }, env: {}, report, arch: 'x64', gpuProbe: probe }),
      /NVIDIA: GPU 0: NVIDIA L4.*NVIDIA Container Toolkit \(nvidia-container-runtime-hook\) is not installed.*Install the NVIDIA Container Toolkit and restart dockerd, or set "gpu": "optional"/,
    );
    const body: { HostConfig: Record<string, unknown>; Env: string[] } = { HostConfig: {}, Env: [] };
    const r = await applyHostSetup({ engine, config: {}, hostRequirements: { gpu: 'optional' }, body, env: {}, report, arch: 'x64', gpuProbe: probe });
    assert.equal(r.gpu, false);
    assert.equal(body.HostConfig.DeviceRequests, undefined);
    assert.match(warnings.join('\n'), /"optional" and this machine has NVIDIA: .* the container gets none/);
  });
});
