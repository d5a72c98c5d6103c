// Terminals in the dev container over JSON-RPC, as the editor's Pseudoterminal drives them: a TTY
// exec as remoteUser in the workspace folder, keys in, output out, resizes, the exit code.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import {
  Initialize,
  RuntimeContainerLogs,
  RuntimeDown,
  RuntimeTerminalExit,
  RuntimeTerminalInput,
  RuntimeTerminalOpen,
  RuntimeTerminalOutput,
  RuntimeTerminalResize,
  RuntimeUp,
  Shutdown,
} from '../../src/protocol';
import { devUserImage } from './images';
import { REPO, removeEverythingUnder, TEST_ROOT, waitFor, workspace } from './helpers';

describe('engine: terminals in the dev container over JSON-RPC', () => {
  after(() => removeEverythingUnder(TEST_ROOT));

  it('runs a shell with a TTY as remoteUser in the workspace folder, resizes, and reports the exit code', async () => {
    const child = spawn(process.execPath, [path.join(REPO, 'dist', 'engine.js')]);
    child.stderr.on('data', () => undefined);
    const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    conn.listen();
    try {
      const caps = await conn.sendRequest(Initialize, { clientName: 'test', clientVersion: '0' });
      assert.ok(caps.capabilities.includes('terminal'));
      const folder = workspace('term', { image: devUserImage(), remoteUser: 'dev' });
      // no container yet: an error that says what to do
      await assert.rejects(conn.sendRequest(RuntimeTerminalOpen, { folder, cols: 80, rows: 24 }), (err: unknown) => {
        assert.ok(err instanceof ResponseError);
        assert.equal((err.data as { code: string }).code, 'not-found');
        assert.match(err.message, /has no running dev container \(missing\), so there is nothing to open a terminal in\. Start it first/);
        return true;
      });
      const up = await conn.sendRequest(RuntimeUp, { folder, trusted: true });
      // the container's logs on demand, as hb logs prints them
      const logs = await conn.sendRequest(RuntimeContainerLogs, { folder });
      assert.equal(typeof logs.text, 'string');
      assert.equal(logs.truncated, false);
      let out = '';
      const exits: { terminalId: string; exitCode: number | null }[] = [];
      conn.onNotification(RuntimeTerminalOutput, (p) => (out += p.data));
      conn.onNotification(RuntimeTerminalExit, (p) => exits.push(p));
      const { terminalId, containerName } = await conn.sendRequest(RuntimeTerminalOpen, { folder, cols: 100, rows: 30 });
      assert.equal(containerName, up.name);
      // type once the shell shows its prompt, as a person does (the exec is sized just after it starts)
      await waitFor(() => /[$#] /.test(out), 10_000, `the prompt; output: ${JSON.stringify(out)}`);
      await conn.sendNotification(RuntimeTerminalInput, { terminalId, data: 'echo "[$(id -un)|$(pwd)|$(stty size)|$TERM]"\r' });
      await waitFor(() => /\[dev\|[^|]+\|30 100\|\w+\]/.test(out), 10_000, `the first answer; output: ${JSON.stringify(out)}`);
      assert.ok(out.includes(`[dev|${up.workspaceFolder}|30 100|`), out);
      await conn.sendNotification(RuntimeTerminalResize, { terminalId, cols: 120, rows: 40 });
      await new Promise((r) => setTimeout(r, 200));
      await conn.sendNotification(RuntimeTerminalInput, { terminalId, data: 'echo "<$(stty size)>"\r' });
      await waitFor(() => out.includes('<40 120>'), 10_000, `the resized answer; output: ${JSON.stringify(out)}`);
      await conn.sendNotification(RuntimeTerminalInput, { terminalId, data: 'exit 3\r' });
      await waitFor(() => exits.length === 1, 10_000, 'the exit');
      assert.deepEqual(exits, [{ terminalId, exitCode: 3 }]);
      await conn.sendRequest(RuntimeDown, { folder });
    } finally {
      await conn.sendRequest(Shutdown).catch(() => undefined);
      conn.dispose();
      child.kill();
    }
  });
});
