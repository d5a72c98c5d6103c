// Docker's config as the credential source: the keys a registry is stored under (Docker Hub's
// legacy URL, https:// prefixes), identity tokens, and the authconfig image pulls send.
import assert from 'node:assert/strict';
import { dockerAuthConfig, lookupCredentials } from '../../../src/engine/registry/credentials';
import { parseChallenge } from '../../../src/engine/registry/client';
import { PullProgress } from '../../../src/engine/runtime/build/image';
import { makeFolder, removeAll } from '../helpers/folders';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('registry: credentials from Docker\'s config', () => {
  after(removeAll);
  const envWith = (config: object) => ({ HOME: makeFolder(), DOCKER_CONFIG: makeFolder({ 'config.json': JSON.stringify(config) }) });

  it('finds Docker Hub under its legacy URL and other registries with or without https://', async () => {
    const env = envWith({ auths: { 'https://index.docker.io/v1/': { auth: b64('hub:pw') }, 'https://ghcr.io': { auth: b64('me:tok:en') } } });
    assert.deepEqual(await lookupCredentials('docker.io', env).then((c) => [c?.username, c?.password]), ['hub', 'pw']);
    assert.deepEqual(await lookupCredentials('ghcr.io', env).then((c) => [c?.username, c?.password]), ['me', 'tok:en']);
    assert.equal(await lookupCredentials('quay.io', env), undefined);
  });

  it('passes identity tokens on, and says which file could not be read', async () => {
    const env = envWith({ auths: { 'example.com:5000': { identitytoken: 'refresh-me' } } });
    const c = await lookupCredentials('example.com:5000', env);
    assert.equal(c?.identityToken, 'refresh-me');
    assert.deepEqual(dockerAuthConfig('example.com:5000', c), { identitytoken: 'refresh-me', serveraddress: 'example.com:5000' });
    assert.deepEqual(dockerAuthConfig('docker.io', { username: 'u', password: 'p', source: 'x' }), { username: 'u', password: 'p', serveraddress: 'https://index.docker.io/v1/' });
    const broken = { HOME: makeFolder(), DOCKER_CONFIG: makeFolder({ 'config.json': '{not json' }) };
    await assert.rejects(lookupCredentials('ghcr.io', broken), /Docker's config .*config\.json could not be read/);
  });

  it('parses Bearer and Basic challenges', () => {
    assert.deepEqual(parseChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull"'), {
      scheme: 'bearer',
      params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:a/b:pull' },
    });
    assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
    assert.equal(parseChallenge(null), undefined);
  });

  it('sums a pull\'s layer events into one progress line', () => {
    const p = new PullProgress();
    assert.equal(p.summary(), undefined);
    p.add({ id: 'a', status: 'Pulling fs layer' });
    p.add({ id: 'b', status: 'Already exists' });
    p.add({ id: 'a', status: 'Downloading', progressDetail: { current: 1024 * 1024, total: 4 * 1024 * 1024 } });
    assert.equal(p.summary(), '1.0 MB of 4.0 MB, 1 of 2 layers done');
    p.add({ id: 'a', status: 'Pull complete' });
    assert.equal(p.summary(), '4.0 MB of 4.0 MB, 2 of 2 layers done');
  });
});
