#!/usr/bin/env node
// Project detection benchmark (issue 3). Run `node esbuild.mjs` first, then:
//
//   node bench/detect/run.mjs [--runs N] [--keep]
//
// Generates a 100 000-file monorepo in a temp folder (node_modules, .git objects, build output
// and sources, like a real checkout) and a second tree with 100 000 files in one folder, then
// prints, against the targets:
//   - detection time inside the process (median of N runs after warm-up),
//   - files opened by detection (counted by instrumenting node:fs, and by strace when present),
//   - the whole `node dist/cli.js detect <tree> --json` command, with and without
//     NODE_EXTRA_CA_CERTS (the variable costs every Node start on machines that set it),
//   - accuracy (language, framework, package manager) over test/fixtures/projects.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(REPO, 'dist', 'cli.js');
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1]) || 31;
const KEEP = args.includes('--keep');
const TARGETS = { detectMs: 50, filesOpened: 200, commandMs: 150, language: 0.95, framework: 0.85 };

if (!fs.existsSync(CLI)) {
  console.error(`${CLI} is missing. Build first: node esbuild.mjs (in ${REPO}).`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// The detection code, bundled once so it runs in this process exactly as the CLI runs it.
const esbuild = await import('esbuild');
const workDir = path.join(REPO, 'bench', '.work');
fs.mkdirSync(workDir, { recursive: true });
const bundle = path.join(workDir, 'detect-bundle.cjs');
await esbuild.build({
  entryPoints: [path.join(REPO, 'src', 'engine', 'project', 'detect.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: bundle,
  mainFields: ['module', 'main'],
  logLevel: 'warning',
});
const require = createRequire(import.meta.url);
const { detectProject } = require(bundle);

// ---------------------------------------------------------------------------------------------
// Trees
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-bench-detect-'));
let fileCount = 0;
const write = (p, text = '') => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  fileCount++;
};
/**
 * `n` empty files in `dir`, fast: hard links to one empty file (a directory entry each, no new
 * inode), a new template every 60 000 links (ext4 allows 65 000 per inode).
 */
let template = null;
let templateLinks = 0;
const fill = (dir, n, prefix = 'f', ext = '.js') => {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    if (!template || templateLinks >= 60_000) {
      template = path.join(tmp, `.template-${fileCount}-${i}`);
      fs.writeFileSync(template, '');
      templateLinks = 0;
    }
    fs.linkSync(template, path.join(dir, `${prefix}${i}${ext}`));
    templateLinks++;
  }
  fileCount += n;
};

function makeMonorepo(root) {
  const j = (o) => JSON.stringify(o, null, 2);
  write(path.join(root, 'package.json'), j({ name: 'acme', private: true, packageManager: 'pnpm@9.6.0', scripts: { dev: 'turbo run dev', build: 'turbo run build' }, devDependencies: { turbo: '^2.0.0', typescript: '^5.5.0' } }));
  write(path.join(root, 'pnpm-workspace.yaml'), "packages:\n  - 'apps/*'\n  - 'packages/*'\n");
  write(path.join(root, 'pnpm-lock.yaml'), "lockfileVersion: '9.0'\n");
  write(path.join(root, 'turbo.json'), '{}');
  write(path.join(root, 'tsconfig.json'), '{}');
  write(path.join(root, 'README.md'), '# acme\n\npnpm install\n');
  write(path.join(root, '.devcontainer', 'devcontainer.json'), j({ image: 'mcr.microsoft.com/devcontainers/typescript-node:22' }));
  // dependencies: 2 000 packages x 25 files (never looked into)
  for (let p = 0; p < 2000; p++) {
    const pkg = path.join(root, 'node_modules', '.pnpm', `pkg${p}@1.0.0`, 'node_modules', `pkg${p}`);
    write(path.join(pkg, 'package.json'), j({ name: `pkg${p}`, version: '1.0.0' }));
    fill(path.join(pkg, 'lib'), 24);
  }
  // version control: 256 object folders x 40
  for (let o = 0; o < 256; o++) fill(path.join(root, '.git', 'objects', o.toString(16).padStart(2, '0')), 40, 'obj', '');
  // apps and packages with deep source trees and build output
  const apps = {
    'apps/web': { deps: { next: '14.2.0', react: '18.3.0', 'react-dom': '18.3.0' }, scripts: { dev: 'next dev' }, out: '.next' },
    'apps/api': { deps: { '@nestjs/core': '10.3.0', '@nestjs/common': '10.3.0' }, scripts: { dev: 'nest start --watch' }, out: 'dist' },
    'apps/admin': { deps: { react: '18.3.0', 'react-dom': '18.3.0' }, dev: { vite: '5.3.0' }, scripts: { dev: 'vite' }, out: 'dist' },
    'packages/ui': { deps: {}, peer: { react: '>=18' }, out: 'dist' },
    'packages/utils': { deps: {}, out: 'dist' },
    'packages/config': { deps: {}, out: 'build' },
  };
  for (const [rel, a] of Object.entries(apps)) {
    const dir = path.join(root, rel);
    write(path.join(dir, 'package.json'), j({ name: path.basename(rel), scripts: a.scripts, dependencies: a.deps, devDependencies: a.dev, peerDependencies: a.peer, main: a.scripts ? undefined : 'dist/index.js' }));
    write(path.join(dir, 'tsconfig.json'), '{}');
    for (let m = 0; m < 20; m++) for (let s = 0; s < 10; s++) fill(path.join(dir, 'src', `module${m}`, `feature${s}`, 'components'), 27, 'c', '.tsx');
    for (let b = 0; b < 20; b++) fill(path.join(dir, a.out, `chunk${b}`), 50);
  }
  for (let d = 0; d < 20; d++) fill(path.join(root, 'docs', `section${d}`), 50, 'page', '.md');
  for (let d = 0; d < 20; d++) fill(path.join(root, 'coverage', `lcov${d}`), 25, 'r', '.html');
  const rest = 100_000 - fileCount;
  if (rest > 0) fill(path.join(root, 'node_modules', '.cache', 'extra'), rest, 'c', '');
}

function makeFlat(root) {
  write(path.join(root, 'package.json'), JSON.stringify({ name: 'flat', scripts: { dev: 'node --watch server.js' }, dependencies: { express: '^4.19.0' } }));
  write(path.join(root, 'package-lock.json'), '{}');
  fill(root, 100_000 - 2, 'f', '.js');
}

console.log(`Generating trees in ${tmp} ...`);
const t0 = performance.now();
const mono = path.join(tmp, 'monorepo');
fileCount = 0;
makeMonorepo(mono);
const monoFiles = fileCount;
const flat = path.join(tmp, 'flat');
fileCount = 0;
makeFlat(flat);
const flatFiles = fileCount;
console.log(`  monorepo: ${monoFiles} files; flat: ${flatFiles} files in one folder (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);

// ---------------------------------------------------------------------------------------------
// Instrumentation: count what detection opens and lists, independently of its own counters.
// (the CommonJS module object: the bundle reads its properties at call time, so patching them counts every call)
const fsc = require('node:fs');
const counts = { opens: 0, listings: 0 };
const realOpen = fsc.openSync;
const realReaddir = fsc.readdirSync;
const realOpendir = fsc.opendirSync;
function instrument(on) {
  if (!on) {
    fsc.openSync = realOpen;
    fsc.readdirSync = realReaddir;
    fsc.opendirSync = realOpendir;
    return;
  }
  fsc.openSync = function (...a) {
    counts.opens++;
    return realOpen.apply(this, a);
  };
  fsc.readdirSync = function (...a) {
    counts.listings++;
    return realReaddir.apply(this, a);
  };
  fsc.opendirSync = function (...a) {
    counts.listings++;
    return realOpendir.apply(this, a);
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function inProcess(folder) {
  for (let i = 0; i < 3; i++) await detectProject(folder); // warm-up (JIT, page cache)
  const times = [];
  let last;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    last = await detectProject(folder);
    times.push(performance.now() - t);
  }
  counts.opens = 0;
  counts.listings = 0;
  instrument(true);
  await detectProject(folder);
  instrument(false);
  return { median: median(times), p90: pct(times, 0.9), min: Math.min(...times), result: last, opens: counts.opens, listings: counts.listings };
}

function straceOpens(folder) {
  const which = spawnSync('sh', ['-c', 'command -v strace'], { encoding: 'utf8' });
  if (which.status !== 0) return null;
  const log = path.join(tmp, 'strace.log');
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=openat,open', '-o', log, process.execPath, CLI, 'detect', folder, '--json'], { env, encoding: 'utf8' });
  if (r.status !== 0 || !fs.existsSync(log)) return null;
  const lines = fs.readFileSync(log, 'utf8').split('\n');
  const inside = lines.filter((l) => l.includes(`"${folder}`) && !l.includes('O_DIRECTORY') && !/= -1 /.test(l));
  return inside.length;
}

function commandTimes(folder, withCerts) {
  const env = { ...process.env };
  if (!withCerts) delete env.NODE_EXTRA_CA_CERTS;
  const times = [];
  for (let i = 0; i < Math.max(11, Math.ceil(RUNS / 2)); i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [CLI, 'detect', folder, '--json'], { env, encoding: 'utf8' });
    times.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`hb detect failed: ${r.stderr}`);
  }
  return median(times);
}

