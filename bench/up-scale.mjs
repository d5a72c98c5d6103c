#!/usr/bin/env node
// bench/up-scale: what `hb up` and `hb status` cost as the workspace grows, against the reference
// `devcontainer up` (@devcontainers/cli) in the same run, on the same engine and local image.
//
//   node esbuild.mjs && node bench/up-scale.mjs [--sizes 1000,20000,100000] [--runs N] [--cold-runs N] [--no-ca | --ca-only] [--reference-buildkit]
//
// The workspace: N small files (100 to a folder) and a Dockerfile that does `COPY . /app` FROM the
// tests' busybox image (test/engine/images.ts, built locally: nothing is pulled). For each N:
//  - cold up: no container, no image, and a file new to each run (so no build cache serves it):
//    build + create + start (median of --cold-runs, default 3), with the 1-minute load average
//    before each run (reference | hyperbox); the reference builds as its docker CLI does by default
//    (here: the classic builder), --reference-buildkit adds a row with it on BuildKit
//    (DOCKER_BUILDKIT=1);
//  - up of the running container with nothing changed (median of --runs, default 5, after a warm-up);
//  - hb status on that container (the reference has no status; the column shows `-`);
//  - the drift check's own time: the "inputs hash" step of `hb up --json` (median).
// Each without and with NODE_EXTRA_CA_CERTS, with the ratio reference / hyperbox and the goals of
// issue 12 (drift check <= 30 ms at 20 000 files, <= 60 ms at 100 000; cold up >= 1.5x at 20 000).
// Work folders live in bench/.work/up-scale (removed at the end, with their containers and images).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(ROOT, 'bench', '.work', 'up-scale');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const REFERENCE = path.join(ROOT, 'node_modules', '.bin', 'devcontainer');
const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
const CA = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'].find((f) => existsSync(f));

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const SIZES = opt('--sizes', '1000,20000,100000').split(',').map(Number);
const RUNS = Number(opt('--runs', 5));
const COLD_RUNS = Number(opt('--cold-runs', 3));
const DRIFT_GOALS = { 20000: 30, 100000: 60 };
const COLD_GOAL = { 20000: 1.5 };

for (const [what, file] of [['dist/cli.js (run node esbuild.mjs)', CLI], ['the reference CLI (npm install)', REFERENCE]]) {
  if (!existsSync(file)) {
    console.error(`bench/up-scale: ${what} is missing: ${file}`);
    process.exit(1);
  }
}

