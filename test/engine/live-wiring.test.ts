// Pressure and traces wired to the live host, through the bundled engine as the editor uses it:
// a container brought up with traces on gets the OTEL_* variables and the receiver on ITS
// 127.0.0.1:<port> (the relay in its network namespace), so a program in it that posts OTLP JSON
// there shows up in the engine's store and in TracesChanged; PressureSubscribe samples the served
// container and PressureUnsubscribe stops the samples.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import {
  Initialize,
  LiveSettingsUpdate,
  LogMessage,
  PressureChanged,
  PressureSubscribe,
  PressureUnsubscribe,
  RuntimeDown,
  RuntimeUp,
  Shutdown,
  TracesChanged,
  TracesList,
  TracesRecreateOffer,
  type PressureUpdate,
} from '../../src/protocol';
import { busyboxImage, docker } from './images';
import { REPO, removeEverythingUnder, TEST_ROOT, waitFor, workspace } from './helpers';

interface Engine {
  child: ChildProcessWithoutNullStreams;
  conn: MessageConnection;
  stderr: string[];
}

function startEngine(): Engine {
  const child = spawn(process.execPath, [path.join(REPO, 'dist', 'engine.js')], { env: process.env });
  const stderr: string[] = [];
  child.stderr.on('data', (d) => stderr.push(String(d)));
  const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  conn.listen();
  return { child, conn, stderr };
}

async function stopEngine(e: Engine): Promise<void> {
  await e.conn.sendRequest(Shutdown).catch(() => undefined);
  await new Promise((r) => (e.child.exitCode !== null ? r(undefined) : e.child.once('exit', r)));
  e.conn.dispose();
}

/** A port free on this machine's loopback now (the receiver listens there, the relay on the container's). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const otlpJson = (traceId: string, service: string) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ spans: [{ traceId, spanId: '00f067aa0ba902b7', name: 'GET /from-container', kind: 2, startTimeUnixNano: String(Date.now() * 1e6), endTimeUnixNano: String((Date.now() + 5) * 1e6) }] }],
      },
    ],
  });

/** Whether this engine runs privileged containers at all (some sandboxes refuse: "unable to apply caps"). */
function privilegedRuns(): boolean {
  return docker(['run', '--rm', '--privileged', '--label', 'hyperbox.test=1', busyboxImage(), 'true'], { allowFail: true }).code === 0;
}

