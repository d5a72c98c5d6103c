// Detection on big and hostile trees, generated at test time: 100 000 files, symlink loops,
// symlinks out of the folder, a 200 MB (sparse) package.json, unreadable folders, binary files
// and FIFOs with manifest names. Each must end fast with an answer or a clear message.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DetectError, detectProject } from '../../../src/engine/project/detect';
import type { WalkFs } from '../../../src/engine/project/walk';
import { CLI, ensureBuilt } from '../helpers/build';

const json = (o: unknown) => JSON.stringify(o);

/** node:fs for the walker, with some calls replaced (to inject errors) or counted. */
function fsWith(overrides: Partial<WalkFs> = {}): WalkFs {
  return {
    statSync: fs.statSync,
    lstatSync: fs.lstatSync,
    realpathSync: fs.realpathSync,
    readdirSync: fs.readdirSync,
    opendirSync: fs.opendirSync,
    openSync: fs.openSync,
    fstatSync: fs.fstatSync,
    readSync: fs.readSync,
    closeSync: fs.closeSync,
    ...overrides,
  };
}

/** Counts the files detection opens (by path). */
function countingFs(): { fs: WalkFs; opened: string[] } {
  const opened: string[] = [];
  return {
    opened,
    fs: fsWith({
      openSync: (p: string, flags: number) => {
        opened.push(p);
        return fs.openSync(p, flags);
      },
    }),
  };
}

function eacces(p: string): NodeJS.ErrnoException {
  const e = new Error(`EACCES: permission denied, scandir '${p}'`) as NodeJS.ErrnoException;
  e.code = 'EACCES';
  return e;
}

/**
 * `n` empty files in `dir`, quickly: hard links to one empty file (a directory entry each, no new
 * inode), about twice as fast as creating files. A new template every 60 000 links (ext4's limit).
 */
let template: string | null = null;
let templateLinks = 0;
function fill(dir: string, n: number, ext = '.js'): void {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    if (!template || templateLinks >= 60_000) {
      template = path.join(path.dirname(dir), `.template-${Date.now()}-${Math.random().toString(36).slice(2)}`);
      fs.writeFileSync(template, '');
      templateLinks = 0;
    }
    fs.linkSync(template, path.join(dir, `f${i}${ext}`));
    templateLinks++;
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t };
}

