// The registry client and OCI Feature downloads against Debian's docker-registry on 127.0.0.1:
// anonymous, htpasswd (Basic), and a Bearer-token issuer in front of it; tag resolution, 404s
// that list the tags, a corrupted blob, credentials from Docker's config and a credential helper,
// and the cache used when the registry is gone.
import assert from 'node:assert/strict';
import { promises as fs, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { RegistryClient, RegistryError } from '../../../src/engine/registry/client';
import { fetchOciFeature, fetchTarballFeature } from '../../../src/engine/registry/features';
import { parseRef, resolveTag } from '../../../src/engine/registry/reference';
import { readFeatures } from '../../../src/engine/runtime/build/features';
import type { ResolvedConfig } from '../../../src/protocol';
import type { Reporter } from '../../../src/engine/runtime/report';
import { makeFolder, removeAll } from '../helpers/folders';
import { blobFile, freePort, publishFeature, startRegistry, tarOf, type TestRegistry } from '../helpers/registry';

function recorder(): Reporter & { warnings: string[]; steps: string[] } {
  const warnings: string[] = [];
  const steps: string[] = [];
  return { warnings, steps, step: (m) => steps.push(m), output: () => undefined, info: () => undefined, warn: (m) => warnings.push(m) };
}

const hello = { id: 'hello', version: '1.2.3', name: 'Hello', options: { greeting: { type: 'string', default: 'hi' } } };

describe('registry: references', () => {
  it('parses registry, repository, tag and digest, and defaults to latest', () => {
    const r = parseRef('ghcr.io/devcontainers/features/node:1')!;
    assert.deepEqual([r.registry, r.repository, r.tag, r.id, r.resource], ['ghcr.io', 'devcontainers/features/node', '1', 'node', 'ghcr.io/devcontainers/features/node']);
    const d = parseRef(`localhost:5000/a/b@sha256:${'a'.repeat(64)}`)!;
    assert.equal(d.registry, 'localhost:5000');
    assert.equal(d.digest, `sha256:${'a'.repeat(64)}`);
    assert.equal(parseRef('ghcr.io/x/y')!.tag, 'latest');
    assert.equal(parseRef('node:1'), undefined, 'a Feature needs its registry');
    assert.equal(parseRef('debian:12', 'docker.io')!.repository, 'library/debian');
    assert.equal(parseRef('ghcr.io/X/y:1'), undefined, 'upper case is not a repository name');
  });

  it('resolves "1" and "1.2" to the newest release they cover', () => {
    const tags = ['1.0.0', '1.2.0', '1.2.7', '1.10.1', '2.0.0', '2.1.0-rc.1', 'latest'];
    assert.equal(resolveTag('1', tags), '1.10.1');
    assert.equal(resolveTag('1.2', tags), '1.2.7');
    assert.equal(resolveTag('2', tags), '2.0.0');
    assert.equal(resolveTag('3', tags), undefined);
    assert.equal(resolveTag('latest', tags), 'latest');
  });
});

describe('registry: docker-registry, anonymous', function () {
  this.timeout(60_000);
  let reg: TestRegistry;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    reg = await startRegistry();
  });
  beforeEach(() => {
    env = { ...process.env, HB_CACHE_DIR: makeFolder(), DOCKER_CONFIG: makeFolder() };
  });
  after(async () => {
    await reg?.stop();
    removeAll();
  });

  it('downloads a Feature by its major version, unpacks it and records version and digest', async () => {
    const pub = await publishFeature(reg, 'hb/features/hello', hello, '#!/bin/sh\necho hello\n');
    const report = recorder();
    const f = await fetchOciFeature(`${reg.host}/hb/features/hello:1`, { client: new RegistryClient({ env }), report, env });
    assert.equal(f.version, '1.2.3');
    assert.equal(f.integrity, pub.manifestDigest);
    assert.equal(f.resolved, `${reg.host}/hb/features/hello@${pub.manifestDigest}`);
    assert.match(await fs.readFile(path.join(f.dir, 'install.sh'), 'utf8'), /echo hello/);
    assert.equal(JSON.parse(await fs.readFile(path.join(f.dir, 'devcontainer-feature.json'), 'utf8')).id, 'hello');
    assert.ok(report.steps.some((s) => s.startsWith('Downloading Feature')));
    // by digest, it comes from the cache without asking the registry
    const again = recorder();
    const byDigest = await fetchOciFeature(`${reg.host}/hb/features/hello@${pub.manifestDigest}`, { client: new RegistryClient({ env }), report: again, env });
    assert.equal(byDigest.dir, f.dir);
    assert.deepEqual(again.steps, []);
  });

  it('reads a config\'s registry Features side by side, in the config\'s order; the first to fail in that order is the error', async () => {
    await publishFeature(reg, 'hb/features/par-a', { id: 'par-a', version: '1.0.0' }, 'true\n', ['1']);
    await publishFeature(reg, 'hb/features/par-b', { id: 'par-b', version: '1.0.0' }, 'true\n', ['1']);
    const folder = makeFolder({ '.devcontainer/': '' });
    const resolved = (features: Record<string, unknown>) =>
      ({ configFile: path.join(folder, '.devcontainer', 'devcontainer.json'), workspaceFolder: folder, config: { image: 'x', features }, kind: 'image', paths: {} }) as unknown as ResolvedConfig;
    const report = recorder();
    const list = await readFeatures(resolved({ [`${reg.host}/hb/features/par-b:1`]: {}, [`${reg.host}/hb/features/par-a:1`]: {} }), { env, report });
    assert.deepEqual(list.map((f) => f.id), ['par-b', 'par-a']);
    assert.equal(report.steps.filter((s) => s.startsWith('Downloading Feature')).length, 2);
    // two that do not exist: whichever 404 comes back first, the error names the first in the config
    const err = await readFeatures(resolved({ [`${reg.host}/hb/features/par-a:1`]: {}, [`${reg.host}/hb/features/par-none-x:1`]: {}, [`${reg.host}/hb/features/par-none-y:1`]: {} }), { env, report: recorder() }).catch((e: unknown) => e);
    assert.ok(err instanceof RegistryError, String(err));
    assert.match(err.message, /par-none-x:1/);
    assert.doesNotMatch(err.message, /par-none-y/);
  });

  it('resolves "2" against the tags when only full versions are published', async () => {
    await publishFeature(reg, 'hb/features/two', { id: 'two', version: '2.0.1' }, 'true\n', ['2.0.1']);
    const newer = await publishFeature(reg, 'hb/features/two', { id: 'two', version: '2.1.0' }, 'true\n', ['2.1.0']);
    const f = await fetchOciFeature(`${reg.host}/hb/features/two:2`, { client: new RegistryClient({ env }), report: recorder(), env });
    assert.equal(f.version, '2.1.0');
    assert.equal(f.integrity, newer.manifestDigest);
  });

  it('a missing tag is a 404 that names the reference and the tags that exist', async () => {
    await publishFeature(reg, 'hb/features/few', { id: 'few', version: '1.0.0' }, 'true\n', ['1.0.0', '1']);
    const err = await fetchOciFeature(`${reg.host}/hb/features/few:3`, { client: new RegistryClient({ env }), report: recorder(), env }).catch((e) => e);
    assert.ok(err instanceof RegistryError, String(err));
    assert.equal(err.kind, 'not-found');
    assert.match(err.message, /few:3/);
    assert.match(err.message, /no tag "3"/);
    assert.match(err.message, /Tags that exist: (1\.0\.0, 1|1, 1\.0\.0)/);
    const none = await fetchOciFeature(`${reg.host}/hb/features/nothing:1`, { client: new RegistryClient({ env }), report: recorder(), env }).catch((e) => e);
    assert.match(none.message, /has no tags \(or does not exist\)/);
  });

  it('refuses a blob whose content does not match its digest, and installs nothing', async () => {
    const pub = await publishFeature(reg, 'hb/features/tampered', { id: 'tampered', version: '1.0.0' }, 'echo genuine\n', ['1']);
    // change the blob in the registry's storage behind its back
    writeFileSync(blobFile(reg, pub.layerDigest), await tarOf({ 'devcontainer-feature.json': '{"id":"tampered","version":"1.0.0"}', 'install.sh': 'echo evil\n' }));
    const err = await fetchOciFeature(`${reg.host}/hb/features/tampered:1`, { client: new RegistryClient({ env }), report: recorder(), env }).catch((e) => e);
    assert.ok(err instanceof RegistryError, String(err));
    assert.equal(err.kind, 'integrity');
    assert.match(err.message, new RegExp(`not ${pub.layerDigest}`));
    const cached = await fs.readdir(path.join(env.HB_CACHE_DIR!, 'features')).catch(() => []);
    assert.ok(!cached.some((n) => n === pub.manifestDigest.slice(7)), 'nothing unpacked');
  });

  it('uses the cached copy, with a warning, when the registry cannot be reached', async () => {
    const other = await startRegistry();
    const pub = await publishFeature(other, 'hb/features/cached', { id: 'cached', version: '1.0.0' }, 'true\n', ['1']);
    const first = await fetchOciFeature(`${other.host}/hb/features/cached:1`, { client: new RegistryClient({ env }), report: recorder(), env });
    await other.stop();
    const report = recorder();
    const again = await fetchOciFeature(`${other.host}/hb/features/cached:1`, { client: new RegistryClient({ env, timeoutMs: 5000 }), report, env });
    assert.equal(again.dir, first.dir);
    assert.equal(again.integrity, pub.manifestDigest);
    assert.equal(again.offline, true);
    assert.match(report.warnings.join('\n'), /could not be reached: the connection was refused/);
    assert.match(report.warnings.join('\n'), /Using the copy of .*cached:1 cached on/);
    // nothing cached for another reference: the error says so
    const err = await fetchOciFeature(`${other.host}/hb/features/other:1`, { client: new RegistryClient({ env, timeoutMs: 5000 }), report: recorder(), env }).catch((e) => e);
    assert.equal(err.kind, 'unreachable');
    assert.match(err.message, /http:\/\/localhost:\d+\/v2\/hb\/features\/other\/manifests\/1 could not be reached: the connection was refused.*No copy .* is cached either/s);
  });

  it('names the host that cannot be resolved', async () => {
    const err = await fetchOciFeature('nosuchhost.invalid/x/y:1', { client: new RegistryClient({ env, timeoutMs: 5000 }), report: recorder(), env }).catch((e) => e);
    assert.equal(err.kind, 'unreachable');
    assert.match(err.message, /https:\/\/nosuchhost\.invalid\/v2\/x\/y\/manifests\/1 could not be reached: the host name could not be resolved/);
  });

  it('installs from a tarball URL (http for localhost), cached by its sha256', async () => {
    const tgz = await tarOf({ 'devcontainer-feature.json': '{"id":"tarred","version":"0.3.0"}', 'install.sh': 'true\n' });
    const server = http.createServer((req, res) => (req.url === '/f.tar' ? res.end(tgz) : ((res.statusCode = 404), res.end())));
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    try {
      const f = await fetchTarballFeature(`http://localhost:${port}/f.tar`, { client: new RegistryClient({ env }), report: recorder(), env });
      assert.equal(f.version, '0.3.0');
      assert.match(f.integrity, /^sha256:[a-f0-9]{64}$/);
      const missing = await fetchTarballFeature(`http://localhost:${port}/nope.tar`, { client: new RegistryClient({ env }), report: recorder(), env }).catch((e) => e);
      assert.match(missing.message, /HTTP 404/);
      const plain = await fetchTarballFeature('http://example.invalid/f.tgz', { client: new RegistryClient({ env }), report: recorder(), env }).catch((e) => e);
      assert.match(plain.message, /plain http, which HyperBox allows only for localhost/);
    } finally {
      server.close();
    }
  });
});

