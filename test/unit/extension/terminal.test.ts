// The terminal in the dev container, with the `vscode` API stubbed and a scripted engine: the
// Pseudoterminal opens a TTY exec at the panel's size, sends keys and resizes, shows output (also
// output that comes before the open request's answer) and closes with the exit code.
import { strict as assert } from 'node:assert';
import type { NotificationType } from 'vscode-jsonrpc';
import { RuntimeTerminalClose, RuntimeTerminalExit, RuntimeTerminalInput, RuntimeTerminalOpen, RuntimeTerminalOutput, RuntimeTerminalResize } from '../../../src/protocol';
import { ContainerTerminal } from '../../../src/extension/terminal';
import { stub, window } from '../stubs/vscode';
import { waitFor } from './helpers';

function engine(open: (params: any) => Promise<unknown>) {
  const handlers = new Map<string, (p: any) => void>();
  const sent: { method: string; params: any }[] = [];
  return {
    sent,
    emit: <P>(type: NotificationType<P>, params: P) => handlers.get(type.method)?.(params),
    deps: {
      request: (type: { method: string }, params: any) => {
        sent.push({ method: type.method, params });
        return open(params);
      },
      notify: (type: { method: string }, params: any) => {
        sent.push({ method: type.method, params });
        return true;
      },
      onNotification: (type: { method: string }, h: (p: any) => void) => {
        handlers.set(type.method, h);
        return { dispose: () => handlers.delete(type.method) };
      },
    } as never,
  };
}

const target = { folder: '/work/app', configFile: '/work/app/.devcontainer/devcontainer.json', folderName: 'app' };

describe('terminal in the dev container (vscode stubbed)', () => {
  beforeEach(() => stub.reset());

  it('opens at the panel size, passes keys and resizes, and closes with the exit code', async () => {
    let answer!: (v: unknown) => void;
    const e = engine(() => new Promise((r) => (answer = r)));
    const term = window.createTerminal({ name: 'HyperBox: app', pty: new ContainerTerminal(e.deps, target) as never });
    term.show();
    assert.deepEqual(e.sent[0], { method: RuntimeTerminalOpen.method, params: { folder: target.folder, configFile: target.configFile, cols: 80, rows: 24 } });
    // output before the answer is kept, and shown once the id is known
    e.emit(RuntimeTerminalOutput, { terminalId: 't1', data: 'dev@box:/workspaces/app$ ' });
    answer({ terminalId: 't1', containerName: 'app-dev' });
    await waitFor(() => term.written.includes('dev@box:/workspaces/app$ '), 'the early output');
    e.emit(RuntimeTerminalOutput, { terminalId: 't2', data: 'another terminal' });
    assert.ok(!term.written.includes('another terminal'));
    term.type('ls\r');
    term.resize(120, 40);
    assert.deepEqual(e.sent.slice(1), [
      { method: RuntimeTerminalInput.method, params: { terminalId: 't1', data: 'ls\r' } },
      { method: RuntimeTerminalResize.method, params: { terminalId: 't1', cols: 120, rows: 40 } },
    ]);
    e.emit(RuntimeTerminalExit, { terminalId: 't1', exitCode: 3 });
    assert.equal(term.closed, true);
    assert.equal(term.closedWith, 3);
  });

  it('says why it could not open, and closes on the next key', async () => {
    const e = engine(() => Promise.reject(new Error('/work/app has no running dev container (stopped), so there is nothing to open a terminal in. Start it first.')));
    const term = window.createTerminal({ name: 'HyperBox: app', pty: new ContainerTerminal(e.deps, target) as never });
    term.show();
    await waitFor(() => term.written.includes('could not open'), 'the message');
    assert.match(term.written, /HyperBox could not open a terminal in the dev container of app: \/work\/app has no running dev container \(stopped\)[^\n]*Start it first\./);
    term.type('x');
    assert.equal(term.closed, true);
  });

  it('ends the exec when the user closes the terminal', async () => {
    const e = engine(async () => ({ terminalId: 't9', containerName: null }));
    const term = window.createTerminal({ name: 'HyperBox: app', pty: new ContainerTerminal(e.deps, target) as never });
    term.show();
    await waitFor(() => (term.options.pty as unknown as ContainerTerminal).id === 't9', 'the id');
    term.dispose();
    assert.deepEqual(e.sent.at(-1), { method: RuntimeTerminalClose.method, params: { terminalId: 't9' } });
  });
});
