// Settings in HyperBox's schema that nothing reads yet (hot reload will): valid, but hb config and
// the editor say they have no effect, so nobody relies on them by mistake.
import * as assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/engine/devcontainer/resolve';
import { lines, makeFolder, removeAll } from '../helpers/folders';

describe('devcontainer.json: HyperBox settings not supported yet', () => {
  after(removeAll);

  it('customizations.hyperbox.devCommand and reload are warned about, at their keys; runtime, profile and seccomp are not', async () => {
    const folder = makeFolder({
      '.devcontainer/devcontainer.json': lines(
        '{',
        '  "image": "node:20",',
        '  "customizations": { "hyperbox": {',
        '    "devCommand": "npm run dev",',
        '    "reload": { "strategy": "restart" },',
        '    "runtime": "crun", "profile": "auto", "seccomp": { "profile": "seccomp.json" }',
        '  } }',
        '}',
      ),
    });
    const r = await resolveConfig({ folder, env: {} });
    assert.deepEqual(
      r.problems.map((p) => [p.severity, p.line, p.column, p.code]),
      [
        ['warning', 4, 5, 'not-supported-yet'],
        ['warning', 5, 5, 'not-supported-yet'],
      ],
    );
    assert.equal(r.problems[0].message, 'customizations.hyperbox.devCommand is not supported yet: HyperBox does not start or restart the dev command yet, so this setting has no effect for now.');
    assert.match(r.problems[1].message, /^customizations\.hyperbox\.reload is not supported yet: HyperBox does not reload the app when a file changes \(hot reload\) yet/);
  });
});
