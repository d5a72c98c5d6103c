// bench/live: the live figures of issues 16 and 17 through the real engine (dist/engine.js over
// JSON-RPC, as the editor talks to it).
//
//   node esbuild.mjs && node --import tsx bench/live/engine.ts [--spans N] [--trials T]
//
//  1. Traces: "a span received shows in the panel within 500 ms (p95)", engine side: N spans
//     (default 200, one trace each, 20 per second) POSTed as OTLP JSON to the engine's receiver
//     (turned on with LiveSettingsUpdate, on a free port), and the time from each POST to the
//     TracesChanged notification naming its trace at the JSON-RPC client. p50 / p95 against 500 ms.
//  2. Pressure: a dev container brought up with RuntimeUp (32 MiB memory limit, a 96 MiB file in
//     it), PressureSubscribe; T times (default 5) a stressor starts re-reading the file, and the
//     time from its start (its /proc/uptime, the kernel's clock the host shares) to the first
//     PressureChanged at the client with a nonzero memory stall delta for that container, against
//     1.5 s. Everything it makes is removed at the end. Not part of the tests' pass/fail.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { Initialize, LiveSettingsUpdate, PressureChanged, PressureSubscribe, RuntimeDown, RuntimeUp, Shutdown, TracesChanged } from '../../src/protocol';
import { busyboxImage, docker } from '../../test/engine/images';

const ROOT = path.resolve(__dirname, '..', '..');
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const SPANS = arg('--spans', 200);
const TRIALS = arg('--trials', 5);
const pctl = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const uptime = () => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function post(port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const span = (traceId: string) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench' } }] },
        scopeSpans: [{ spans: [{ traceId, spanId: '00f067aa0ba902b7', name: 'GET /bench', kind: 2, startTimeUnixNano: String(Date.now() * 1e6), endTimeUnixNano: String((Date.now() + 1) * 1e6) }] }],
      },
    ],
  });

async function main(): Promise<void> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'engine.js')], { stdio: ['pipe', 'pipe', 'ignore'] });
  const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  conn.listen();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hb-bench-live-'));
  let folder: string | undefined;
  try {
    await conn.sendRequest(Initialize, { clientName: 'bench', clientVersion: '0' });
    console.log(`bench/live: node ${process.version}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);

    console.log(`\n1. span POST -> TracesChanged at the JSON-RPC client, ${SPANS} spans at 20/s (goal: p95 500 ms)`);
    const port = await freePort();
    await conn.sendRequest(LiveSettingsUpdate, { traces: { enabled: true, port } });
    const sent = new Map<string, number>();
    const lat: number[] = [];
    conn.onNotification(TracesChanged, ({ traces }) => {
      const now = performance.now();
      for (const t of traces) {
        const at = sent.get(t.traceId);
        if (at !== undefined) {
          lat.push(now - at);
          sent.delete(t.traceId);
        }
      }
    });
    for (let i = 0; i < SPANS; i++) {
      const traceId = (i + 1).toString(16).padStart(32, '0');
      sent.set(traceId, performance.now());
      const status = await post(port, span(traceId));
      if (status !== 200) throw new Error(`the receiver answered ${status}`);
      await sleep(50);
    }
    await sleep(1000);
    console.log(`  ${lat.length}/${SPANS} seen; p50 ${pctl(lat, 50).toFixed(0)} ms, p95 ${pctl(lat, 95).toFixed(0)} ms, max ${Math.max(...lat).toFixed(0)} ms  ${lat.length === SPANS && pctl(lat, 95) <= 500 ? 'met' : 'NOT met'}`);

    console.log(`\n2. stressor start -> PressureChanged with a nonzero memory stall delta at the client, ${TRIALS} trials (goal: 1.5 s)`);
    folder = path.join(dir, 'pressure');
    mkdirSync(path.join(folder, '.devcontainer'), { recursive: true });
    writeFileSync(path.join(folder, '.devcontainer', 'devcontainer.json'), JSON.stringify({ image: busyboxImage(), runArgs: ['--memory', '32m', '--memory-swap', '32m', '--label', 'hyperbox.bench=live'] }));
    const up = await conn.sendRequest(RuntimeUp, { folder, trusted: true });
    const id = up.containerId!;
    docker(['exec', id, 'sh', '-c', 'dd if=/dev/zero of=/big bs=1M count=96 2>/dev/null']);
    const seen: { uptime: number; delta: number }[] = [];
    conn.onNotification(PressureChanged, (s) => {
      const c = s.containers.find((x) => x.containerId === id);
      if (c) seen.push({ uptime: uptime(), delta: c.memory?.some.delta ?? 0 });
    });
    await conn.sendRequest(PressureSubscribe, { who: 'bench' });
    const until = async (check: () => boolean, ms: number, what: string) => {
      const end = Date.now() + ms;
      while (!check()) {
        if (Date.now() > end) throw new Error(`bench/live: timed out waiting for ${what}`);
        await sleep(50);
      }
    };
    const out: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      await until(() => seen.length >= 3 && seen.slice(-3).every((s) => s.delta === 0), 30_000, 'no memory stalls before the stressor');
      const before = seen.length;
      docker(['exec', '-d', id, 'sh', '-c', 'echo $$ > /stress.pid; cut -d" " -f1 /proc/uptime > /stress.start; while true; do cat /big > /dev/null; done']);
      await until(() => seen.slice(before).some((s) => s.delta > 0), 15_000, 'a nonzero memory stall delta');
      const hit = seen.slice(before).find((s) => s.delta > 0)!;
      const start = Number(docker(['exec', id, 'cat', '/stress.start']).stdout.trim());
      out.push((hit.uptime - start) * 1000);
      docker(['exec', id, 'sh', '-c', 'kill $(cat /stress.pid); pkill cat; true'], { allowFail: true });
    }
    console.log(`  ${out.map((x) => `${x.toFixed(0)} ms`).join(', ')}`);
    console.log(`  median ${pctl(out, 50).toFixed(0)} ms, worst ${Math.max(...out).toFixed(0)} ms  ${Math.max(...out) <= 1500 ? 'met' : 'NOT met'}`);
  } finally {
    if (folder) await conn.sendRequest(RuntimeDown, { folder }).catch(() => undefined);
    await conn.sendRequest(Shutdown).catch(() => undefined);
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench/live: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
});
