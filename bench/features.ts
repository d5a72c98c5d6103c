// bench/features: `hb up` against the reference `devcontainer up` on a config with two OCI
// Features from a local registry (Debian's docker-registry on 127.0.0.1, addressed as
// localhost:<port>, which both tools speak plain http to), in one run, same image, same engine.
//
//   node esbuild.mjs && node --import tsx bench/features.ts [--runs N]
//
// cold: nothing cached (a fresh hb cache folder and TMPDIR for the reference, the container and
// the image with the Features removed, and the engine's BuildKit cache pruned, as HyperBox builds
// the Features image there); cached: the container removed (as `down` does), the
// downloaded Features and the image with them kept. Medians of N runs (default 5) after one
// warm-up, with the ratio against the goals of issue 13 (2x cold, 3x cached), the load average
// beside each figure (the machine may be shared), and hb's own steps (hb up --json, median ms of
// the steps of 5 ms or more). Printed without NODE_EXTRA_CA_CERTS, and with it (a CA bundle read at
// every Node start, which both tools pay) when it is set or the system bundle exists.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxImage } from '../test/engine/images';
import { publishFeature, startRegistry } from '../test/unit/helpers/registry';

const ROOT = path.resolve(__dirname, '..');
const WORK = path.join(ROOT, 'bench', '.work', 'features');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const REFERENCE = path.join(ROOT, 'node_modules', '.bin', 'devcontainer');
const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
const args = process.argv.slice(2);
const RUNS = args.includes('--runs') && Number(args[args.indexOf('--runs') + 1]) > 0 ? Number(args[args.indexOf('--runs') + 1]) : 5;
const GOALS = { cold: 2, cached: 3 } as const;
const CA = process.env.NODE_EXTRA_CA_CERTS || ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'].find((f) => existsSync(f));

for (const [what, file] of [['dist/cli.js (run node esbuild.mjs)', CLI], ['the reference CLI (npm install)', REFERENCE]]) {
  if (!existsSync(file)) {
    console.error(`bench/features: ${what} is missing: ${file}`);
    process.exit(1);
  }
}

