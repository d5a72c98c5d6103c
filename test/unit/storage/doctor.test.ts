// The doctor's probes on the host trees of test/fixtures/hosts (kernels 5.15, 6.1, 6.6, 6.12 and
// 6.18, including these machines' "EROFS present, on-demand absent"): every finding decided from
// evidence — filesystems, modules, kernel config, device nodes, tools — never from the version.
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { doctor, gpuFinding, probeArch, type EngineAnswer } from '../../../src/engine/storage/doctor';
import { parseKernelConfig, readKernelFacts } from '../../../src/engine/storage/kernel';
import { recommendBackend } from '../../../src/engine/storage/probe';
import { printDoctor } from '../../../src/engine/cli/doctor';

const HOSTS = path.resolve(__dirname, '..', '..', 'fixtures', 'hosts');
const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };
const NO_ENGINE: EngineAnswer = { error: 'Cannot talk to the Docker engine at unix:///var/run/docker.sock (from default): the socket does not exist.' };
const engine = (info: object, local = true): EngineAnswer => ({ info, local });
const run = (host: string, answer: EngineAnswer = NO_ENGINE, arch: string | null = 'x64') => doctor({ root: path.join(HOSTS, host), env: ENV, engine: answer, arch: arch ?? undefined });

describe('storage: kernel facts', () => {
  it('reads the release, the config from /boot or /proc/config.gz, modules and filesystems', () => {
    const k = readKernelFacts(path.join(HOSTS, '5.15-v1only'));
    assert.equal(k.release, '5.15.0-91-generic');
    assert.deepEqual(k.version, [5, 15]);
    assert.equal(k.configSource, '/boot/config-5.15.0-91-generic');
    assert.ok(k.loaded.has('overlay'));
    assert.equal(k.loadable.get('erofs'), 'kernel/fs/erofs/erofs.ko');
    assert.ok(!k.filesystems.has('erofs'));
    const h = readKernelFacts(path.join(HOSTS, '6.18-hybrid'));
    assert.equal(h.configSource, '/proc/config.gz');
    assert.equal(h.config?.get('CONFIG_EROFS_FS_BACKED_BY_FILE'), 'y');
    assert.equal(readKernelFacts(path.join(HOSTS, '6.6-psi0')).config, null);
  });

  it('parses set, unset and quoted options', () => {
    const c = parseKernelConfig('CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="x y"\nCONFIG_D=m\n');
    assert.deepEqual([...c], [['CONFIG_A', 'y'], ['CONFIG_B', 'n'], ['CONFIG_C', 'x y'], ['CONFIG_D', 'm']]);
  });
});

