// A docker context whose endpoint is tcp with TLS: SkipTLSVerify means TLS without checking the
// server's certificate; without it, the context's ca.pem must vouch for the server. Checked
// against a real HTTPS server on 127.0.0.1 that answers like an engine's /version.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectEngine } from '../../../src/engine/runtime/engine/docker';
import { resolveEndpoint } from '../../../src/engine/runtime/engine/endpoint';

function selfSigned(dir: string, name: string): { key: string; cert: string } {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
}

describe('runtime: docker contexts with TLS', () => {
  let dir: string;
  let server: Server;
  let port: number;
  const context = (name: string, docker: Record<string, unknown>, tls?: Record<string, string>) => {
    const id = createHash('sha256').update(name).digest('hex');
    mkdirSync(path.join(dir, 'contexts', 'meta', id), { recursive: true });
    writeFileSync(path.join(dir, 'contexts', 'meta', id, 'meta.json'), JSON.stringify({ Name: name, Endpoints: { docker } }));
    if (tls) {
      const tlsDir = path.join(dir, 'contexts', 'tls', id, 'docker');
      mkdirSync(tlsDir, { recursive: true });
      for (const [f, text] of Object.entries(tls)) writeFileSync(path.join(tlsDir, f), text);
    }
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hb-tls-'));
    const serverCert = selfSigned(dir, 'engine');
    const otherCa = selfSigned(dir, 'someone-else');
    server = createServer({ key: serverCert.key, cert: serverCert.cert }, (req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ Version: '99.0-test', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64', Components: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    context('skip', { Host: `tcp://127.0.0.1:${port}`, SkipTLSVerify: true });
    context('verify', { Host: `tcp://127.0.0.1:${port}`, SkipTLSVerify: false }, { 'ca.pem': otherCa.cert });
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('SkipTLSVerify: TLS even without certificates, and any server certificate is accepted', async () => {
    const endpoint = await resolveEndpoint({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'skip' });
    assert.deepEqual([endpoint.options.protocol, endpoint.tlsVerify], ['https', false]);
    const engine = await connectEngine({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'skip' });
    const info = await engine.info();
    assert.equal(info.version, '99.0-test');
  });

  it('without SkipTLSVerify a server the context CA did not sign is refused', async () => {
    const endpoint = await resolveEndpoint({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'verify' });
    assert.deepEqual([endpoint.options.protocol, endpoint.tlsVerify], ['https', true]);
    const engine = await connectEngine({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'verify' });
    await assert.rejects(engine.info(), /self[- ]signed certificate|unable to verify|certificate/i);
  });
});
