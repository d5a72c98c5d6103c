// bench/seccomp: the figures of issue 15 for a Node HTTP app (bench/seccomp/app.js, in the
// Node image the engine tests build from this machine's node).
//
//   node esbuild.mjs && node --import tsx bench/seccomp/run.ts [--runs N]
//
//  1. Record the app serving mix A, generate: syscalls allowed, beside the distinct calls it made
//     and a reference profile's count on x86_64 (same resolver), and generate's time.
//  2. Three enforced replays (validate) with mixes B, C, D: zero denials and the app's answers right.
//  3. Recording overhead: the wall time of a fixed mix of requests traced and not, medians of N (5).
import { promises as fs, existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { connectEngine } from '../../src/engine/runtime/docker';
import { generateSeccomp, recordSeccomp, validateSeccomp } from '../../src/engine/seccomp/ops';
import { resolveNames } from '../../src/engine/seccomp/resolver';
import { RECORDING_PROFILE, runWorkload } from '../../src/engine/seccomp/run';
import { nodeImage } from '../../test/engine/images';

async function main(): Promise<void> {
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const root = await fs.mkdtemp(path.join(os.tmpdir(), 'hb-bench-seccomp-'));
const env = { ...process.env, HB_CACHE_DIR: path.join(root, 'cache'), HB_CONFIG_DIR: path.join(root, 'config') };
const folder = path.join(root, 'app');
await fs.mkdir(path.join(folder, '.devcontainer'), { recursive: true });
await fs.copyFile(path.join(__dirname, 'app.js'), path.join(folder, 'app.js'));
await fs.writeFile(path.join(folder, '.devcontainer', 'devcontainer.json'), JSON.stringify({ image: nodeImage(), workspaceFolder: '/app', workspaceMount: `source=${folder},target=/app,type=bind` }));
const up = spawnSync(process.execPath, ['dist/cli.js', 'up', folder, '--trust'], { env, encoding: 'utf8' });
if (up.status !== 0) throw new Error(up.stderr);
const command = ['node', '/app/app.js'];
const report = { step() {}, info() {}, warn: (m: string) => console.error(`warning: ${m}`), output() {} };
const engine = await connectEngine(env);

async function get(ip: string, p: string, init?: RequestInit): Promise<string> {
  const r = await fetch(`http://${ip}:8080${p}`, init);
  const t = await r.text();
  if (r.status !== 200) throw new Error(`${p}: HTTP ${r.status} ${t}`);
  return t;
}
async function ready(ip: string) {
  for (let i = 0; i < 200; i++) {
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
  A: async (ip) => {
    for (let i = 0; i < 100; i++) {
      check((await get(ip, '/')) === 'ok', '/');
      check(JSON.parse(await get(ip, `/json?n=${i}`)).n === i, '/json');
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
// the reference: this host has no file of Docker's default profile (dockerd 20.10 embeds it);
// containers-common's /usr/share/containers/seccomp.json (Podman's default, derived from Docker's)
// is counted when present, labelled as what it is
let reference = 'no default profile file on this host';
const ref = '/usr/share/containers/seccomp.json';
if (existsSync(ref)) {
  const p = JSON.parse(readFileSync(ref, 'utf8')) as { syscalls: { names: string[]; action: string; includes?: { arches?: string[] }; excludes?: unknown }[] };
  const names = [...new Set(p.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && (!r.includes?.arches || r.includes.arches.includes('amd64'))).flatMap((r) => r.names))];
  const table = await resolveNames(names, ['x86_64'], env);
  const n = names.filter((x) => table.get(x)!.get('x86_64')! >= 0).length;
  reference = `${n} (containers-common's ${ref}, allow rules for amd64 or all arches, names that are syscalls on x86_64)`;
}
console.log(`Node HTTP app: ${gen.allowed.length} syscalls allowed (goal ≤ 70); the workload made ${gen.distinct} distinct calls; reference default profile: ${reference}`);
console.log(`recording: ${rec.calls} calls in ${(rec.durationMs / 1000).toFixed(1)} s; generate took ${genMs.toFixed(0)} ms (goal ≤ 1000)`);

// 2. three enforced replays with other mixes
for (const m of (process.env.ONLY ? [process.env.ONLY] : ["B", "C", "D"])) {
  const v = await validateSeccomp({ engine, folder, env, command, trusted: true, report, drive: driven(mixes[m]) });
  console.log(`replay ${m}: ${v.denials.length} denials${v.denials.length ? ` (${v.denials.map((d) => `${d.name} by ${d.processes.join(',')}`).join('; ')})` : ''}, app checks passed, exit ${v.ended === 'stopped' ? 'stopped by SIGTERM' : v.exitCode}`);
}

// 3. overhead: the fixed mix A, traced and not
const traced: number[] = [];
const plain: number[] = [];
for (let i = 0; i < runs; i++) {
  await runWorkload({ engine, folder, env, command, trusted: true, report, profile: RECORDING_PROFILE, trace: false, drive: driven(mixes.A, plain) });
  await runWorkload({ engine, folder, env, command, trusted: true, report, profile: RECORDING_PROFILE, drive: driven(mixes.A, traced) });
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`overhead: mix A (200 requests) median ${median(plain).toFixed(0)} ms untraced, ${median(traced).toFixed(0)} ms recorded: ${(median(traced) / median(plain)).toFixed(2)}× (goal ≤ 2×), medians of ${runs}`);
spawnSync(process.execPath, ['dist/cli.js', 'down', folder], { env });
await fs.rm(root, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
