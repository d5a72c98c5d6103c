// bench/pressure: the figures of issue 16.
//
//   node esbuild.mjs && node --import tsx bench/pressure/run.ts [--containers N] [--seconds S] [--runs R] [--trials T]
//
//  1. `hb doctor --json` (node dist/cli.js): median wall time of R runs (default 15) without and
//     with NODE_EXTRA_CA_CERTS, against 300 ms; `node -e ""` beside it, since on a busy machine Node's
//     own start is most of it.
//  2. The collector's CPU: N idle containers (default 50, busybox sleep), then two Node processes
//     (bench/pressure/collector.ts) side by side for S seconds (default 60, after 5 s of warm-up):
//     one samples all N at 1 Hz and serializes each sample as the engine would, one only holds the
//     sampler. User+sys CPU of the first minus the second, as % of one core, against 0.5 %.
//  3. Latency: a 32 MiB container with a 96 MiB file; T times (default 5) a stressor starts
//     re-reading it, and the time from its start (its /proc/uptime, the same clock as the host's)
//     to the first sample with a nonzero memory stall delta for that container, against 1.5 s.
// Everything it starts is removed at the end (also on Ctrl-C). Not part of the tests' pass/fail.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PressureSampler, type PressureTarget } from '../../src/engine/pressure/sampler';
import type { PressureSample } from '../../src/protocol';
import { busyboxImage, docker, DOCKER, TEST_LABEL } from '../../test/engine/images';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const CA = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'].find((f) => existsSync(f));
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const CONTAINERS = arg('--containers', 50);
const SECONDS = arg('--seconds', 60);
const RUNS = arg('--runs', 15);
const TRIALS = arg('--trials', 5);
const BENCH_LABEL = 'hyperbox.bench=pressure';

