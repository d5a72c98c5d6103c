// Which engine hb talks to: DOCKER_CONTEXT, DOCKER_HOST, the current context, the default socket.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectEngine, warmEngine } from '../../../src/engine/runtime/engine/docker';
import { parseDockerHost, resolveEndpoint } from '../../../src/engine/runtime/engine/endpoint';

describe('runtime: docker endpoint', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hb-endpoint-'));
    const meta = (name: string, host: string) => {
      const d = path.join(dir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
      mkdirSync(d, { recursive: true });
      writeFileSync(path.join(d, 'meta.json'), JSON.stringify({ Name: name, Endpoints: { docker: { Host: host } } }));
    };
    meta('remote', 'ssh://me@build-box:2222');
    meta('tcp', 'tcp://127.0.0.1:2375');
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ currentContext: 'tcp' }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parses unix, tcp and ssh addresses', () => {
    assert.deepEqual(parseDockerHost('unix:///run/user/1000/podman/podman.sock', 'DOCKER_HOST').options, { socketPath: '/run/user/1000/podman/podman.sock' });
    assert.deepEqual(parseDockerHost('tcp://10.0.0.5:2376', 'x').options, { host: '10.0.0.5', port: '2376', protocol: 'http' });
    assert.deepEqual(parseDockerHost('ssh://me@box', 'x').options, { host: 'box', port: 22, protocol: 'ssh', username: 'me' });
    assert.throws(() => parseDockerHost('npipe:////./pipe/docker_engine', 'DOCKER_HOST'), /Windows named pipe/);
    assert.throws(() => parseDockerHost('bogus', 'DOCKER_HOST'), /has no scheme/);
  });

  it('follows DOCKER_CONTEXT, then DOCKER_HOST, then the current context, then the default socket', async () => {
    assert.equal((await resolveEndpoint({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'remote', DOCKER_HOST: 'tcp://x:1' })).source, 'docker context "remote"');
    const fromHost = await resolveEndpoint({ DOCKER_CONFIG: dir, DOCKER_HOST: 'unix:///tmp/d.sock' });
    assert.deepEqual([fromHost.source, fromHost.options.socketPath], ['DOCKER_HOST', '/tmp/d.sock']);
    const current = await resolveEndpoint({ DOCKER_CONFIG: dir });
    assert.deepEqual([current.source, current.host], ['docker context "tcp"', 'tcp://127.0.0.1:2375']);
    const none = await resolveEndpoint({ DOCKER_CONFIG: path.join(dir, 'nothing-here') });
    assert.deepEqual([none.source, none.options.socketPath], ['default', '/var/run/docker.sock']);
    await assert.rejects(resolveEndpoint({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'gone' }), /docker context "gone" is selected but cannot be read/);
  });

  it('talks to a socket engine over one kept-alive connection, without working out a TLS server name per request', async () => {
    // Node works the name out with net.isIP (its IPv6 pattern: ~10 ms of CPU the first times)
    // unless the agent says there is none; plain HTTP never sends it
    const sock = path.join(dir, 'engine.sock');
    let connections = 0;
    const server = createServer((req, res) => {
      res.setHeader('Server', 'Docker/99.0.0 (linux)');
      res.setHeader('Api-Version', '1.99');
      res.setHeader('Content-Type', 'application/json');
      res.end(req.url?.startsWith('/containers/json') ? '[]' : 'OK');
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    // the module object Node's http agent calls (an import's namespace cannot be changed)
    const net = require('node:net') as typeof import('node:net');
    const isIP = net.isIP;
    let asked = 0;
    net.isIP = (input: string) => (asked++, isIP(input));
    try {
      const engine = await connectEngine({ DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: dir });
      assert.equal((await engine.info()).version, '99.0.0');
      assert.deepEqual(await engine.docker.listContainers({ all: true }), []);
      assert.deepEqual(await engine.docker.listContainers({ all: true }), []);
      assert.equal(asked, 0);
      assert.equal(connections, 1);
    } finally {
      net.isIP = isIP;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('warming up a connection that fails drops the error; the connect after it throws it as before', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const env = { DOCKER_HOST: 'bogus', DOCKER_CONFIG: dir };
      warmEngine(env);
      await new Promise((r) => setTimeout(r, 50));
      await assert.rejects(connectEngine(env), /has no scheme/);
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('uses TLS for tcp with DOCKER_TLS_VERIFY', async () => {
    const e = await resolveEndpoint({ DOCKER_CONFIG: dir, DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' });
    assert.deepEqual([e.options.protocol, e.tlsDir], ['https', '/certs']);
  });
});
