// The pure parts of Compose and Features support: compose project names (the reference
// implementation's rules), the override document, Feature install order and option variables.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { builtImageName, overrideDocument, projectName, sanitizeProjectName } from '../../../src/engine/runtime/create/compose';
import { RuntimeError } from '../../../src/engine/runtime/errors';
import { featureOptions, featuresDockerfile, installAllScript, wrapEntrypoint, optionEnvName, optionsEnvFile, orderFeatures, readFeatures } from '../../../src/engine/runtime/build/features';
import { mergeMetadata } from '../../../src/engine/runtime/build/metadata';
import { parseMount } from '../../../src/engine/runtime/create/mounts';
import type { ResolvedConfig } from '../../../src/protocol';

describe('runtime: compose project names', () => {
  const ws = '/home/me/My Project';
  it('uses <folder>_devcontainer for compose files in the workspace .devcontainer folder', () => {
    assert.equal(projectName({ env: {}, workspaceFolder: ws, composeFiles: [`${ws}/.devcontainer/docker-compose.yml`] }), 'myproject_devcontainer');
  });
  it('else the folder of the first compose file', () => {
    assert.equal(projectName({ env: {}, workspaceFolder: ws, composeFiles: [`${ws}/deploy/compose.yml`, `${ws}/.devcontainer/x.yml`] }), 'deploy');
  });
  it('prefers COMPOSE_PROJECT_NAME, then the .env file, then a name in the compose files', () => {
    const files = [`${ws}/.devcontainer/docker-compose.yml`];
    assert.equal(projectName({ env: { COMPOSE_PROJECT_NAME: 'From-Env' }, workspaceFolder: ws, composeFiles: files, dotEnv: 'COMPOSE_PROJECT_NAME=dotenv' }), 'from-env');
    assert.equal(projectName({ env: {}, workspaceFolder: ws, composeFiles: files, dotEnv: 'A=1\nCOMPOSE_PROJECT_NAME=Dot.Env\n', composeName: 'named' }), 'dotenv');
    assert.equal(projectName({ env: {}, workspaceFolder: ws, composeFiles: files, composeName: 'Named_1' }), 'named_1');
  });
  it('sanitizes as the Compose version does', () => {
    assert.equal(sanitizeProjectName('A-b_c.D e', true), 'a-b_cde');
    assert.equal(sanitizeProjectName('A-b_c.D e', false), 'abcde');
  });
  it('names images compose builds as its version does', () => {
    assert.equal(builtImageName({ argv: ['docker-compose'], version: '1.29.2', v2: false }, 'p', 'dev'), 'p_dev');
    assert.equal(builtImageName({ argv: ['docker', 'compose'], version: '2.20.0', v2: true }, 'p', 'dev'), 'p-dev');
  });
});

describe('runtime: compose override document', () => {
  it('adds labels, env, mounts, security options and the keep-alive, with "$" escaped', () => {
    const merged = mergeMetadata(
      [
        { id: 'f', capAdd: ['SYS_PTRACE'], init: true, entrypoint: '/usr/local/bin/start.sh' },
        { containerEnv: { A: 'x$y' }, containerUser: 'dev', privileged: true, securityOpt: ['seccomp=unconfined'], overrideCommand: true },
      ],
      ['Feature "f"', 'devcontainer.json'],
    );
    const mounts = ['type=volume,source=cache,target=/cache', 'type=bind,source=/host,target=/h,readonly', 'type=tmpfs,target=/t'].map((m) => parseMount(m, 'mounts'));
    const doc = overrideDocument({ service: 'app', version: '3.8', labels: { 'devcontainer.local_folder': '/w', 'x.json': '{"a":"$b"}' }, merged, mounts }) as Record<string, any>;
    assert.equal(doc.version, '3.8');
    const svc = doc.services.app;
    assert.deepEqual(svc.labels, { 'devcontainer.local_folder': '/w', 'x.json': '{"a":"$$b"}' });
    assert.deepEqual(svc.environment, { A: 'x$$y' });
    assert.deepEqual(svc.volumes, ['cache:/cache', '/host:/h:ro']);
    assert.deepEqual(svc.tmpfs, ['/t']);
    assert.deepEqual(doc.volumes, { cache: {} });
    assert.equal(svc.user, 'dev');
    assert.equal(svc.init, true);
    assert.equal(svc.privileged, true);
    assert.deepEqual(svc.cap_add, ['SYS_PTRACE']);
    assert.deepEqual(svc.security_opt, ['seccomp=unconfined']);
    assert.equal(svc.entrypoint[0], '/bin/sh');
    assert.match(svc.entrypoint[2], /^\/usr\/local\/bin\/start\.sh\n.*while sleep 1000 & wait \$\$!/s);
  });
  it('leaves the service command alone unless overrideCommand is true', () => {
    const doc = overrideDocument({ service: 'app', labels: {}, merged: mergeMetadata([{}], ['devcontainer.json']), mounts: [] }) as Record<string, any>;
    assert.equal(doc.services.app.entrypoint, undefined);
    assert.equal(doc.version, undefined);
  });
});

