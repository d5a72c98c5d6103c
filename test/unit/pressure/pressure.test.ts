// PSI parsing, cgroup discovery (pure v2, hybrid, v1 only) and the sampler, on the host trees of
// test/fixtures/hosts: deltas between samples, files kept open (a replaced file is not re-read),
// memory against the limit from v2 or v1 files, and what is missing said in plain words.
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cgroupDir, cgroupMounts, cgroupVersion, parseMountinfo, parseProcCgroup, processCgroupDirs, readCgroupMounts } from '../../../src/engine/pressure/cgroup';
import { parsePsi } from '../../../src/engine/pressure/psi';
import { PressureSampler, parseLimit } from '../../../src/engine/pressure/sampler';
import { render } from '../../../src/engine/cli/pressure';

const HOSTS = path.resolve(__dirname, '..', '..', 'fixtures', 'hosts');
const CID = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const IDLE = 'fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210';

describe('pressure: PSI files', () => {
  it('parses some and full lines with averages and totals', () => {
    const r = parsePsi('some avg10=12.50 avg60=4.00 avg300=1.00 total=2500000\nfull avg10=10.00 avg60=3.00 avg300=0.80 total=2000000\n');
    assert.deepEqual(r, {
      some: { avg10: 12.5, avg60: 4, avg300: 1, total: 2500000, delta: null },
      full: { avg10: 10, avg60: 3, avg300: 0.8, total: 2000000, delta: null },
    });
  });

  it('gives total deltas against the previous sample, and counts from zero when the total went down', () => {
    const first = parsePsi('some avg10=0.00 avg60=0.00 avg300=0.00 total=100\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=50\n')!;
    const second = parsePsi('some avg10=1.00 avg60=0.00 avg300=0.00 total=350\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=50\n', first)!;
    assert.equal(second.some.delta, 250);
    assert.equal(second.full?.delta, 0);
    const reset = parsePsi('some avg10=0.00 avg60=0.00 avg300=0.00 total=20\n', second)!;
    assert.equal(reset.some.delta, 20);
  });

  it('takes a host CPU file without a full line (kernels before 5.13) and refuses text that is not PSI', () => {
    assert.equal(parsePsi('some avg10=0.00 avg60=0.00 avg300=0.00 total=7\n')?.full, undefined);
    assert.equal(parsePsi(''), undefined);
    assert.equal(parsePsi('some avg10=x avg60=0 avg300=0 total=1'), undefined);
  });

  it('reads memory limits: "max" and v1\'s page-rounded 2^63 mean no limit', () => {
    assert.equal(parseLimit('max\n'), null);
    assert.equal(parseLimit('9223372036854771712\n'), null);
    assert.equal(parseLimit('33554432\n'), 33554432);
  });
});

describe('pressure: cgroup discovery', () => {
  it('parses mountinfo with escaped mount points and optional fields', () => {
    const m = parseMountinfo('40 30 0:37 / /sys/fs/cgroup/my\\040unified rw,relatime shared:1 master:2 - cgroup2 cgroup2 rw\n');
    assert.deepEqual(m, [{ root: '/', mountPoint: '/sys/fs/cgroup/my unified', fsType: 'cgroup2', superOptions: ['rw'] }]);
  });

  it('tells pure v2, hybrid and v1-only hosts apart from their mounts', () => {
    assert.equal(cgroupVersion(readCgroupMounts(path.join(HOSTS, '6.1-v2-nydus'))), 'v2');
    assert.equal(cgroupVersion(readCgroupMounts(path.join(HOSTS, '6.18-hybrid'))), 'hybrid');
    assert.equal(cgroupVersion(readCgroupMounts(path.join(HOSTS, '5.15-v1only'))), 'v1');
    assert.equal(cgroupVersion(readCgroupMounts(path.join(os.tmpdir(), 'no-such-root'))), 'none');
    // name=systemd is a named hierarchy, not a controller
    assert.equal(readCgroupMounts(path.join(HOSTS, '5.15-v1only')).v1.has('name=systemd'), false);
  });

  it('finds a container on a hybrid host under the unified mount\'s docker/<id>/, with memory from v1', () => {
    const root = path.join(HOSTS, '6.18-hybrid');
    const dirs = processCgroupDirs(4242, readCgroupMounts(root), root);
    assert.equal(dirs.unified, path.join(root, 'sys/fs/cgroup/unified/docker', CID));
    assert.equal(dirs.memoryV1, path.join(root, 'sys/fs/cgroup/memory/docker', CID));
    assert.deepEqual(dirs.missing, []);
  });

  it('finds a container on pure v2 with the systemd driver (system.slice/docker-<id>.scope)', () => {
    const root = path.join(HOSTS, '6.1-v2-nydus');
    const dirs = processCgroupDirs(4242, readCgroupMounts(root), root);
    assert.equal(dirs.unified, path.join(root, 'sys/fs/cgroup/system.slice', `docker-${CID}.scope`));
    assert.equal(dirs.memoryV1, undefined);
  });

  it('says plainly on a v1-only host that there is no cgroup2 hierarchy, and still finds v1 memory', () => {
    const root = path.join(HOSTS, '5.15-v1only');
    const dirs = processCgroupDirs(4242, readCgroupMounts(root), root);
    assert.equal(dirs.unified, undefined);
    assert.match(dirs.missing.join('\n'), /no cgroup2 hierarchy is mounted \(a cgroup v1-only host\)/);
    assert.equal(dirs.memoryV1, path.join(root, 'sys/fs/cgroup/memory/docker', CID));
  });

  it('names a process that is gone, and a cgroup outside a sub-tree mount', () => {
    const root = path.join(HOSTS, '6.18-hybrid');
    assert.match(processCgroupDirs(999999, readCgroupMounts(root), root).missing[0], /\/proc\/999999\/cgroup cannot be read \(ENOENT\)/);
    // cgroup2 mounted from a sub-tree (/docker) at /sys/fs/cgroup, as inside a container
    const mounts = cgroupMounts(parseMountinfo('26 22 0:23 /docker /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n'));
    assert.equal(cgroupDir('/', mounts.unified!, parseProcCgroup('0::/docker/abc\n').unified!), '/sys/fs/cgroup/abc');
    assert.equal(cgroupDir('/', mounts.unified!, parseProcCgroup('0::/system.slice/x.scope\n').unified!), undefined);
  });
});

