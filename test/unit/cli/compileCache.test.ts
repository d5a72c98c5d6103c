// hb's code cache (src/engine/compileCache.ts): a second run of a bundle uses what the first
// compiled, a changed bundle is compiled afresh, and a damaged cache never breaks the command.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const MODULE = path.resolve(__dirname, '../../../src/engine/compileCache.ts');

describe('hb compile cache', function () {
  this.timeout(30000);
  let dir: string;
  let bundles: string;
  let cache: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hb-cc-'));
    bundles = path.join(dir, 'dist');
    cache = path.join(dir, 'cache');
    mkdirSync(bundles, { recursive: true });
    writeFileSync(path.join(bundles, 'helper.js'), 'exports.word = "from helper";\n');
    writeFileSync(
      path.join(bundles, 'main.js'),
      'const h = require("./helper.js");\nmodule.exports = { text: h.word + " in " + require("node:path").basename(__dirname) + " " + typeof require.resolve };\n',
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Loads dist/main.js in a fresh Node with the cache on; returns what the bundle computed and how the cache was enabled. */
  const run = (env: NodeJS.ProcessEnv = {}) => {
    const script = `const { enableCompileCache } = require(${JSON.stringify(MODULE)}); const how = enableCompileCache(${JSON.stringify(bundles)}, process.env); const m = require(${JSON.stringify(path.join(bundles, 'main.js'))}); console.log(JSON.stringify({ how, text: m.text }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', env: { ...process.env, HB_CACHE_DIR: cache, ...env } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim()) as { how: string; text: string };
  };
  const cached = () => {
    try {
      return readdirSync(path.join(cache, 'v8')).sort();
    } catch {
      return [];
    }
  };

  it('caches each bundle after the first run and gives modules the require and __dirname Node gives them', function () {
    const first = run();
    if (first.how === 'node') this.skip(); // Node 22+: its own module.enableCompileCache does this
    assert.equal(first.how, 'hook');
    assert.equal(first.text, 'from helper in dist function');
    const files = cached();
    assert.equal(files.length, 2, files.join(', '));
    assert.ok(files[0].startsWith('helper.js-') && files[1].startsWith('main.js-'), files.join(', '));
    assert.equal(run().text, 'from helper in dist function');
    assert.deepEqual(cached(), files, 'a second run keeps the same cache files');
  });

  it('compiles a changed bundle afresh and drops the cache of its old build', function () {
    if (run().how !== 'hook') this.skip();
    const before = cached();
    writeFileSync(path.join(bundles, 'helper.js'), 'exports.word = "from the new helper";\n');
    assert.equal(run().text, 'from the new helper in dist function');
    const after = cached();
    assert.equal(after.length, 2, after.join(', '));
    assert.ok(!after.includes(before[0]), 'the old helper cache is gone');
    assert.ok(after.includes(before[1]), 'the unchanged bundle keeps its cache');
  });

  it('runs correctly from a damaged cache and repairs it', function () {
    if (run().how !== 'hook') this.skip();
    for (const f of cached()) writeFileSync(path.join(cache, 'v8', f), 'not a code cache');
    assert.equal(run().text, 'from helper in dist function');
    for (const f of cached()) assert.notEqual(readFileSync(path.join(cache, 'v8', f), 'utf8'), 'not a code cache', `${f} was written again`);
    assert.equal(run().text, 'from helper in dist function');
  });

  it('reads an ASCII bundle and one with other text alike (the other as UTF-8), cached or not', function () {
    if (run().how !== 'hook') this.skip();
    writeFileSync(path.join(bundles, 'helper.js'), 'exports.word = "from the h\u00e9lper \\u00e9 " + "caf\u00e9 \u{1F642}".length;\n');
    assert.equal(run().text, 'from the h\u00e9lper \u00e9 7 in dist function');
    assert.equal(run().text, 'from the h\u00e9lper \u00e9 7 in dist function');
  });

  it('is off with HB_COMPILE_CACHE=0', () => {
    const r = run({ HB_COMPILE_CACHE: '0' });
    assert.equal(r.how, 'off');
    assert.equal(r.text, 'from helper in dist function');
    assert.deepEqual(cached(), []);
  });
});