function docker(argv, allowFail = false) {
  const r = spawnSync(DOCKER, argv, { encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) throw new Error(`docker ${argv.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

const tags = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test', 'engine', 'images.ts')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, HB_TEST_DOCKER: DOCKER } });
if (tags.status !== 0) {
  console.error(`bench/up-scale: could not build the local images:\n${tags.stderr}`);
  process.exit(1);
}
const busybox = tags.stdout.trim().split('\n').slice(-2)[0];

rmSync(WORK, { recursive: true, force: true });
const env = { ...process.env, HB_CACHE_DIR: path.join(WORK, 'cache'), HB_CONFIG_DIR: path.join(WORK, 'config'), HB_DOCKER_PATH: DOCKER };
delete env.NODE_EXTRA_CA_CERTS;

/** A workspace of n small files, 100 to a folder, and a Dockerfile that copies all of it. */
function workspace(tool, n) {
  const folder = path.join(WORK, `${tool}-${n}`);
  if (existsSync(folder)) return folder;
  mkdirSync(path.join(folder, '.devcontainer'), { recursive: true });
  writeFileSync(path.join(folder, '.devcontainer', 'devcontainer.json'), JSON.stringify({ build: { dockerfile: 'Dockerfile', context: '..' } }, null, 2));
  writeFileSync(path.join(folder, '.devcontainer', 'Dockerfile'), `FROM ${busybox}\nCOPY . /app\n`);
  writeFileSync(path.join(folder, '.dockerignore'), '.git\n*.log\n');
  for (let d = 0; d * 100 < n; d++) {
    const dir = path.join(folder, 'src', `d${d}`);
    mkdirSync(dir, { recursive: true });
    for (let i = d * 100; i < Math.min(n, (d + 1) * 100); i++) writeFileSync(path.join(dir, `f${i}.txt`), `file ${i}\n`);
  }
  return folder;
}

const TOOLS = {
  hyperbox: (folder, json) => [process.execPath, [CLI, 'up', folder, '--trust', ...(json ? ['--json'] : [])]],
  reference: (folder) => [REFERENCE, ['up', '--workspace-folder', folder, '--docker-path', DOCKER]],
  // --reference-buildkit: the reference with DOCKER_BUILDKIT=1, so its docker CLI builds with BuildKit too
  'reference-buildkit': (folder) => [REFERENCE, ['up', '--workspace-folder', folder, '--docker-path', DOCKER]],
};

function run(cmd, argv, withCa, extraEnv = {}) {
  const e = { ...env, ...extraEnv };
  if (withCa) e.NODE_EXTRA_CA_CERTS = CA;
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { env: e, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${argv.join(' ')} failed (${r.status}):\n${(r.stderr || r.stdout).slice(-2000)}`);
  return { s, stdout: r.stdout };
}

const containersOf = (folder) => docker(['ps', '-aq', '--filter', `label=devcontainer.local_folder=${folder}`]).split('\n').filter(Boolean);

/** Removes the folder's containers and the images they run, so the next up builds from scratch. */
function makeCold(folder) {
  const ids = containersOf(folder);
  const images = ids.map((id) => docker(['inspect', '--format', '{{.Image}}', id], true)).filter(Boolean);
  if (ids.length) docker(['rm', '-f', ...ids], true);
  for (const img of new Set(images)) docker(['rmi', '-f', img], true);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const load = () => loadavg()[0].toFixed(2);
let coldRun = 0;

function measureTool(tool, n, withCa, extraEnv = {}) {
  const folder = workspace(tool, n);
  const cold = [];
  const loads = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    makeCold(folder);
    // a file new to every cold run: no builder's cache (BuildKit keeps one apart from the images) can serve it
    writeFileSync(path.join(folder, '.bench-run'), `cold run ${++coldRun} ${process.pid} ${Date.now()}\n`);
    loads.push(load());
    cold.push(run(...TOOLS[tool](folder), withCa, extraEnv).s);
  }
  if (tool === 'reference-buildkit') return { cold: median(cold), coldLoad: loads.join('/') };
  const [cmd, argv] = TOOLS[tool](folder);
  run(cmd, argv, withCa);
  const running = [];
  for (let i = 0; i < RUNS; i++) running.push(run(cmd, argv, withCa).s);
  if (tool === 'reference') return { cold: median(cold), coldLoad: loads.join('/'), running: median(running) };
  const status = [];
  const drift = [];
  for (let i = 0; i < RUNS; i++) {
    status.push(run(process.execPath, [CLI, 'status', folder], withCa).s);
    const out = JSON.parse(run(...TOOLS.hyperbox(folder, true), withCa).stdout);
    const step = out.timings?.find((t) => t.step === 'inputs hash');
    if (!step) throw new Error(`hb up --json has no "inputs hash" timing: ${JSON.stringify(out.timings)}`);
    drift.push(step.ms);
  }
  return { cold: median(cold), coldLoad: loads.join('/'), running: median(running), status: median(status), driftMs: median(drift) };
}

const fmt = (s) => (s === undefined ? '-' : `${s.toFixed(2)} s`);
const ratio = (ref, hb) => `${(ref / hb).toFixed(2)}x`;
console.log(`bench/up-scale: medians of ${RUNS} runs (cold: ${COLD_RUNS}), sizes ${SIZES.join(', ')} files`);
console.log(`  engine: ${docker(['version', '--format', '{{.Server.Version}} (API {{.Server.APIVersion}})'])}, node ${process.version}, reference @devcontainers/cli ${JSON.parse(readFileSync(path.join(ROOT, 'node_modules', '@devcontainers', 'cli', 'package.json'), 'utf8')).version}`);
console.log(`  image: ${busybox}`);
const results = [];
try {
  for (const withCa of !CA || args.includes('--no-ca') ? [false] : args.includes('--ca-only') ? [true] : [false, true]) {
    console.log(`\n${withCa ? `with NODE_EXTRA_CA_CERTS=${CA}` : 'without NODE_EXTRA_CA_CERTS'}`);
    console.log(`  ${'files'.padStart(7)}  ${'what'.padEnd(16)} ${'reference'.padStart(10)} ${'hyperbox'.padStart(10)} ${'ratio'.padStart(7)}  goal`);
    for (const n of SIZES) {
      const ref = measureTool('reference', n, withCa);
      const hb = measureTool('hyperbox', n, withCa);
      const kit = args.includes('--reference-buildkit') ? measureTool('reference-buildkit', n, withCa, { DOCKER_BUILDKIT: '1' }) : undefined;
      results.push({ withCa, files: n, reference: ref, hyperbox: hb, ...(kit ? { referenceBuildKit: kit } : {}) });
      const goalCold = COLD_GOAL[n] ? `>= ${COLD_GOAL[n]}x: ${ref.cold / hb.cold >= COLD_GOAL[n] ? 'yes' : 'NO'}` : '';
      const goalDrift = DRIFT_GOALS[n] ? `<= ${DRIFT_GOALS[n]} ms: ${hb.driftMs <= DRIFT_GOALS[n] ? 'yes' : 'NO'}` : '';
      const row = (what, r, h, goal = '') => console.log(`  ${String(n).padStart(7)}  ${what.padEnd(16)} ${fmt(r).padStart(10)} ${fmt(h).padStart(10)} ${(r === undefined ? '-' : ratio(r, h)).padStart(7)}  ${goal}`);
      row('cold up', ref.cold, hb.cold, `${goalCold}${goalCold ? '  ' : ''}(load ${ref.coldLoad} | ${hb.coldLoad})`);
      if (kit) row('cold up, ref BK', kit.cold, hb.cold, `reference with DOCKER_BUILDKIT=1 (load ${kit.coldLoad})`);
      row('up, running', ref.running, hb.running, `(load ${load()})`);
      row('status, running', undefined, hb.status);
      console.log(`  ${String(n).padStart(7)}  ${'drift check'.padEnd(16)} ${'-'.padStart(10)} ${`${hb.driftMs.toFixed(1)} ms`.padStart(10)} ${'-'.padStart(7)}  ${goalDrift}${goalDrift ? '  ' : ''}(load ${load()})`);
    }
  }
} finally {
  // clean up: the bench folders' containers and images, and the work folder
  for (const tool of Object.keys(TOOLS)) for (const n of SIZES) makeCold(path.join(WORK, `${tool}-${n}`));
  rmSync(WORK, { recursive: true, force: true });
}
if (args.includes('--json')) console.log(JSON.stringify(results));