describe('pressure: the sampler', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'hb-pressure-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  function copy(name: string): string {
    const root = path.join(tmp, name);
    cpSync(path.join(HOSTS, name), root, { recursive: true });
    return root;
  }

  it('samples the host and a hybrid host\'s containers: PSI from cgroup2, memory against the v1 limit', () => {
    const root = path.join(HOSTS, '6.18-hybrid');
    const s = new PressureSampler({ root });
    try {
      s.addContainer({ containerId: CID, name: 'busy', folder: '/work/busy', pid: 4242 });
      s.addContainer({ containerId: IDLE, name: 'idle', pid: 4343 });
      const x = s.sample();
      assert.equal(x.intervalMs, null);
      assert.equal(x.host.cpu?.some.avg10, 1.5);
      assert.equal(x.host.memory?.some.delta, null);
      const [busy, idle] = x.containers;
      assert.equal(busy.folder, '/work/busy');
      assert.equal(busy.cgroupDir, path.join(root, 'sys/fs/cgroup/unified/docker', CID));
      assert.equal(busy.memory?.some.avg10, 12.5);
      assert.equal(busy.memory?.full?.total, 2000000);
      assert.deepEqual(busy.memoryUsage, { usage: 30408704, limit: 33554432 });
      assert.deepEqual(busy.missing, []);
      assert.equal(idle.memory?.some.avg10, 0);
      assert.deepEqual(idle.memoryUsage, { usage: 626688, limit: null });
    } finally {
      s.dispose();
    }
  });

  it('prints a table hb pressure users can read: averages, each second\'s stall share with --watch, memory against the limit', () => {
    const root = copy('6.18-hybrid');
    const s = new PressureSampler({ root });
    try {
      s.addContainer({ containerId: CID, name: 'busy', pid: 4242 });
      s.addContainer({ containerId: IDLE, name: 'idle', pid: 4343 });
      const once = render(s.sample(), { isTTY: false, env: {} }, false);
      assert.match(once, /^ +CPU some +MEM some +MEM full +IO some +IO full +MEMORY$/m);
      assert.match(once, /^host +1\.50% +0\.00% +0\.00% +0\.10% +0\.05%$/m);
      assert.match(once, /^busy \(0123456789ab\) +0\.00% +12\.50% +10\.00% +0\.00% +0\.00% +29\.0 MiB \/ 32\.0 MiB \(91%\)$/m);
      assert.match(once, /^idle \(fedcba987654\) .* 0\.6 MiB \(no limit\)$/m);
      // a quarter of a second of memory stalls in the next sample: 25 % of that interval
      const dir = path.join(root, 'sys/fs/cgroup/unified/docker', CID);
      s.sample();
      writeFileSync(path.join(dir, 'memory.pressure'), 'some avg10=20.00 avg60=5.00 avg300=1.00 total=2750000\nfull avg10=15.00 avg60=4.00 avg300=0.90 total=2000000\n');
      const y = s.sample();
      // the share is of the interval between the samples; fix it so the figure does not depend on timing
      y.intervalMs = 1000;
      assert.match(render(y, { isTTY: false, env: {} }, true), /^busy \(0123456789ab\) +0\.00% 0\.0% +20\.00% 25\.0% +15\.00% 0\.0% /m);
    } finally {
      s.dispose();
    }
  });

  it('reads memory.current and memory.max on pure v2', () => {
    const root = path.join(HOSTS, '6.1-v2-nydus');
    const s = new PressureSampler({ root, host: false });
    try {
      s.addContainer({ containerId: CID, name: 'busy', pid: 4242 });
      const [c] = s.sample().containers;
      assert.deepEqual(c.memoryUsage, { usage: 33030144, limit: 33554432 });
      assert.equal(c.io?.full?.total, 50);
    } finally {
      s.dispose();
    }
  });

  it('gives deltas from files kept open: new content of the same file is seen, a file put in its place is not', () => {
    const root = copy('6.18-hybrid');
    const s = new PressureSampler({ root });
    try {
      s.addContainer({ containerId: CID, name: 'busy', pid: 4242 });
      s.sample();
      const dir = path.join(root, 'sys/fs/cgroup/unified/docker', CID);
      // the kernel regenerates the file's content: same file, new text
      writeFileSync(path.join(dir, 'memory.pressure'), 'some avg10=20.00 avg60=5.00 avg300=1.00 total=2750000\nfull avg10=15.00 avg60=4.00 avg300=0.90 total=2100000\n');
      const second = s.sample();
      assert.notEqual(second.intervalMs, null);
      assert.equal(second.containers[0].memory?.some.delta, 250000);
      assert.equal(second.containers[0].memory?.full?.delta, 100000);
      assert.equal(second.containers[0].cpu?.some.delta, 0);
      // a different file at the same path: the sampler still reads the one it opened
      renameSync(path.join(dir, 'memory.pressure'), path.join(dir, 'old'));
      writeFileSync(path.join(dir, 'memory.pressure'), 'some avg10=99.00 avg60=99.00 avg300=99.00 total=99999999\n');
      const third = s.sample();
      assert.equal(third.containers[0].memory?.some.avg10, 20);
      assert.equal(third.containers[0].memory?.some.delta, 0);
    } finally {
      s.dispose();
    }
  });

  it('reads memory use every sample and the limit every tenth (a limit changes only with docker update)', () => {
    const root = copy('6.1-v2-nydus');
    const s = new PressureSampler({ root, host: false });
    try {
      s.addContainer({ containerId: CID, name: 'busy', pid: 4242 });
      assert.deepEqual(s.sample().containers[0].memoryUsage, { usage: 33030144, limit: 33554432 });
      const dir = path.join(root, 'sys/fs/cgroup/system.slice', `docker-${CID}.scope`);
      writeFileSync(path.join(dir, 'memory.current'), '40000000\n');
      writeFileSync(path.join(dir, 'memory.max'), '67108864\n');
      assert.deepEqual(s.sample().containers[0].memoryUsage, { usage: 40000000, limit: 33554432 });
      for (let i = 0; i < 8; i++) s.sample();
      assert.deepEqual(s.sample().containers[0].memoryUsage, { usage: 40000000, limit: 67108864 });
    } finally {
      s.dispose();
    }
  });

  it('says what is missing: no /proc/pressure (psi=0), no cgroup2 on a v1-only host, a process that is gone', () => {
    const psi0 = new PressureSampler({ root: path.join(HOSTS, '6.6-psi0') });
    try {
      const x = psi0.sample();
      assert.equal(x.host.cpu, undefined);
      assert.match(x.host.missing.join('\n'), /proc\/pressure\/cpu: missing/);
    } finally {
      psi0.dispose();
    }
    const v1 = new PressureSampler({ root: path.join(HOSTS, '5.15-v1only') });
    try {
      v1.addContainer({ containerId: CID, name: 'busy', pid: 4242 });
      v1.addContainer({ containerId: IDLE, name: 'gone', pid: 4343 });
      const [busy, gone] = v1.sample().containers;
      assert.equal(busy.memory, undefined);
      assert.match(busy.missing[0], /v1-only host/);
      // memory use still comes from the v1 controller
      assert.deepEqual(busy.memoryUsage, { usage: 104857600, limit: 536870912 });
      assert.match(gone.missing[0], /\/proc\/4343\/cgroup cannot be read/);
    } finally {
      v1.dispose();
    }
  });

  it('starts, calls subscribers every interval, stops, and re-adds a container with a new pid', async () => {
    const root = path.join(HOSTS, '6.18-hybrid');
    const s = new PressureSampler({ root, intervalMs: 20 });
    const seen: number[] = [];
    const off = s.subscribe((x) => seen.push(x.containers.length));
    try {
      s.addContainer({ containerId: CID, name: 'busy', pid: 4242 });
      s.start();
      assert.equal(s.running, true);
      await new Promise((r) => setTimeout(r, 75));
      s.stop();
      assert.equal(s.running, false);
      const n = seen.length;
      assert.ok(n >= 3, `expected at least 3 samples in 75 ms at 20 ms, got ${n}`);
      assert.ok(seen.every((c) => c === 1));
      await new Promise((r) => setTimeout(r, 45));
      assert.equal(seen.length, n, 'no samples after stop()');
      s.addContainer({ containerId: CID, name: 'busy', pid: 4343 });
      assert.deepEqual(s.containerIds(), [CID]);
      assert.equal(s.sample().containers[0].memory?.some.avg10, 0, 're-added with the idle pid: its cgroup is read now');
      off();
      s.start();
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(seen.length, n, 'an unsubscribed listener gets nothing');
    } finally {
      s.dispose();
    }
  });
});
