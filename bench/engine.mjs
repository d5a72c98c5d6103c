#!/usr/bin/env node
// The engine process: time from spawn to a completed Initialize handshake (median over RUNS
// spawns), and its resident memory once idle after the handshake, beside a bare `node -e`
// process's. With and without NODE_EXTRA_CA_CERTS. Not part of the tests' pass/fail.
// Targets: handshake <= 150 ms median (without NODE_EXTRA_CA_CERTS), idle RSS <= 60 MB.
//
//   node bench/engine.mjs [runs]        (builds dist/ first when it is missing)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { createMessageConnection, StreamMessageReader, StreamMessageWriter } = require('vscode-jsonrpc/node');
const RUNS = Number(process.argv[2] ?? 20);
const ENGINE = path.join(repo, 'dist', 'engine.js');
const SYSTEM_CA = '/etc/ssl/certs/ca-certificates.crt';
const IDLE_MS = 1000;

if (!existsSync(ENGINE)) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: repo, stdio: 'inherit' });

function envFor(withCerts) {
  const env = { ...process.env };
  if (withCerts && !env.NODE_EXTRA_CA_CERTS && existsSync(SYSTEM_CA)) env.NODE_EXTRA_CA_CERTS = SYSTEM_CA;
  if (!withCerts) delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** Resident set size of a process, from /proc (the same measure for the engine and bare node). */
function rssBytes(pid) {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mb = (b) => `${(b / 1024 / 1024).toFixed(1)} MB`;

/** Spawns the engine the way the extension does, and times spawn → Initialize answered. */
async function handshake(env, measureRss) {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [ENGINE], { stdio: ['pipe', 'pipe', 'ignore'], env: { ...env, ELECTRON_RUN_AS_NODE: '1' } });
  const quiet = { error() {}, warn() {}, info() {}, log() {} };
  const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin), quiet);
  conn.listen();
  const caps = await conn.sendRequest('hyperbox/initialize', { clientName: 'bench', clientVersion: '0' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let rss;
  if (measureRss) {
    await sleep(IDLE_MS);
    rss = rssBytes(child.pid);
  }
  const exited = new Promise((r) => child.on('exit', r));
  await conn.sendRequest('hyperbox/shutdown').catch(() => undefined);
  await Promise.race([exited, sleep(3000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
  conn.dispose();
  return { ms, rss, caps };
}

/** A bare Node process for comparison: its RSS when idle, and its spawn-to-first-output time. */
async function bareNode(env) {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("ready"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'ignore'], env });
  await new Promise((r) => child.stdout.once('data', r));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await sleep(IDLE_MS);
  const rss = rssBytes(child.pid);
  child.kill();
  return { ms, rss };
}

console.log(`bench/engine: ${RUNS} spawns each, node ${process.version}, ${path.relative(repo, ENGINE)}`);
const summary = {};
for (const withCerts of [true, false]) {
  const env = envFor(withCerts);
  await handshake(env, false); // warm the file cache
  const times = [];
  const rss = [];
  const bare = [];
  const bareRss = [];
  let caps;
  for (let i = 0; i < RUNS; i++) {
    const r = await handshake(env, i < 5);
    times.push(r.ms);
    if (r.rss) rss.push(r.rss);
    caps = r.caps;
    if (i < 5) {
      const b = await bareNode(env);
      bare.push(b.ms);
      bareRss.push(b.rss);
    }
  }
  const label = withCerts ? `with NODE_EXTRA_CA_CERTS=${env.NODE_EXTRA_CA_CERTS ?? '(not set)'}` : 'without NODE_EXTRA_CA_CERTS';
  summary[withCerts ? 'with' : 'without'] = { handshake: median(times), rss: median(rss) };
  console.log(`\n${label}`);
  console.log(`  spawn -> Initialize answered    median ${median(times).toFixed(1)} ms  (min ${Math.min(...times).toFixed(1)} ms)`);
  console.log(`  bare node spawn -> first output median ${median(bare).toFixed(1)} ms`);
  console.log(`  engine idle RSS after handshake median ${mb(median(rss))}`);
  console.log(`  bare node -e idle RSS           median ${mb(median(bareRss))}`);
  console.log(`  engine ${caps.version}, protocol ${caps.protocolVersion}, capabilities: ${caps.capabilities.join(', ')}`);
}
const w = summary.without;
console.log(`\ntargets (without NODE_EXTRA_CA_CERTS): handshake <= 150 ms: ${w.handshake <= 150 ? 'met' : 'MISSED'} (${w.handshake.toFixed(1)} ms); idle RSS <= 60 MB: ${w.rss <= 60 * 1024 * 1024 ? 'met' : 'MISSED'} (${mb(w.rss)})`);
