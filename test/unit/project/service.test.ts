// The project service in the real engine process (dist/engine.js) over JSON-RPC: the requests the
// VS Code side uses for the status bar ("TypeScript · NestJS · pnpm" with the evidence as tooltip)
// and for "HyperBox: Add Dev Container Configuration".
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { Initialize, ProjectDetect, ProjectInit, ProjectProfile, Shutdown } from '../../../src/protocol';
import { ENGINE, ensureBuilt } from '../helpers/build';

const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'projects');

describe('project detection: engine service', function () {
  this.timeout(60_000);
  let child: ChildProcessWithoutNullStreams;
  let conn: MessageConnection;
  let scratch: string;

  before(async () => {
    ensureBuilt();
    scratch = fs.mkdtempSync(path.join(tmpdir(), 'hb-project-rpc-'));
    child = spawn(process.execPath, [ENGINE], { stdio: 'pipe' });
    child.stderr.resume();
    conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    conn.listen();
    const caps = await conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
    assert.ok(['detect', 'profile', 'init'].every((c) => caps.capabilities.includes(c)), caps.capabilities.join(', '));
  });

  after(async () => {
    await conn.sendRequest(Shutdown).catch(() => undefined);
    conn.dispose();
    child.kill();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('ProjectDetect answers with the label, the summary for a tooltip and the parts', async () => {
    const r = await conn.sendRequest(ProjectDetect, { folder: path.join(FIXTURES, 'turborepo-pnpm') });
    assert.equal(r.label, 'TypeScript · NestJS · pnpm');
    assert.match(r.summary, /^TypeScript · NestJS · pnpm \(confidence/);
    assert.match(r.summary, /Evidence:\n/);
    assert.match(r.summary, /Parts \(pnpm workspaces with Turborepo\):/);
    assert.ok(r.parts.length >= 4);
  });

  it('ProjectDetect reports an unreadable or missing folder as an error with its reason', async () => {
    await assert.rejects(conn.sendRequest(ProjectDetect, { folder: path.join(scratch, 'missing') }), /does not exist/);
  });

  it('ProjectProfile and ProjectInit (preview, then write, then refuse)', async () => {
    const profile = await conn.sendRequest(ProjectProfile, { folder: path.join(FIXTURES, 'django-pip'), memoryLimitBytes: 1024 ** 3, inotify: true });
    assert.equal(profile.reload.strategy, 'framework-native');
    assert.ok(profile.entries.some((e) => e.kind === 'env' && e.name === 'PYTHONUNBUFFERED'));

    const dir = path.join(scratch, 'app');
    fs.cpSync(path.join(FIXTURES, 'go-gin'), dir, { recursive: true });
    const preview = await conn.sendRequest(ProjectInit, { folder: dir, write: false });
    assert.equal(preview.written, false);
    assert.equal(preview.existing, null);
    assert.ok(!fs.existsSync(preview.file));
    const written = await conn.sendRequest(ProjectInit, { folder: dir });
    assert.equal(written.written, true);
    assert.equal(fs.readFileSync(written.file, 'utf8'), written.text);
    const refused = await conn.sendRequest(ProjectInit, { folder: dir });
    assert.equal(refused.written, false);
    assert.equal(refused.existing, written.file);
  });
});
