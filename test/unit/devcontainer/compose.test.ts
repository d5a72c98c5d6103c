// Docker Compose configs: the rules the schema alone cannot express.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { ResolvedConfig } from '../../../src/protocol';
import { resolveConfig } from '../../../src/engine/devcontainer/resolve';
import { lines, makeFolder, removeAll } from '../helpers/folders';

const CONFIG = '.devcontainer/devcontainer.json';
const COMPOSE = 'services:\n  app:\n    image: node:20\n';

const summary = (r: ResolvedConfig) => r.problems.map((p) => [p.severity, p.line, p.column, p.code]);

describe('devcontainer.json: Docker Compose rules', () => {
  after(removeAll);

  it('a complete Compose config: files resolved relative to the config, no workspace mount', async () => {
    const folder = makeFolder({
      [CONFIG]: JSON.stringify({
        dockerComposeFile: ['../docker-compose.yml', 'docker-compose.dev.yml'],
        service: 'app',
        runServices: ['app'],
        workspaceFolder: '/workspace',
      }),
      'docker-compose.yml': COMPOSE,
      '.devcontainer/docker-compose.dev.yml': COMPOSE,
    });
    const result = await resolveConfig({ folder, env: {} });
    assert.deepEqual(result.problems, []);
    assert.equal(result.kind, 'compose');
    assert.deepEqual(result.paths.composeFiles, [path.join(folder, 'docker-compose.yml'), path.join(folder, '.devcontainer/docker-compose.dev.yml')]);
    assert.deepEqual(result.workspace, { containerWorkspaceFolder: '/workspace', workspaceMount: null, mountSource: folder });
  });

  it('"service" is required', async () => {
    const folder = makeFolder({ [CONFIG]: lines('{', '  "dockerComposeFile": "docker-compose.yml",', '  "workspaceFolder": "/w"', '}'), '.devcontainer/docker-compose.yml': COMPOSE });
    const result = await resolveConfig({ folder, env: {} });
    assert.deepEqual(summary(result), [['error', 2, 3, 'compose-service']]);
    assert.equal(result.problems[0].message, '"dockerComposeFile" needs "service": the name of the Compose service the dev container runs in.');
  });

  it('without "workspaceFolder": a warning, and the workspace is "/" as in the reference', async () => {
    const folder = makeFolder({ [CONFIG]: lines('{', '  "dockerComposeFile": "docker-compose.yml",', '  "service": "app"', '}'), '.devcontainer/docker-compose.yml': COMPOSE });
    const result = await resolveConfig({ folder, env: {} });
    assert.deepEqual(summary(result), [['warning', 2, 3, 'compose-workspace-folder']]);
    assert.match(result.problems[0].message, /set "workspaceFolder" to where the Compose service mounts your code; the default is "\/"/);
    assert.equal(result.workspace?.containerWorkspaceFolder, '/');
  });

  it('a Compose file that does not exist: an error at that entry of the array', async () => {
    const folder = makeFolder({
      [CONFIG]: lines('{', '  "dockerComposeFile": ["docker-compose.yml", "missing.yml"],', '  "service": "app",', '  "workspaceFolder": "/w"', '}'),
      '.devcontainer/docker-compose.yml': COMPOSE,
    });
    const result = await resolveConfig({ folder, env: {} });
    assert.deepEqual(summary(result), [['error', 2, 47, 'missing-file']]);
    assert.equal(
      result.problems[0].message,
      `Compose file "missing.yml" does not exist (looked at ${path.join(folder, '.devcontainer/missing.yml')}; paths are relative to the folder of devcontainer.json). Fix the path or create the file.`,
    );
  });

  it('"image" beside "dockerComposeFile": more than one way to make the container', async () => {
    const folder = makeFolder({
      [CONFIG]: lines('{', '  "image": "node:20",', '  "dockerComposeFile": "docker-compose.yml",', '  "service": "app",', '  "workspaceFolder": "/w"', '}'),
      '.devcontainer/docker-compose.yml': COMPOSE,
    });
    const result = await resolveConfig({ folder, env: {} });
    assert.deepEqual(summary(result), [['error', 3, 3, 'conflicting-source']]);
    assert.match(result.problems[0].message, /more than one way to make the container \(image and dockerComposeFile\)\. Keep exactly one/);
  });

  it('properties Compose ignores get a warning saying where they belong', async () => {
    const folder = makeFolder({
      [CONFIG]: lines('{', '  "dockerComposeFile": "docker-compose.yml",', '  "service": "app",', '  "workspaceFolder": "/w",', '  "runArgs": ["--init"],', '  "appPort": 3000', '}'),
      '.devcontainer/docker-compose.yml': COMPOSE,
    });
    const result = await resolveConfig({ folder, env: {} });
    assert.deepEqual(summary(result), [
      ['warning', 5, 3, 'ignored-with-compose'],
      ['warning', 6, 3, 'ignored-with-compose'],
    ]);
    assert.equal(result.problems[0].message, '"runArgs" is ignored with "dockerComposeFile"; set it in the Compose file instead.');
  });

  it('"service" and "runServices" without Compose are ignored, with a warning', async () => {
    const folder = makeFolder({ [CONFIG]: lines('{', '  "image": "node:20",', '  "service": "app",', '  "runServices": ["db"]', '}') });
    const result = await resolveConfig({ folder, env: {} });
    assert.deepEqual(summary(result), [
      ['warning', 3, 3, 'compose-only'],
      ['warning', 4, 3, 'compose-only'],
    ]);
    assert.equal(result.problems[0].message, '"service" only applies with "dockerComposeFile"; it is ignored here.');
  });
});
