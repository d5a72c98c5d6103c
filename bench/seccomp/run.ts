// bench/seccomp: the figures of issue 15 for a Node HTTP app (bench/seccomp/app.js, in the Node
// image the engine tests build from this machine's node) and a Python HTTP app (app.py: Flask, in
// the Python image built from Debian's python3 and python3-flask).
//
//   node esbuild.mjs && node --import tsx bench/seccomp/run.ts [--runs N] [--only node|python]
//
//  0. What Docker's own default profile allows on x86_64: measured from the filter runc loads for a
//     container started with the engine's defaults (engineDefault.ts), named with the same
//     resolver as the generated profiles; and, labelled as a stand-in, containers-common's file.
//  1. Per app: record it serving mix A, generate: syscalls allowed, beside the distinct calls it
//     made and Docker's default, and generate's time.
//  2. Three enforced replays (validate) with mixes B, C, D: zero denials and the app's answers right.
//  3. Recording overhead: the wall time of a fixed mix of requests recorded and not, medians of N
//     (5), for the default mechanism (the kernel's seccomp log) and for strace.
// The machine may be shared: every figure is printed with the load average at the time.
import { promises as fs, existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { connectEngine } from '../../src/engine/runtime/engine/docker';
import { measureEngineDefault } from '../../src/engine/seccomp/engineDefault';
import { generateSeccomp, loadRecordings, recordSeccomp, validateSeccomp } from '../../src/engine/seccomp/ops';
import { BASE_SET, mergeRecordings } from '../../src/engine/seccomp/profile';
import { resolveNames } from '../../src/engine/seccomp/resolver';
import { copiesRemoved, RECORDING_PROFILE, runWorkload } from '../../src/engine/seccomp/run';
import { LOG_RECORDING_PROFILE, seccompLogUnavailable } from '../../src/engine/seccomp/seccompLog';
import { busyboxImage, nodeImage, pythonImage } from '../../test/engine/images';

const load = () => `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;

async function main(): Promise<void> {
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const root = await fs.mkdtemp(path.join(os.tmpdir(), 'hb-bench-seccomp-'));
const env = { ...process.env, HB_CACHE_DIR: path.join(root, 'cache'), HB_CONFIG_DIR: path.join(root, 'config') };
const report = { step() {}, info() {}, warn: (m: string) => console.error(`warning: ${m}`), output() {} };
const engine = await connectEngine(env);

// 0. Docker's default profile on x86_64, measured; containers-common's copy as a labelled stand-in
const measured = await measureEngineDefault({ engine, env, image: busyboxImage(), cmd: ['sleep', '2'] });
console.log(`Docker's default profile: ${measured.allowed} syscalls allowed on ${measured.arch} (${measured.conditional.length} of them only for some arguments: ${measured.conditional.join(', ')}), measured: ${measured.how}`);
let standIn = 'not present';
const ref = '/usr/share/containers/seccomp.json';
if (existsSync(ref)) {
  const p = JSON.parse(readFileSync(ref, 'utf8')) as { syscalls: { names: string[]; action: string; includes?: { arches?: string[]; caps?: string[] } }[] };
  const names = [...new Set(p.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && (!r.includes?.arches || r.includes.arches.includes('amd64')) && !r.includes?.caps).flatMap((r) => r.names))];
  const table = await resolveNames(names, ['x86_64'], env);
  standIn = `${names.filter((x) => table.get(x)!.get('x86_64')! >= 0).length}`;
}
console.log(`stand-in, not Docker's: Podman's default from containers-common (${ref}), allow rules for amd64 or every arch without a capability condition, names that are syscalls on x86_64: ${standIn}`);

const APPS = [
  { key: 'node', label: 'Node HTTP app', image: nodeImage, file: 'app.js', command: ['node', '/app/app.js'], goal: 70 },
  { key: 'python', label: 'Python HTTP app (Flask)', image: pythonImage, file: 'app.py', command: ['python3', '/app/app.py'], goal: 75 },
].filter((a) => !only || a.key === only);