function nodeBaseline(withCerts) {
  const env = { ...process.env };
  if (!withCerts) delete env.NODE_EXTRA_CA_CERTS;
  const times = [];
  for (let i = 0; i < 11; i++) {
    const t = performance.now();
    spawnSync(process.execPath, ['-e', '0'], { env });
    times.push(performance.now() - t);
  }
  return median(times);
}

// ---------------------------------------------------------------------------------------------
const ratio = (v, target) => `${(v / target).toFixed(2)}x of target`;
const rows = [];
for (const [name, folder] of [
  ['monorepo (100k files)', mono],
  ['flat (100k files in one folder)', flat],
]) {
  const r = await inProcess(folder);
  const strace = straceOpens(folder);
  rows.push({ name, r, strace });
  console.log(`${name}: ${r.result.label}  (primary ${r.result.primary}; parts ${r.result.parts.length})`);
  console.log(`  detection in process   median ${r.median.toFixed(2)} ms  (p90 ${r.p90.toFixed(2)}, min ${r.min.toFixed(2)}; ${RUNS} runs)  target <= ${TARGETS.detectMs} ms  -> ${ratio(r.median, TARGETS.detectMs)}`);
  console.log(
    `  files opened           ${r.opens} (instrumented node:fs; detection's own count ${r.result.stats.filesOpened}${strace === null ? '' : `; strace of the whole command: ${strace}`})  target <= ${TARGETS.filesOpened}  -> ${ratio(r.opens, TARGETS.filesOpened)}`,
  );
  console.log(`  directory listings     ${r.listings} (not counted by the target); entries seen ${r.result.stats.entriesSeen}; bytes read ${r.result.stats.bytesRead}`);
}

