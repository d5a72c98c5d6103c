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

});
