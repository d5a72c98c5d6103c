// Traces while a dev container runs, against the real engine (live/traces.ts): the gateway
// fallback — a container that cannot get the relay in its network namespace reaches the receiver
// through a listener on its network's gateway address only, never all interfaces, which passes
// POST /v1/traces alone — and the eBPF sidecar as a trust finding: up's gate lists it, and the
// capability starts it only with the setting AND trust, reporting what is missing (no trust, no
// image, an engine that refuses privileged containers, as this one does).
// Talks only to 127.0.0.1, the bridge gateway on this machine, and containers the test starts.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import type { LiveSettings, TracesSidecarProblem, TrustFinding } from '../../src/protocol';
import { connectEngine } from '../../src/engine/runtime/engine/docker';
import { up } from '../../src/engine/runtime/up/up';
import { ebpfTrustFinding, LABEL_EBPF_FOR, LABEL_TRACES, TracesCapability } from '../../src/engine/live/traces';
import type { LiveContainer } from '../../src/engine/live/host';
import { TracesHub } from '../../src/engine/traces/hub';
import { busyboxImage, derivedImage, docker, DOCKER } from './images';
import { collector, containersOf, workspace } from './helpers';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** The IPv4 addresses listening on `port` on this machine (/proc/net/tcp, state 0A). */
function listeners(port: number): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (state !== '0A' || !local) continue;
    const [addr, p] = local.split(':');
    if (parseInt(p, 16) !== port) continue;
    out.push([3, 2, 1, 0].map((i) => parseInt(addr.slice(i * 2, i * 2 + 2), 16)).join('.'));
  }
  return out.sort();
}

/** `docker exec` without blocking this process: the gateway listener under test lives in it. */
const exec = (id: string, args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(DOCKER, ['exec', id, ...args], { encoding: 'utf8', timeout: 30_000 }, (e, stdout, stderr) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr })),
  );

const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');

/** A log that keeps every line, by level. */
function memoryLog() {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug'), text: () => lines.map((l) => `${l.level}: ${l.message}`).join('\n') };
}