const hasCerts = !!process.env.NODE_EXTRA_CA_CERTS;
console.log('');
const baseNo = nodeBaseline(false);
const cmdNo = commandTimes(mono, false);
console.log(`whole command: node dist/cli.js detect <monorepo> --json`);
console.log(`  without NODE_EXTRA_CA_CERTS  median ${cmdNo.toFixed(1)} ms  target <= ${TARGETS.commandMs} ms  -> ${ratio(cmdNo, TARGETS.commandMs)}   (node -e 0 alone: ${baseNo.toFixed(1)} ms)`);
const cmdFlatNo = commandTimes(flat, false);
console.log(`  flat tree, without           median ${cmdFlatNo.toFixed(1)} ms  -> ${ratio(cmdFlatNo, TARGETS.commandMs)}`);
if (hasCerts) {
  const baseCa = nodeBaseline(true);
  const cmdCa = commandTimes(mono, true);
  console.log(`  with NODE_EXTRA_CA_CERTS     median ${cmdCa.toFixed(1)} ms  (no target; node -e 0 alone: ${baseCa.toFixed(1)} ms)`);
} else {
  console.log('  with NODE_EXTRA_CA_CERTS     (not set in this environment)');
}

// ---------------------------------------------------------------------------------------------
// Accuracy over the fixtures
const fixtures = path.join(REPO, 'test', 'fixtures', 'projects');
const expected = JSON.parse(fs.readFileSync(path.join(fixtures, 'expected.json'), 'utf8'));
let n = 0;
let lang = 0;
let fw = 0;
let pm = 0;
const misses = [];
for (const [name, e] of Object.entries(expected)) {
  const r = await detectProject(path.join(fixtures, name));
  n++;
  if (r.language === e.language) lang++;
  else misses.push(`${name}: language ${r.language} (expected ${e.language})`);
  if (r.framework === e.framework) fw++;
  else misses.push(`${name}: framework ${r.framework} (expected ${e.framework})`);
  if (r.packageManager === e.packageManager) pm++;
}
console.log(`\naccuracy over ${n} fixture workspaces (test/fixtures/projects)`);
console.log(`  language         ${((lang / n) * 100).toFixed(1)}%  target >= ${TARGETS.language * 100}%  -> ${(lang / n / TARGETS.language).toFixed(2)}x of target`);
console.log(`  framework        ${((fw / n) * 100).toFixed(1)}%  target >= ${TARGETS.framework * 100}%  -> ${(fw / n / TARGETS.framework).toFixed(2)}x of target`);
console.log(`  package manager  ${((pm / n) * 100).toFixed(1)}%`);
for (const m of misses) console.log(`  miss: ${m}`);

if (!KEEP) fs.rmSync(tmp, { recursive: true, force: true });
else console.log(`\nkept ${tmp}`);