describe('engine: pressure and traces on the live host', function () {
  after(() => removeEverythingUnder(TEST_ROOT));

  it('gives a container made with traces on the receiver on its own 127.0.0.1, and its spans reach the store and TracesChanged', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const e = startEngine();
    const port = await freePort();
    const folder = workspace('traces-relay', { name: 'relay-demo', image: busyboxImage(), containerEnv: { OTEL_SERVICE_NAME: 'set-by-config' } });
    try {
      await e.conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
      const changed: { at: number; ids: string[] }[] = [];
      e.conn.onNotification(TracesChanged, (p) => changed.push({ at: performance.now(), ids: p.traces.map((t) => t.traceId) }));
      const offers: string[] = [];
      e.conn.onNotification(TracesRecreateOffer, (o) => offers.push(o.reason));
      const set = await e.conn.sendRequest(LiveSettingsUpdate, { traces: { enabled: true, port } });
      assert.equal(set.traces.enabled, true);
      const up = await e.conn.sendRequest(RuntimeUp, { folder, trusted: true });
      const env = docker(['inspect', '--format', '{{json .Config.Env}}', up.containerId!]).stdout;
      const vars = JSON.parse(env) as string[];
      assert.ok(vars.includes(`OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${port}`), env);
      assert.ok(vars.includes('OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf'), env);
      // the config's own value stays
      assert.ok(vars.includes('OTEL_SERVICE_NAME=set-by-config') && !vars.some((v) => v === 'OTEL_SERVICE_NAME=relay-demo'), env);
      assert.deepEqual(offers, [], 'a container made with traces is not offered a recreate');

      // the program in the container posts to its own loopback (the relay starts right after up)
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const post = () =>
        docker(
          ['exec', up.containerId!, 'wget', '-q', '-O', '-', '--header', 'Content-Type: application/json', '--post-data', otlpJson(traceId, 'app-in-container'), `http://127.0.0.1:${port}/v1/traces`],
          { allowFail: true },
        );
      let sentAt = 0;
      await waitFor(() => {
        sentAt = performance.now();
        return post().code === 0;
      }, 15_000, 'a POST to the container\'s 127.0.0.1 to be answered');
      await waitFor(() => changed.some((c) => c.ids.includes(traceId)), 5000, 'TracesChanged with the trace');
      const seen = changed.find((c) => c.ids.includes(traceId))!;
      process.stderr.write(`      span POST (docker exec wget) to TracesChanged: ${Math.round(seen.at - sentAt)} ms\n`);
      const { traces } = await e.conn.sendRequest(TracesList, { service: 'app-in-container' });
      assert.deepEqual(traces.map((t) => [t.traceId, t.rootName]), [[traceId, 'GET /from-container']]);
      // nothing listens on the host's other interfaces for it
      const ip = docker(['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}', up.containerId!]).stdout.trim();
      if (ip) {
        const reached = await new Promise<boolean>((r) => {
          const s = net.connect(port, ip);
          s.once('connect', () => (s.destroy(), r(true)));
          s.once('error', () => r(false));
        });
        assert.equal(reached, false, `port ${port} answers on the gateway address ${ip}`);
      }

      // stopping the container ends its relay: a restarted one gets a new one
      docker(['restart', '-t', '0', up.containerId!]);
      await waitFor(() => post().code === 0, 15_000, 'the relay after a restart');
      await e.conn.sendRequest(RuntimeDown, { folder });
    } catch (err) {
      process.stderr.write(e.stderr.join(''));
      throw err;
    } finally {
      await stopEngine(e);
    }
  });

  it('runs the eBPF sidecar only when the user setting allows it and its image is here: privileged, host PID, in the container\'s network', async function () {
    if (process.getuid?.() !== 0) this.skip();
    // a stand-in for the eBPF instrumentation image: posts one span to the endpoint it is given
    const standIn = `hyperbox-test/ebpf-standin:${Date.now()}`;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hb-ebpf-'));
    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    writeFileSync(
      path.join(dir, 'post.sh'),
      `#!/bin/sh\nuntil wget -q -O - --header 'Content-Type: application/json' --post-data '${otlpJson(traceId, 'from-sidecar').replace('from-sidecar', "'\"$OTEL_SERVICE_NAME\"'")}' "$OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces"; do sleep 0.2; done\nexec sleep 3600\n`,
      { mode: 0o755 },
    );
    writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${busyboxImage()}\nCOPY post.sh /post.sh\nLABEL hyperbox.test=1\nCMD ["/post.sh"]\n`);
    docker(['build', '-q', '-t', standIn, dir]);
    rmSync(dir, { recursive: true, force: true });
    const e = startEngine();
    const port = await freePort();
    const folder = workspace('traces-ebpf', { name: 'ebpf-demo', image: busyboxImage(), customizations: { hyperbox: { traces: { port } } } });
    const logs: string[] = [];
    e.conn.onNotification(LogMessage, (m) => logs.push(m.message));
    try {
      await e.conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
      // the image named is missing: said plainly, nothing started
      await e.conn.sendRequest(LiveSettingsUpdate, { traces: { enabled: false, ebpf: { enabled: true, image: 'hyperbox-test/no-such-ebpf:1' } } });
      const up = await e.conn.sendRequest(RuntimeUp, { folder, trusted: true });
      const sidecar = `hb-ebpf-${up.containerId!.slice(0, 12)}`;
      await waitFor(() => logs.some((l) => l.includes('hyperbox-test/no-such-ebpf:1 is not on this machine')), 10_000, 'the missing image named');
      assert.notEqual(docker(['inspect', sidecar], { allowFail: true }).code, 0);
      // the stand-in is here: the running container's sidecar follows the setting at once
      await e.conn.sendRequest(LiveSettingsUpdate, { traces: { enabled: false, ebpf: { enabled: true, image: standIn } } });
      if (!privilegedRuns()) {
        // an engine that cannot run privileged containers (as in some CI sandboxes): said plainly, nothing left behind
        await waitFor(() => logs.some((l) => l.includes(`refused to start ${sidecar}`) && l.includes('What is missing is an engine that runs privileged containers')), 15_000, 'the refusal explained');
        assert.notEqual(docker(['inspect', sidecar], { allowFail: true }).code, 0, 'the sidecar that could not start is removed');
        await e.conn.sendRequest(RuntimeDown, { folder });
        return;
      }
      await waitFor(() => docker(['inspect', sidecar], { allowFail: true }).code === 0, 15_000, 'the sidecar');
      const host = JSON.parse(docker(['inspect', '--format', '{{json .HostConfig}}', sidecar]).stdout) as { Privileged: boolean; PidMode: string; NetworkMode: string };
      assert.deepEqual([host.Privileged, host.PidMode, host.NetworkMode], [true, 'host', `container:${up.containerId}`]);
      await waitFor(async () => (await e.conn.sendRequest(TracesList, { service: 'ebpf-demo' })).traces.some((t) => t.traceId === traceId), 15_000, 'the sidecar\'s span in the store');
      // the container stops: so does its sidecar
      docker(['stop', '-t', '0', up.containerId!]);
      await waitFor(() => docker(['inspect', sidecar], { allowFail: true }).code !== 0, 10_000, 'the sidecar removed');
      await e.conn.sendRequest(RuntimeDown, { folder });
    } catch (err) {
      process.stderr.write(e.stderr.join(''));
      throw err;
    } finally {
      await stopEngine(e);
      docker(['rmi', '-f', standIn], { allowFail: true });
    }
  });

  it('offers to recreate a running container made before traces were turned on, without calling it drift', async function () {
    const e = startEngine();
    const folder = workspace('traces-offer', { image: busyboxImage() });
    try {
      await e.conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
      const offers: { containerId: string; reason: string }[] = [];
      e.conn.onNotification(TracesRecreateOffer, (o) => offers.push(o));
      const up = await e.conn.sendRequest(RuntimeUp, { folder, trusted: true });
      assert.deepEqual(up.drift.changed, []);
      await e.conn.sendRequest(LiveSettingsUpdate, { traces: { enabled: true, port: await freePort() } });
      await waitFor(() => offers.length > 0, 5000, 'TracesRecreateOffer');
      assert.equal(offers[0].containerId, up.containerId);
      assert.match(offers[0].reason, /not a config change/);
      const again = await e.conn.sendRequest(RuntimeUp, { folder, trusted: true });
      assert.equal(again.state, 'running', 'traces on is not drift');
      assert.deepEqual(again.drift.changed, []);
      await e.conn.sendRequest(RuntimeDown, { folder });
    } finally {
      await stopEngine(e);
    }
  });

  it('samples a served container only while subscribed, with the alert the thresholds raise', async function () {
    const e = startEngine();
    const folder = workspace('pressure-live', { image: busyboxImage() });
    try {
      await e.conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
      const samples: PressureUpdate[] = [];
      e.conn.onNotification(PressureChanged, (s) => samples.push(s));
      // a threshold of 0 %: any memory figure counts, so the alert names a container or the host
      await e.conn.sendRequest(LiveSettingsUpdate, { pressure: { memorySomeWarning: 0, memoryFullError: 101 } });
      const up = await e.conn.sendRequest(RuntimeUp, { folder, trusted: true });
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(samples.length, 0, 'no samples without a subscriber');
      const { subscription } = await e.conn.sendRequest(PressureSubscribe, { who: 'test' });
      await waitFor(() => samples.some((s) => s.intervalMs !== null && s.containers.some((c) => c.containerId === up.containerId)), 6000, 'a second sample with the container');
      const last = samples[samples.length - 1];
      const mine = last.containers.find((c) => c.containerId === up.containerId)!;
      assert.ok(mine.memory || mine.missing.length, 'figures, or what is missing and why');
      if (mine.memory || last.host.memory) {
        assert.ok(last.alert, 'a 0 % threshold raises an alert');
        assert.equal(last.alert.level, 'warning');
      }
      const { subscribers } = await e.conn.sendRequest(PressureUnsubscribe, { subscription });
      assert.equal(subscribers, 0);
      await new Promise((r) => setTimeout(r, 300));
      const count = samples.length;
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(samples.length, count, 'sampling stops with the last subscriber');
      await e.conn.sendRequest(RuntimeDown, { folder });
    } finally {
      await stopEngine(e);
    }
  });
});
