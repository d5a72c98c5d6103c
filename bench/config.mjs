#!/usr/bin/env node
// `hb config` against the reference `devcontainer read-configuration` (@devcontainers/cli) on the
// same config: wall time from spawn to exit, medians over RUNS runs each, with and without
// NODE_EXTRA_CA_CERTS (which these machines set and which costs every Node start ~150 ms), and
// the ratio. Not part of the tests' pass/fail.
//
//   node bench/config.mjs [runs]        (builds dist/ first when it is missing)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.argv[2] ?? 15);
const CLI = path.join(repo, 'dist', 'cli.js');
const REFERENCE = path.join(repo, 'node_modules', '@devcontainers', 'cli', 'devcontainer.js');
const SYSTEM_CA = '/etc/ssl/certs/ca-certificates.crt';

if (!existsSync(CLI)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: repo, stdio: 'inherit' });
if (!existsSync(REFERENCE)) {
  console.error(`bench: the reference CLI is missing (${REFERENCE}); run npm install first.`);
  process.exit(1);
}

// One realistic config, the same for both.
const folder = path.join(repo, 'bench', '.work', 'config-project');
mkdirSync(path.join(folder, '.devcontainer'), { recursive: true });
writeFileSync(
  path.join(folder, '.devcontainer', 'devcontainer.json'),
  `// a typical Node project
{
  "name": "\${localWorkspaceFolderBasename}",
  "image": "node:20-bookworm",
  "forwardPorts": [3000, 9229],
  "containerEnv": { "PROJECT": "\${localWorkspaceFolderBasename}", "HOME_ON_HOST": "\${localEnv:HOME}" },
  "mounts": ["source=\${localWorkspaceFolder}/.cache,target=/cache,type=bind"],
  "postCreateCommand": "npm ci",
  "remoteUser": "node",
  "customizations": { "vscode": { "extensions": ["dbaeumer.vscode-eslint"] } },
}
`,
);

const commands = {
  'hb config --json': [CLI, 'config', folder, '--json'],
  'devcontainer read-configuration': [REFERENCE, 'read-configuration', '--workspace-folder', folder],
};

function envFor(withCerts) {
  const env = { ...process.env };
  if (withCerts) env.NODE_EXTRA_CA_CERTS ??= existsSync(SYSTEM_CA) ? SYSTEM_CA : undefined;
  else delete env.NODE_EXTRA_CA_CERTS;
  if (env.NODE_EXTRA_CA_CERTS === undefined) delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

function timeOnce(args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8', cwd: folder });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  // both print their result as JSON (hb: the whole of stdout; the reference: its last line)
  try {
    JSON.parse(r.stdout);
  } catch {
    JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  }
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (ms) => `${(ms / 1000).toFixed(3)} s`;

console.log(`bench/config: ${RUNS} runs each, medians of wall time from spawn to exit (node ${process.version})`);
console.log(`config: ${path.relative(repo, path.join(folder, '.devcontainer', 'devcontainer.json'))}`);
const results = {};
for (const withCerts of [true, false]) {
  const env = envFor(withCerts);
  const label = withCerts ? `with NODE_EXTRA_CA_CERTS=${env.NODE_EXTRA_CA_CERTS ?? '(not set on this machine)'}` : 'without NODE_EXTRA_CA_CERTS';
  const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (const args of Object.values(commands)) timeOnce(args, env); // warm the file cache
  for (let i = 0; i < RUNS; i++) {
    // alternate the order so neither always runs right after the other
    const names = i % 2 ? Object.keys(commands).reverse() : Object.keys(commands);
    for (const name of names) times[name].push(timeOnce(commands[name], env));
  }
  const hb = median(times['hb config --json']);
  const ref = median(times['devcontainer read-configuration']);
  results[withCerts ? 'with' : 'without'] = { hb, ref };
  console.log(`\n${label}`);
  console.log(`  hb config --json                  median ${fmt(hb)}  (min ${fmt(Math.min(...times['hb config --json']))})`);
  console.log(`  devcontainer read-configuration   median ${fmt(ref)}  (min ${fmt(Math.min(...times['devcontainer read-configuration']))})`);
  console.log(`  ratio (reference / hb)            ${(ref / hb).toFixed(2)}x faster`);
}
const target = 3;
const ratio = results.without.ref / results.without.hb;
console.log(`\ntarget: at least ${target}x faster without NODE_EXTRA_CA_CERTS: ${ratio >= target ? 'met' : 'MISSED'} (${ratio.toFixed(2)}x)`);
