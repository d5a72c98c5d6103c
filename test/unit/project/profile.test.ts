// Language profiles: the data per stack, rule evaluation, conditions and checks against the config.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { DetectionResult, LanguageProfile, ProfileEntry, ProfileEnvEntry, ProfileVolumeEntry } from '../../../src/protocol';
import { detectProject } from '../../../src/engine/project/detect';
import { buildProfile, CACHE_ROOT, evaluateRule, parseSize } from '../../../src/engine/project/profile';
import { profileFolder } from '../../../src/engine/project/profile-folder';
import { resolveConfig } from '../../../src/engine/devcontainer/resolve';

const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'projects');
const detections = new Map<string, DetectionResult>();
async function det(name: string): Promise<DetectionResult> {
  if (!detections.has(name)) detections.set(name, await detectProject(path.join(FIXTURES, name)));
  return detections.get(name)!;
}
const entry = (p: LanguageProfile, id: string): ProfileEntry => {
  const e = p.entries.find((x) => x.id === id);
  assert.ok(e, `no entry ${id} in ${p.entries.map((x) => x.id).join(', ')}`);
  return e;
};
const env = (p: LanguageProfile, name: string): ProfileEnvEntry | undefined => p.entries.find((e): e is ProfileEnvEntry => e.kind === 'env' && e.name === name);

