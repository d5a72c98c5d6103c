// The base of every HyperBox webview panel: the HTML shell with its CSP and a fresh nonce
// (html.ts), resources only from the extension's dist/media folder, and the message handshake —
// the webview says `ready` when its script listens, and only then does the host push state
// (again after each reload of the webview, e.g. when a hidden panel is shown again). Every message
// from the webview is validated before anything acts on it; invalid ones are logged and dropped.
import * as vscode from 'vscode';
import { WebviewReady, type WebviewMessageType } from '../../protocol/webview';
import { makeNonce, panelHtml } from './html';

/** Where the webview bundles are (esbuild.mjs builds media/<panel>/main.ts there). */
export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'media');
}

/** Options for createWebviewPanel and for a panel restored after a reload. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, enableCommandUris: false, localResourceRoots: [webviewRoot(extensionUri)] };
}

export interface PanelOptions<In extends { type: string }> {
  extensionUri: vscode.Uri;
  /** The bundle's name: dist/media/<bundle>.js and .css. */
  bundle: string;
  title: string;
  /** Checks a message from the webview; undefined drops it. */
  validate(raw: unknown): In | undefined;
  log: vscode.LogOutputChannel;
}

export abstract class Panel<In extends { type: string }> implements vscode.Disposable {
  /** The webview has said `ready` since it was last (re)loaded: messages reach it. */
  protected ready = false;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly disposed = new vscode.EventEmitter<void>();
  private isDisposed = false;
  readonly onDidDispose = this.disposed.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly options: PanelOptions<In>,
  ) {
    const webview = panel.webview;
    webview.options = webviewOptions(options.extensionUri);
    const root = webviewRoot(options.extensionUri);
    webview.html = panelHtml({
      title: options.title,
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, `${options.bundle}.js`)).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, `${options.bundle}.css`)).toString(),
      panel: options.bundle,
    });
    this.subscriptions.push(
      webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
      // a hidden webview is unloaded: it says ready again when shown
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Sends a typed message; dropped (false) until the webview is ready, which then gets the whole state. */
  protected post<P>(type: WebviewMessageType<P, 'toWebview'>, params: P): boolean {
    if (!this.ready || this.isDisposed) return false;
    void this.panel.webview.postMessage({ type: type.type, params });
    return true;
  }

  /** The webview is ready (first load or reload): push the whole state. */
  protected abstract onReady(): void;
  /** A validated message other than `ready`. */
  protected abstract onMessage(message: In): void;

  private receive(raw: unknown): void {
    const message = this.options.validate(raw);
    if (!message) {
      this.options.log.warn(`${this.options.title}: ignored a message the panel may not send: ${describe(raw)}`);
      return;
    }
    if (message.type === WebviewReady.type) {
      this.ready = true;
      this.onReady();
      return;
    }
    this.onMessage(message);
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.ready = false;
    for (const d of this.subscriptions.splice(0)) d.dispose();
    this.panel.dispose();
    this.disposed.fire();
    this.disposed.dispose();
  }
}

function describe(raw: unknown): string {
  try {
    const s = JSON.stringify(raw);
    return s === undefined ? String(raw) : s.length > 200 ? `${s.slice(0, 200)}…` : s;
  } catch {
    return String(raw);
  }
}

/**
 * The one open panel of a kind (Seccomp, Traces, Pressure): a panel adopted replaces the one open
 * before it (disposed first), and is forgotten when it closes; `onClosed` hears of each close.
 */
export class PanelSlot<P extends Panel<{ type: string }>> implements vscode.Disposable {
  current: P | undefined;
  constructor(private readonly onClosed?: () => void) {}

  /** Disposes the open panel, then makes (`make`) and keeps the new one. */
  adopt(make: () => P): P {
    this.current?.dispose();
    const p = make();
    this.current = p;
    p.onDidDispose(() => {
      if (this.current === p) this.current = undefined;
      this.onClosed?.();
    });
    return p;
  }

  dispose(): void {
    this.current?.dispose();
  }
}
