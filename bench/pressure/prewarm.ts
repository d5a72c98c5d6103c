// bench/pressure/prewarm: what PSI-aware prewarming saves the next start (issue 16's "the timeline
// of the next up shows what prewarming saved").
//
//   node esbuild.mjs && node --import tsx bench/pressure/prewarm.ts [--runs R] [--build-seconds S]
//
// A Dockerfile config whose build does S seconds of work (default 3: a RUN that sleeps, standing in
// for a package install) and a postCreateCommand. R times (default 3), each with a fresh Dockerfile
// so no build cache helps, without and with NODE_EXTRA_CA_CERTS:
//   cold      `hb up --trust --json` (node dist/cli.js) of a folder with nothing made yet;
//   prewarmed the engine's prewarm (live/prewarm.ts, the host's real PSI; not timed in the figure),
//             then the same `hb up`, which only starts the container and runs its hooks.
// Prints the medians, the ratio, and the time the prewarmed up's timeline says it saved. Everything
// it makes is removed at the end (also on Ctrl-C). Not part of the tests' pass/fail.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prewarm } from '../../src/engine/live/prewarm';
import { connectEngine } from '../../src/engine/runtime/engine/docker';
import { previewTrust } from '../../src/engine/runtime/up/up';
import { loadTimeline } from '../../src/engine/runtime/up/timelineStore';
import { busyboxImage, docker } from '../../test/engine/images';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const CA = process.env.NODE_EXTRA_CA_CERTS ?? ['/etc/ssl/certs/ca-certificates.crt'].find((f) => existsSync(f));
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('--runs', 3);
const BUILD_SECONDS = arg('--build-seconds', 3);
if (!existsSync(CLI)) {
  console.error(`bench/pressure/prewarm: ${CLI} is missing: run node esbuild.mjs first.`);
  process.exit(1);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quiet = { step: () => undefined, output: () => undefined, info: () => undefined, warn: () => undefined };
const base = mkdtempSync(path.join(os.tmpdir(), 'hb-bench-prewarm-'));
const folders: string[] = [];

function cleanup(): void {
  for (const f of folders.splice(0)) {
    hb(['down', f], {});
    for (const line of docker(['images', '-q', '--filter', `label=hyperbox.image.folder=${f}`], { allowFail: true }).stdout.split('\n')) if (line.trim()) docker(['rmi', '-f', line.trim()], { allowFail: true });
  }
  rmSync(base, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

function hb(args: string[], env: NodeJS.ProcessEnv): { ms: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0 && args[0] === 'up') throw new Error(`hb ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { ms, out: r.stdout };
}

let n = 0;
function fixture(): string {
  const folder = path.join(base, `app-${++n}`);
  mkdirSync(path.join(folder, '.devcontainer'), { recursive: true });
  writeFileSync(path.join(folder, '.devcontainer', 'devcontainer.json'), JSON.stringify({ build: { dockerfile: 'Dockerfile' }, postCreateCommand: 'echo created > /tmp/created' }));
  writeFileSync(path.join(folder, '.devcontainer', 'Dockerfile'), `FROM ${busyboxImage()}\nRUN sleep ${BUILD_SECONDS} && echo ${Date.now()}-${n} > /stamp\n`);
  folders.push(folder);
  return folder;
}

async function main(): Promise<void> {
  const noCa = { ...process.env };
  delete noCa.NODE_EXTRA_CA_CERTS;
  const withCa = { ...process.env, ...(CA ? { NODE_EXTRA_CA_CERTS: CA } : {}) };
  const rows: { env: string; cold: number[]; warm: number[]; saved: number[]; prewarmMs: number[] }[] = [];
  for (const [label, env] of [['without NODE_EXTRA_CA_CERTS', noCa], ['with NODE_EXTRA_CA_CERTS', withCa]] as const) {
    const row = { env: label, cold: [] as number[], warm: [] as number[], saved: [] as number[], prewarmMs: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
      row.cold.push(hb(['up', fixture(), '--trust', '--json'], env).ms);

      const folder = fixture();
      const accepted = (await previewTrust({ folder, env: process.env })).findings.map((f) => f.key);
      const t0 = performance.now();
      const s = await prewarm({ folder, trusted: true, enabled: true, acceptedFindings: accepted }, { engine: () => connectEngine(process.env), env: process.env, report: quiet });
      row.prewarmMs.push(performance.now() - t0);
      if (!s.containerId) throw new Error(`prewarming made no container: ${s.state}: ${s.reason}`);
      row.warm.push(hb(['up', folder, '--trust', '--json'], env).ms);
      const step = (await loadTimeline(process.env, folder, path.join(folder, '.devcontainer', 'devcontainer.json')))?.entries.find((e) => e.step === 'prewarmed container');
      const m = /saved (\d+(?:\.\d+)?) s/.exec(step?.detail ?? '');
      if (!m) throw new Error(`the up's timeline has no "prewarmed container" step: ${readFileSync(path.join(folder, '.devcontainer', 'devcontainer.json'), 'utf8')}`);
      row.saved.push(Number(m[1]) * 1000);
    }
    rows.push(row);
  }
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`bench/pressure/prewarm: ${RUNS} runs, a build of ${BUILD_SECONDS} s of work, load average ${load}`);
  for (const r of rows) {
    const cold = median(r.cold);
    const warm = median(r.warm);
    console.log(`  ${r.env}:`);
    console.log(`    hb up, nothing made yet        median ${(cold / 1000).toFixed(2)} s`);
    console.log(`    hb up of a prewarmed container median ${(warm / 1000).toFixed(2)} s   (${(cold / warm).toFixed(1)}× faster)`);
    console.log(`    saved, as its timeline says    median ${(median(r.saved) / 1000).toFixed(1)} s; the prewarm itself took ${(median(r.prewarmMs) / 1000).toFixed(1)} s while the host was calm`);
  }
}

main()
  .then(cleanup)
  .catch((e) => {
    cleanup();
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
