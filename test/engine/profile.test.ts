// The language profile applied at create time on a real engine: cache volumes (given to the
// remote user when made for it), environment presets the config does not set, the Node heap limit
// from the container's memory limit, ${containerEnv:...} in targets, "off", and drift.
import { strict as assert } from 'node:assert';
import { devUserImage, busyboxImage, docker } from './images';
import { RuntimeError } from '../../src/engine/runtime/errors';
import { up } from '../../src/engine/runtime/up/up';
import { collector, containersOf, dockerExec, hb, hbUp, inspect, workspace, writeConfig } from './helpers';

/** Runs `fn` with the named volumes absent at the start, and removes those it made at the end. */
async function withFreshVolumes(names: string[], fn: (fresh: boolean) => Promise<void>): Promise<void> {
  const existed = names.filter((n) => docker(['volume', 'inspect', n], { allowFail: true }).code === 0);
  // a volume another container uses stays: then its owner is not ours to check
  const fresh = existed.every((n) => docker(['volume', 'rm', n], { allowFail: true }).code === 0);
  try {
    await fn(fresh);
  } finally {
    if (fresh) for (const n of names) docker(['volume', 'rm', '-f', n], { allowFail: true });
  }
}

describe('engine: language profile', () => {
  it('applies a Node profile: npm cache volume owned by the remote user, npm_config_cache, heap limit from --memory appended to NODE_OPTIONS', async () => {
    await withFreshVolumes(['hyperbox-cache-npm'], async (fresh) => {
      const folder = workspace(
        'profile-node',
        { image: devUserImage(), remoteUser: 'dev', runArgs: ['--memory', '1g'], containerEnv: { NODE_OPTIONS: '--enable-source-maps' } },
        { 'package.json': JSON.stringify({ name: 'p', version: '1.0.0', scripts: { dev: 'node server.js' } }) },
      );
      const { result } = await hbUp(folder);
      const id = result.containerId!;
      assert.ok(result.profile, 'a profile was applied');
      assert.deepEqual(
        result.profile.entries.map((e) => e.id),
        ['npm-volume', 'npm-env', 'node-heap'],
      );
      const env = dockerExec(id, 'env');
      assert.match(env, /^npm_config_cache=\/var\/cache\/hyperbox\/npm$/m);
      // 75% of 1 GiB, after what the config set
      assert.match(env, /^NODE_OPTIONS=--enable-source-maps --max-old-space-size=768$/m);
      // the mount carries inotify events here: no polling variables
      assert.doesNotMatch(env, /CHOKIDAR_USEPOLLING/);
      const info = await inspect(id);
      assert.ok(info.Mounts.some((m) => m.Type === 'volume' && m.Name === 'hyperbox-cache-npm' && m.Destination === '/var/cache/hyperbox/npm'));
      if (fresh) assert.equal(dockerExec(id, 'stat -c %u:%g /var/cache/hyperbox/npm').trim(), '1000:1000');
      // shown by hb up, and the container is not stale on the next up
      const again = hb(['up', folder]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /Profile\s+JavaScript.*volume hyperbox-cache-npm at \/var\/cache\/hyperbox\/npm, npm_config_cache=\/var\/cache\/hyperbox\/npm, NODE_OPTIONS=--enable-source-maps --max-old-space-size=768/);
      assert.match(again.stdout, /Drift\s+none/);
      docker(['rm', '-f', id]);
    });
  });

  it('resolves ${containerEnv:...} in targets, applies nothing when "off", and counts the profile in drift', async () => {
    await withFreshVolumes(['hyperbox-cache-cargo-registry', 'hyperbox-cache-cargo-git'], async () => {
      const cargo = { 'Cargo.toml': '[package]\nname = "p"\nversion = "0.1.0"\nedition = "2021"\n', 'src/main.rs': 'fn main() {}\n' };
      const folder = workspace('profile-cargo', { image: busyboxImage(), containerEnv: { CARGO_HOME: '/opt/cargo' } }, cargo);
      const { result } = await hbUp(folder);
      const info = await inspect(result.containerId!);
      const targets = info.Mounts.filter((m) => m.Type === 'volume').map((m) => `${m.Name}=${m.Destination}`).sort();
      assert.deepEqual(targets, ['hyperbox-cache-cargo-git=/opt/cargo/git', 'hyperbox-cache-cargo-registry=/opt/cargo/registry']);
      // turning the profile off changes what the container would be: stale, with the reason
      writeConfig(folder, { image: busyboxImage(), containerEnv: { CARGO_HOME: '/opt/cargo' }, customizations: { hyperbox: { profile: 'off' } } });
      const status = JSON.parse(hb(['status', folder, '--json']).stdout);
      assert.equal(status.state, 'stale');
      assert.deepEqual(status.drift.changed, ['devcontainer.json customizations', 'language profile (removed)'].filter((c) => status.drift.changed.includes(c)));
      assert.ok(status.drift.changed.includes('language profile (removed)'), JSON.stringify(status.drift));
      const rebuilt = await hbUp(folder, { rebuild: true });
      assert.equal(rebuilt.result.profile, null);
      const after = await inspect(rebuilt.result.containerId!);
      assert.ok(!after.Mounts.some((m) => m.Type === 'volume'), 'no profile volumes when off');
      docker(['rm', '-f', rebuilt.result.containerId!]);
    });
  });
});

