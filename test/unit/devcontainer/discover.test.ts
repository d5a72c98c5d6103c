// Finding configs: every location the spec and the Dev Containers extension use, the default
// first, and a clear choice when there is no default.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { discoverConfigs } from '../../../src/engine/devcontainer/discover';
import { resolveConfig } from '../../../src/engine/devcontainer/resolve';
import { makeFolder, removeAll } from '../helpers/folders';

const image = (name: string) => JSON.stringify({ image: 'node:20', name });

describe('devcontainer.json: discovery', () => {
  after(removeAll);

  it('finds all three locations: .devcontainer/devcontainer.json, .devcontainer.json, then named configs in name order', async () => {
    const folder = makeFolder({
      '.devcontainer/devcontainer.json': image('primary'),
      '.devcontainer.json': image('dotfile'),
      '.devcontainer/python/devcontainer.json': image('python'),
      '.devcontainer/go/devcontainer.json': image('go'),
      '.devcontainer/empty/': '',
      '.devcontainer/docs/README.md': 'not a config',
      '.devcontainer/go/nested/devcontainer.json': image('too deep'),
      '.devcontainer/other.json': image('not a location'),
      'sub/.devcontainer/devcontainer.json': image('another project'),
    });
    const found = await discoverConfigs(folder);
    assert.deepEqual(
      found.map((f) => path.relative(folder, f)),
      ['.devcontainer/devcontainer.json', '.devcontainer.json', '.devcontainer/go/devcontainer.json', '.devcontainer/python/devcontainer.json'],
    );
    const result = await resolveConfig({ folder, env: {} });
    assert.equal(result.config?.name, 'primary');
    assert.deepEqual(result.otherConfigFiles, found.slice(1));
  });

  it('without .devcontainer/devcontainer.json, .devcontainer.json is the default', async () => {
    const folder = makeFolder({ '.devcontainer.json': image('dotfile'), '.devcontainer/node/devcontainer.json': image('node') });
    const result = await resolveConfig({ folder, env: {} });
    assert.equal(result.configFile, path.join(folder, '.devcontainer.json'));
    assert.equal(result.config?.name, 'dotfile');
    assert.deepEqual(result.otherConfigFiles, [path.join(folder, '.devcontainer/node/devcontainer.json')]);
  });

  it('a single named config is used', async () => {
    const folder = makeFolder({ '.devcontainer/node/devcontainer.json': image('node') });
    const result = await resolveConfig({ folder, env: {} });
    assert.equal(result.configFile, path.join(folder, '.devcontainer/node/devcontainer.json'));
    assert.deepEqual(result.problems, []);
  });

  it('several named configs and no default: an error listing them, and the way to choose', async () => {
    const folder = makeFolder({ '.devcontainer/node/devcontainer.json': image('node'), '.devcontainer/go/devcontainer.json': image('go') });
    const result = await resolveConfig({ folder, env: {} });
    assert.equal(result.configFile, null);
    assert.deepEqual(result.otherConfigFiles, [path.join(folder, '.devcontainer/go/devcontainer.json'), path.join(folder, '.devcontainer/node/devcontainer.json')]);
    assert.equal(result.problems.length, 1);
    const p = result.problems[0];
    assert.deepEqual([p.severity, p.file, p.line, p.column, p.code], ['error', folder, 1, 1, 'several-configs']);
    assert.equal(
      p.message,
      `${folder} has 2 dev container configs and no default one: .devcontainer/go/devcontainer.json, .devcontainer/node/devcontainer.json. Choose one with --config.`,
    );
    const chosen = await resolveConfig({ folder, configFile: '.devcontainer/node/devcontainer.json', env: {} });
    assert.equal(chosen.config?.name, 'node');
    assert.deepEqual(chosen.problems, []);
  });

  it('a config given explicitly is read even outside the usual locations (relative to the folder)', async () => {
    const folder = makeFolder({ 'configs/dev.json': image('elsewhere') });
    const result = await resolveConfig({ folder, configFile: 'configs/dev.json', env: {} });
    assert.equal(result.configFile, path.join(folder, 'configs/dev.json'));
    assert.equal(result.config?.name, 'elsewhere');
  });

  it('a file given as the folder: a clear error', async () => {
    const folder = makeFolder({ 'file.txt': 'x' });
    const result = await resolveConfig({ folder: path.join(folder, 'file.txt'), env: {} });
    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0].message, /file\.txt is a file, not a folder\. Give the project folder, or use --config to name a config file\./);
  });
});
