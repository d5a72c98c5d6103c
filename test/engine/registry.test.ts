// Image pulls from a private registry: Debian's docker-registry on 127.0.0.1 behind htpasswd, an
// image pushed to it by the test; hb up pulls it with the credentials from Docker's config (and
// says to log in without them), with the layers' progress as the step's message.
import { strict as assert } from 'node:assert';
import { RuntimeError } from '../../src/engine/runtime/errors';
import { connectEngine } from '../../src/engine/runtime/engine/docker';
import { ensureImage } from '../../src/engine/runtime/build/image';
import { down } from '../../src/engine/runtime/ops';
import { startRegistry, type TestRegistry } from '../unit/helpers/registry';
import { makeFolder, removeAll } from '../unit/helpers/folders';
import { derivedImage, docker } from './images';
import { collector, dockerExec, hbUp, workspace } from './helpers';

describe('engine: image pulls from a registry that needs credentials', () => {
  let reg: TestRegistry;
  let image: string;
  const auths = () => JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('bob:pw').toString('base64') } } });
  before(async () => {
    reg = await startRegistry({ users: { bob: 'pw' } });
    image = `${reg.host}/hb/pulltest:1`;
    // push an image with a layer of its own there (dockerd speaks plain http to localhost
    // registries), then remove it here so that the pull downloads that layer
    const engine = await connectEngine(process.env);
    const local = derivedImage(`pull-${process.pid}-${Date.now()}`, `RUN echo ${Math.random()} > /nonce && dd if=/dev/urandom of=/blob bs=1024 count=2048 2>/dev/null`);
    await engine.docker.getImage(local).tag({ repo: `${reg.host}/hb/pulltest`, tag: '1' });
    const stream = (await engine.docker.getImage(image).push({ authconfig: { username: 'bob', password: 'pw', serveraddress: reg.host } }));
    await new Promise<void>((resolve, reject) =>
      engine.docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
        const failed = err?.message ?? events.find((e) => e.error)?.error;
        if (failed) reject(new Error(`push ${image}: ${failed}`));
        else resolve();
      }),
    );
    docker(['rmi', image, local]);
  });
  after(async () => {
    docker(['rmi', '-f', image], { allowFail: true });
    await reg?.stop();
    removeAll();
  });

  it('without credentials the pull fails and says to log in to that registry', async () => {
    const engine = await connectEngine(process.env);
    const env = { ...process.env, DOCKER_CONFIG: makeFolder() };
    await assert.rejects(ensureImage(engine, image, collector(), undefined, env), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.code, 'image-missing');
      assert.match(e.message, new RegExp(`image ${image} is not present and could not be pulled: .*(no basic auth credentials|unauthorized|authentication required)`, 'i'));
      assert.match(e.message, new RegExp(`docker login ${reg.host}`));
      return true;
    });
  });

  it('a tag the registry does not have: says so, names the tags that exist, and what was tried', async () => {
    const engine = await connectEngine(process.env);
    const env = { ...process.env, DOCKER_CONFIG: makeFolder({ 'config.json': auths() }) };
    const missing = `${reg.host}/hb/pulltest:2`;
    await assert.rejects(ensureImage(engine, missing, collector(), undefined, env), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.code, 'image-missing');
      assert.match(e.message, /the registry has no such image \(.*not found/);
      assert.match(e.message, new RegExp(`Tags of ${reg.host}/hb/pulltest that exist: 1\\.`));
      assert.match(e.message, new RegExp(`with the credentials for ${reg.host} from Docker's config`));
      assert.match(e.message, /Check the image name and tag/);
      return true;
    });
  });

  it('a registry nobody listens on: the connection was refused, no talk of logging in', async () => {
    const engine = await connectEngine(process.env);
    const env = { ...process.env, DOCKER_CONFIG: makeFolder() };
    await assert.rejects(ensureImage(engine, 'localhost:1/hb/nothing:1', collector(), undefined, env), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.match(e.message, /connection to the registry was refused/);
      assert.match(e.message, /without credentials/);
      assert.match(e.message, /Make the registry reachable from the Docker engine/);
      assert.doesNotMatch(e.message, /docker login/);
      return true;
    });
  });

  it('hb up pulls it with the credentials from Docker\'s config, showing the layers\' progress', async () => {
    const env = { ...process.env, DOCKER_CONFIG: makeFolder({ 'config.json': auths() }) };
    const folder = workspace('registry-pull', { image });
    try {
      const { result, log } = await hbUp(folder, { env });
      assert.equal(result.state, 'running');
      assert.equal(dockerExec(result.containerId!, 'echo pulled').trim(), 'pulled');
      assert.match(log.text, new RegExp(`Pulling ${image.replace(/[.]/g, '\\.')}: .*\\d+ of \\d+ layers done`));
    } finally {
      await down({ folder, env: process.env }).catch(() => undefined);
    }
  });
});
