// The drift check on a build context (runtime/inputs.ts with the context watcher of
// runtime/contextWatch.ts): every change that would alter the image changes the inputs — with
// the watcher vouching for an unchanged context, and without it.
import { strict as assert } from 'node:assert';
import { appendFileSync, mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../../src/engine/runtime/container';
import { askWatcher, unchangedSince, watchSocket } from '../../../src/engine/runtime/build/contextWatch';
import { computeInputs, diffInputs } from '../../../src/engine/runtime/build/inputs';
import { readJson } from '../../../src/engine/runtime/dirs';
import { makeFolder, removeAll } from '../helpers/folders';

const WATCHER = path.resolve(__dirname, '..', '..', '..', 'src', 'engine', 'contextWatcher.ts');

function workspace(build: Record<string, unknown> = {}) {
  return makeFolder({
    '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile', context: '..', ...build } }),
    '.devcontainer/Dockerfile': 'FROM scratch\nCOPY . /app\n',
    '.dockerignore': 'logs\n*.tmp\n',
    'src/a.txt': 'a\n',
    'src/deep/b.txt': 'b\n',
    'README.md': 'hello\n',
  });
}

for (const watched of [true, false]) {
  describe(`runtime: drift inputs of a build context (${watched ? 'with' : 'without'} the context watcher)`, function () {
    this.timeout(30_000);
    let env: NodeJS.ProcessEnv;
    let folder: string;
    const inputsNow = async () => computeInputs(await loadConfig(folder, undefined, env), env);
    /** The inputs after `change`, which must differ from before it in `key`. */
    const caught = async (change: () => void, key: RegExp) => {
      const before = await inputsNow();
      assert.deepEqual(await inputsNow(), before, 'nothing changed yet');
      change();
      const changed = diffInputs(before, await inputsNow());
      assert.ok(changed.some((k) => key.test(k)), `expected a change matching ${key}, got ${JSON.stringify(changed)}`);
      // and the next check agrees with itself
      assert.deepEqual(diffInputs(await inputsNow(), await inputsNow()), []);
    };

    beforeEach(() => {
      folder = workspace();
      const cache = makeFolder({}, 'hb-cache-');
      env = { ...process.env, HB_CACHE_DIR: cache, HB_CONTEXT_WATCHER: WATCHER, HB_CONTEXT_WATCH: watched ? 'on' : 'off' };
    });
    afterEach(async () => {
      await askWatcher(watchSocket(folder, env), 'exit', 2000);
      removeAll();
    });

    it(watched ? 'with nothing changed, the watcher vouches for the context and the inputs stay the same' : 'with nothing changed, the inputs stay the same', async () => {
      const first = await inputsNow();
      assert.ok(first['COPY .'], JSON.stringify(first));
      assert.deepEqual(await inputsNow(), first);
      const resolved = await loadConfig(folder, undefined, env);
      const cached = await readJson<{ watch?: { gen: string } }>(path.join(env.HB_CACHE_DIR!, 'inputs', `${resolved.devcontainerId}.json`));
      if (watched) {
        assert.ok(cached?.watch?.gen, 'a watcher generation is stored');
        assert.equal(await unchangedSince(folder, cached.watch.gen, env), true);
      } else assert.equal(cached?.watch, undefined);
    });

    it("catches a file's new content, even with its size and mtime kept", () =>
      caught(() => {
        writeFileSync(path.join(folder, 'src/deep/b.txt'), 'c\n');
        utimesSync(path.join(folder, 'src/deep/b.txt'), new Date(0), new Date(0));
      }, /^COPY \.$/));

    it('catches an appended line', () => caught(() => appendFileSync(path.join(folder, 'src/a.txt'), 'more\n'), /^COPY \.$/));

    it('catches a new file, in a new folder too', () =>
      caught(() => {
        mkdirSync(path.join(folder, 'src/new/deeper'), { recursive: true });
        writeFileSync(path.join(folder, 'src/new/deeper/c.txt'), 'c\n');
      }, /^COPY \.$/));

    it('catches a deleted file and a renamed one', async () => {
      await caught(() => rmSync(path.join(folder, 'src/deep/b.txt')), /^COPY \.$/);
      await caught(() => renameSync(path.join(folder, 'src/a.txt'), path.join(folder, 'src/z.txt')), /^COPY \.$/);
    });

    it('catches a .dockerignore change, and ignores what it excludes', async () => {
      const before = await inputsNow();
      mkdirSync(path.join(folder, 'logs'));
      writeFileSync(path.join(folder, 'logs/x.log'), 'x\n');
      writeFileSync(path.join(folder, 'scratch.tmp'), 'x\n');
      assert.deepEqual(diffInputs(before, await inputsNow()), [], 'excluded files are not inputs');
      await caught(() => writeFileSync(path.join(folder, '.dockerignore'), 'logs\n'), /^\.dockerignore$/);
      // scratch.tmp is now sent, so the COPY changed too
      assert.notEqual((await inputsNow())['COPY .'], before['COPY .']);
    });

    it('catches a Dockerfile change', () => caught(() => appendFileSync(path.join(folder, '.devcontainer/Dockerfile'), 'RUN true\n'), /^Dockerfile /));

    it('catches changed build args', () =>
      caught(
        () => writeFileSync(path.join(folder, '.devcontainer/devcontainer.json'), JSON.stringify({ build: { dockerfile: 'Dockerfile', context: '..', args: { V: '2' } } })),
        /^devcontainer.json build$/,
      ));

    it('catches a file replaced by a symlink', () =>
      caught(() => {
        rmSync(path.join(folder, 'README.md'));
        require('node:fs').symlinkSync('src/a.txt', path.join(folder, 'README.md'));
      }, /^COPY \.$/));
  });
}
