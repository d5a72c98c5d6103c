import { strict as assert } from 'node:assert';
import { chooseConfig, configLabel, isConfigLocation } from '../../../src/extension/configChoice';

describe('choosing a folder\'s config', () => {
  const f = '/w';
  const primary = '/w/.devcontainer/devcontainer.json';
  const dotfile = '/w/.devcontainer.json';
  const node = '/w/.devcontainer/node/devcontainer.json';
  const python = '/w/.devcontainer/python/devcontainer.json';

  it('has nothing to choose without configs', () => {
    assert.deepEqual(chooseConfig(f, [], undefined), { kind: 'none' });
  });

  it('uses the only config', () => {
    assert.deepEqual(chooseConfig(f, [node], undefined), { kind: 'chosen', configFile: node, reason: 'only' });
  });

  it('asks when there are several and no default', () => {
    assert.deepEqual(chooseConfig(f, [node, python], undefined), { kind: 'ask', candidates: [node, python] });
  });

  it('uses the remembered choice (a path relative to the folder)', () => {
    assert.deepEqual(chooseConfig(f, [node, python], '.devcontainer/python/devcontainer.json'), { kind: 'chosen', configFile: python, reason: 'remembered' });
    assert.deepEqual(chooseConfig(f, [primary, node], '.devcontainer/node/devcontainer.json'), { kind: 'chosen', configFile: node, reason: 'remembered' });
  });

  it('falls back when the remembered config is gone', () => {
    assert.deepEqual(chooseConfig(f, [node, python], '.devcontainer/go/devcontainer.json'), { kind: 'ask', candidates: [node, python] });
    assert.deepEqual(chooseConfig(f, [primary, node], '.devcontainer/go/devcontainer.json'), { kind: 'chosen', configFile: primary, reason: 'default' });
  });

  it('uses a default location when there is one, as `hb config` does', () => {
    assert.deepEqual(chooseConfig(f, [dotfile, node], undefined), { kind: 'chosen', configFile: dotfile, reason: 'default' });
  });

  it('knows every config location and nothing else', () => {
    for (const yes of [primary, dotfile, node]) assert.equal(isConfigLocation(f, yes), true, yes);
    for (const no of ['/w/devcontainer.json', '/w/.devcontainer/a/b/devcontainer.json', '/w/sub/.devcontainer.json', '/other/.devcontainer.json', '/w/.devcontainer/Dockerfile', '/w'])
      assert.equal(isConfigLocation(f, no), false, no);
  });

  it('labels configs by their path in the folder', () => {
    assert.equal(configLabel(f, node), '.devcontainer/node/devcontainer.json');
    assert.equal(configLabel(f, '/elsewhere/x.json'), '/elsewhere/x.json');
  });
});