describe('registry: docker-registry with htpasswd (Basic)', function () {
  this.timeout(60_000);
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry({ users: { alice: 's3cret' } });
    await publishFeature(reg, 'team/features/private', { id: 'private', version: '1.0.0' }, 'true\n', ['1']);
  });
  after(async () => {
    await reg?.stop();
    removeAll();
  });

  it('without credentials: says to log in to that registry', async () => {
    const env = { ...process.env, HB_CACHE_DIR: makeFolder(), DOCKER_CONFIG: makeFolder() };
    const err = await fetchOciFeature(`${reg.host}/team/features/private:1`, { client: new RegistryClient({ env }), report: recorder(), env }).catch((e) => e);
    assert.equal(err.kind, 'auth');
    assert.match(err.message, new RegExp(`needs credentials .*docker login ${reg.host}`));
  });

  it('with "auths" in Docker\'s config: downloads; with a wrong password: says whose credentials were refused', async () => {
    const auth = (p: string) => JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`alice:${p}`).toString('base64') } } });
    const good = makeFolder({ 'config.json': auth('s3cret') });
    const env = { ...process.env, HB_CACHE_DIR: makeFolder(), DOCKER_CONFIG: good };
    const f = await fetchOciFeature(`${reg.host}/team/features/private:1`, { client: new RegistryClient({ env }), report: recorder(), env });
    assert.equal(f.version, '1.0.0');
    const bad = { ...env, HB_CACHE_DIR: makeFolder(), DOCKER_CONFIG: makeFolder({ 'config.json': auth('wrong') }) };
    const err = await fetchOciFeature(`${reg.host}/team/features/private:1`, { client: new RegistryClient({ env: bad }), report: recorder(), env: bad }).catch((e) => e);
    assert.equal(err.kind, 'auth');
    assert.match(err.message, /refused the credentials from .*config\.json "auths"/);
  });

  it('with a credential helper named in "credHelpers"', async () => {
    const bin = makeFolder({ 'docker-credential-hbtest': '#!/bin/sh\nread server\necho "{\\"ServerURL\\":\\"$server\\",\\"Username\\":\\"alice\\",\\"Secret\\":\\"s3cret\\"}"\n' });
    await fs.chmod(path.join(bin, 'docker-credential-hbtest'), 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, HB_CACHE_DIR: makeFolder(), DOCKER_CONFIG: makeFolder({ 'config.json': JSON.stringify({ credHelpers: { [reg.host]: 'hbtest' } }) }) };
    const f = await fetchOciFeature(`${reg.host}/team/features/private:1`, { client: new RegistryClient({ env }), report: recorder(), env });
    assert.equal(f.version, '1.0.0');
    const missing = { ...env, DOCKER_CONFIG: makeFolder({ 'config.json': JSON.stringify({ credsStore: 'hb-absent' }) }) };
    const err = await fetchOciFeature(`${reg.host}/team/features/private:1`, { client: new RegistryClient({ env: missing }), report: recorder(), env: missing }).catch((e) => e);
    assert.match(err.message, /docker-credential-hb-absent is not on the PATH/);
  });
});

