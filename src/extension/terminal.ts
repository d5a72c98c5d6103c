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
  private readonly endEmitter = new vscode.EventEmitter<void>();
  /** The shell ended or the terminal was closed, either way. */
  readonly onDidEnd = this.endEmitter.event;
  private terminalId: string | undefined;
  private size: { cols: number; rows: number } | undefined;
  private closed = false;
  /** The code the terminal closes with after the user read why it ended (void: no "exit code" notice). */
  private closeCode: number | undefined = 1;
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
        if (!p.terminalId || p.terminalId !== this.terminalId) return;
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

  /**
   * The container is about to go (Rebuild, Remove): end the shell ourselves and say why, instead of
   * letting it be killed ("terminated with exit code 137"). A key closes the terminal.
   */
  containerGoing(why: string): void {
    if (this.closed) return;
    const id = this.terminalId;
    this.terminalId = '';
    this.closeCode = undefined;
    if (id) this.deps.notify(RuntimeTerminalClose, { terminalId: id });
    this.writeEmitter.fire(crlf(`\n\nHyperBox: ${why} This shell has ended. Press any key to close this terminal.\n`));
  }

  handleInput(data: string): void {
    if (this.terminalId === '') {
      this.finish(this.closeCode);
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

  private finish(code: number | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closeEmitter.fire(code);
    this.dispose();
  }

  private dispose(): void {
    for (const d of this.subscriptions.splice(0)) d.dispose();
    this.endEmitter.fire();
    this.endEmitter.dispose();
  }
}

/** The open container terminals: ended (and told why) before their container goes; counted for the walkthrough. */
export class ContainerTerminals implements vscode.Disposable {
  private readonly open = new Map<ContainerTerminal, string>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** A terminal opened or ended. */
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly deps: TerminalDeps,
    containerGoing: vscode.Event<{ project: { folder: { uri: { fsPath: string } } }; why: string }>,
  ) {
    this.subscription = containerGoing(({ project, why }) => {
      for (const [t, folder] of this.open) if (folder === project.folder.uri.fsPath) t.containerGoing(`${why[0].toUpperCase()}${why.slice(1)}`);
    });
  }

  /** How many container terminals are open. */
  get count(): number {
    return this.open.size;
  }

  /** Opens a terminal in the project's running container. */
  create(target: { folder: string; configFile: string; folderName: string }, containerName: string | null | undefined): ContainerTerminal {
    const pty = new ContainerTerminal(this.deps, target);
    this.open.set(pty, target.folder);
    pty.onDidEnd(() => {
      this.open.delete(pty);
      this.changed.fire();
    });
    const terminal = vscode.window.createTerminal({ name: `HyperBox: ${target.folderName}${containerName ? ` (${containerName})` : ''}`, pty, iconPath: new vscode.ThemeIcon('vm') });
    terminal.show();
    this.changed.fire();
    return pty;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