describe('project detection: big and hostile trees', function () {
  this.timeout(120_000);
  let base: string;
  const mk = (name: string, files: Record<string, string> = {}) => {
    const dir = path.join(base, name);
    fs.mkdirSync(dir, { recursive: true });
    for (const [rel, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    }
    return dir;
  };

  before(() => {
    base = fs.mkdtempSync(path.join(tmpdir(), 'hb-detect-hostile-'));
  });
  after(() => {
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('a 100 000-file tree: dependencies and deep sources are never walked', async () => {
    const dir = mk('big-tree', {
      'package.json': json({ name: 'big', dependencies: { next: '14', react: '18' }, scripts: { dev: 'next dev' } }),
      'pnpm-lock.yaml': '',
      'tsconfig.json': '{}',
    });
    // 50 000 files in dependencies, each package with a package.json of its own
    for (let p = 0; p < 1000; p++) {
      const pkg = path.join(dir, 'node_modules', `pkg${p}`);
      fill(path.join(pkg, 'lib'), 49);
      fs.writeFileSync(path.join(pkg, 'package.json'), json({ name: `pkg${p}`, dependencies: { express: '4' } }));
    }
    // 50 000 source files, 500 folders deep under src/
    for (let a = 0; a < 25; a++) for (let b = 0; b < 20; b++) fill(path.join(dir, 'src', `area${a}`, `mod${b}`, 'components'), 100, '.tsx');
    const { fs: counted, opened } = countingFs();
    const { value: r, ms } = await timed(() => detectProject(dir, { fs: counted }));
    assert.equal(r.language, 'typescript');
    assert.equal(r.framework, 'nextjs');
    assert.equal(r.packageManager, 'pnpm');
    assert.ok(r.stats.filesOpened <= 200, `opened ${r.stats.filesOpened} files`);
    assert.equal(opened.filter((p) => p.includes(`${path.sep}node_modules${path.sep}`)).length, 0, 'nothing in node_modules is opened');
    assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  });

  it('100 000 files in one folder: an answer from the well-known names, with a note', async () => {
    const dir = mk('flat', {
      'package.json': json({ dependencies: { express: '^4' }, scripts: { dev: 'node --watch server.js' } }),
      'package-lock.json': '{}',
    });
    fill(dir, 100_000 - 2);
    const { value: r, ms } = await timed(() => detectProject(dir));
    assert.equal(r.language, 'javascript');
    assert.equal(r.framework, 'express');
    assert.equal(r.packageManager, 'npm');
    assert.ok(r.stats.truncated);
    assert.ok(r.stats.entriesSeen <= 5000, `read ${r.stats.entriesSeen} entries`);
    assert.ok(r.notes.some((n) => /more than \d+ entries/.test(n)), r.notes.join('\n'));
    assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  });

  it('symlink loops end', async () => {
    const dir = mk('loops', { 'requirements.txt': 'fastapi\nuvicorn\n', 'main.py': 'from fastapi import FastAPI\napp = FastAPI()\n' });
    fs.mkdirSync(path.join(dir, 'src', 'pkg'), { recursive: true });
    fs.symlinkSync('.', path.join(dir, 'src', 'self'));
    fs.symlinkSync('..', path.join(dir, 'src', 'pkg', 'up'));
    fs.symlinkSync(dir, path.join(dir, 'src', 'root'));
    fs.symlinkSync('b', path.join(dir, 'a'));
    fs.symlinkSync('a', path.join(dir, 'b'));
    fs.symlinkSync('pyproject.toml', path.join(dir, 'pyproject.toml')); // a manifest name that loops onto itself
    const { value: r, ms } = await timed(() => detectProject(dir));
    assert.equal(r.language, 'python');
    assert.equal(r.framework, 'fastapi');
    assert.ok(r.notes.some((n) => n.includes('pyproject.toml')), r.notes.join('\n'));
    assert.ok(ms < 1000);
  });

  it('symlinks pointing out of the folder are not followed', async () => {
    const outside = mk('outside', { 'package.json': json({ dependencies: { next: '14' } }), 'go.mod': 'module outside\n' });
    const dir = mk('escape', { 'Gemfile': "gem 'sinatra'\n", 'app.rb': '' });
    fs.symlinkSync(path.join(outside, 'package.json'), path.join(dir, 'package.json'));
    fs.symlinkSync(outside, path.join(dir, 'vendored'));
    fs.symlinkSync('/', path.join(dir, 'rootfs'));
    fs.symlinkSync('/etc/passwd', path.join(dir, 'go.mod'));
    const { fs: counted, opened } = countingFs();
    const r = await detectProject(dir, { fs: counted });
    assert.equal(r.language, 'ruby');
    assert.equal(r.framework, 'sinatra');
    assert.deepEqual(opened.filter((p) => !p.startsWith(r.folder + path.sep)), [], 'only files inside the folder are opened');
    assert.ok(r.notes.some((n) => n.includes('package.json') && n.includes('outside the folder')), r.notes.join('\n'));
  });

  it('a symlinked manifest that stays inside the folder is read', async () => {
    const dir = mk('inside-link', { 'config/pyproject.toml': '[project]\nname="x"\ndependencies=["streamlit"]\n', 'streamlit_app.py': '' });
    fs.symlinkSync('config/pyproject.toml', path.join(dir, 'pyproject.toml'));
    const r = await detectProject(dir);
    assert.equal(r.framework, 'streamlit');
  });

  it('a 200 MB package.json is read only as far as the cap', async () => {
    const dir = mk('huge');
    const file = path.join(dir, 'package.json');
    fs.writeFileSync(file, json({ name: 'huge', dependencies: { fastify: '^4' }, scripts: { dev: 'node --watch app.js' } }) + '\n');
    const fd = fs.openSync(file, 'r+');
    fs.ftruncateSync(fd, 200 * 1024 * 1024); // sparse: instant, no 200 MB written
    fs.closeSync(fd);
    const { value: r, ms } = await timed(() => detectProject(dir));
    assert.equal(r.framework, 'fastify');
    assert.ok(r.stats.bytesRead <= 256 * 1024, `read ${r.stats.bytesRead} bytes`);
    assert.ok(r.notes.some((n) => n.includes('package.json')), r.notes.join('\n'));
    assert.ok(ms < 1000);
  });

  it('a 200 MB manifest with no text in it is reported as binary', async () => {
    const dir = mk('huge-binary', { 'main.go': 'package main\n' });
    const fd = fs.openSync(path.join(dir, 'go.mod'), 'w');
    fs.ftruncateSync(fd, 200 * 1024 * 1024);
    fs.closeSync(fd);
    const r = await detectProject(dir);
    assert.equal(r.language, 'go', 'the .go source still says Go');
    assert.ok(r.notes.some((n) => n.includes('go.mod') && n.includes('binary')), r.notes.join('\n'));
  });

  it('binary files with manifest names are ignored with a note', async () => {
    const dir = mk('binaries', { 'requirements.txt': 'django\n', 'manage.py': '' });
    fs.writeFileSync(path.join(dir, 'package.json'), Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x01, 0x02]));
    fs.writeFileSync(path.join(dir, 'Cargo.toml'), Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\x00'), Buffer.alloc(64)]));
    fs.writeFileSync(path.join(dir, 'pom.xml'), Buffer.from('PK\x03\x04\x14\x00\x00\x00', 'latin1'));
    const r = await detectProject(dir);
    assert.equal(r.language, 'python');
    assert.equal(r.framework, 'django');
    for (const name of ['package.json', 'Cargo.toml', 'pom.xml']) assert.ok(r.notes.some((n) => n.includes(name) && n.includes('binary')), `${name}: ${r.notes.join('\n')}`);
  });

  it('FIFOs and other special files with manifest names never block', async function () {
    const dir = mk('fifo', { 'go.mod': 'module x\n\ngo 1.22\n', 'main.go': '' });
    const made = spawnSync('mkfifo', [path.join(dir, 'package.json'), path.join(dir, 'pyproject.toml')]);
    assert.equal(made.status, 0, `mkfifo failed: ${made.stderr}`);
    const { value: r, ms } = await timed(() => detectProject(dir));
    assert.equal(r.language, 'go');
    assert.ok(ms < 1000);
  });

  it('an unreadable sub-folder is skipped with a note (error injected: tests run as root, and chmod 000 does not stop root)', async () => {
    const dir = mk('unreadable-sub', { 'Cargo.toml': '[package]\nname="x"\n[dependencies]\naxum="0.7"\n', 'src/main.rs': '' });
    fs.mkdirSync(path.join(dir, 'secret'));
    fs.writeFileSync(path.join(dir, 'secret', 'package.json'), json({ dependencies: { next: '14' } }));
    const real = fs.realpathSync(dir);
    const deny = (p: string) => {
      if (p.startsWith(path.join(real, 'secret'))) throw eacces(p);
    };
    const injected = fsWith({
      readdirSync: ((p: string, o: { withFileTypes: true }) => (deny(p), fs.readdirSync(p, o))),
      opendirSync: (p: string, o?: fs.OpenDirOptions) => (deny(p), fs.opendirSync(p, o)),
    });
    const r = await detectProject(dir, { fs: injected });
    assert.equal(r.language, 'rust');
    assert.equal(r.framework, 'axum');
    assert.ok(r.notes.some((n) => n.includes('secret') && n.includes('permission denied')), r.notes.join('\n'));
  });

  it('an unreadable folder gives a clear error that names it and says what to do', async () => {
    const dir = mk('unreadable-root', { 'package.json': '{}' });
    const real = fs.realpathSync(dir);
    const injected = fsWith({
      readdirSync: ((p: string, o: { withFileTypes: true }) => {
        if (p === real) throw eacces(p);
        return fs.readdirSync(p, o);
      }),
      opendirSync: (p: string, o?: fs.OpenDirOptions) => {
        if (p === real) throw eacces(p);
        return fs.opendirSync(p, o);
      },
    });
    await assert.rejects(detectProject(dir, { fs: injected }), (e: unknown) => {
      assert.ok(e instanceof DetectError);
      assert.equal(e.code, 'permission');
      assert.match(e.message, /permission denied/);
      assert.ok(e.message.includes(dir));
      assert.match(e.message, /chmod/);
      return true;
    });
  });

  it('an unreadable sub-folder with real permissions: the real `hb detect` still answers and names it', function () {
    // chmod 000 does not stop root, so as root the built CLI runs as the unprivileged uid 65534
    // (setpriv, from util-linux): the EACCES then comes from the kernel, not from a stub.
    this.timeout(20000);
    ensureBuilt();
    const asRoot = process.getuid?.() === 0;
    const dir = mk('chmod-000', { 'requirements.txt': 'flask\n', 'app.py': 'from flask import Flask\n' });
    fs.mkdirSync(path.join(dir, 'locked'));
    fs.writeFileSync(path.join(dir, 'locked', 'package.json'), '{"dependencies":{"next":"14"}}');
    // every folder up to the fixture must be reachable by the unprivileged user
    for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) fs.chmodSync(d, fs.statSync(d).mode | 0o755);
    fs.chmodSync(path.join(dir, 'locked'), 0o000);
    try {
      const cmd = asRoot ? 'setpriv' : process.execPath;
      const args = [...(asRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath] : []), CLI, 'detect', dir, '--json'];
      const r = spawnSync(cmd, args, { cwd: '/', encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { language: string; framework: string; notes: string[] };
      assert.equal(out.language, 'python');
      assert.equal(out.framework, 'flask');
      assert.ok(out.notes.some((n) => n.includes('locked') && n.includes('permission denied')), out.notes.join('\n'));
    } finally {
      fs.chmodSync(path.join(dir, 'locked'), 0o755);
    }
  });

  it('an unreadable manifest is a note, not a failure', async () => {
    const dir = mk('unreadable-file', { 'go.mod': 'module x\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.10.0\n', 'main.go': '', 'package.json': '{}' });
    const injected = fsWith({
      openSync: (p: string, flags: number) => {
        if (p.endsWith('package.json')) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
        return fs.openSync(p, flags);
      },
    });
    const r = await detectProject(dir, { fs: injected });
    assert.equal(r.framework, 'gin');
    assert.ok(r.notes.some((n) => n.includes('package.json') && n.includes('permission denied')));
  });

  it('never looks into dependencies, version control, virtualenvs or build output', async () => {
    const dir = mk('skipped', { 'Gemfile': "gem 'rails'\n", 'config/application.rb': '' });
    const decoys: Record<string, string> = {
      'node_modules/next/package.json': json({ dependencies: { next: '14' } }),
      '.git/package.json': '{}',
      '.venv/pyvenv.cfg': 'home = /usr/bin',
      '.venv/lib/python3.12/site-packages/django/pyproject.toml': '[project]\nname="django"\n',
      'venv/pyproject.toml': '[project]\nname="x"\n',
      'myenv/pyvenv.cfg': 'home = /usr/bin',
      'myenv/pyproject.toml': '[project]\nname="x"\ndependencies=["fastapi"]\n',
      'target/Cargo.toml': '[package]\nname="x"\n',
      'build/go.mod': 'module x\n',
      'dist/package.json': '{}',
      '__pycache__/setup.py': '',
      'vendor/composer.json': '{}',
      '.next/package.json': '{}',
    };
    for (const [rel, text] of Object.entries(decoys)) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    }
    const { fs: counted, opened } = countingFs();
    const r = await detectProject(dir, { fs: counted });
    assert.equal(r.framework, 'rails');
    assert.deepEqual(r.parts, []);
    const real = fs.realpathSync(dir);
    assert.deepEqual(
      opened.map((p) => path.relative(real, p)).filter((p) => p.includes(path.sep)),
      [],
      'only top-level files were opened',
    );
  });

  it('looks at most three folder levels deep', async () => {
    const dir = mk('deep', { 'a/b/c/d/package.json': json({ dependencies: { express: '4' } }), 'a/b/c/d/e/go.mod': 'module x\n' });
    const r = await detectProject(dir);
    assert.equal(r.language, 'other');
  });

  it('stops opening files at the budget and says so', async () => {
    const files: Record<string, string> = { 'package.json': json({ private: true, workspaces: ['packages/*'] }), 'package-lock.json': '' };
    for (let i = 0; i < 400; i++) files[`packages/p${i}/package.json`] = json({ name: `p${i}`, dependencies: { koa: '2' }, scripts: { dev: 'node index.js' } });
    const dir = mk('many-manifests', files);
    const { value: r, ms } = await timed(() => detectProject(dir));
    assert.ok(r.stats.filesOpened <= 200, `opened ${r.stats.filesOpened}`);
    assert.ok(r.stats.truncated);
    assert.ok(r.notes.some((n) => /budget/.test(n)), r.notes.join('\n'));
    assert.equal(r.framework, 'koa');
    assert.ok(ms < 2000);
  });

  it('a file or a missing path instead of a folder is a clear error', async () => {
    const dir = mk('a-file-parent', { 'file.txt': 'x' });
    await assert.rejects(detectProject(path.join(dir, 'file.txt')), (e: unknown) => e instanceof DetectError && e.code === 'not-dir' && /not a folder/.test(e.message));
    await assert.rejects(detectProject(path.join(dir, 'missing')), (e: unknown) => e instanceof DetectError && e.code === 'not-found' && /does not exist/.test(e.message));
  });
});