describe('runtime: Feature options and order', () => {
  it('names option variables as the spec says', () => {
    assert.equal(optionEnvName('version'), 'VERSION');
    assert.equal(optionEnvName('with-dash.dot'), 'WITH_DASH_DOT');
    assert.equal(optionEnvName('1st_option'), '_ST_OPTION');
    assert.equal(optionEnvName('__x'), '_X');
  });
  it('takes the config values, else the defaults; a string value is the version', () => {
    const manifest = { options: { version: { default: 'latest' }, flag: { type: 'boolean', default: true }, other: { type: 'string' } } };
    assert.deepEqual(featureOptions(manifest, { flag: false, extra: 'e' }), { version: 'latest', flag: false, extra: 'e' });
    assert.deepEqual(featureOptions(manifest, '18'), { version: '18', flag: true });
    assert.equal(optionsEnvFile({ a: 'say "hi" $HOME `x`', b: true }), 'A="say \\"hi\\" \\$HOME \\`x\\`"\nB="true"\n');
  });
  const f = (key: string, manifest: Record<string, unknown> = {}) => ({ key, id: key.replace('./', ''), manifest });
  const keys = (list: { key: string }[]) => list.map((x) => x.key);
  it('keeps the config order when nothing says otherwise', () => {
    assert.deepEqual(keys(orderFeatures([f('./a'), f('./b'), f('./c')])), ['./a', './b', './c']);
  });
  it('installs dependsOn first, installsAfter only when present', () => {
    const list = [f('./a', { dependsOn: { './c': {} } }), f('./b', { installsAfter: ['a', 'missing'] }), f('./c')];
    assert.deepEqual(keys(orderFeatures(list)), ['./c', './a', './b']);
  });
  it('matches an OCI reference to a local copy with that id', () => {
    const list = [f('./a', { dependsOn: { 'ghcr.io/owner/features/c:1': {} } }), f('./c')];
    assert.deepEqual(keys(orderFeatures(list)), ['./c', './a']);
  });
  it('puts overrideFeatureInstallOrder first, within what dependencies allow', () => {
    const list = [f('./a'), f('./b', { dependsOn: { './a': {} } }), f('./c')];
    assert.deepEqual(keys(orderFeatures(list, ['c', './b'])), ['./c', './a', './b']);
  });
  it('names a missing dependsOn and a cycle', () => {
    assert.throws(() => orderFeatures([f('./a', { dependsOn: { './zzz': {} } })]), /Feature "\.\/a" dependsOn "\.\/zzz", which is not among the Features to install/);
    assert.throws(() => orderFeatures([f('./a', { dependsOn: { './b': {} } }), f('./b', { installsAfter: ['a'] })]), /"\.\/a", "\.\/b" depend on each other in a cycle/);
  });
  it('runs Feature entrypoints before the image\'s own entrypoint and command when overrideCommand is false', () => {
    const body: { Entrypoint?: string[]; Cmd?: string[] } = {};
    wrapEntrypoint(body, { Config: { Entrypoint: ['/init'], Cmd: ['serve', '--port', '1'] } } as never, ['/a.sh', '/b.sh']);
    assert.deepEqual(body.Entrypoint, ['/bin/sh', '-c', '/a.sh\n/b.sh\nexec "$@"', '-', '/init']);
    assert.deepEqual(body.Cmd, ['serve', '--port', '1']);
    const untouched: { Entrypoint?: string[] } = {};
    wrapEntrypoint(untouched, { Config: {} } as never, []);
    assert.deepEqual(untouched, {});
  });
  it('writes a Dockerfile that runs every install.sh in one step, in order, each seeing the env of those before, and restores the user', () => {
    const list = [
      { key: './a', id: 'a', dir: '/x', options: {}, manifest: { containerEnv: { P: 'v 1', PATH: '/opt/a/bin:${PATH}' } } },
      { key: './b', id: 'b', dir: '/y', options: {}, manifest: {} },
    ];
    const text = featuresDockerfile('sha256:abc', list, { remote: 'dev', container: 'root', image: 'app' });
    assert.equal(text, 'FROM sha256:abc\nUSER root\nCOPY . /tmp/hb-features/\nRUN ["/bin/sh", "/tmp/hb-features/install-all.sh"]\nENV P="v 1" PATH="/opt/a/bin:${PATH}"\nUSER app\n');
    const script = installAllScript(list, { remote: "o'neil", container: 'root' });
    assert.match(script, /run\.sh \/tmp\/hb-features\/f0 'o'\\''neil' 'root' \|\| \{ s=\$\?; echo "hb-features: f0 failed with exit code \$s" >&2; exit \$s; \}\nexport P="v 1"\nexport PATH="\/opt\/a\/bin:\$\{PATH\}"\n# Feature \.\/b \(b\)\n\/bin\/sh \/tmp\/hb-features\/run\.sh \/tmp\/hb-features\/f1 /);
    assert.match(script, /rm -rf \/tmp\/hb-features\n$/);
  });
});

describe('runtime: reading Features', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hb-features-unit-'));
    mkdirSync(path.join(dir, '.devcontainer', 'one'), { recursive: true });
    writeFileSync(path.join(dir, '.devcontainer', 'one', 'devcontainer-feature.json'), JSON.stringify({ id: 'one', options: { v: { default: '1' } } }));
    writeFileSync(path.join(dir, '.devcontainer', 'one', 'install.sh'), '#!/bin/sh\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const resolved = (features: unknown, kind: ResolvedConfig['kind'] = 'image') =>
    ({ configFile: path.join(dir, '.devcontainer', 'devcontainer.json'), workspaceFolder: dir, config: { image: 'x', features }, kind, paths: {} }) as unknown as ResolvedConfig;
  it('reads local Features with their options', async () => {
    const list = await readFeatures(resolved({ './one': { v: '2' } }));
    assert.equal(list.length, 1);
    assert.deepEqual(list[0].options, { v: '2' });
  });
  it('before trust reads only local Features and downloads nothing; a malformed reference is a config error', async () => {
    const list = await readFeatures(resolved({ './one': {}, 'nosuchhost.invalid/features/go:1': {}, 'https://nosuchhost.invalid/f.tgz': {} }), { fetch: false });
    assert.deepEqual(list.map((f) => f.key), ['./one']);
    await assert.rejects(readFeatures(resolved({ 'ghcr.io/Owner/features/go:1': {} })), (e: unknown) => {
      assert.ok(e instanceof RuntimeError && e.code === 'config');
      assert.match(e.message, /Feature "ghcr\.io\/Owner\/features\/go:1" is not a valid reference/);
      return true;
    });
  });
  it('checks options against the manifest: unknown names with did-you-mean, types', async () => {
    await assert.rejects(readFeatures(resolved({ './one': { w: '2' } })), /Feature "\.\/one" has no option "w"\. Did you mean "v"\? Its options: v\./);
  });
  it('reads Features of a Compose config too, and names a missing install.sh', async () => {
    assert.deepEqual((await readFeatures(resolved({ './one': {} }, 'compose'))).map((f) => f.id), ['one']);
    mkdirSync(path.join(dir, '.devcontainer', 'two'), { recursive: true });
    writeFileSync(path.join(dir, '.devcontainer', 'two', 'devcontainer-feature.json'), '{"id":"two"}');
    await assert.rejects(readFeatures(resolved({ './two': {} })), /Feature "\.\/two" has no install\.sh/);
  });
});
