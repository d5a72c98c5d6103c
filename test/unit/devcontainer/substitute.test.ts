// Variable substitution: every form the spec defines, where it applies and where it does not.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { devcontainerId } from '../../../src/engine/devcontainer/id';
import { resolveConfig } from '../../../src/engine/devcontainer/resolve';
import { lines, makeFolder, removeAll } from '../helpers/folders';

const CONFIG = '.devcontainer/devcontainer.json';

describe('devcontainer.json: variables', () => {
  after(removeAll);

  it('substitutes every variable form', async () => {
    const folder = makeFolder({
      [CONFIG]: JSON.stringify({
        image: 'node:20',
        containerEnv: {
          LOCAL: '${localWorkspaceFolder}',
          LOCAL_BASE: '${localWorkspaceFolderBasename}',
          CONTAINER: '${containerWorkspaceFolder}',
          CONTAINER_BASE: '${containerWorkspaceFolderBasename}',
          ID: '${devcontainerId}',
          SET: '${localEnv:HB_SET}',
          ALIAS: '${env:HB_SET}',
          DEFAULT_UNUSED: '${localEnv:HB_SET:other}',
          DEFAULT: '${localEnv:HB_UNSET:fallback value}',
          ALIAS_DEFAULT: '${env:HB_UNSET:alias}',
          EMPTY: '${localEnv:HB_EMPTY:not used}',
          TWO: '${localWorkspaceFolderBasename}-${localEnv:HB_SET}',
          CONTAINER_ENV: '${containerEnv:PATH}:/extra',
        },
      }),
    });
    const result = await resolveConfig({ folder, env: { HB_SET: 'on', HB_EMPTY: '' } });
    const base = path.basename(folder);
    const id = devcontainerId(folder, path.join(folder, CONFIG));
    assert.equal(result.devcontainerId, id);
    assert.deepEqual(result.config?.containerEnv, {
      LOCAL: folder,
      LOCAL_BASE: base,
      CONTAINER: `/workspaces/${base}`,
      CONTAINER_BASE: base,
      ID: id,
      SET: 'on',
      ALIAS: 'on',
      DEFAULT_UNUSED: 'on',
      DEFAULT: 'fallback value',
      ALIAS_DEFAULT: 'alias',
      EMPTY: '', // set but empty is a value, not a reason to use the default
      TWO: `${base}-on`,
      CONTAINER_ENV: '${containerEnv:PATH}:/extra', // only the running container knows it
    });
    assert.deepEqual(result.problems, []);
  });

  it('${devcontainerId} is 52 base-32 digits, stable for the same folder and config, different otherwise', async () => {
    const a = devcontainerId('/home/me/project', '/home/me/project/.devcontainer/devcontainer.json');
    assert.match(a, /^[0-9a-v]{52}$/);
    assert.equal(devcontainerId('/home/me/project', '/home/me/project/.devcontainer/devcontainer.json'), a);
    assert.notEqual(devcontainerId('/home/me/project2', '/home/me/project2/.devcontainer/devcontainer.json'), a);
    assert.notEqual(devcontainerId('/home/me/project', '/home/me/project/.devcontainer.json'), a);
  });

  it('substitutes in arrays, nested objects and lifecycle commands; never in property names, numbers or booleans', async () => {
    const folder = makeFolder({
      [CONFIG]: JSON.stringify({
        image: 'node:20',
        runArgs: ['--label', 'id=${devcontainerId}'],
        mounts: ['source=cache-${devcontainerId},target=/cache,type=volume', { type: 'bind', source: '${localWorkspaceFolder}/data', target: '/data' }],
        postCreateCommand: { install: ['npm', 'ci', '--prefix', '${containerWorkspaceFolder}'] },
        containerEnv: { '${localEnv:HB_KEY}': 'x' },
        forwardPorts: [3000],
        init: true,
      }),
    });
    const result = await resolveConfig({ folder, env: { HB_KEY: 'substituted' } });
    const id = result.devcontainerId!;
    const c = result.config!;
    assert.deepEqual(c.runArgs, ['--label', `id=${id}`]);
    assert.deepEqual(c.mounts, [`source=cache-${id},target=/cache,type=volume`, { type: 'bind', source: `${folder}/data`, target: '/data' }]);
    assert.deepEqual(c.postCreateCommand, { install: ['npm', 'ci', '--prefix', `/workspaces/${path.basename(folder)}`] });
    assert.deepEqual(c.containerEnv, { '${localEnv:HB_KEY}': 'x' });
    assert.deepEqual([c.forwardPorts, c.init], [[3000], true]);
  });

  it('workspaceFolder may use variables, and ${containerWorkspaceFolder} follows it', async () => {
    const folder = makeFolder({
      [CONFIG]: JSON.stringify({
        image: 'node:20',
        workspaceMount: 'source=${localWorkspaceFolder},target=/src/${localWorkspaceFolderBasename},type=bind',
        workspaceFolder: '/src/${localWorkspaceFolderBasename}',
        containerEnv: { W: '${containerWorkspaceFolder}', B: '${containerWorkspaceFolderBasename}' },
      }),
    });
    const result = await resolveConfig({ folder, env: {} });
    const base = path.basename(folder);
    assert.equal(result.workspace?.containerWorkspaceFolder, `/src/${base}`);
    assert.equal(result.workspace?.workspaceMount, `source=${folder},target=/src/${base},type=bind`);
    assert.deepEqual(result.config?.containerEnv, { W: `/src/${base}`, B: base });
  });

  it('an unknown variable stays as written, with a warning and a did-you-mean fix', async () => {
    const folder = makeFolder({
      [CONFIG]: lines('{', '  "image": "node:20",', '  "name": "${localWorkspaceFolderBasname} dev",', '  "remoteUser": "${whoami}"', '}'),
    });
    const result = await resolveConfig({ folder, env: {} });
    assert.equal(result.config?.name, '${localWorkspaceFolderBasname} dev');
    const [typo, unknown] = result.problems;
    assert.deepEqual([typo.severity, typo.line, typo.column, typo.code], ['warning', 3, 11, 'unknown-variable']);
    assert.equal(typo.message, 'Unknown variable "${localWorkspaceFolderBasname}"; it is left as written. Did you mean "${localWorkspaceFolderBasename}"?');
    assert.equal(typo.fix?.replacement, '"${localWorkspaceFolderBasename} dev"');
    assert.deepEqual([unknown.line, unknown.column, unknown.fix], [4, 17, undefined]);
    assert.match(unknown.message, /Unknown variable "\$\{whoami\}"; it is left as written\. Known variables: \$\{localWorkspaceFolder\}, .*\$\{localEnv:NAME\}, \$\{env:NAME\}, \$\{containerEnv:NAME\}, \$\{devcontainerId\}\./);
  });

  it('a default with a colon: only the text up to the colon is used (as the reference does), with a warning', async () => {
    const folder = makeFolder({ [CONFIG]: lines('{', '  "image": "node:20",', '  "containerEnv": { "URL": "${localEnv:HB_UNSET:http://x}" }', '}') });
    const result = await resolveConfig({ folder, env: {} });
    assert.deepEqual(result.config?.containerEnv, { URL: 'http' });
    const [p] = result.problems;
    assert.deepEqual([p.severity, p.line, p.column, p.code], ['warning', 3, 28, 'variable-default-colon']);
    assert.match(p.message, /Only "http" is the default in "\$\{localEnv:HB_UNSET:http:\/\/x\}"; the text after its colon \(":\/\/x"\) is dropped\./);
  });

  it('${localEnv} without a name', async () => {
    const folder = makeFolder({ [CONFIG]: JSON.stringify({ image: 'node:20', name: 'a${localEnv}b' }) });
    const result = await resolveConfig({ folder, env: {} });
    assert.equal(result.config?.name, 'ab');
    assert.match(result.problems[0].message, /names no variable; write \$\{localEnv:NAME\} or \$\{localEnv:NAME:default\}/);
  });

  it('paths (Dockerfile, context) are relative to the config file, not the folder', async () => {
    const folder = makeFolder({
      '.devcontainer/node/devcontainer.json': JSON.stringify({ build: { dockerfile: '../Dockerfile', context: '../..' } }),
      '.devcontainer/Dockerfile': 'FROM scratch\n',
    });
    const result = await resolveConfig({ folder, env: {} });
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.paths, { dockerfile: path.join(folder, '.devcontainer/Dockerfile'), context: folder });
  });
});