for (const app of APPS) {
  const folder = path.join(root, app.key);
  await fs.mkdir(path.join(folder, '.devcontainer'), { recursive: true });
  await fs.copyFile(path.join(__dirname, app.file), path.join(folder, app.file));
  await fs.writeFile(path.join(folder, '.devcontainer', 'devcontainer.json'), JSON.stringify({ image: app.image(), workspaceFolder: '/app', workspaceMount: `source=${folder},target=/app,type=bind` }));
  const up = spawnSync(process.execPath, ['dist/cli.js', 'up', folder, '--trust'], { env, encoding: 'utf8' });
  if (up.status !== 0) throw new Error(up.stderr);
  const command = app.command;

  async function get(ip: string, p: string, init?: RequestInit): Promise<string> {
    const r = await fetch(`http://${ip}:8080${p}`, init);
    const t = await r.text();
    if (r.status !== 200) throw new Error(`${p}: HTTP ${r.status} ${t}`);
    return t;
  }
  async function ready(ip: string) {
    // Python imports Flask through thousands of traced file calls: allow a minute to start
    for (let i = 0; i < 1200; i++) {
      try {
        return await get(ip, '/');
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error('the app never answered');
  }
  type Mix = (ip: string) => Promise<void>;
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`the app's check failed: ${what}`);
  };
  const mixes: Record<string, Mix> = {
    // the recorded mix: mostly / and /json, and every route at least a few times (a route the
    // recording never reaches — Python's /later sleeps, clock_nanosleep — is rightly blocked)
    A: async (ip) => {
      for (let i = 0; i < 100; i++) {
        check((await get(ip, '/')) === 'ok', '/');
        check(JSON.parse(await get(ip, `/json?n=${i}`)).n === i, '/json');
        if (i % 20 === 0) {
          check((await get(ip, `/hash?s=${i}`)).length === 64, '/hash');
          check((await get(ip, '/echo', { method: 'POST', body: `a${i}` })) === `A${i}`, '/echo');
          check(Number(await get(ip, '/file')) > 100, '/file');
          check((await get(ip, '/later')) === 'later', '/later');
        }
      }
    },
    B: async (ip) => {
      for (let i = 0; i < 50; i++) check((await get(ip, `/hash?s=${i}`)).length === 64, '/hash');
    },
    C: async (ip) => {
      await Promise.all(Array.from({ length: 40 }, async (_, i) => check((await get(ip, '/echo', { method: 'POST', body: `b${i}` })) === `B${i}`, '/echo')));
    },
    D: async (ip) => {
      for (let i = 0; i < 30; i++) {
        check(Number(await get(ip, '/file')) > 100, '/file');
        check((await get(ip, '/later')) === 'later', '/later');
      }
    },
  };
  const driven = (mix: Mix, timing?: number[]) => async (ip: string) => {
    await ready(ip);
    const t = performance.now();
    await mix(ip);
    timing?.push(performance.now() - t);
  };

  // 1. record and generate
  const rec = await recordSeccomp({ engine, folder, env, command, trusted: true, report, drive: driven(mixes.A) });
  const t0 = performance.now();
  const gen = await generateSeccomp({ folder, env });
  const genMs = performance.now() - t0;
  const writtenAfter = Date.now() - rec.workloadEndedAt;
  const made = gen.allowed.length;
  // who made what: the workload's own program (node, python3.x) against the container's other
  // processes (the runtime's init, the keep-alive, HyperBox's environment probe)
  const calls = mergeRecordings(await loadRecordings(env, rec.workspaceFolder));
  const own = (p: string) => path.posix.basename(p.split(' ')[0]).startsWith(path.posix.basename(command[0]));
  const workloadOwn = calls.filter((c) => c.programs!.some(own)).map((c) => c.name);
  const others = new Map<string, string[]>();
  for (const c of calls) if (!c.programs!.some(own)) others.set(c.programs!.join(' + '), [...(others.get(c.programs!.join(' + ')) ?? []), c.name]);
  const base = BASE_SET.map((b) => b.name).filter((n) => !calls.some((c) => c.name === n));
  console.log(`${app.label}: ${made} syscalls allowed (goal ≤ ${app.goal}); the workload itself (${command[0]}) made ${workloadOwn.length} distinct calls (the floor for any profile that runs it); with the container's other processes ${gen.distinct} distinct calls were recorded${gen.refused.length ? `, ${gen.refused.length} kept refused (${gen.refused.join(', ')})` : ''}${base.length ? `, plus the base set's unrecorded ${base.join(', ')}` : ''}; Docker's default allows ${measured.allowed} on ${measured.arch}: ${(100 * (1 - made / measured.allowed)).toFixed(0)} % fewer (${load()})`);
  for (const [who, names] of [...others].sort()) console.log(`  only ${who}: ${names.length} (${names.join(' ')})`);
  if (process.env.BENCH_PROGRAMS) {
    const programs = [...new Set(calls.flatMap((c) => c.programs!))].sort();
    for (const p of programs) console.log(`  ${p} made: ${calls.filter((c) => c.programs!.includes(p)).map((c) => c.name).join(' ')}`);
  }
  console.log(`${app.label} recording (${rec.mechanism}): ${rec.calls} calls in ${(rec.durationMs / 1000).toFixed(1)} s; the profile was written ${writtenAfter} ms after the workload's process ended (stopping the copy, reading the record, generate: ${genMs.toFixed(0)} ms of it) (goal ≤ 1000) (${load()})`);

  // 2. three enforced replays with other mixes
  for (const m of (process.env.ONLY ? [process.env.ONLY] : ["B", "C", "D"])) {
    const v = await validateSeccomp({ engine, folder, env, command, trusted: true, report, drive: driven(mixes[m]) });
    console.log(`${app.label} replay ${m}: ${v.denials.length} denials${v.denials.length ? ` (${v.denials.map((d) => `${d.name} by ${d.processes.join(',')}`).join('; ')})` : ''}, app checks passed, exit ${v.ended === 'stopped' ? 'stopped by SIGTERM' : v.exitCode}, the container's own process ${v.ownProcessExit === null ? 'stayed up' : `exited with ${v.ownProcessExit}`} (${load()})`);
  }

  // 3. overhead: the fixed mix A, recorded (the kernel's seccomp log; strace) and not, interleaved
  const logWhy = await seccompLogUnavailable();
  const plain: number[] = [];
  const logged: number[] = [];
  const traced: number[] = [];
  for (let i = 0; i < runs; i++) {
    await runWorkload({ engine, folder, env, command, trusted: true, report, profile: RECORDING_PROFILE, trace: false, drive: driven(mixes.A, plain) });
    if (!logWhy) await runWorkload({ engine, folder, env, command, trusted: true, report, mechanism: 'seccomp-log', profile: LOG_RECORDING_PROFILE, drive: driven(mixes.A, logged) });
    await runWorkload({ engine, folder, env, command, trusted: true, report, mechanism: 'strace', profile: RECORDING_PROFILE, drive: driven(mixes.A, traced) });
    // the copies' removal goes on after each run: done before the next round, so it does not weigh on it
    await copiesRemoved();
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const all = (a: number[]) => a.map((x) => x.toFixed(0)).join(' ');
  console.log(`${app.label} mix A (220 requests) not recorded: median ${median(plain).toFixed(0)} ms of ${runs} (${all(plain)}) (${load()})`);
  if (logWhy) console.log(`${app.label} overhead with the kernel's seccomp log: not measured, the log cannot be read here: ${logWhy}`);
  else console.log(`${app.label} overhead recorded with the kernel's seccomp log (the default): median ${median(logged).toFixed(0)} ms (${all(logged)}): ${(median(logged) / median(plain)).toFixed(2)}× (goal ≤ 2×), medians of ${runs} (${load()})`);
  console.log(`${app.label} overhead recorded with strace (--strace): median ${median(traced).toFixed(0)} ms (${all(traced)}): ${(median(traced) / median(plain)).toFixed(2)}×, medians of ${runs} (${load()})`);
  spawnSync(process.execPath, ['dist/cli.js', 'down', folder], { env });
}
await copiesRemoved();
await fs.rm(root, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
