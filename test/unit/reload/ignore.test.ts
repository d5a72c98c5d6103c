// Hot reload's ignore rules, applied inside the watcher: version control, dependencies,
// virtualenvs and build output anywhere; .gitignore, .dockerignore and reload.ignore patterns;
// editors' temporary files (vim, Emacs, JetBrains).
import * as assert from 'node:assert/strict';
import { makeIgnore } from '../../../src/engine/reload/ignore';

describe('hot reload: ignore rules', () => {
  it('never watches .git, node_modules, virtualenvs or build output, at any depth', () => {
    const ig = makeIgnore({});
    for (const p of ['.git', '.git/HEAD', 'node_modules', 'web/node_modules/react/index.js', '.venv/bin/python', 'venv', 'api/__pycache__/x.pyc', 'dist/app.js', 'target/debug/app', 'web/.next/cache']) {
      assert.equal(ig(p), true, p);
    }
    for (const p of ['src/app.js', 'server.js', 'README.md', 'src/building.js', 'distance.py']) assert.equal(ig(p), false, p);
  });

  it("ignores editors' temporary files but not the files they save", () => {
    const ig = makeIgnore({});
    for (const p of ['4913', 'src/4913', '.app.js.swp', 'src/.app.py.swx', 'app.js~', '.#app.js', 'src/app.js___jb_tmp___', 'app.js___jb_old___']) assert.equal(ig(p, false), true, p);
    for (const p of ['app.js', 'src/49130.js', 'swap.js', 'notes.txt']) assert.equal(ig(p, false), false, p);
  });

  it('applies .gitignore (with exceptions and folder-only rules), .dockerignore and reload.ignore', () => {
    const ig = makeIgnore({ gitignore: '*.log\n!keep.log\nlogs/\n/tmp\n', dockerignore: 'secrets\n**/*.bak\n', extra: ['fixtures/**'] });
    assert.equal(ig('debug.log', false), true);
    assert.equal(ig('keep.log', false), false);
    assert.equal(ig('logs', true), true);
    assert.equal(ig('logs/a.txt', false), true);
    assert.equal(ig('tmp', true), true);
    assert.equal(ig('src/tmp', true), false, 'an anchored rule applies at the root only');
    assert.equal(ig('secrets', false), true);
    assert.equal(ig('src/x.bak', false), true);
    assert.equal(ig('fixtures/a/b.json', false), true);
    assert.equal(ig('src/index.ts', false), false);
  });

  it('a folder-only rule applies when chokidar does not say whether the path is a folder', () => {
    const ig = makeIgnore({ gitignore: 'out/\n' });
    assert.equal(ig('out'), true);
    assert.equal(ig('out', false), false, 'a file named out is not a folder');
  });
});