describe('engine: language profile, cancelled up', () => {
  it('removes the cache volumes it made for the half-made container, and keeps the ones that were there before', async () => {
    // a Poetry project: volumes for Poetry's cache (made for this container) and pip's (there before)
    const made = 'hyperbox-cache-poetry';
    const before = 'hyperbox-cache-pip';
    const hadBefore = docker(['volume', 'inspect', before], { allowFail: true }).code === 0;
    if (!hadBefore) docker(['volume', 'create', before]);
    const rm = docker(['volume', 'rm', made], { allowFail: true });
    assert.ok(rm.code === 0 || /no such volume/i.test(rm.stderr), `${made} must be absent for this test, and another container uses it: ${rm.stderr}`);
    try {
      const folder = workspace(
        'profile-cancel',
        { image: busyboxImage(), postCreateCommand: 'sleep 30' },
        { 'pyproject.toml': '[tool.poetry]\nname = "p"\nversion = "0.1.0"\n\n[tool.poetry.dependencies]\npython = "^3.11"\n', 'poetry.lock': '' },
      );
      const controller = new AbortController();
      const log = collector();
      const step = log.step;
      let existedWhileRunning = false;
      log.step = (m) => {
        step(m);
        if (m.startsWith('Running postCreateCommand')) {
          existedWhileRunning = docker(['volume', 'inspect', made], { allowFail: true }).code === 0;
          setTimeout(() => controller.abort(), 200);
        }
      };
      await assert.rejects(up({ folder, env: process.env, trusted: true, report: log, signal: controller.signal }), (e: unknown) => {
        assert.ok(e instanceof RuntimeError);
        assert.equal(e.code, 'cancelled');
        return true;
      });
      assert.ok(existedWhileRunning, `${made} was made for the container`);
      assert.deepEqual(await containersOf(folder), []);
      assert.notEqual(docker(['volume', 'inspect', made], { allowFail: true }).code, 0, `${made} was removed with the container`);
      assert.equal(docker(['volume', 'inspect', before], { allowFail: true }).code, 0, `${before} existed before and stays`);
      assert.match(log.text, /Cancelled: removed the half-made container/);
      assert.match(log.text, /Removed the cache volume hyperbox-cache-poetry made for it/);
    } finally {
      docker(['volume', 'rm', made], { allowFail: true });
      if (!hadBefore) docker(['volume', 'rm', before], { allowFail: true });
    }
  });
});
