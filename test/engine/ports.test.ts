// Ports and events on a real engine: forwardPorts into a running container without recreating it
// (a server on the container's address, and one bound to its localhost only, through the relay in
// its network namespace), ports added and removed while forwarding, taken host ports named with
// their holder, and Docker events reaching the editor as RuntimeContainerChanged.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import {
  Initialize,
  RuntimeContainerChanged,
  RuntimePorts,
  RuntimePortsAdd,
  RuntimePortsRemove,
  RuntimeStatus,
  RuntimeUp,
  RuntimeWatch,
  Shutdown,
  type ContainerEvent,
  type PortsResult,
} from '../../src/protocol';
import { busyboxImage, docker } from './images';
import { hb, hbAsync, hbUp, REPO, waitFor, workspace } from './helpers';

/** A free port on 127.0.0.1 (asked from the kernel, then released). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** One HTTP GET to 127.0.0.1:port; the body, or the error code. */
function get(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let body = '';
    s.setTimeout(4000, () => s.destroy());
    s.on('connect', () => s.write('GET /index.html HTTP/1.0\r\n\r\n'));
    s.on('data', (d) => (body += d));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
    s.on('close', () => resolve(body.split('\r\n\r\n')[1] ?? (body || 'closed')));
  });
}

/** A config whose container serves "hello" on `all` (every address) and `local` (its 127.0.0.1 only). */
function servingWorkspace(name: string, all: number, local: number, extra: object = {}): string {
  return workspace(
    name,
    {
      image: busyboxImage(),
      forwardPorts: [all, local],
      portsAttributes: { [String(all)]: { label: 'All addresses' }, [String(local)]: { label: 'Localhost only' } },
      postStartCommand: `mkdir -p /tmp/www && echo hello > /tmp/www/index.html && httpd -p 0.0.0.0:${all} -h /tmp/www && httpd -p 127.0.0.1:${local} -h /tmp/www`,
      ...extra,
    },
    {},
  );
}

interface Engine {
  child: ChildProcessWithoutNullStreams;
  conn: MessageConnection;
}
function startEngine(): Engine {
  const child = spawn(process.execPath, [path.join(REPO, 'dist', 'engine.js')], { env: process.env });
  child.stderr.on('data', () => undefined);
  const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  conn.listen();
  return { child, conn };
}
async function stopEngine(e: Engine): Promise<void> {
  await e.conn.sendRequest(Shutdown).catch(() => undefined);
  await new Promise((r) => (e.child.exitCode !== null ? r(undefined) : e.child.once('exit', r)));
  e.conn.dispose();
}

