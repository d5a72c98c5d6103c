import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { EnginePathError, resolveEnginePath } from '../../../src/extension/enginePath';

describe('engine path resolution', () => {
  const base = { env: {}, setting: undefined, extensionPath: '/ext', homeDir: '/home/me' };

  it('uses the bundled dist/engine.js when nothing overrides it', () => {
    const c = resolveEnginePath(base);
    assert.equal(c.path, path.join('/ext', 'dist', 'engine.js'));
    assert.equal(c.source, 'bundled');
  });

  it('prefers the user setting over the bundled engine', () => {
    const c = resolveEnginePath({ ...base, setting: '/opt/hb/engine.js' });
    assert.deepEqual([c.path, c.source], ['/opt/hb/engine.js', 'setting']);
    assert.match(c.origin, /hyperbox\.engine\.path/);
  });

  it('prefers HYPERBOX_ENGINE_PATH over the setting', () => {
    const c = resolveEnginePath({ ...base, env: { HYPERBOX_ENGINE_PATH: '/env/engine.js' }, setting: '/opt/hb/engine.js' });
    assert.deepEqual([c.path, c.source], ['/env/engine.js', 'environment']);
    assert.match(c.origin, /HYPERBOX_ENGINE_PATH/);
  });

  it('ignores empty and blank overrides', () => {
    const c = resolveEnginePath({ ...base, env: { HYPERBOX_ENGINE_PATH: '  ' }, setting: '' });
    assert.equal(c.source, 'bundled');
    assert.equal(resolveEnginePath({ ...base, setting: null }).source, 'bundled');
  });

  it('expands ~ to the home folder', () => {
    assert.equal(resolveEnginePath({ ...base, setting: '~/hb/engine.js' }).path, '/home/me/hb/engine.js');
  });

  it('refuses a relative path, naming where it came from and the fix', () => {
    assert.throws(
      () => resolveEnginePath({ ...base, setting: 'dist/engine.js' }),
      (e: Error) => e instanceof EnginePathError && /"hyperbox\.engine\.path" setting/.test(e.message) && /relative path/.test(e.message) && /absolute path/.test(e.message),
    );
    assert.throws(() => resolveEnginePath({ ...base, env: { HYPERBOX_ENGINE_PATH: './engine.js' } }), /HYPERBOX_ENGINE_PATH environment variable is "\.\/engine\.js", a relative path/);
  });

  it('refuses a setting that is not a string', () => {
    assert.throws(() => resolveEnginePath({ ...base, setting: 42 }), /must be a path \(a string\), not 42/);
  });
});
