// customizations.hyperbox.devCommand and reload are read by hot reload now: hb config and the
// editor no longer warn that they have no effect.
import * as assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/engine/devcontainer/resolve';
import { lines, makeFolder, removeAll } from '../helpers/folders';

describe('devcontainer.json: HyperBox settings', () => {
  after(removeAll);

  it('customizations.hyperbox.devCommand and reload (enabled, strategy, ignore) are valid and not warned about', async () => {
    const folder = makeFolder({
      '.devcontainer/devcontainer.json': lines(
        '{',
        '  "image": "node:20",',
        '  "customizations": { "hyperbox": {',
        '    "devCommand": "npm run dev",',
        '    "reload": { "enabled": true, "strategy": "restart", "ignore": ["tmp/**"] },',
        '    "runtime": "crun", "profile": "auto", "seccomp": { "profile": "seccomp.json" }',
        '  } }',
        '}',
      ),
    });
    const r = await resolveConfig({ folder, env: {} });
    assert.deepEqual(r.problems, []);
  });

  it('an unknown reload setting is still an error of the schema', async () => {
    const folder = makeFolder({
      '.devcontainer/devcontainer.json': lines('{', '  "image": "node:20",', '  "customizations": { "hyperbox": { "reload": { "enable": true } } }', '}'),
    });
    const r = await resolveConfig({ folder, env: {} });
    assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
    assert.match(r.problems[0].message, /enable/);
  });

  it('customizations.hyperbox.traces (true, or { port }) is valid: the README documents it and the engine reads it', async () => {
    for (const traces of ['true', '{ "port": 4400 }', '{ "enabled": false }']) {
      const folder = makeFolder({ '.devcontainer/devcontainer.json': lines('{', '  "image": "node:20",', `  "customizations": { "hyperbox": { "traces": ${traces} } }`, '}') });
      const r = await resolveConfig({ folder, env: {} });
      assert.deepEqual(r.problems, [], traces);
    }
    const folder = makeFolder({ '.devcontainer/devcontainer.json': lines('{', '  "image": "node:20",', '  "customizations": { "hyperbox": { "traces": { "port": "4400" } } }', '}') });
    const r = await resolveConfig({ folder, env: {} });
    assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
    assert.equal(r.problems[0].severity, 'error');
    assert.match(r.problems[0].message, /customizations\.hyperbox\.traces\.port/);
  });
});
