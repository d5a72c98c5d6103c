// A terminal in the dev container: a Pseudoterminal fed by a TTY exec in the engine (as
// remoteUser, in the workspace folder). Keys go to the engine as RuntimeTerminalInput, the panel's
// size as RuntimeTerminalResize; output and the exit come back as notifications.
import * as vscode from 'vscode';
import type { NotificationType, RequestType } from 'vscode-jsonrpc';
import {
  RuntimeTerminalClose,
  RuntimeTerminalExit,
  RuntimeTerminalInput,
  RuntimeTerminalOpen,
  RuntimeTerminalOutput,
  RuntimeTerminalResize,
} from '../protocol';
import type { RequestOptions } from './engineClient';

export interface TerminalDeps {
  request<P, R>(type: RequestType<P, R, void>, params: P, options?: RequestOptions): Promise<R>;
  notify<P>(type: NotificationType<P>, params: P): boolean;
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): vscode.Disposable;
}

/** Terminal text uses CRLF; messages written by the extension itself need it. */
const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

export class ContainerTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private terminalId: string | undefined;
  private size: { cols: number; rows: number } | undefined;
  private closed = false;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly deps: TerminalDeps,
    private readonly target: { folder: string; configFile: string; folderName: string },
  ) {}

  /** The engine's id of the exec, once it runs (for tests). */
  get id(): string | undefined {
    return this.terminalId;
  }

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    this.size = dimensions ? { cols: dimensions.columns, rows: dimensions.rows } : { cols: 80, rows: 24 };
    // Output can arrive before the open request's answer: keep it until the id is known.
    const early: { terminalId: string; data: string }[] = [];
    this.subscriptions.push(
      this.deps.onNotification(RuntimeTerminalOutput, (p) => {
        if (this.terminalId === undefined) early.push(p);
        else if (p.terminalId === this.terminalId) this.writeEmitter.fire(p.data);
      }),
      this.deps.onNotification(RuntimeTerminalExit, (p) => {
        if (p.terminalId !== this.terminalId) return;
        if (p.message) this.writeEmitter.fire(crlf(`\n${p.message}\n`));
        this.finish(p.exitCode ?? 1);
      }),
    );
    this.writeEmitter.fire(crlf(`Opening a terminal in the dev container of ${this.target.folderName}…\n`));
    void this.deps
      .request(RuntimeTerminalOpen, { folder: this.target.folder, configFile: this.target.configFile, cols: this.size.cols, rows: this.size.rows })
      .then(
        ({ terminalId }) => {
          if (this.closed) {
            this.deps.notify(RuntimeTerminalClose, { terminalId });
            return;
          }
          this.terminalId = terminalId;
          for (const p of early.splice(0)) if (p.terminalId === terminalId) this.writeEmitter.fire(p.data);
        },
        (e) => {
          this.writeEmitter.fire(crlf(`\nHyperBox could not open a terminal in the dev container of ${this.target.folderName}: ${(e as Error).message}\n`));
          // leave the message on screen; the terminal closes when the user presses a key
          this.terminalId = '';
        },
      );
  }

  handleInput(data: string): void {
    if (this.terminalId === '') {
      this.finish(1);
      return;
    }
    if (this.terminalId) this.deps.notify(RuntimeTerminalInput, { terminalId: this.terminalId, data });
  }

  setDimensions(dimensions: vscode.TerminalDimensions): void {
    this.size = { cols: dimensions.columns, rows: dimensions.rows };
    if (this.terminalId) this.deps.notify(RuntimeTerminalResize, { terminalId: this.terminalId, cols: dimensions.columns, rows: dimensions.rows });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.terminalId) this.deps.notify(RuntimeTerminalClose, { terminalId: this.terminalId });
    this.dispose();
  }

  private finish(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.closeEmitter.fire(code);
    this.dispose();
  }

  private dispose(): void {
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }
}