describe('registry: Bearer token challenge (a token issuer in front of docker-registry)', function () {
  // docker-registry's own `auth.token` needs a signing certificate; this test puts a small Node
  // gate in front of the real registry instead: it answers 401 with a Bearer challenge, issues
  // tokens at its realm (anonymous, or for alice's Basic credentials), and proxies authorised
  // requests to the registry.
  this.timeout(60_000);
  let reg: TestRegistry;
  let gate: http.Server;
  let host: string;
  const issued: { scope: string; user: string }[] = [];
  before(async () => {
    reg = await startRegistry();
    await publishFeature(reg, 'public/features/open', { id: 'open', version: '1.0.0' }, 'true\n', ['1']);
    await publishFeature(reg, 'private/features/closed', { id: 'closed', version: '1.0.0' }, 'true\n', ['1']);
    const port = await freePort();
    host = `localhost:${port}`;
    gate = http.createServer((req, res) => {
      const url = new URL(req.url!, `http://${host}`);
      if (url.pathname === '/token') {
        const basic = req.headers.authorization?.startsWith('Basic ') ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString() : '';
        const user = basic === 'alice:pw' ? 'alice' : basic ? 'bad' : 'anonymous';
        const scope = url.searchParams.get('scope') ?? '';
        if (user === 'bad' || url.searchParams.get('service') !== 'hb-test' || (scope.includes('private/') && user !== 'alice')) {
          res.statusCode = 401;
          return res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        }
        issued.push({ scope, user });
        res.setHeader('content-type', 'application/json');
        return res.end(JSON.stringify({ token: `tok:${user}:${scope}` }));
      }
      const repo = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(url.pathname)?.[1];
      const want = `Bearer tok:${repo?.startsWith('private/') ? 'alice' : 'anonymous'}:repository:${repo}:pull`;
      const alice = `Bearer tok:alice:repository:${repo}:pull`;
      if (req.headers.authorization !== want && req.headers.authorization !== alice) {
        res.statusCode = 401;
        res.setHeader('www-authenticate', `Bearer realm="http://${host}/token",service="hb-test",scope="repository:${repo}:pull"`);
        return res.end();
      }
      const up = http.request({ host: '127.0.0.1', port: reg.port, path: req.url, method: req.method, headers: { accept: req.headers.accept ?? '*/*' } }, (r) => {
        res.writeHead(r.statusCode!, r.headers);
        r.pipe(res);
      });
      up.end();
    });
    await new Promise<void>((r) => gate.listen(port, '127.0.0.1', r));
  });
  after(async () => {
    gate?.close();
    await reg?.stop();
    removeAll();
  });

  it('gets an anonymous token for a public repository, scoped to it', async () => {
    const env = { ...process.env, HB_CACHE_DIR: makeFolder(), DOCKER_CONFIG: makeFolder() };
    const f = await fetchOciFeature(`${host}/public/features/open:1`, { client: new RegistryClient({ env }), report: recorder(), env });
    assert.equal(f.version, '1.0.0');
    assert.deepEqual(issued.at(-1), { scope: 'repository:public/features/open:pull', user: 'anonymous' });
  });

  it('a private repository: refused anonymously with advice to log in, then served with the user\'s credentials', async () => {
    const anon = { ...process.env, HB_CACHE_DIR: makeFolder(), DOCKER_CONFIG: makeFolder() };
    const err = await fetchOciFeature(`${host}/private/features/closed:1`, { client: new RegistryClient({ env: anon }), report: recorder(), env: anon }).catch((e) => e);
    assert.equal(err.kind, 'auth');
    assert.match(err.message, new RegExp(`token service http://${host}/token refused an anonymous token \\(HTTP 401\\).*docker login ${host}`));
    const env = { ...anon, DOCKER_CONFIG: makeFolder({ 'config.json': JSON.stringify({ auths: { [host]: { auth: Buffer.from('alice:pw').toString('base64') } } }) }) };
    const f = await fetchOciFeature(`${host}/private/features/closed:1`, { client: new RegistryClient({ env }), report: recorder(), env });
    assert.equal(f.version, '1.0.0');
    assert.deepEqual(issued.at(-1), { scope: 'repository:private/features/closed:pull', user: 'alice' });
  });
});
