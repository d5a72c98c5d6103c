// Pressure for real: a container limited to 32 MiB that keeps re-reading a file three times that
// size thrashes its page cache (memory stalls it cannot avoid), beside an idle container. The
// sampler must see memory pressure in the first and none in the second, memory use against the
// 32 MiB limit from the cgroup, and the container going away; `hb pressure` and `hb doctor` report
// the same as real processes.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { ContainerPressure, DoctorReport, PressureSample } from '../../src/protocol';
import { PressureSampler } from '../../src/engine/pressure/sampler';
import { LABEL_CONFIG_FILE, LABEL_LOCAL_FOLDER } from '../../src/engine/runtime/create/labels';
import { hb, hbAsync, waitFor, workspace } from './helpers';
import { busyboxImage, docker, TEST_LABEL } from './images';

const LIMIT = 32 * 1024 * 1024;

/** A dev container made by hand (docker run) with the labels hb finds a folder's container by. */
function devContainer(folder: string, args: string[], cmd: string): { id: string; pid: number; name: string } {
  const name = `hb-pressure-${path.basename(folder)}`;
  const configFile = path.join(folder, '.devcontainer', 'devcontainer.json');
  const id = docker(['run', '-d', '--name', name, '--label', `${TEST_LABEL}=1`, '--label', `${LABEL_LOCAL_FOLDER}=${folder}`, '--label', `${LABEL_CONFIG_FILE}=${configFile}`, ...args, busyboxImage(), 'sh', '-c', cmd]).stdout.trim();
  const pid = Number(docker(['inspect', '-f', '{{.State.Pid}}', id]).stdout.trim());
  return { id, pid, name };
}