describe('engine: ports and events', () => {
  it('hb ports --forward forwards forwardPorts (also a localhost-only server) and follows add / remove; labels shown', async () => {
    const [all, local, extra] = [await freePort(), await freePort(), await freePort()];
    const folder = servingWorkspace('ports-cli', all, local, { appPort: [] });
    const { result } = await hbUp(folder);
    const id = result.containerId!;
    const listed = JSON.parse(hb(['ports', folder, '--json']).stdout) as PortsResult;
    assert.deepEqual(
      listed.ports.map((p) => [p.containerPort, p.label, p.state]),
      [
        [all, 'All addresses', 'not-forwarded'],
        [local, 'Localhost only', 'not-forwarded'],
      ],
    );
    const fw = hbAsync(['ports', folder, '--forward']);
    try {
      await waitFor(async () => (await get(all)) === 'hello\n', 10_000, `port ${all} forwarded`);
      // the localhost-only port goes through a relay started in the container, a moment after the direct one
      await waitFor(async () => (await get(local)) === 'hello\n', 10_000, `port ${local} (a localhost-only server) forwarded through the relay`);
      const now = JSON.parse(hb(['ports', folder, '--json']).stdout) as PortsResult;
      const byPort = new Map(now.ports.map((p) => [p.containerPort, p]));
      assert.equal(byPort.get(all)!.state, 'forwarded');
      assert.equal(byPort.get(all)!.by?.what, 'hb ports --forward');
      assert.equal(byPort.get(all)!.via, 'bridge');
      assert.equal(byPort.get(local)!.via, 'netns-relay');
      // a port added while it runs: another server in the container, then hb ports add
      docker(['exec', id, 'httpd', '-p', `127.0.0.1:${extra}`, '-h', '/tmp/www']);
      assert.equal(hb(['ports', folder, 'add', String(extra)]).code, 0);
      await waitFor(async () => (await get(extra)) === 'hello\n', 8000, `added port ${extra}`);
      assert.equal(hb(['ports', folder, 'remove', String(all)]).code, 0);
      await waitFor(async () => (await get(all)).startsWith('error ECONNREFUSED'), 8000, `removed port ${all}`);
      // the container was never recreated
      assert.equal(docker(['inspect', '-f', '{{.Id}}', id]).stdout.trim(), id);
      // the human form names labels and who forwards
      const text = hb(['ports', folder]).stdout;
      assert.match(text, /Localhost only .*forwarded by hb ports --forward \(pid \d+\), via the relay/);
      // and hb status shows the labels too
      assert.match(hb(['status', folder]).stdout, new RegExp(`Ports\\s+.*127.0.0.1:${local} -> ${local} \\(Localhost only\\) forwarded`));
    } finally {
      fw.kill('SIGINT');
      const r = await fw;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`Forwarding 127.0.0.1:${local} -> container port ${local} \\(Localhost only\\)`));
    }
    assert.match(await get(local), /^error ECONNREFUSED/, 'forwarding ends with the process');
  });

  it('a taken host port is named: a process (pid and command) or a container, never remapped', async () => {
    const [byProcess, byContainer] = [await freePort(), await freePort()];
    const holder = net.createServer().listen(byProcess, '127.0.0.1');
    const other = docker(['run', '-d', '--rm', '-p', `127.0.0.1:${byContainer}:80`, '--label', 'hyperbox.test=1', busyboxImage(), 'sleep', '60']).stdout.trim();
    try {
      const folder = workspace('ports-taken', { image: busyboxImage(), forwardPorts: [byProcess, byContainer] });
      await hbUp(folder);
      const fw = hbAsync(['ports', folder, '--forward', '--json']);
      // the forwarder reports conflicts as it starts
      await new Promise((r) => setTimeout(r, 2500));
      fw.kill('SIGINT');
      const r = await fw;
      assert.match(r.stderr, new RegExp(`Port ${byProcess} on 127.0.0.1 is already taken by .*node.* \\(pid ${process.pid}\\)`));
      assert.match(r.stderr, new RegExp(`Port ${byContainer} on 127.0.0.1 is already taken by container \\S+ \\(${other.slice(0, 12)}\\)`));
      const first = JSON.parse(r.stdout.split('\n')[0]) as PortsResult;
      assert.deepEqual(
        first.ports.map((p) => p.state),
        ['conflict', 'conflict'],
      );
    } finally {
      holder.close();
      docker(['rm', '-f', other], { allowFail: true });
    }
  });

  it('forwarding follows the container: docker stop frees the host ports, docker start forwards again; a new engine takes over once the project is asked about', async () => {
    const [all, local] = [await freePort(), await freePort()];
    const folder = servingWorkspace('ports-follow', all, local);
    const serveAgain = (id: string) => docker(['exec', id, 'sh', '-c', `httpd -p 0.0.0.0:${all} -h /tmp/www && httpd -p 127.0.0.1:${local} -h /tmp/www`]);
    const both = async () => (await get(all)) === 'hello\n' && (await get(local)) === 'hello\n';
    const freed = async () => (await get(all)).startsWith('error ECONNREFUSED') && (await get(local)).startsWith('error ECONNREFUSED');
    let e = startEngine();
    let id: string;
    try {
      await e.conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
      id = (await e.conn.sendRequest(RuntimeUp, { folder, trusted: true })).containerId!;
      await waitFor(both, 10_000, 'forwarded after up');
      docker(['stop', '-t', '1', id]);
      await waitFor(freed, 10_000, 'host ports free once the container stopped');
      const stopped = await e.conn.sendRequest(RuntimePorts, { folder });
      assert.deepEqual(
        stopped.ports.map((p) => [p.containerPort, p.state]),
        [
          [all, 'not-forwarded'],
          [local, 'not-forwarded'],
        ],
      );
      docker(['start', id]);
      serveAgain(id);
      await waitFor(both, 10_000, 'forwarded again after docker start (also the localhost-only server, through the relay)');
    } finally {
      await stopEngine(e);
    }
    await waitFor(freed, 5000, 'forwards end with the engine');
    // a new engine, as after a restart of the editor: it did not bring the container up, but serves
    // the project once the editor asks about it
    e = startEngine();
    try {
      await e.conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
      assert.deepEqual(await e.conn.sendRequest(RuntimeWatch), { watching: true });
      assert.equal(await get(all), `error ECONNREFUSED`, 'nothing forwards before the project is asked about');
      const summary = await e.conn.sendRequest(RuntimeStatus, { folder });
      assert.equal(summary.containerId, id);
      await waitFor(both, 10_000, 'the new engine forwards the running container');
      const ports = await e.conn.sendRequest(RuntimePorts, { folder });
      assert.ok(ports.ports.every((p) => p.state === 'forwarded' && p.by?.pid === e.child.pid), JSON.stringify(ports));
      docker(['stop', '-t', '1', id]);
      await waitFor(freed, 10_000, 'the new engine stops forwarding on docker stop');
      docker(['start', id]);
      serveAgain(id);
      await waitFor(both, 10_000, 'and forwards again on docker start');
    } finally {
      await stopEngine(e);
    }
  });

  it('the engine forwards forwardPorts after up, takes ports over RPC, and reports docker stop / rm as events', async () => {
    const [all, local, added] = [await freePort(), await freePort(), await freePort()];
    const folder = servingWorkspace('ports-rpc', all, local);
    const e = startEngine();
    try {
      await e.conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
      const events: ContainerEvent[] = [];
      e.conn.onNotification(RuntimeContainerChanged, (ev) => events.push(ev));
      assert.deepEqual(await e.conn.sendRequest(RuntimeWatch), { watching: true });
      const result = await e.conn.sendRequest(RuntimeUp, { folder, trusted: true });
      await waitFor(async () => (await get(all)) === 'hello\n' && (await get(local)) === 'hello\n', 10_000, 'engine forwards');
      const ports = await e.conn.sendRequest(RuntimePorts, { folder });
      assert.ok(ports.ports.every((p) => p.state === 'forwarded' && p.by?.what === 'HyperBox engine'), JSON.stringify(ports));
      // a port that is taken: an error with a code and the holder
      const holder = net.createServer().listen(added, '127.0.0.1');
      await assert.rejects(e.conn.sendRequest(RuntimePortsAdd, { folder, port: added }), (err: unknown) => {
        assert.ok(err instanceof ResponseError);
        assert.deepEqual(err.data, { code: 'port-taken' });
        assert.match(err.message, new RegExp(`pid ${process.pid}`));
        return true;
      });
      holder.close();
      await e.conn.sendRequest(RuntimePortsRemove, { folder, port: added });
      await e.conn.sendRequest(RuntimePortsRemove, { folder, port: all });
      assert.match(await get(all), /^error ECONNREFUSED/);
      // changes made outside HyperBox
      docker(['stop', '-t', '1', result.containerId!]);
      await waitFor(() => events.some((x) => x.containerId === result.containerId && x.action === 'die' && x.state === 'stopped'), 10_000, 'die event');
      await waitFor(() => events.some((x) => x.containerId === result.containerId && x.action === 'stop'), 10_000, 'stop event');
      assert.equal(events.find((x) => x.action === 'die')!.folder, folder);
      docker(['rm', '-f', result.containerId!]);
      await waitFor(() => events.some((x) => x.containerId === result.containerId && x.state === 'missing'), 10_000, 'destroy event');
      await waitFor(async () => (await get(local)).startsWith('error ECONNREFUSED'), 5000, 'forwards dropped with the container');
    } finally {
      await stopEngine(e);
    }
  });
});
