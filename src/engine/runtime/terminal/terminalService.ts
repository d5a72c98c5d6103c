// Terminals in the dev container for the editor: an exec with a TTY (ops.exec with -it) whose
// stdin, stdout and size come from JSON-RPC messages instead of a local terminal. Also the
// container's logs on demand (ops.logs, as `hb logs` prints them).
import { StringDecoder } from 'node:string_decoder';
import { PassThrough, Writable } from 'node:stream';
import {
  Capability,
  RuntimeContainerLogs,
  RuntimeTerminalClose,
  RuntimeTerminalExit,
  RuntimeTerminalInput,
  RuntimeTerminalOpen,
  RuntimeTerminalOutput,
  RuntimeTerminalResize,
} from '../../../protocol';
import type { ServiceRegistration } from '../../serviceTypes';
import { RuntimeError } from '../errors';
import { exec, logs, status } from '../ops';
import { toResponseError } from '../../rpc/errors';
import { FIND_USER_SHELL } from '../lifecycle/snippets';

/** The remote user's login shell (from /etc/passwd), else bash, else sh. */
export const LOGIN_SHELL = ['/bin/sh', '-c', `${FIND_USER_SHELL}[ -x "$s" ] || s=$(command -v bash 2>/dev/null) || s=/bin/sh; exec "$s" -l`];

/** stdout of the exec: text to the client, and the size execTty reads (with a `resize` event). */
class TerminalOutput extends Writable {
  columns: number;
  rows: number;
  readonly isTTY = true;
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    cols: number,
    rows: number,
    private readonly send: (data: string) => void,
  ) {
    super();
    this.columns = cols;
    this.rows = rows;
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    if (text) this.send(text);
    done();
  }

  resize(cols: number, rows: number): void {
    this.columns = cols;
    this.rows = rows;
    this.emit('resize');
  }
}

interface Terminal {
  stdin: PassThrough;
  stdout: TerminalOutput;
  abort: AbortController;
}

export const registerTerminalService: ServiceRegistration = {
  capabilities: [Capability.terminal, Capability.containerLogs],
  register(conn, log) {
    const terminals = new Map<string, Terminal>();
    let seq = 0;

    conn.onRequest(RuntimeTerminalOpen, async (params) => {
      // the size (and every other parameter) was checked at the protocol boundary (rpc/params.ts)
      try {
        const s = await status({ folder: params.folder, configFile: params.configFile, env: process.env });
        if (!s.running) {
          throw new RuntimeError(
            s.containerId ? 'not-running' : 'not-found',
            `${s.folder} has no running dev container (${s.state}), so there is nothing to open a terminal in. Start it first (HyperBox: Start Dev Container, or hb up).`,
          );
        }
        const terminalId = `t${++seq}`;
        const term: Terminal = {
          stdin: new PassThrough(),
          stdout: new TerminalOutput(params.cols, params.rows, (data) => void conn.sendNotification(RuntimeTerminalOutput, { terminalId, data }).catch(() => undefined)),
          abort: new AbortController(),
        };
        terminals.set(terminalId, term);
        void exec({
          folder: params.folder,
          configFile: params.configFile,
          env: process.env,
          cmd: params.cmd?.length ? params.cmd : LOGIN_SHELL,
          stdout: term.stdout,
          stderr: term.stdout,
          stdin: term.stdin,
          interactive: true,
          tty: true,
          signal: term.abort.signal,
          report: { step: () => undefined, info: (m) => log.info(m), warn: (m) => log.warn(m), output: () => undefined },
        }).then(
          (exitCode) => ({ exitCode, message: undefined as string | undefined }),
          (e) => ({ exitCode: null, message: (e as Error).message }),
        ).then(({ exitCode, message }) => {
          terminals.delete(terminalId);
          if (message) log.warn(`Terminal ${terminalId} in ${s.name ?? s.folder}: ${message}`);
          void conn.sendNotification(RuntimeTerminalExit, { terminalId, exitCode, message }).catch(() => undefined);
        });
        return { terminalId, containerName: s.name };
      } catch (e) {
        throw toResponseError(e);
      }
    });
    conn.onRequest(RuntimeContainerLogs, async (params, token) => {
      const max = Math.min(Math.max(params.maxBytes ?? 1 << 20, 1024), 16 << 20);
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const sink = new Writable({
        write(chunk: Buffer | string, _enc, done) {
          const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
          chunks.push(b);
          size += b.length;
          while (size > max && chunks.length > 1) {
            size -= chunks.shift()!.length;
            truncated = true;
          }
          done();
        },
      });
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      try {
        await logs({ folder: params.folder, configFile: params.configFile, env: process.env, stdout: sink, stderr: sink, signal: abort.signal });
      } catch (e) {
        throw toResponseError(e);
      }
      let text = Buffer.concat(chunks).toString('utf8');
      if (text.length > max) {
        text = text.slice(text.length - max);
        truncated = true;
      }
      return { text, truncated };
    });
    conn.onNotification(RuntimeTerminalInput, ({ terminalId, data }) => {
      terminals.get(terminalId)?.stdin.write(data);
    });
    conn.onNotification(RuntimeTerminalResize, ({ terminalId, cols, rows }) => {
      terminals.get(terminalId)?.stdout.resize(cols, rows);
    });
    conn.onNotification(RuntimeTerminalClose, ({ terminalId }) => {
      const term = terminals.get(terminalId);
      if (!term) return;
      term.stdin.end();
      term.abort.abort();
    });
    conn.onClose(() => {
      for (const t of terminals.values()) t.abort.abort();
      terminals.clear();
    });
  },
};