describe('storage: the doctor on fixture hosts', () => {
  it('5.15, cgroup v1 only: EROFS as a loadable module, no file-backed or on-demand EROFS, no container PSI', async () => {
    const r = await run('5.15-v1only');
    assert.deepEqual(r.kernel, { release: '5.15.0-91-generic', version: [5, 15], config: '/boot/config-5.15.0-91-generic' });
    assert.equal(r.psi.available, 'yes');
    assert.equal(r.cgroup.version, 'v1');
    assert.equal(r.cgroup.unified, null);
    assert.match(r.cgroup.notes.join(' '), /cgroup v1 only: there is no cgroup2 hierarchy, so no per-container PSI/);
    assert.equal(r.storage.overlayfs.available, 'yes');
    assert.match(r.storage.overlayfs.evidence[0], /overlay is loaded/);
    assert.equal(r.storage.erofs.available, 'yes');
    assert.match(r.storage.erofs.evidence[0], /can be loaded .*erofs\.ko/);
    assert.equal(r.storage.erofsFileBacked.available, 'no');
    assert.match(r.storage.erofsFileBacked.evidence[0], /CONFIG_EROFS_FS_BACKED_BY_FILE is not set in \/boot\/config-5\.15/);
    assert.equal(r.storage.erofsOnDemand.available, 'no');
    assert.equal(r.storage.recommended.backend, 'overlayfs');
    assert.ok(r.recommendations.some((x) => /Per-container pressure needs cgroup v2/.test(x)));
  });

  it('6.1, pure v2 with nydus configured and EROFS over fscache built: recommends nydus on fscache', async () => {
    const r = await run('6.1-v2-nydus', engine({ Driver: 'overlay2', CgroupDriver: 'systemd', CgroupVersion: '2', Runtimes: { runc: { path: 'runc' } }, DefaultRuntime: 'runc' }));
    assert.equal(r.cgroup.version, 'v2');
    assert.equal(r.cgroup.containers, '/sys/fs/cgroup/system.slice/docker-<id>.scope/');
    assert.equal(r.storage.erofsOnDemand.available, 'yes');
    assert.match(r.storage.erofsOnDemand.evidence.join(' '), /CONFIG_EROFS_FS_ONDEMAND=y and CONFIG_CACHEFILES_ONDEMAND=y.*modprobe cachefiles/);
    // 6.1 has no file-backed mounts: the option is absent from its config
    assert.equal(r.storage.erofsFileBacked.available, 'no');
    assert.equal(r.storage.snapshotters.nydus.available, 'yes');
    assert.match(r.storage.snapshotters.nydus.evidence.join(' '), /proxy plugin "nydus".*containerd-nydus-grpc is installed/);
    assert.equal(r.storage.recommended.backend, 'nydus (EROFS over fscache)');
    assert.ok(r.recommendations.some((x) => /Image storage: use nydus \(EROFS over fscache\) \(the engine uses overlay2\)/.test(x)));
  });

  it('6.6 with psi=0 and no kernel config: PSI off naming psi=0, file-backed EROFS unknown rather than guessed', async () => {
    const r = await run('6.6-psi0');
    assert.equal(r.psi.available, 'no');
    assert.deepEqual(r.psi.resources, []);
    assert.match(r.psi.evidence[0], /psi=0 on the kernel command line turns it off/);
    assert.ok(r.recommendations.some((x) => /Turn on PSI/.test(x)));
    assert.equal(r.kernel.config, null);
    assert.equal(r.storage.erofs.available, 'yes');
    assert.equal(r.storage.erofsFileBacked.available, 'unknown');
    // /dev/cachefiles exists, but without the config nothing says whether on-demand mode is built
    assert.equal(r.storage.erofsOnDemand.available, 'unknown');
    assert.equal(r.cgroup.version, 'v2');
  });

  it('6.12 with file-backed EROFS and mkcomposefs: recommends composefs; a stargz binary alone is not a configured snapshotter', async () => {
    const r = await run('6.12-composefs', engine({ Driver: 'overlay2', Runtimes: { runc: { path: 'runc' } }, DefaultRuntime: 'runc', Architecture: 'aarch64' }), null);
    assert.equal(r.storage.erofsFileBacked.available, 'yes');
    assert.equal(r.storage.composefs.available, 'yes');
    assert.equal(r.storage.snapshotters.stargz.available, 'no');
    assert.match(r.storage.snapshotters.stargz.evidence[0], /containerd-stargz-grpc is installed but \/etc\/containerd\/config\.toml has no proxy_plugins entry/);
    assert.equal(r.storage.recommended.backend, 'composefs');
    // youki and crun are on PATH, the engine has only runc: both are named, with how to register them
    assert.deepEqual(r.runtimes.unregistered.map((u) => u.kind).sort(), ['crun', 'youki']);
    assert.ok(r.recommendations.some((x) => /\/usr\/bin\/youki \(youki\) is installed but the engine does not know it: register it with dockerd --add-runtime youki=\/usr\/bin\/youki/.test(x)));
    // the render node is a GPU the engine passes through as a device
    assert.equal(r.gpu.present, true);
    assert.equal(r.gpu.passthrough, 'yes');
    // arm64 from the engine's Architecture: the youki/crun advice
    assert.equal(r.arch.arch, 'arm64');
    assert.match(r.arch.advice!, /is installed but not registered: start dockerd with --add-runtime (youki|crun)=/);
  });

  it('6.18 like these machines: hybrid cgroups, PSI on by psi=1, EROFS present with file-backed mounts, on-demand absent', async () => {
    const r = await run('6.18-hybrid', engine({ Driver: 'overlay2', CgroupDriver: 'cgroupfs', CgroupVersion: '1', Runtimes: { runc: { path: 'runc' }, crun: { path: '/usr/bin/crun' } }, DefaultRuntime: 'runc' }));
    assert.equal(r.psi.available, 'yes');
    assert.match(r.psi.evidence.join(' '), /turned on by psi=1 .*CONFIG_PSI_DEFAULT_DISABLED=y/);
    assert.equal(r.cgroup.version, 'hybrid');
    assert.equal(r.cgroup.unified, '/sys/fs/cgroup/unified');
    assert.equal(r.cgroup.memoryV1, '/sys/fs/cgroup/memory');
    assert.equal(r.cgroup.containers, '/sys/fs/cgroup/unified/docker/<id>/');
    assert.equal(r.storage.erofs.available, 'yes');
    assert.equal(r.storage.erofsFileBacked.available, 'yes');
    assert.deepEqual(r.storage.erofsOnDemand, { available: 'no', evidence: ['CONFIG_EROFS_FS_ONDEMAND is not set in /proc/config.gz', '/dev/cachefiles is absent'] });
    assert.equal(r.storage.engineDriver, 'overlay2');
    assert.equal(r.storage.recommended.backend, 'overlayfs');
    assert.match(r.storage.recommended.reason, /EROFS with file-backed mounts is here too.*not available: CONFIG_EROFS_FS_ONDEMAND is not set/);
    assert.deepEqual(r.runtimes.registered?.map((x) => x.name), ['runc', 'crun']);
    assert.deepEqual(r.recommendations, []);
  });

  it('decides file-backed EROFS from the config, never from the version: a 6.18 without its config is unknown', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'hb-doctor-'));
    try {
      cpSync(path.join(HOSTS, '6.18-hybrid'), tmp, { recursive: true });
      rmSync(path.join(tmp, 'proc', 'config.gz'));
      const r = await doctor({ root: tmp, env: ENV, engine: NO_ENGINE, arch: 'x64' });
      assert.equal(r.storage.erofsFileBacked.available, 'unknown');
      assert.equal(r.storage.erofsOnDemand.available, 'no');
      assert.match(r.storage.erofsOnDemand.evidence[0], /\/dev\/cachefiles is absent/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('has exactly the documented JSON keys, and says the engine was not reached', async () => {
    const r = await run('6.18-hybrid');
    assert.deepEqual(Object.keys(r), ['kernel', 'psi', 'cgroup', 'storage', 'runtimes', 'gpu', 'arch', 'recommendations']);
    assert.equal(r.runtimes.registered, null);
    assert.deepEqual(r.runtimes.unregistered, [], 'not known to be unregistered when the engine did not say');
    assert.equal(r.storage.engineDriver, null);
    assert.match(r.recommendations[0], /Start the Docker engine or point DOCKER_HOST at one: Cannot talk to the Docker engine/);
    const text: string[] = [];
    printDoctor(r, (t) => text.push(t));
    const out = text.join('');
    assert.match(out, /^Kernel\s+6\.18\.44-fc-v1272 \(config: \/proc\/config\.gz\)$/m);
    assert.match(out, /^ {2}over fscache\s+no {2}CONFIG_EROFS_FS_ONDEMAND is not set/m);
    assert.match(out, /^Runtimes\s+unknown: Cannot talk to the Docker engine/m);
    // without the engine, the runtime binaries found are still listed
    const arm = await run('6.12-composefs');
    assert.deepEqual(arm.runtimes.installed.map((x) => x.path).sort(), ['/usr/bin/crun', '/usr/bin/youki']);
    assert.deepEqual(arm.runtimes.unregistered, []);
  });
});

describe('storage: recommendations', () => {
  const f = (available: 'yes' | 'no' | 'unknown', ...evidence: string[]) => ({ available, evidence });
  const base = {
    overlayfs: f('yes'),
    fuse: f('yes'),
    erofs: f('no'),
    erofsFileBacked: f('no'),
    erofsOnDemand: f('no', 'EROFS itself is not available'),
    composefs: f('no'),
    engineDriver: 'overlay2',
    snapshotters: { nydus: f('no'), stargz: f('no') },
  };

  it('falls back to fuse-overlayfs, then vfs, without overlayfs', () => {
    assert.equal(recommendBackend({ ...base, overlayfs: f('no') }).backend, 'fuse-overlayfs');
    assert.equal(recommendBackend({ ...base, overlayfs: f('no'), fuse: f('no') }).backend, 'vfs');
  });

  it('uses nydus through FUSE when on-demand EROFS is missing, and stargz when that is what is configured', () => {
    assert.equal(recommendBackend({ ...base, snapshotters: { nydus: f('yes'), stargz: f('no') } }).backend, 'nydus (FUSE)');
    assert.equal(recommendBackend({ ...base, snapshotters: { nydus: f('no'), stargz: f('yes') } }).backend, 'stargz (FUSE)');
  });

  it('passes NVIDIA GPUs through only with the container toolkit, render nodes as devices, and cannot tell for a remote engine', () => {
    const nvidia = { present: true, nvidia: ['GPU 0: NVIDIA T4 (UUID: GPU-1)'], renderNodes: [], details: [] };
    const without = gpuFinding({ ...nvidia, toolkit: false }, engine({}));
    assert.equal(without.passthrough, 'no');
    assert.match(without.how, /NVIDIA Container Toolkit \(nvidia-container-runtime-hook\) is not installed/);
    assert.equal(gpuFinding({ ...nvidia, toolkit: true }, engine({})).passthrough, 'yes');
    assert.equal(gpuFinding({ ...nvidia, toolkit: false }, engine({ Runtimes: { nvidia: { path: 'nvidia-container-runtime' } } })).passthrough, 'yes');
    assert.equal(gpuFinding({ ...nvidia, toolkit: true }, engine({}, false)).passthrough, 'unknown');
    const dri = gpuFinding({ present: true, nvidia: [], renderNodes: ['/dev/dri/renderD128'], details: [] }, engine({}));
    assert.equal(dri.passthrough, 'yes');
    assert.match(dri.how, /\/dev\/dri\/renderD128/);
  });

  it('on ARM, advises youki or crun: picked when registered, registered when installed, installed otherwise', () => {
    const reg = (kind: string, isDefault = false) => ({ name: kind, kind, isDefault });
    assert.match(probeArch('arm64', { registered: [reg('runc', true), reg('crun')], installed: [], unregistered: [] }).advice!, /hb up runs dev containers with crun/);
    assert.match(probeArch('arm64', { registered: [reg('runc', true)], installed: [{ kind: 'youki', path: '/usr/bin/youki' }], unregistered: [{ kind: 'youki', path: '/usr/bin/youki' }] }).advice!, /--add-runtime youki=\/usr\/bin\/youki/);
    assert.match(probeArch('arm64', { registered: [reg('runc', true)], installed: [], unregistered: [] }).advice!, /install crun/);
    assert.equal(probeArch('x64', { registered: [], installed: [], unregistered: [] }).advice, null);
  });
});