describe('project detection: language profiles', () => {
  it('gives every entry an id, a why and a status, and caches on shared volumes outside the workspace', async () => {
    for (const name of ['nextjs-app-pnpm', 'fastapi-uv', 'go-gin', 'rust-axum', 'spring-boot-maven', 'rails', 'laravel', 'aspnetcore-minimal', 'cmake-cpp']) {
      const p = buildProfile(await det(name));
      const ids = p.entries.map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length, `${name}: duplicate ids`);
      for (const e of p.entries) {
        assert.ok(e.why.length > 20, `${name}/${e.id}: why`);
        assert.ok(['apply', 'suggest', 'conditional', 'skip'].includes(e.status));
        if (e.kind === 'volume' && e.apply === 'auto') {
          assert.equal(e.overWorkspace, false, `${name}/${e.id}: automatic volumes never cover the workspace`);
          assert.equal(e.scope, 'shared');
          assert.ok(!e.target.includes('containerWorkspaceFolder'));
        }
        if (e.kind === 'volume' && e.overWorkspace) assert.equal(e.apply, 'suggested', `${name}/${e.id}: volumes over the workspace are only suggested`);
      }
    }
  });

  it('Node: package-manager cache, heap rule from the memory limit, watcher polling, node_modules suggested', async () => {
    const d = await det('nextjs-app-pnpm');
    const p = buildProfile(d);
    const vol = entry(p, 'pnpm-volume') as ProfileVolumeEntry;
    assert.equal(vol.source, 'hyperbox-cache-pnpm');
    assert.equal(vol.target, `${CACHE_ROOT}/pnpm`);
    assert.equal(vol.status, 'apply');
    assert.equal(env(p, 'npm_config_store_dir')!.value, `${CACHE_ROOT}/pnpm/store`);
    const heap = env(p, 'NODE_OPTIONS')!;
    assert.equal(heap.mode, 'append');
    assert.equal(heap.unlessContains, '--max-old-space-size');
    assert.deepEqual(heap.rule, { kind: 'memory-percent', percent: 75, format: '--max-old-space-size={mb}', minMb: 512 });
    assert.equal(heap.value, null, 'evaluated by the runtime once it knows the limit');
    assert.equal(heap.status, 'apply');
    assert.equal(env(buildProfile(d, { memoryLimitBytes: 4 * 1024 ** 3 }), 'NODE_OPTIONS')!.value, '--max-old-space-size=3072');
    assert.equal(env(buildProfile(d, { memoryLimitBytes: 256 * 1024 ** 2 }), 'NODE_OPTIONS')!.value, '--max-old-space-size=512', 'never below the floor');
    assert.equal(env(buildProfile(d, { memoryLimitBytes: 0 }), 'NODE_OPTIONS')!.status, 'skip', 'no limit: Node decides');
    assert.equal(env(p, 'CHOKIDAR_USEPOLLING')!.status, 'conditional');
    assert.equal(env(p, 'WATCHPACK_POLLING')!.when, 'no-inotify');
    assert.equal(env(buildProfile(d, { inotify: false }), 'WATCHPACK_POLLING')!.status, 'apply');
    assert.equal(env(buildProfile(d, { inotify: true }), 'WATCHPACK_POLLING')!.status, 'skip');
    const nm = entry(p, 'node-modules') as ProfileVolumeEntry;
    assert.equal(nm.status, 'suggest');
    assert.equal(nm.overWorkspace, true);
    assert.equal(nm.target, '${containerWorkspaceFolder}/node_modules');
    assert.equal(nm.source, 'hyperbox-${devcontainerId}-node-modules');
    assert.equal(p.reload.strategy, 'framework-native');
  });

  it('Python: uv cache, PYTHONUNBUFFERED, watchfiles polling and a suggested .venv', async () => {
    const p = buildProfile(await det('fastapi-uv'));
    assert.equal(env(p, 'UV_CACHE_DIR')!.value, `${CACHE_ROOT}/uv`);
    assert.equal(env(p, 'UV_LINK_MODE')!.value, 'copy');
    assert.equal(env(p, 'PYTHONUNBUFFERED')!.value, '1');
    assert.equal(env(p, 'WATCHFILES_FORCE_POLLING')!.when, 'no-inotify');
    assert.equal((entry(p, 'venv') as ProfileVolumeEntry).target, '${containerWorkspaceFolder}/.venv');
    assert.equal(p.reload.strategy, 'framework-native', 'uvicorn --reload watches');
    assert.ok(p.reload.rebuildOn.includes('uv.lock'));
    const pip = buildProfile(await det('django-pip'));
    assert.equal(env(pip, 'PIP_CACHE_DIR')!.value, `${CACHE_ROOT}/pip`);
    const poetry = buildProfile(await det('django-poetry'));
    assert.ok(env(poetry, 'POETRY_CACHE_DIR'));
  });

  it('Go, Rust and the JVM: module/build caches, the Cargo registry, Maven/Gradle caches and the JVM heap', async () => {
    const go = buildProfile(await det('go-gin'));
    assert.equal(env(go, 'GOMODCACHE')!.value, `${CACHE_ROOT}/go-mod`);
    assert.equal(env(go, 'GOCACHE')!.value, `${CACHE_ROOT}/go-build`);
    assert.equal(go.reload.strategy, 'restart', 'go run does not watch');
    assert.equal(buildProfile(await det('go-fiber-air')).reload.strategy, 'framework-native', 'air does');

    const rust = buildProfile(await det('rust-axum'));
    assert.equal((entry(rust, 'cargo-registry-volume') as ProfileVolumeEntry).target, '${containerEnv:CARGO_HOME:/usr/local/cargo}/registry');
    assert.equal((entry(rust, 'cargo-target') as ProfileVolumeEntry).status, 'suggest');

    const maven = buildProfile(await det('spring-boot-maven'));
    const opts = env(maven, 'MAVEN_OPTS')!;
    assert.equal(opts.mode, 'append');
    assert.match(opts.value!, /-Dmaven\.repo\.local=\/var\/cache\/hyperbox\/maven/);
    assert.equal(env(maven, 'JDK_JAVA_OPTIONS')!.value, '-XX:MaxRAMPercentage=75.0');
    const gradle = buildProfile(await det('spring-boot-gradle-kotlin'));
    assert.equal(env(gradle, 'GRADLE_USER_HOME')!.value, `${CACHE_ROOT}/gradle`);
    assert.equal(env(gradle, 'JDK_JAVA_OPTIONS')!.value, '-XX:MaxRAMPercentage=50.0');
  });

  it('covers every part of a monorepo once', async () => {
    const p = buildProfile(await det('fullstack-fastapi-react'));
    assert.ok(env(p, 'UV_CACHE_DIR'), 'backend (uv)');
    assert.ok(env(p, 'npm_config_cache'), 'frontend (npm)');
    assert.ok(env(p, 'NODE_OPTIONS'));
    assert.ok(env(p, 'PYTHONUNBUFFERED'));
    assert.equal((entry(p, 'node-modules-frontend') as ProfileVolumeEntry).target, '${containerWorkspaceFolder}/frontend/node_modules');
    assert.ok(p.reload.rebuildOn.includes('backend/uv.lock'));
    assert.ok(p.reload.rebuildOn.includes('frontend/package-lock.json'));
  });

  it('reload strategies: framework-native, restart and rebuild', async () => {
    assert.equal(buildProfile(await det('django-pip')).reload.strategy, 'framework-native');
    assert.equal(buildProfile(await det('node-procfile')).reload.strategy, 'restart');
    assert.equal(buildProfile(await det('aspnetcore-minimal')).reload.strategy, 'framework-native');
    assert.equal(buildProfile(await det('empty-readme-only')).reload.strategy, 'rebuild');
    for (const name of ['node-procfile', 'empty-readme-only']) assert.ok(buildProfile(await det(name)).reload.why.length > 20);
  });

  it('skips what the config already sets, with the reason, and everything when the profile is off', async () => {
    const d = await det('django-pip');
    const cfg = { file: '.devcontainer/devcontainer.json', containerEnv: { PYTHONUNBUFFERED: '0', PIP_CACHE_DIR: '/cache/pip' }, remoteEnv: {}, mountTargets: [] };
    const p = buildProfile(d, { config: cfg });
    assert.equal(env(p, 'PYTHONUNBUFFERED')!.status, 'skip');
    assert.match(env(p, 'PYTHONUNBUFFERED')!.skipReason!, /already sets PYTHONUNBUFFERED/);
    assert.equal(entry(p, 'pip-volume').status, 'skip', 'the cache lives where the config says');
    assert.equal(env(p, 'PIP_DISABLE_PIP_VERSION_CHECK')!.status, 'apply');
    const node = buildProfile(await det('nextjs-app-pnpm'), { config: { file: 'x', remoteEnv: { NODE_OPTIONS: '--max-old-space-size=8192' } } });
    assert.equal(env(node, 'NODE_OPTIONS')!.status, 'skip');
    const off = buildProfile(d, { config: { ...cfg, profile: 'off' } });
    assert.equal(off.disabled, true);
    assert.ok(off.entries.every((e) => e.status === 'skip' && /"off"/.test(e.skipReason!)));
  });

  it('reads the folder config through profileFolder', async () => {
    const dir = fs.mkdtempSync(path.join(tmpdir(), 'hb-profile-'));
    try {
      fs.writeFileSync(path.join(dir, 'requirements.txt'), 'flask\n');
      fs.mkdirSync(path.join(dir, '.devcontainer'));
      fs.writeFileSync(
        path.join(dir, '.devcontainer', 'devcontainer.json'),
        '{\n  "image": "mcr.microsoft.com/devcontainers/python:3.12",\n  "containerEnv": { "PYTHONUNBUFFERED": "1" },\n  "mounts": ["source=pipcache,target=/var/cache/hyperbox/pip,type=volume"]\n}\n',
      );
      const { profile } = await profileFolder(dir, { memoryLimitBytes: 2 * 1024 ** 3, inotify: false });
      assert.equal(profile.configFile, path.join('.devcontainer', 'devcontainer.json'));
      assert.equal(env(profile, 'PYTHONUNBUFFERED')!.status, 'skip');
      assert.equal(entry(profile, 'pip-volume').status, 'skip');
      assert.match(entry(profile, 'pip-volume').skipReason!, /already mounts/);
      assert.equal(profile.memoryLimitBytes, 2 * 1024 ** 3);
      assert.equal(profile.inotify, false);
      // hb up passes the config it resolved (here another file, as with --config): that one counts, not the folder's default
      fs.writeFileSync(path.join(dir, '.devcontainer', 'other.json'), '{ "image": "python:3.12" }\n');
      const other = await resolveConfig({ folder: dir, configFile: path.join(dir, '.devcontainer', 'other.json') });
      const withOther = (await profileFolder(dir, { memoryLimitBytes: 2 * 1024 ** 3, inotify: false, resolved: other })).profile;
      assert.equal(withOther.configFile, path.join('.devcontainer', 'other.json'));
      assert.equal(env(withOther, 'PYTHONUNBUFFERED')!.status, 'apply');
      assert.equal(entry(withOther, 'pip-volume').status, 'apply');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('evaluates rules and parses sizes', () => {
    assert.equal(evaluateRule({ kind: 'memory-percent', percent: 75, format: '--max-old-space-size={mb}', minMb: 512 }, 8 * 1024 ** 3), '--max-old-space-size=6144');
    assert.equal(evaluateRule({ kind: 'memory-percent', percent: 75, format: '{mb}', minMb: 512 }, 0), null);
    assert.equal(parseSize('4g'), 4 * 1024 ** 3);
    assert.equal(parseSize('512MiB'), 512 * 1024 ** 2);
    assert.equal(parseSize('1048576'), 1048576);
    assert.equal(parseSize('lots'), null);
  });
});