function docker(argv: string[], allowFail = false): string {
  const r = spawnSync(DOCKER, argv, { encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) throw new Error(`docker ${argv.join(' ')}: ${r.stderr}`);
  return (r.stdout ?? '').trim();
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const image = busyboxImage();
  const reg = await startRegistry();
  const images = new Set<string>();
  try {
    await publishFeature(reg, 'bench/features/alpha', { id: 'alpha', version: '1.0.0', options: { word: { type: 'string', default: 'alpha' } }, containerEnv: { ALPHA: '1' } }, '#!/bin/sh\nset -e\necho "$WORD" > /etc/alpha\n');
    await publishFeature(reg, 'bench/features/beta', { id: 'beta', version: '1.0.0', containerEnv: { BETA: '1' } }, '#!/bin/sh\nset -e\nmkdir -p /opt/beta && echo beta > /opt/beta/ok\n');
    const config = { image, features: { [`${reg.host}/bench/features/alpha:1`]: { word: 'hello' }, [`${reg.host}/bench/features/beta:1`]: {} } };
    let n = 0;
    const state = { hyperbox: { cache: '', tmp: '' }, reference: { cache: '', tmp: '' } };
    const fresh = (tool: 'hyperbox' | 'reference') => {
      const d = path.join(WORK, `${tool}-state-${++n}`);
      mkdirSync(path.join(d, 'tmp'), { recursive: true });
      state[tool] = { cache: path.join(d, 'cache'), tmp: path.join(d, 'tmp') };
    };
    const folders = { hyperbox: path.join(WORK, 'hyperbox'), reference: path.join(WORK, 'reference') };
    for (const f of Object.values(folders)) {
      mkdirSync(path.join(f, '.devcontainer'), { recursive: true });
      writeFileSync(path.join(f, '.devcontainer', 'devcontainer.json'), JSON.stringify(config, null, 2));
    }
    const containersOf = (folder: string) => docker(['ps', '-aq', '--filter', `label=devcontainer.local_folder=${folder}`]).split('\n').filter(Boolean);
    const run = (tool: 'hyperbox' | 'reference', withCa: boolean): { s: number; steps?: { step: string; ms: number }[] } => {
      const folder = folders[tool];
      const env: NodeJS.ProcessEnv = { ...process.env, HB_CACHE_DIR: state[tool].cache, HB_CONFIG_DIR: path.join(WORK, 'config'), HB_DOCKER_PATH: DOCKER, TMPDIR: state[tool].tmp };
      delete env.NODE_EXTRA_CA_CERTS;
      if (withCa && CA) env.NODE_EXTRA_CA_CERTS = CA;
      const [cmd, argv] = tool === 'hyperbox' ? [process.execPath, [CLI, 'up', folder, '--trust', '--json']] : [REFERENCE, ['up', '--workspace-folder', folder, '--docker-path', DOCKER]];
      const t = process.hrtime.bigint();
      const r = spawnSync(cmd, argv, { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
      const s = Number(process.hrtime.bigint() - t) / 1e9;
      if (r.status !== 0) throw new Error(`${tool} up failed (${r.status}):\n${(r.stderr || r.stdout).slice(-3000)}`);
      const id = containersOf(folder)[0];
      const ok = docker(['exec', id, 'sh', '-c', 'cat /etc/alpha /opt/beta/ok']);
      if (ok !== 'hello\nbeta') throw new Error(`${tool}: the Features are not installed as expected: ${ok}`);
      images.add(docker(['inspect', '--format', '{{.Config.Image}}', id]));
      return { s, steps: tool === 'hyperbox' ? (JSON.parse(r.stdout) as { timings: { step: string; ms: number }[] }).timings : undefined };
    };
    const prepare = (tool: 'hyperbox' | 'reference', kind: 'cold' | 'cached') => {
      const folder = folders[tool];
      for (const id of containersOf(folder)) {
        const img = docker(['inspect', '--format', '{{.Config.Image}}', id], true);
        docker(['rm', '-f', id], true);
        if (kind === 'cold' && img && img !== image) docker(['rmi', '-f', img], true);
      }
      if (kind === 'cold') {
        fresh(tool);
        // the engine's BuildKit cache too (HyperBox builds Features images there): it outlives a removed image
        docker(['builder', 'prune', '-af'], true);
      }
    };
    const measure = (tool: 'hyperbox' | 'reference', kind: 'cold' | 'cached', withCa: boolean) => {
      if (!state[tool].cache) fresh(tool);
      prepare(tool, kind);
      run(tool, withCa);
      const times: number[] = [];
      const steps = new Map<string, number[]>();
      for (let i = 0; i < RUNS; i++) {
        prepare(tool, kind);
        const r = run(tool, withCa);
        times.push(r.s);
        // a step that runs twice in one up (trust, inspect) counts once, with its total
        const once = new Map<string, number>();
        for (const t of r.steps ?? []) once.set(t.step, (once.get(t.step) ?? 0) + t.ms);
        for (const [step, ms] of once) steps.set(step, [...(steps.get(step) ?? []), ms]);
      }
      return { median: median(times), steps: [...steps].map(([step, ms]) => ({ step, ms: median(ms) })) };
    };
    const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
    console.log(`bench/features: two OCI Features from ${reg.host} (docker-registry), ${RUNS} runs per figure (median) after one warm-up`);
    console.log(`  engine: ${docker(['version', '--format', '{{.Server.Version}} (API {{.Server.APIVersion}})'])}, node ${process.version}, reference @devcontainers/cli ${JSON.parse(readFileSync(path.join(ROOT, 'node_modules', '@devcontainers', 'cli', 'package.json'), 'utf8')).version}`);
    const results = [];
    for (const withCa of CA ? [false, true] : [false]) {
      console.log(`\n${withCa ? `with NODE_EXTRA_CA_CERTS=${CA}` : 'without NODE_EXTRA_CA_CERTS'}`);
      console.log(`  ${'state'.padEnd(8)} ${'reference'.padStart(10)} ${'hyperbox'.padStart(10)} ${'ratio'.padStart(7)} ${'goal'.padStart(5)}  met  load average (1, 5, 15 min)`);
      const stepLines: string[] = [];
      for (const kind of ['cold', 'cached'] as const) {
        const before = load();
        const ref = measure('reference', kind, withCa).median;
        const hb = measure('hyperbox', kind, withCa);
        const ratio = ref / hb.median;
        results.push({ withCa, kind, reference: ref, hyperbox: hb.median, ratio, goal: GOALS[kind], steps: hb.steps });
        console.log(
          `  ${kind.padEnd(8)} ${`${ref.toFixed(3)} s`.padStart(10)} ${`${hb.median.toFixed(3)} s`.padStart(10)} ${`${ratio.toFixed(1)}x`.padStart(7)} ${`${GOALS[kind]}x`.padStart(5)}  ${(ratio >= GOALS[kind] ? 'yes' : 'NO').padEnd(4)} ${before} -> ${load()}`,
        );
        stepLines.push(`  hb ${kind} steps (median ms): ${hb.steps.filter((t) => t.ms >= 5).map((t) => `${t.step} ${Math.round(t.ms)}`).join(', ')}`);
      }
      for (const l of stepLines) console.log(l);
    }
    if (!CA) console.log('\n(no CA bundle found: the NODE_EXTRA_CA_CERTS figures are skipped)');
    if (args.includes('--json')) console.log(JSON.stringify({ results }));
  } finally {
    for (const f of ['hyperbox', 'reference']) for (const id of docker(['ps', '-aq', '--filter', `label=devcontainer.local_folder=${path.join(WORK, f)}`], true).split('\n').filter(Boolean)) docker(['rm', '-f', id], true);
    for (const img of images) if (img !== image) docker(['rmi', '-f', img], true);
    await reg.stop();
    rmSync(WORK, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench/features: ${(e as Error).message}`);
  process.exit(1);
});