async function waitFor<T>(check: () => T | Promise<T>, what: string, ms = 15_000, detail?: () => string): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${detail ? `\n${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A running container the test owns, labelled as the traces contribution labels one that sends via `via`. */
async function sendingContainer(name: string, port: number, via: 'gateway' | 'relay'): Promise<LiveContainer> {
  const id = docker(['run', '-d', '--name', `hb-traces-${name}-${process.pid}`, '--label', 'hyperbox.test=1', '--label', `${LABEL_TRACES}=${JSON.stringify({ port, via })}`, busyboxImage(), 'sleep', '600']).stdout.trim();
  const engine = await connectEngine(process.env);
  const info = await engine.docker.getContainer(id).inspect();
  return { id, project: { folder: `/tmp/hb-traces-${name}`, configFile: `/tmp/hb-traces-${name}/.devcontainer.json` }, resolved: { config: {} } as never, info };
}

describe('engine: traces while the container runs', function () {
  this.timeout(180_000);
  const made: string[] = [];
  after(() => {
    for (const id of made) docker(['rm', '-f', id], { allowFail: true });
  });

  it('the gateway fallback: the container reaches the receiver on its gateway address, the only address besides 127.0.0.1 that listens, and only POST /v1/traces passes', async () => {
    const port = await freePort();
    const hub = new TracesHub();
    const log = memoryLog();
    const cap = new TracesCapability(() => connectEngine(process.env), log, () => undefined, async () => false, hub);
    const c = await sendingContainer('gateway', port, 'gateway');
    made.push(c.id);
    const gw = Object.values(c.info.NetworkSettings.Networks).map((n) => n.Gateway).find(Boolean)!;
    assert.ok(gw && !gw.startsWith('127.'), `the bridge gateway: ${gw}`);
    assert.deepEqual(listeners(port), [], 'nothing listens before the container is served');

    const stop = await cap.start(c, new AbortController().signal);
    try {
      assert.ok(stop, log.text());
      // the receiver on 127.0.0.1 and the gateway listener on the gateway address: never 0.0.0.0
      assert.deepEqual(listeners(port), [gw, '127.0.0.1'].sort());

      const traceId = hex(32);
      const body = JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'gateway-check' } }] },
            scopeSpans: [{ spans: [{ traceId, spanId: hex(16), name: 'GET /from-the-container', kind: 2, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000250000000' }] }],
          },
        ],
      });
      const sent = await exec(c.id, ['wget', '-q', '-O', '-', '--header', 'content-type: application/json', '--post-data', body, `http://${gw}:${port}/v1/traces`]);
      assert.equal(sent.code, 0, sent.stderr);
      const got = await waitFor(async () => (await hub.current!.list()).find((t) => t.traceId === traceId), 'the span from the container in the receiver');
      assert.equal(got.service, 'gateway-check');
      assert.equal(got.rootName, 'GET /from-the-container');

      // nothing but POST /v1/traces passes: the receiver's queries stay on loopback
      const other = await exec(c.id, ['wget', '-q', '-O', '-', `http://${gw}:${port}/v1/traces`]);
      assert.notEqual(other.code, 0);
      assert.match(other.stderr, /404/);
    } finally {
      await stop?.();
    }
    // the container's live work ended: the gateway listener is gone with it
    assert.deepEqual(listeners(port).filter((a) => a !== '127.0.0.1'), []);
    const after = await exec(c.id, ['wget', '-q', '-O', '-', '--post-data', '{}', `http://${gw}:${port}/v1/traces`]);
    assert.notEqual(after.code, 0, 'the gateway no longer answers');
    await hub.stop();
  });

  it("up's trust gate lists the eBPF sidecar the user's settings would start, before anything is made", async () => {
    const folder = workspace('ebpf-gate', { image: busyboxImage() });
    const settings: LiveSettings = { traces: { enabled: true, port: await freePort(), ebpf: { enabled: true, image: 'hyperbox-test/ebpf-standin:gate' } } };
    let asked: TrustFinding[] = [];
    const decider = {
      check: async () => false,
      ask: async (findings: TrustFinding[]) => {
        asked = findings;
        throw new Error('the user said no');
      },
    };
    await assert.rejects(up({ folder, env: process.env, trusted: decider, report: collector(), settings }), /the user said no/);
    const sidecar = asked.find((f) => f.key.startsWith('sidecar:'));
    assert.ok(sidecar, asked.map((f) => f.text).join('\n'));
    assert.equal(sidecar.key, ebpfTrustFinding({}, settings)!.key);
    assert.match(sidecar.text, /eBPF instrumentation sidecar \(hyperbox\.traces\.ebpf\.enabled\) runs beside the dev container: runs the image hyperbox-test\/ebpf-standin:gate/);
    assert.match(sidecar.text, /privileged \(every device and capability of this machine\)/);
    assert.match(sidecar.text, /in this machine's PID namespace/);
    assert.match(sidecar.text, /with \/sys\/fs\/cgroup of this machine mounted/);
    assert.deepEqual(await containersOf(folder), [], 'nothing was made');
    // without the machine setting there is nothing to ask: the image-only config comes up unasked
    const plain = await up({ folder, env: process.env, trusted: decider, report: collector(), settings: { traces: { enabled: true, port: settings.traces!.port, ebpf: { enabled: false } } } });
    made.push(plain.result.containerId!);
    assert.deepEqual(plain.result.findings ?? [], []);
  });

  it('the eBPF sidecar starts only with the setting and trust, and says what is missing: trust, the image, an engine that runs privileged containers', async () => {
    const port = await freePort();
    const hub = new TracesHub();
    const log = memoryLog();
    let trusted = false;
    const standin = derivedImage('ebpf-standin', 'CMD ["sleep", "600"]');
    const missing = `hyperbox-test/ebpf-missing:${process.pid}`;
    const cap = new TracesCapability(() => connectEngine(process.env), log, () => undefined, async () => trusted, hub);
    // what the engine sends the editor (TracesSidecarProblemNotice), which shows it
    const problems: TracesSidecarProblem[] = [];
    cap.onSidecarProblem = (p) => problems.push(p);
    const c = await sendingContainer('ebpf', port, 'gateway');
    made.push(c.id);
    const sidecarName = `hb-ebpf-${c.id.slice(0, 12)}`;
    const sidecars = () => docker(['ps', '-a', '-q', '--filter', `label=${LABEL_EBPF_FOR}=${c.id}`]).stdout.trim();
    const stop = await cap.start(c, new AbortController().signal);
    try {
      assert.ok(stop, log.text());
      // the setting off: no sidecar, nothing said
      assert.equal(sidecars(), '');

      // the setting on, but the folder not trusted for it
      cap.update({ traces: { enabled: true, port, ebpf: { enabled: true, image: standin } } });
      const untrusted = await waitFor(() => log.lines.find((l) => /No eBPF sidecar runs/.test(l.message)), 'the untrusted warning', 15_000, log.text);
      assert.equal(untrusted.level, 'warn');
      assert.match(untrusted.message, /hyperbox\.traces\.ebpf\.enabled allows it on this machine, but \/tmp\/hb-traces-ebpf is not trusted for it \(the eBPF instrumentation sidecar .*privileged.*\)\. Rebuild the dev container with the setting on/);
      assert.equal(sidecars(), '', 'no sidecar without trust');

      // trusted (an up passed its gate), but the image is not on this machine
      trusted = true;
      cap.update({ traces: { enabled: true, port, ebpf: { enabled: true, image: missing } } });
      const noImage = await waitFor(() => log.lines.find((l) => l.message.includes(`the image ${missing} is not on this machine`)), 'the missing image warning', 15_000, log.text);
      assert.match(noImage.message, new RegExp(`Pull it \\(docker pull ${missing.replace(/[/:]/g, '\\$&')}\\), or name a local image in hyperbox\\.traces\\.ebpf\\.image`));
      assert.equal(sidecars(), '');

      // trusted, the stand-in image present: this engine refuses privileged containers, and says so
      cap.update({ traces: { enabled: true, port, ebpf: { enabled: true, image: standin } } });
      const refused = await waitFor(() => log.lines.find((l) => /eBPF sidecar of .* did not start/.test(l.message)), 'the refusal', 30_000, log.text);
      assert.equal(refused.level, 'warn');
      assert.match(refused.message, new RegExp(`the engine refused to start ${sidecarName} \\(${standin.replace(/[/:.]/g, '\\$&')}\\) privileged in this machine's PID namespace: `));
      // the engine's own words (this machine: "unable to apply caps: operation not permitted")
      assert.match(refused.message, /operation not permitted/);
      assert.match(refused.message, /What is missing is an engine that runs privileged containers/);
      // the half-made sidecar is removed; the dev container runs on
      assert.equal(sidecars(), '');
      assert.equal(docker(['inspect', '-f', '{{.State.Running}}', c.id]).stdout.trim(), 'true');
      // the editor is told each cause, in words that name what is missing
      assert.deepEqual(problems.map((p) => [p.containerId, p.missing]), [[c.id, 'trust'], [c.id, 'image'], [c.id, 'privileged']]);
      assert.match(problems[2].message, /this Docker engine refuses privileged containers \(.*operation not permitted.*\)\. eBPF instrumentation needs an engine that runs them/);
    } finally {
      await stop?.();
      docker(['rm', '-f', sidecarName], { allowFail: true });
      await hub.stop();
    }
  });
});
