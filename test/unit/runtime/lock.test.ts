// One up per dev container at a time (up/lock.ts): a lock file created exclusively in the cache
// folder, holding its owner's pid; a live owner is waited for, a dead one's lock is taken over.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { acquireLock } from '../../../src/engine/runtime/up/lock';
import { makeFolder, removeAll } from '../helpers/folders';

describe('runtime: the up lock', () => {
  after(removeAll);

  it('a second holder waits (told once, with the first one\'s pid) until the first releases, then holds it', async () => {
    const env = { HB_CACHE_DIR: makeFolder() };
    const file = path.join(env.HB_CACHE_DIR, 'locks', 'c1.lock');
    const releaseFirst = await acquireLock('c1', 'hb up /a', { env });
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).what, 'hb up /a');
    const waits: { pid: number; what: string }[] = [];
    let second: (() => Promise<void>) | undefined;
    const taking = acquireLock('c1', 'hb up /b', { env, onWait: (h) => waits.push(h) }).then((r) => (second = r));
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(second, undefined, 'taken while held');
    assert.deepEqual(waits, [{ pid: process.pid, what: 'hb up /a' }]);
    await releaseFirst();
    await taking;
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).what, 'hb up /b');
    await second!();
    assert.equal(existsSync(file), false);
  });

  it('takes over the lock of a process that died holding it', async () => {
    const env = { HB_CACHE_DIR: makeFolder() };
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    mkdirSync(path.join(env.HB_CACHE_DIR, 'locks'), { recursive: true });
    const file = path.join(env.HB_CACHE_DIR, 'locks', 'c2.lock');
    writeFileSync(file, JSON.stringify({ pid: dead, what: 'hb up /killed', since: new Date().toISOString() }));
    const waits: unknown[] = [];
    const release = await acquireLock('c2', 'hb up /again', { env, onWait: (h) => waits.push(h) });
    assert.deepEqual(waits, []);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
    await release();
  });

  it('stops waiting when cancelled, leaving the holder\'s lock alone', async () => {
    const env = { HB_CACHE_DIR: makeFolder() };
    const release = await acquireLock('c3', 'hb up /a', { env });
    const cancel = new AbortController();
    const waiting = acquireLock('c3', 'hb up /b', { env, signal: cancel.signal });
    setTimeout(() => cancel.abort(), 60);
    await assert.rejects(waiting, /Waiting for hb up \/b was cancelled/);
    assert.equal(JSON.parse(readFileSync(path.join(env.HB_CACHE_DIR, 'locks', 'c3.lock'), 'utf8')).what, 'hb up /a');
    await release();
  });
});