describe('pressure: memory pressure in a memory-limited container', function () {
  this.timeout(120_000);
  let busyFolder: string;
  let idleFolder: string;
  let busy: ReturnType<typeof devContainer>;
  let idle: ReturnType<typeof devContainer>;

  before(() => {
    busyFolder = workspace('pressure-busy', { image: busyboxImage() });
    idleFolder = workspace('pressure-idle', { image: busyboxImage() });
    // a 96 MiB file in a 32 MiB container, read over and over: every read evicts what the next needs
    busy = devContainer(busyFolder, ['--memory', '32m', '--memory-swap', '32m'], 'dd if=/dev/zero of=/big bs=1M count=96 2>/dev/null; while true; do cat /big > /dev/null; done');
    idle = devContainer(idleFolder, ['--memory', '32m'], 'sleep 600');
  });

  after(() => {
    for (const c of [busy, idle]) if (c) docker(['rm', '-f', c.id], { allowFail: true });
  });

  it('shows memory stalls in the stressed container\'s figures and not in the idle one\'s', async () => {
    const sampler = new PressureSampler({ intervalMs: 1000 });
    const samples: PressureSample[] = [];
    sampler.subscribe((s) => samples.push(s));
    try {
      sampler.addContainer({ containerId: busy.id, name: busy.name, folder: busyFolder, pid: busy.pid });
      sampler.addContainer({ containerId: idle.id, name: idle.name, folder: idleFolder, pid: idle.pid });
      sampler.start();
      const of = (s: PressureSample, id: string) => s.containers.find((c) => c.containerId === id) as ContainerPressure;
      // three samples in a row with memory stall time in the stressed container
      await waitFor(() => samples.length >= 4 && samples.slice(-3).every((s) => (of(s, busy.id).memory?.some.delta ?? 0) > 0), 30_000, 'memory stall deltas in the stressed container');
      const last = samples.slice(-3);
      for (const s of last) {
        const b = of(s, busy.id);
        const i = of(s, idle.id);
        assert.deepEqual(b.missing, [], `nothing missing for the stressed container: ${b.missing.join('; ')}`);
        assert.ok(b.cgroupDir && b.cgroupDir.endsWith(busy.id), `the stressed container's cgroup directory is its own: ${b.cgroupDir}`);
        assert.equal(i.memory?.some.delta, 0, `the idle container stalls on memory: ${JSON.stringify(i.memory)}`);
        assert.equal(i.memory?.full?.delta, 0);
        // memory use against the limit, from the cgroup
        assert.equal(b.memoryUsage?.limit, LIMIT);
        assert.ok(b.memoryUsage.usage > LIMIT / 2 && b.memoryUsage.usage <= LIMIT, `the stressed container uses most of its 32 MiB: ${b.memoryUsage.usage}`);
        assert.equal(i.memoryUsage?.limit, LIMIT);
        assert.ok(i.memoryUsage.usage < LIMIT / 4, `the idle container uses little: ${i.memoryUsage.usage}`);
        assert.ok(s.intervalMs! >= 500 && s.intervalMs! <= 3000, `samples about a second apart: ${s.intervalMs}`);
      }
      // the stressed container's stall total keeps growing past the idle one's, which stays put
      const first = samples[0];
      const end = samples[samples.length - 1];
      assert.ok(of(end, busy.id).memory!.some.total > of(first, busy.id).memory!.some.total);
      assert.equal(of(end, idle.id).memory!.some.total, of(first, idle.id).memory!.some.total);

      // the stressed container goes away: reported once as gone, then left out
      docker(['rm', '-f', busy.id]);
      await waitFor(() => samples.some((s) => of(s, busy.id)?.gone === true), 10_000, 'the removed container reported as gone');
      const goneAt = samples.findIndex((s) => of(s, busy.id)?.gone);
      assert.match(of(samples[goneAt], busy.id).missing[0], /the container stopped: its cgroup .* is gone/);
      await waitFor(() => samples.length > goneAt + 1, 5000, 'one more sample');
      assert.equal(of(samples[goneAt + 1], busy.id), undefined);
      assert.deepEqual(sampler.containerIds(), [idle.id]);
    } finally {
      sampler.dispose();
    }
  });

  it('hb pressure prints a folder\'s container, and --watch streams samples until Ctrl-C', async () => {
    const once = hb(['pressure', idleFolder, '--json']);
    assert.equal(once.code, 0, once.stderr);
    const sample = JSON.parse(once.stdout) as PressureSample;
    assert.deepEqual(sample.containers.map((c) => c.containerId), [idle.id]);
    assert.equal(sample.containers[0].folder, idleFolder);
    assert.equal(sample.containers[0].memoryUsage?.limit, LIMIT);
    assert.ok(sample.host.memory, 'the host\'s /proc/pressure/memory is read');

    const human = hb(['pressure', idleFolder]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`^${idle.name} \\(${idle.id.slice(0, 12)}\\)\\s+\\d+\\.\\d\\d%.*MiB / 32\\.0 MiB \\(\\d+%\\)$`, 'm'));

    const watch = hbAsync(['pressure', idleFolder, '--watch', '--json']);
    await new Promise((r) => setTimeout(r, 3500));
    watch.kill('SIGINT');
    const r = await watch;
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as PressureSample);
    assert.ok(lines.length >= 2, `at least two samples in 3.5 s: ${lines.length}`);
    assert.equal(lines[0].intervalMs, null);
    assert.ok(lines[1].intervalMs! > 0 && typeof lines[1].containers[0].memory?.some.delta === 'number');

    const none = hb(['pressure', path.join(idleFolder, '..'), '--json'], {});
    assert.equal(none.code, 1);
    assert.match(none.stderr, /hb pressure: .*(has no dev container|cannot be used)/);
  });

  it('hb doctor --json reports this host with the engine\'s own storage driver and runtimes', () => {
    const r = hb(['doctor', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as DoctorReport;
    assert.deepEqual(Object.keys(report), ['kernel', 'psi', 'cgroup', 'storage', 'runtimes', 'gpu', 'arch', 'recommendations']);
    const info = JSON.parse(docker(['info', '--format', '{{json .}}']).stdout) as { Driver: string; DefaultRuntime: string; KernelVersion: string };
    assert.equal(report.storage.engineDriver, info.Driver);
    assert.equal(report.kernel.release, info.KernelVersion);
    assert.ok(report.runtimes.registered?.some((x) => x.name === info.DefaultRuntime && x.isDefault));
    assert.equal(report.psi.available, 'yes', 'these machines have PSI on');
    assert.ok(report.cgroup.unified, 'a cgroup2 hierarchy is mounted here');
    const human = hb(['doctor']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^Recommended\s+\S+/m);
  });
});
