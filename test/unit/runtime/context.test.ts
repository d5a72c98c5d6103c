// The build context as sent to the engine (runtime/context.ts): what .dockerignore keeps, with
// modes, symlinks and contents intact, large files streamed, and files from outside added.
import { strict as assert } from 'node:assert';
import { chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tarStream from 'tar-stream';
import { contextFilter, packContext } from '../../../src/engine/runtime/build/context';
import { makeFolder, removeAll } from '../helpers/folders';

interface Entry {
  type: string;
  mode: number;
  uid: number;
  content: Buffer;
  linkname?: string;
}

async function unpack(stream: NodeJS.ReadableStream): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const ex = tarStream.extract();
  ex.on('entry', (h: { name: string; type: string; mode: number; uid: number; linkname?: string }, s: NodeJS.ReadableStream, next: () => void) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => {
      out.set(h.name.replace(/\/$/, ''), { type: h.type, mode: h.mode, uid: h.uid, content: Buffer.concat(chunks), linkname: h.linkname });
      next();
    });
  });
  stream.pipe(ex);
  await new Promise((r) => ex.on('finish', r));
  return out;
}

describe('runtime: the build context tar', () => {
  after(removeAll);

  it('holds what .dockerignore keeps (exceptions too), with modes, links, large files and extra files', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 'x');
    const dir = makeFolder({
      '.dockerignore': 'node_modules\n*.log\n!keep.log\n.devcontainer\n',
      '.devcontainer/Dockerfile': 'FROM scratch\n',
      'src/a.txt': 'a\n',
      'src/run.sh': '#!/bin/sh\n',
      'debug.log': 'no\n',
      'keep.log': 'yes\n',
      'node_modules/x/index.js': 'no\n',
    });
    writeFileSync(path.join(dir, 'big.bin'), big);
    chmodSync(path.join(dir, 'src/run.sh'), 0o755);
    symlinkSync('src/a.txt', path.join(dir, 'link'));
    const filter = await contextFilter(dir, ['.devcontainer/Dockerfile']);
    const tar = await unpack(await packContext(dir, filter, [{ name: '.extra-Dockerfile', content: Buffer.from('FROM x\n') }]));
    assert.deepEqual([...tar.keys()].sort(), ['.devcontainer/Dockerfile', '.dockerignore', '.extra-Dockerfile', 'big.bin', 'keep.log', 'link', 'src', 'src/a.txt', 'src/run.sh']);
    assert.equal(tar.get('src')!.type, 'directory');
    assert.equal(tar.get('src/run.sh')!.mode & 0o777, 0o755);
    assert.equal(tar.get('src/a.txt')!.content.toString(), 'a\n');
    assert.equal(tar.get('link')!.type, 'symlink');
    assert.equal(tar.get('link')!.linkname, 'src/a.txt');
    assert.ok(tar.get('big.bin')!.content.equals(big), 'the streamed large file arrives whole');
    assert.equal(tar.get('.extra-Dockerfile')!.content.toString(), 'FROM x\n');
    for (const e of tar.values()) assert.equal(e.uid, 0);
  });


  it('sends the Dockerfile and .dockerignore from a folder .dockerignore excludes, and nothing else of it', async () => {
    const dir = makeFolder({
      '.dockerignore': '.devcontainer\n',
      '.devcontainer/Dockerfile': 'FROM scratch\n',
      '.devcontainer/devcontainer.json': '{}',
      'app.txt': 'app\n',
    });
    const filter = await contextFilter(dir, ['.devcontainer/Dockerfile']);
    const tar = await unpack(await packContext(dir, filter));
    assert.deepEqual([...tar.keys()].sort(), ['.devcontainer/Dockerfile', '.dockerignore', 'app.txt']);
  });

  it('packs thousands of files intact, folder by folder in name order, while the event loop keeps running', async () => {
    const files: Record<string, string> = { '.dockerignore': '**/*.skip\n' };
    // one large folder (read without a pause in between, the event loop would stall) and small ones
    for (let d = 0; d < 10; d++) for (let i = 0; i < (d === 0 ? 4100 : 100); i++) files[`src/d${d}/f${i}.${i % 10 === 0 ? 'skip' : 'txt'}`] = `file ${d}/${i}\n`;
    const dir = makeFolder(files);
    let last = performance.now();
    let longest = 0;
    const timer = setInterval(() => {
      longest = Math.max(longest, performance.now() - last);
      last = performance.now();
    }, 1);
    const t0 = performance.now();
    const tar = await unpack(await packContext(dir, await contextFilter(dir)));
    const ms = performance.now() - t0;
    clearInterval(timer);
    const names = [...tar.keys()];
    const sent = names.filter((n) => /\.txt$/.test(n));
    assert.equal(sent.length, 4500);
    assert.equal(sent.filter((n) => n.startsWith('src/d0/')).length, 3690);
    assert.ok(!names.some((n) => n.endsWith('.skip')));
    for (const n of sent) assert.equal(tar.get(n)!.content.toString(), `file ${n.slice(5).replace(/\/f/, '/').replace(/\.txt$/, '')}\n`);
    // every folder's entry comes before its files, and each folder's files in name order
    const d7 = names.filter((n) => n.startsWith('src/d7/'));
    assert.ok(names.indexOf('src/d7') < names.indexOf(d7[0]));
    assert.deepEqual(d7, [...d7].sort());
    // a packer that read the large folder without a pause would hold the 1 ms timer back for most of the packing
    assert.ok(longest < ms / 4, `the event loop stalled for ${longest.toFixed(0)} ms of ${ms.toFixed(0)} ms of packing`);
  });

  it('reaches its reader in pieces of 64 KB, not three small chunks per file', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 600; i++) files[`f${i}.txt`] = `${i}\n`;
    const dir = makeFolder(files);
    const sizes: number[] = [];
    const stream = await packContext(dir, await contextFilter(dir));
    for await (const c of stream) sizes.push((c as Buffer).length);
    const total = sizes.reduce((a, b) => a + b, 0);
    // 600 files of one block each, with their headers: over 600 KB in about ten pieces
    assert.ok(total > 600 * 1024, `${total} bytes`);
    assert.ok(sizes.length <= Math.ceil(total / (64 * 1024)) + 1, `${sizes.length} chunks`);
    assert.ok(sizes.slice(0, -1).every((n) => n >= 64 * 1024));
  });
});
