// The Linux workspace watcher (one inotify watch per folder, names from the kernel's events): what
// a user's tree does (folders made with files in them at once, removed and made again, renamed;
// files written) is all reported, the kernel holds one watch per folder and none per file, and
// when the kernel's watches run out the workspace is polled, with the message that says how to
// raise the limit.
import * as assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, watch as fsWatch, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { watchFolders, type FolderWatch } from '../../../src/engine/reload/folders';
import { loadIgnore } from '../../../src/engine/reload/ignore';
import { ENOSPC_MESSAGE, watchInThread, type WorkspaceWatch } from '../../../src/engine/reload/watch';
import { sleep, until } from '../helpers/wait';

/** The inotify watches this process holds, as the kernel counts them. */
function kernelWatches(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      n += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      // (an fd closed meanwhile)
    }
  }
  return n;
}

interface Seen {
  files: Map<string, 'change' | 'entry'>;
  dirs: Set<string>;
}

describe('hot reload: the folder watcher (Linux, one watch per folder)', function () {
  this.timeout(60_000);
  let root: string;
  let folders: FolderWatch | undefined;
  let watch: WorkspaceWatch | undefined;
  let seen: Seen;
  const record = (rel: string, dir?: boolean, entry?: boolean) => {
    if (dir) seen.dirs.add(rel);
    else if (!seen.files.has(rel) || entry) seen.files.set(rel, entry ? 'entry' : 'change');
  };

  beforeEach(function () {
    if (process.platform !== 'linux') this.skip();
    root = mkdtempSync(path.join(os.tmpdir(), 'hb-folders-'));
    seen = { files: new Map(), dirs: new Set() };
  });
  afterEach(async () => {
    folders?.close();
    folders = undefined;
    await watch?.close();
    watch = undefined;
    rmSync(root, { recursive: true, force: true });
  });

  it('a workspace of 4 000 files in 200 folders holds 201 kernel watches, not one per file; ignored folders hold none', async () => {
    writeFileSync(path.join(root, '.gitignore'), 'logs/\n');
    for (const ignored of ['node_modules/a/b', 'logs/old', '.git/objects']) mkdirSync(path.join(root, ignored), { recursive: true });
    for (let d = 0; d < 200; d++) {
      mkdirSync(path.join(root, `pkg${d}`));
      for (let f = 0; f < 20; f++) writeFileSync(path.join(root, `pkg${d}`, `f${f}.js`), '');
    }
    const before = kernelWatches();
    folders = watchFolders(root, await loadIgnore(root), record, (m) => assert.fail(m), () => assert.fail('limit'));
    await folders.ready;
    assert.equal(folders.size(), 201);
    assert.equal(kernelWatches() - before, 201);
    // nothing is reported for what was there before
    assert.equal(seen.files.size + seen.dirs.size, 0);
  });

  it('folders made with files in them at once (mkdir -p, then a write) are reported with their files, and then watched', async () => {
    folders = watchFolders(root, await loadIgnore(root), record, (m) => assert.fail(m), () => assert.fail('limit'));
    await folders.ready;
    mkdirSync(path.join(root, 'a/b/c'), { recursive: true });
    writeFileSync(path.join(root, 'a/b/c/x.js'), 'one');
    writeFileSync(path.join(root, 'a/top.js'), 'one');
    await until('the new folders and files', () => ['a', 'a/b', 'a/b/c'].every((d) => seen.dirs.has(d)) && seen.files.has('a/b/c/x.js') && seen.files.has('a/top.js'));
    assert.equal(seen.files.get('a/b/c/x.js'), 'entry');
    // the deepest one is watched: a later write in it is reported as a change
    await until('a/b/c watched', () => folders!.size() === 4);
    seen.files.clear();
    writeFileSync(path.join(root, 'a/b/c/x.js'), 'two');
    await until('the change', () => seen.files.get('a/b/c/x.js') === 'change');
  });

  it("a file written is a change; a folder's own mode change is not reported", async () => {
    mkdirSync(path.join(root, 'src'));
    writeFileSync(path.join(root, 'src/app.js'), 'v1');
    folders = watchFolders(root, await loadIgnore(root), record, (m) => assert.fail(m), () => assert.fail('limit'));
    await folders.ready;
    chmodSync(path.join(root, 'src'), 0o750);
    writeFileSync(path.join(root, 'src/app.js'), 'v2');
    await until('the change', () => seen.files.has('src/app.js'));
    await sleep(100);
    assert.deepEqual([...seen.files], [['src/app.js', 'change']]);
    assert.deepEqual([...seen.dirs], []);
  });

  it('a folder removed and made again under the same name is watched again; a renamed folder is watched under its new name, its old name reported', async () => {
    mkdirSync(path.join(root, 'lib'));
    mkdirSync(path.join(root, 'old'));
    writeFileSync(path.join(root, 'old/keep.js'), 'k');
    folders = watchFolders(root, await loadIgnore(root), record, (m) => assert.fail(m), () => assert.fail('limit'));
    await folders.ready;
    // (a branch switch does this to a folder)
    rmSync(path.join(root, 'lib'), { recursive: true });
    mkdirSync(path.join(root, 'lib'));
    renameSync(path.join(root, 'old'), path.join(root, 'new'));
    await until('the renamed folder', () => seen.dirs.has('new') && seen.files.has('new/keep.js'));
    // its old name is reported as an entry removed (a copy-sync removes it in the container)
    await until('the old name', () => seen.files.get('old') === 'entry');
    await until('lib made again', () => seen.dirs.has('lib'));
    await sleep(100);
    seen.files.clear();
    writeFileSync(path.join(root, 'lib/again.js'), 'x');
    writeFileSync(path.join(root, 'new/keep.js'), 'k2');
    await until('both changes', () => seen.files.has('lib/again.js') && seen.files.has('new/keep.js'));
    // root, lib (the new one), new: the old folder's watch is gone
    assert.equal(folders.size(), 3);
  });

  it('a folder that cannot be watched is named in a warning with what to do; the others are watched', async () => {
    for (const d of ['ok', 'locked']) mkdirSync(path.join(root, d));
    const picky = ((...args: Parameters<typeof fsWatch>) => {
      if (String(args[0]).endsWith('locked')) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return fsWatch(...args);
    }) as typeof fsWatch;
    const warnings: string[] = [];
    folders = watchFolders(root, await loadIgnore(root), record, (m) => warnings.push(m), () => assert.fail('limit'), picky);
    await folders.ready;
    assert.equal(folders.size(), 2);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /cannot watch .*locked \(EACCES: permission denied\), so changes in it are not seen\. Make it readable .* then turn hot reload off and on again/);
    writeFileSync(path.join(root, 'ok/a.js'), 'a');
    await until('the change', () => seen.files.has('ok/a.js'));
  });

  it('off Linux chokidar watches: a new file, a change and a new folder are reported, ignored ones not', async () => {
    mkdirSync(path.join(root, 'src'));
    writeFileSync(path.join(root, 'src/app.js'), 'v1');
    mkdirSync(path.join(root, 'node_modules'));
    const warnings: string[] = [];
    watch = watchInThread(root, await loadIgnore(root), record, (m) => warnings.push(m), undefined, { platform: 'darwin' });
    await watch.ready;
    writeFileSync(path.join(root, 'src/app.js'), 'v2');
    writeFileSync(path.join(root, 'src/new.js'), 'n');
    mkdirSync(path.join(root, 'lib'));
    writeFileSync(path.join(root, 'node_modules/m.js'), 'm');
    await until('the changes', () => seen.files.has('src/app.js') && seen.files.has('src/new.js') && seen.dirs.has('lib'));
    await sleep(200);
    assert.equal(seen.files.has('node_modules/m.js'), false);
    assert.equal(watch.polling(), false);
    assert.deepEqual(warnings, []);
  });

  it("when the kernel's watches run out, the workspace is polled, the message says how to raise the limit, and changes are still seen", async () => {
    for (let d = 0; d < 5; d++) mkdirSync(path.join(root, `d${d}`));
    let made = 0;
    // the third watch fails as the kernel fails it when fs.inotify.max_user_watches is reached
    const scarce = ((...args: Parameters<typeof fsWatch>) => {
      if (++made > 2) throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });
      return fsWatch(...args);
    }) as typeof fsWatch;
    const warnings: string[] = [];
    let polling = false;
    watch = watchInThread(root, await loadIgnore(root), record, (m) => warnings.push(m), () => (polling = true), { platform: 'linux', watch: scarce });
    await watch.ready;
    assert.equal(watch.polling(), true);
    assert.equal(polling, true);
    assert.deepEqual(warnings, [ENOSPC_MESSAGE]);
    assert.match(ENOSPC_MESSAGE, /sysctl fs\.inotify\.max_user_watches=524288/);
    // (polling's first look at each folder may come after its 'ready': files written until one is seen)
    for (let i = 0; ![...seen.files.keys()].some((f) => f.startsWith('d4/late')); i++) {
      assert.ok(i < 50, 'no change seen by polling');
      writeFileSync(path.join(root, `d4/late${i}.js`), 'x');
      await sleep(200);
    }
  });
});
