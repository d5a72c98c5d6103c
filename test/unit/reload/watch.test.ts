// The workspace watcher runs in a worker thread: every change of a burst reaches the
// engine's thread, ignored paths never do (the worker applies .gitignore, the ignored folders and
// editor temp files itself), and a worker that cannot start or dies leaves watching to the
// engine's own thread, with a warning saying so.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadIgnore } from '../../../src/engine/reload/ignore';
import { watchWorkspace, type WorkspaceWatch } from '../../../src/engine/reload/watch';
import { sleep, until } from '../helpers/wait';

describe('hot reload: the workspace watcher (a worker thread)', function () {
  this.timeout(60_000);
  let root: string;
  let watch: WorkspaceWatch | undefined;

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'hb-watch-'));
  });
  afterEach(async () => {
    await watch?.close();
    watch = undefined;
    rmSync(root, { recursive: true, force: true });
  });

  it('a burst of 2 000 files in a new folder reaches this thread whole from the worker; ignored paths never do; a deletion is reported', async () => {
    writeFileSync(path.join(root, '.gitignore'), 'logs/\n*.tmp\n');
    mkdirSync(path.join(root, 'node_modules'));
    writeFileSync(path.join(root, 'old.js'), 'old');
    const files = new Set<string>();
    const dirs = new Set<string>();
    const warnings: string[] = [];
    watch = watchWorkspace(root, ['generated/**'], await loadIgnore(root, ['generated/**']), (rel, dir) => (dir ? dirs : files).add(rel), (m) => warnings.push(m));
    await watch.ready;
    assert.equal(watch.inWorker(), true, warnings.join('\n'));
    mkdirSync(path.join(root, 'src'));
    for (let i = 0; i < 2000; i++) writeFileSync(path.join(root, 'src', `f${i}.js`), `module.exports = ${i};\n`);
    mkdirSync(path.join(root, 'logs'));
    writeFileSync(path.join(root, 'logs', 'app.log'), 'x');
    writeFileSync(path.join(root, 'node_modules', 'm.js'), 'x');
    writeFileSync(path.join(root, 'a.tmp'), 'x');
    writeFileSync(path.join(root, 'src', '.main.js.swp'), 'x');
    mkdirSync(path.join(root, 'generated'));
    writeFileSync(path.join(root, 'generated', 'g.js'), 'x');
    unlinkSync(path.join(root, 'old.js'));
    await until('the burst', () => [...files].filter((f) => f.startsWith('src/f')).length === 2000 && files.has('old.js'));
    await sleep(300);
    assert.ok(dirs.has('src'));
    const ignored = [...files, ...dirs].filter((p) => /^(logs|node_modules)(\/|$)|^generated\/|\.tmp$|\.swp$/.test(p));
    assert.deepEqual(ignored, []);
    assert.deepEqual(warnings, []);
  });

  it("a burst's new files are reported as another process writes them, not a second behind (as when chokidar read and stat the whole folder again for them)", async () => {
    mkdirSync(path.join(root, 'src'));
    const at = new Map<string, number>();
    watch = watchWorkspace(root, [], await loadIgnore(root), (rel) => at.has(rel) || at.set(rel, Date.now()), () => undefined);
    await watch.ready;
    // 5 000 files as fast as a process writes them (chokidar alone reported the last ones 0.6 to
    // 0.8 s after the last write)
    const lastWrite = await new Promise<number>((resolve, reject) => {
      const w = spawn(process.execPath, ['-e', `const fs=require('fs');for(let i=0;i<5000;i++)fs.writeFileSync(${JSON.stringify(path.join(root, 'src'))}+'/f'+i+'.js',''+i);console.log(Date.now())`]);
      let out = '';
      w.stdout.on('data', (d) => (out += d));
      w.on('error', reject).on('exit', () => resolve(Number(out.trim())));
    });
    await until('all 5 000', () => [...at.keys()].filter((p) => p.startsWith('src/f')).length === 5000, 20_000);
    const late = Math.max(...[...at.entries()].filter(([p]) => p.startsWith('src/f')).map(([, t]) => t)) - lastWrite;
    assert.ok(late < 300, `the last of them reported ${late} ms after the last write`);
  });

  it('closing ends the worker: nothing is reported after it', async () => {
    const files: string[] = [];
    watch = watchWorkspace(root, [], await loadIgnore(root), (rel) => files.push(rel), () => undefined);
    await watch.ready;
    writeFileSync(path.join(root, 'a.js'), 'a');
    await until('a.js', () => files.includes('a.js'));
    const t0 = Date.now();
    await watch.close();
    assert.ok(Date.now() - t0 < 5000, `closed in ${Date.now() - t0} ms`);
    writeFileSync(path.join(root, 'b.js'), 'b');
    await sleep(300);
    assert.deepEqual([...new Set(files)], ['a.js']);
  });

  it('a worker that dies: watching goes on in this thread, and a warning says why', async () => {
    // a worker script that says it is ready, then fails
    const script = path.join(root, '..', `${path.basename(root)}-worker.js`);
    writeFileSync(script, "const { parentPort } = require('node:worker_threads');\nparentPort.postMessage({ t: 'ready' });\nsetTimeout(() => { throw new Error('watcher crashed'); }, 100);\n");
    try {
      const files = new Set<string>();
      const warnings: string[] = [];
      watch = watchWorkspace(root, [], await loadIgnore(root), (rel) => files.add(rel), (m) => warnings.push(m), { ...process.env, HB_RELOAD_WATCHER: script });
      await watch.ready;
      await until('the warning', () => warnings.length > 0);
      assert.match(warnings[0], /in a worker thread failed \(watcher crashed\); it goes on in the engine's own thread/);
      assert.equal(watch.inWorker(), false);
      // the watcher in this thread takes a moment to start: files written until one is reported
      for (let i = 0; !files.size; i++) {
        assert.ok(i < 100, 'no change reported by the watcher in this thread');
        writeFileSync(path.join(root, `after${i}.js`), 'x');
        await sleep(100);
      }
      assert.match([...files][0], /^after\d+\.js$/);
    } finally {
      rmSync(script, { force: true });
    }
  });

  it('a worker script that cannot be loaded: watching runs in this thread from the start', async () => {
    const files = new Set<string>();
    const warnings: string[] = [];
    watch = watchWorkspace(root, [], await loadIgnore(root), (rel) => files.add(rel), (m) => warnings.push(m), { ...process.env, HB_RELOAD_WATCHER: path.join(root, 'missing-worker.js') });
    await watch.ready;
    await until('the warning', () => warnings.length > 0);
    assert.match(warnings[0], /in a worker thread failed/);
    for (let i = 0; !files.size; i++) {
      assert.ok(i < 100, 'no change reported by the watcher in this thread');
      writeFileSync(path.join(root, `x${i}.js`), 'x');
      await sleep(100);
    }
  });
});