if (!existsSync(CLI)) {
  console.error(`bench/pressure: ${CLI} is missing: run node esbuild.mjs first.`);
  process.exit(1);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const started: string[] = [];
function cleanup(): void {
  if (!started.length) return;
  docker(['rm', '-f', ...started.splice(0)], { allowFail: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

function run(args: string[]): string {
  const id = docker(['run', '-d', '--label', `${TEST_LABEL}=1`, '--label', BENCH_LABEL, ...args]).stdout.trim();
  started.push(id);
  return id;
}

function runAsync(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER, ['run', '-d', '--label', `${TEST_LABEL}=1`, '--label', BENCH_LABEL, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    child.on('close', (code) => {
      const id = out.trim();
      if (id) started.push(id);
      if (code === 0) resolve(id);
      else reject(new Error(`docker run failed (${code}): ${err.trim()}`));
    });
  });
}

function target(id: string): PressureTarget {
  const [pid, name] = docker(['inspect', '-f', '{{.State.Pid}} {{.Name}}', id]).stdout.trim().split(' ');
  return { containerId: id, name: name.replace(/^\//, ''), pid: Number(pid) };
}

function doctorTimes(withCa: boolean): { doctor: number; node: number } {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  if (withCa && CA) env.NODE_EXTRA_CA_CERTS = CA;
  const time = (argv: string[]) => {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, argv, { env, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`node ${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
    return ms;
  };
  time([CLI, 'doctor', '--json']);
  const doctor: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    doctor.push(time([CLI, 'doctor', '--json']));
    node.push(time(['-e', '']));
  }
  return { doctor: median(doctor), node: median(node) };
}

/** The engine's own /info time over its socket: most of the doctor's time beyond Node's start. */
async function infoMs(): Promise<number> {
  const { request } = await import('node:http');
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const t = performance.now();
      const req = request({ socketPath: '/var/run/docker.sock', path: '/info' }, (res) => {
        res.resume();
        res.on('end', () => resolve(performance.now() - t));
      });
      req.on('error', reject);
      req.end();
    });
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) xs.push(await once());
  return median(xs);
}

function collector(targets: PressureTarget[], on: boolean): Promise<{ cpuMs: number; wallMs: number; samples: number; read: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'collector.ts'), on ? '--on' : '--off', '--seconds', String(SECONDS)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`collector ${on ? '--on' : '--off'} exited ${code}`))));
    child.stdin.end(JSON.stringify(targets));
  });
}

const uptime = () => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);

async function latency(image: string): Promise<number[]> {
  const id = run(['--memory', '32m', '--memory-swap', '32m', image, 'sh', '-c', 'dd if=/dev/zero of=/big bs=1M count=96 2>/dev/null; touch /ready; sleep 100000']);
  const sampler = new PressureSampler({ host: false });
  sampler.addContainer(target(id));
  const samples: PressureSample[] = [];
  sampler.subscribe((s) => samples.push(s));
  sampler.start();
  const delta = (s: PressureSample) => s.containers[0]?.memory?.some.delta ?? 0;
  const waitUntil = async (check: () => boolean, ms: number, what: string) => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error(`bench/pressure: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const quiet = () => samples.length >= 3 && samples.slice(-3).every((s) => delta(s) === 0);
  const out: number[] = [];
  try {
    await waitUntil(() => docker(['exec', id, 'test', '-e', '/ready'], { allowFail: true }).code === 0, 60_000, 'the 96 MiB file');
    for (let i = 0; i < TRIALS; i++) {
      await waitUntil(quiet, 30_000, 'no memory stalls before the stressor');
      const before = samples.length;
      // the stressor notes its start on the kernel's clock, which the host shares
      docker(['exec', '-d', id, 'sh', '-c', 'echo $$ > /stress.pid; cut -d" " -f1 /proc/uptime > /stress.start; while true; do cat /big > /dev/null; done']);
      await waitUntil(() => samples.slice(before).some((s) => delta(s) > 0), 15_000, 'a nonzero memory stall delta');
      const hit = samples.slice(before).find((s) => delta(s) > 0)!;
      const startUptime = Number(docker(['exec', id, 'cat', '/stress.start']).stdout.trim());
      // the sample's wall time, moved onto the uptime clock
      const hitUptime = uptime() - (Date.now() - Date.parse(hit.time)) / 1000;
      out.push((hitUptime - startUptime) * 1000);
      docker(['exec', id, 'sh', '-c', 'kill $(cat /stress.pid); pkill cat; true'], { allowFail: true });
    }
  } finally {
    sampler.dispose();
  }
  return out;
}

async function main(): Promise<void> {
  const image = busyboxImage();
  console.log(`bench/pressure: node ${process.version}, ${docker(['version', '--format', 'Docker {{.Server.Version}}']).stdout.trim()}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);

  console.log(`\n1. hb doctor --json, median of ${RUNS} runs (goal: 300 ms without NODE_EXTRA_CA_CERTS)`);
  for (const withCa of CA ? [false, true] : [false]) {
    const t = doctorTimes(withCa);
    console.log(`  ${(withCa ? 'with NODE_EXTRA_CA_CERTS' : 'without NODE_EXTRA_CA_CERTS').padEnd(28)} ${t.doctor.toFixed(0).padStart(5)} ms  (node -e "": ${t.node.toFixed(0)} ms)${withCa ? '' : `  ${t.doctor <= 300 ? 'met' : 'NOT met'}`}`);
  }
  console.log(`  the engine's /info alone (the doctor's one engine request): median ${(await infoMs()).toFixed(0)} ms`);

  console.log(`\n2. collector CPU with ${CONTAINERS} idle containers over ${SECONDS} s (goal: 0.5 % of one core)`);
  const t0 = Date.now();
  // ten at a time: the engine starts them faster side by side than one by one
  for (let i = 0; i < CONTAINERS; i += 10) {
    const batch = Array.from({ length: Math.min(10, CONTAINERS - i) }, () => runAsync([image, 'sleep', '100000']));
    await Promise.all(batch);
  }
  const targets = started.map(target);
  console.log(`  started ${CONTAINERS} containers in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const [on, off] = await Promise.all([collector(targets, true), collector(targets, false)]);
  const pct = ((on.cpuMs - off.cpuMs) / on.wallMs) * 100;
  console.log(`  with the sampler:    ${on.cpuMs.toFixed(0)} ms CPU in ${(on.wallMs / 1000).toFixed(1)} s, ${on.samples} samples, ${on.read}/${CONTAINERS} containers read in the last`);
  console.log(`  without the sampler: ${off.cpuMs.toFixed(0)} ms CPU`);
  console.log(`  collector: ${pct.toFixed(3)} % of one core (${((on.cpuMs - off.cpuMs) / Math.max(1, on.samples)).toFixed(2)} ms per sample)  ${pct <= 0.5 ? 'met' : 'NOT met'}`);
  cleanup();

  console.log(`\n3. stressor start -> nonzero memory stall delta, ${TRIALS} trials at 1 Hz (goal: 1.5 s)`);
  const ms = await latency(image);
  const worst = Math.max(...ms);
  console.log(`  ${ms.map((x) => `${x.toFixed(0)} ms`).join(', ')}`);
  console.log(`  median ${median(ms).toFixed(0)} ms, worst ${worst.toFixed(0)} ms  ${worst <= 1500 ? 'met' : 'NOT met'}`);
}

main()
  .catch((e) => {
    console.error(`bench/pressure: ${(e as Error).stack ?? e}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
