// A small stand-in for the `vscode` module in unit tests: the parts of the API the extension uses,
// recording what the extension does (status bar, diagnostics, messages, context keys) and letting
// tests play the user (folders, documents, settings, answers to prompts). register.cjs makes
// `require('vscode')` load this file. Not the real API: keep it honest and small.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

// ---------------------------------------------------------------------------------------------
// Basic types

export interface Disposable {
  dispose(): unknown;
}
export class Disposable {
  private done = false;
  constructor(private readonly fn: () => unknown) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((d) => d.dispose()));
  }
  dispose(): unknown {
    if (this.done) return;
    this.done = true;
    return this.fn();
  }
}

export type Event<T> = (listener: (e: T) => unknown, thisArgs?: unknown, disposables?: Disposable[]) => Disposable;

export class EventEmitter<T> {
  private listeners = new Set<(e: T) => unknown>();
  readonly event: Event<T> = (listener, thisArgs, disposables) => {
    const bound = (e: T) => listener.call(thisArgs, e);
    this.listeners.add(bound);
    const d = new Disposable(() => this.listeners.delete(bound));
    disposables?.push(d);
    return d;
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', '', path.resolve(p), '', '');
  }
  static from(c: { scheme: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(c.scheme, c.authority ?? '', c.path ?? '', c.query ?? '', c.fragment ?? '');
  }
  static parse(value: string): Uri {
    const m = /^([a-z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/i.exec(value);
    if (!m) throw new Error(`stub Uri.parse: cannot parse ${value}`);
    return new Uri(m[1], m[2] ?? '', decodeURIComponent(m[3] ?? ''), m[4] ?? '', m[5] ?? '');
  }
  static joinPath(base: Uri, ...segments: string[]): Uri {
    return base.with({ path: path.posix.join(base.path, ...segments) });
  }
  get fsPath(): string {
    return this.path;
  }
  with(change: { scheme?: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(change.scheme ?? this.scheme, change.authority ?? this.authority, change.path ?? this.path, change.query ?? this.query, change.fragment ?? this.fragment);
  }
  toString(): string {
    const q = this.query ? `?${this.query}` : '';
    const f = this.fragment ? `#${this.fragment}` : '';
    return `${this.scheme}://${this.authority}${encodeURI(this.path)}${q}${f}`;
  }
  toJSON(): string {
    return this.toString();
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: number | Position, b: number | Position, c?: number, d?: number) {
    if (typeof a === 'number') {
      this.start = new Position(a, b as number);
      this.end = new Position(c!, d!);
    } else {
      this.start = a;
      this.end = b as Position;
    }
  }
  /** The overlap of two ranges (touching counts), or undefined. */
  intersection(other: Range): Range | undefined {
    const before = (p: Position, q: Position) => p.line < q.line || (p.line === q.line && p.character < q.character);
    const start = before(this.start, other.start) ? other.start : this.start;
    const end = before(this.end, other.end) ? this.end : other.end;
    return before(end, start) ? undefined : new Range(start, end);
  }
}

export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}

export class Diagnostic {
  source?: string;
  code?: string | number;
  constructor(
    public range: Range,
    public message: string,
    public severity: DiagnosticSeverity = DiagnosticSeverity.Error,
  ) {}
}

export class CodeActionKind {
  static readonly Empty = new CodeActionKind('');
  static readonly QuickFix = new CodeActionKind('quickfix');
  constructor(readonly value: string) {}
  append(part: string): CodeActionKind {
    return new CodeActionKind(this.value ? `${this.value}.${part}` : part);
  }
  contains(other: CodeActionKind): boolean {
    return this.value === '' || other.value === this.value || other.value.startsWith(`${this.value}.`);
  }
}

export class WorkspaceEdit {
  /** Test side: every replace, in order. */
  readonly replacements: { uri: Uri; range: Range; newText: string }[] = [];
  replace(uri: Uri, range: Range, newText: string): void {
    this.replacements.push({ uri, range, newText });
  }
}

export class CodeAction {
  edit?: WorkspaceEdit;
  command?: { command: string; title: string; arguments?: unknown[] };
  diagnostics?: Diagnostic[];
  isPreferred?: boolean;
  constructor(
    readonly title: string,
    readonly kind?: CodeActionKind,
  ) {}
}

export class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: string;
  contextValue?: string;
  iconPath?: ThemeIcon;
  command?: { command: string; title: string; arguments?: unknown[] };
  constructor(
    readonly label: string,
    readonly collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None,
  ) {}
}

/** A tree view the extension made: its provider, to read the tree as VS Code would. */
export interface StubTreeView {
  id: string;
  provider: { getChildren(node?: unknown): unknown[] | Promise<unknown[]>; getTreeItem(node: unknown): TreeItem; onDidChangeTreeData?: Event<unknown> };
  disposed: boolean;
}

/** A terminal the extension made with a Pseudoterminal; show() opens it at the given size. */
export class StubTerminal {
  shown = 0;
  written = '';
  closedWith: number | void | undefined;
  closed = false;
  constructor(readonly options: { name: string; pty: StubPty }) {
    options.pty.onDidWrite((d) => (this.written += d));
    options.pty.onDidClose?.((code) => {
      this.closed = true;
      this.closedWith = code;
    });
  }
  show(): void {
    if (this.shown++ === 0) this.options.pty.open({ columns: 80, rows: 24 });
  }
  /** The user types. */
  type(data: string): void {
    this.options.pty.handleInput?.(data);
  }
  /** The panel changes size. */
  resize(columns: number, rows: number): void {
    this.options.pty.setDimensions?.({ columns, rows });
  }
  dispose(): void {
    this.options.pty.close();
  }
}
interface StubPty {
  onDidWrite: Event<string>;
  onDidClose?: Event<number | void>;
  open(d: { columns: number; rows: number } | undefined): void;
  close(): void;
  handleInput?(data: string): void;
  setDimensions?(d: { columns: number; rows: number }): void;
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class MarkdownString {
  isTrusted: boolean | { enabledCommands: readonly string[] } | undefined;
  constructor(
    public value = '',
    public supportThemeIcons = false,
  ) {}
  appendMarkdown(text: string): this {
    this.value += text;
    return this;
  }
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  private cancelled = false;
  readonly token: { readonly isCancellationRequested: boolean; onCancellationRequested: Event<void> };
  constructor() {
    const isCancelled = () => this.cancelled;
    this.token = {
      get isCancellationRequested() {
        return isCancelled();
      },
      onCancellationRequested: this.emitter.event,
    };
  }
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emitter.fire();
  }
  dispose(): void {
    this.emitter.dispose();
  }
}

export class RelativePattern {
  constructor(
    readonly base: unknown,
    readonly pattern: string,
  ) {}
}

// ---------------------------------------------------------------------------------------------
// Recorders

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export class StubLogChannel {
  readonly lines: { level: LogLevelName; message: string }[] = [];
  shown = 0;
  disposed = false;
  constructor(readonly name: string) {}
  trace(message: string): void {
    this.lines.push({ level: 'trace', message });
  }
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string | Error): void {
    this.lines.push({ level: 'error', message: String(message) });
  }
  append(value: string): void {
    this.lines.push({ level: 'info', message: value });
  }
  appendLine(value: string): void {
    this.lines.push({ level: 'info', message: value });
  }
  show(): void {
    this.shown++;
  }
  clear(): void {
    this.lines.length = 0;
  }
  replace(value: string): void {
    this.lines.length = 0;
    this.lines.push({ level: 'info', message: value });
  }
  dispose(): void {
    this.disposed = true;
  }
  /** What a plain output channel shows: the appended text as it is. */
  content(): string {
    return this.lines.map((l) => l.message).join('');
  }
  /** Every line, as "[level] message". */
  text(): string {
    return this.lines.map((l) => `[${l.level}] ${l.message}`).join('\n');
  }
}

export class StubStatusBarItem {
  /** Every text the item showed, in order. */
  readonly history: string[] = [];
  private _text = '';
  name: string | undefined;
  tooltip: string | MarkdownString | undefined;
  backgroundColor: ThemeColor | undefined;
  command: string | undefined;
  accessibilityInformation: { label: string; role?: string } | undefined;
  visible = false;
  disposed = false;
  constructor(
    readonly id: string,
    readonly alignment: StatusBarAlignment,
    readonly priority: number | undefined,
  ) {}
  get text(): string {
    return this._text;
  }
  set text(value: string) {
    this._text = value;
    if (this.history[this.history.length - 1] !== value) this.history.push(value);
  }
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  dispose(): void {
    this.disposed = true;
    this.visible = false;
  }
}

export class StubDiagnosticCollection {
  readonly entries = new Map<string, Diagnostic[]>();
  disposed = false;
  constructor(readonly name: string) {}
  set(uri: Uri, diagnostics: readonly Diagnostic[] | undefined): void {
    if (!diagnostics || diagnostics.length === 0) this.entries.delete(uri.toString());
    else this.entries.set(uri.toString(), [...diagnostics]);
  }
  get(uri: Uri): readonly Diagnostic[] | undefined {
    return this.entries.get(uri.toString());
  }
  delete(uri: Uri): void {
    this.entries.delete(uri.toString());
  }
  clear(): void {
    this.entries.clear();
  }
  dispose(): void {
    this.disposed = true;
    this.entries.clear();
  }
}

export class StubTextDocument {
  version = 1;
  isDirty = false;
  isClosed = false;
  constructor(
    readonly uri: Uri,
    private text: string,
    readonly languageId = 'jsonc',
  ) {}
  get fileName(): string {
    return this.uri.fsPath;
  }
  positionAt(offset: number): Position {
    const before = this.text.slice(0, offset).split('\n');
    return new Position(before.length - 1, before[before.length - 1].length);
  }
  getText(range?: Range): string {
    if (!range) return this.text;
    const lines = this.text.split('\n');
    const offset = (p: Position) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
    return this.text.slice(offset(range.start), offset(range.end));
  }
  /** Test side: replaces the text as typing would. */
  setText(text: string): void {
    this.text = text;
    this.version++;
    this.isDirty = true;
  }
  markSaved(): void {
    this.isDirty = false;
  }
}

interface WorkspaceFolder {
  uri: Uri;
  name: string;
  index: number;
}

class Memento {
  private readonly values = new Map<string, unknown>();
  keys(): readonly string[] {
    return [...this.values.keys()];
  }
  get<T>(key: string, defaultValue?: T): T | undefined {
    return this.values.has(key) ? (structuredClone(this.values.get(key)) as T) : defaultValue;
  }
  update(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.values.delete(key);
    else this.values.set(key, structuredClone(value));
    return Promise.resolve();
  }
}

interface ConfigValue {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

type Responder = (message: string, items: string[]) => string | undefined;
type QuickPickResponder = (items: unknown[], options: unknown) => unknown;

const emitters = {
  activeEditor: new EventEmitter<unknown>(),
  configuration: new EventEmitter<{ affectsConfiguration(section: string): boolean }>(),
  save: new EventEmitter<StubTextDocument>(),
  change: new EventEmitter<{ document: StubTextDocument; contentChanges: unknown[] }>(),
  open: new EventEmitter<StubTextDocument>(),
  close: new EventEmitter<StubTextDocument>(),
  folders: new EventEmitter<unknown>(),
  windowState: new EventEmitter<{ focused: boolean }>(),
  trust: new EventEmitter<void>(),
  extensions: new EventEmitter<void>(),
};

interface FileWatcher {
  glob: unknown;
  create: EventEmitter<Uri>;
  change: EventEmitter<Uri>;
  delete: EventEmitter<Uri>;
  disposed: boolean;
}

export enum ViewColumn {
  Active = -1,
  Beside = -2,
  One = 1,
  Two = 2,
}

/** A webview panel: records the HTML, options and messages posted; `receive` plays a message from the page. */
export class StubWebviewPanel {
  title: string;
  visible = true;
  disposed = false;
  revealed = 0;
  readonly posted: unknown[] = [];
  private readonly received = new EventEmitter<unknown>();
  private readonly disposedEmitter = new EventEmitter<void>();
  private readonly viewState = new EventEmitter<unknown>();
  readonly webview = {
    html: '',
    options: {} as { enableScripts?: boolean; localResourceRoots?: Uri[]; enableCommandUris?: boolean },
    cspSource: 'https://stub.vscode-cdn.test',
    asWebviewUri: (uri: Uri) => Uri.from({ scheme: 'https', authority: 'stub.vscode-cdn.test', path: uri.path }),
    postMessage: (message: unknown) => {
      this.posted.push(structuredClone(message));
      return Promise.resolve(true);
    },
    onDidReceiveMessage: this.received.event,
  };
  readonly onDidDispose = this.disposedEmitter.event;
  readonly onDidChangeViewState = this.viewState.event;
  constructor(
    readonly viewType: string,
    title: string,
    readonly showOptions: unknown,
    options: StubWebviewPanel['webview']['options'] = {},
  ) {
    this.title = title;
    this.webview.options = options;
  }
  /** A message from the page's script (as vscode.postMessage sends it). */
  receive(message: unknown): void {
    this.received.fire(message);
  }
  /** Hides (or shows) the panel, as switching tabs does. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    this.viewState.fire({ webviewPanel: this });
  }
  reveal(): void {
    this.revealed++;
  }
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposedEmitter.fire();
  }
}

/** Everything the stub recorded, and the knobs a test turns. */
export const stub = {
  outputChannels: [] as StubLogChannel[],
  statusBarItems: [] as StubStatusBarItem[],
  diagnosticCollections: [] as StubDiagnosticCollection[],
  messages: [] as { level: 'error' | 'warning' | 'info'; message: string; items: string[]; modal?: boolean; detail?: string }[],
  quickPicks: [] as { items: unknown[]; options: unknown }[],
  shownDocuments: [] as { uri: Uri; text: string }[],
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  executed: [] as { id: string; args: unknown[] }[],
  /** Editors closed by revertAndCloseActiveEditor (URI strings). */
  closedDocuments: [] as string[],
  contextKeys: new Map<string, unknown>(),
  contentProviders: new Map<string, { provideTextDocumentContent(uri: Uri): string | Promise<string> }>(),
  codeActionProviders: [] as { selector: unknown; provider: { provideCodeActions(...args: unknown[]): unknown }; metadata?: unknown }[],
  /** Ids of the other extensions installed (vscode.extensions.getExtension finds them). */
  installedExtensions: new Set<string>(),
  watchers: [] as FileWatcher[],
  treeViews: [] as StubTreeView[],
  webviewPanels: [] as StubWebviewPanel[],
  /** Webview panel serializers by view type (what a window reload uses to restore panels). */
  serializers: new Map<string, { deserializeWebviewPanel(panel: StubWebviewPanel, state: unknown): Promise<void> }>(),
  /** URLs given to env.openExternal, and what the clipboard holds. */
  opened: [] as string[],
  clipboard: '',
  statusBarMessages: [] as string[],
  /** Answers to showInputBox (after its validateInput, whose messages go to inputValidations); by default Escape. */
  input: ((): string | undefined => undefined) as (options: unknown) => string | undefined,
  inputValidations: [] as (string | undefined)[],
  config: new Map<string, ConfigValue>(),
  /** Answers to showErrorMessage & co.; by default the user dismisses them. */
  respond: ((): string | undefined => undefined) as Responder,
  /** Answers to showQuickPick; by default the user presses Escape. */
  pick: ((): unknown => undefined) as QuickPickResponder,
  /** Every withProgress call: its options, the messages reported, and a way to press Cancel. */
  terminals: [] as StubTerminal[],
  progress: [] as { options: { title?: string; cancellable?: boolean; location?: unknown }; messages: string[]; cancel(): void; done: boolean }[],

  reset(): void {
    this.outputChannels.length = 0;
    this.statusBarItems.length = 0;
    this.diagnosticCollections.length = 0;
    this.messages.length = 0;
    this.quickPicks.length = 0;
    this.shownDocuments.length = 0;
    this.commands.clear();
    this.executed.length = 0;
    this.closedDocuments.length = 0;
    this.contextKeys.clear();
    this.contentProviders.clear();
    this.codeActionProviders.length = 0;
    this.installedExtensions.clear();
    env.remoteName = undefined;
    this.watchers.length = 0;
    this.treeViews.length = 0;
    this.webviewPanels.length = 0;
    this.serializers.clear();
    this.opened.length = 0;
    this.clipboard = '';
    this.statusBarMessages.length = 0;
    this.input = () => undefined;
    this.inputValidations.length = 0;
    this.config.clear();
    this.respond = () => undefined;
    this.pick = () => undefined;
    this.progress.length = 0;
    this.terminals.length = 0;
    workspace.isTrusted = true;
    window.state = { focused: true };
    workspace.workspaceFolders = undefined;
    workspace.textDocuments.length = 0;
    window.activeTextEditor = undefined;
    for (const e of Object.values(emitters)) e.dispose();
  },

  setFolders(paths: string[]): void {
    workspace.workspaceFolders = paths.map((p, index) => ({ uri: Uri.file(p), name: path.basename(p), index }));
  },

  /** Changes the folders as "Add Folder to Workspace" would, and tells the extension. */
  changeFolders(paths: string[]): void {
    this.setFolders(paths);
    emitters.folders.fire({ added: [], removed: [] });
  },

  /** Sets a setting (`section.key`) at one level and fires the change event. */
  setConfig(key: string, value: ConfigValue, fire = true): void {
    this.config.set(key, { ...this.config.get(key), ...value });
    if (fire) emitters.configuration.fire({ affectsConfiguration: (s: string) => key === s || key.startsWith(`${s}.`) });
  },

  /** Installs (or uninstalls) another extension, and tells the extension. */
  setExtensionInstalled(id: string, installed: boolean): void {
    if (installed) this.installedExtensions.add(id);
    else this.installedExtensions.delete(id);
    emitters.extensions.fire();
  },

  /** Grants Workspace Trust, as "Trust" in the Restricted Mode banner does. */
  grantTrust(): void {
    workspace.isTrusted = true;
    emitters.trust.fire();
  },

  /** Focuses or blurs the window. */
  setWindowFocused(focused: boolean): void {
    window.state = { focused };
    emitters.windowState.fire({ focused });
  },

  /** Opens a document in the editor (from disk unless text is given) and makes it active. */
  async openDocument(file: string, text?: string): Promise<StubTextDocument> {
    const doc = new StubTextDocument(Uri.file(file), text ?? (await fs.readFile(file, 'utf8')));
    workspace.textDocuments.push(doc);
    emitters.open.fire(doc);
    this.setActiveEditor(doc);
    return doc;
  },

  setActiveEditor(doc: StubTextDocument | undefined): void {
    window.activeTextEditor = doc ? { document: doc } : undefined;
    emitters.activeEditor.fire(window.activeTextEditor);
  },

  /** Types: replaces the document's text and fires the change event. */
  edit(doc: StubTextDocument, text: string): void {
    doc.setText(text);
    emitters.change.fire({ document: doc, contentChanges: [{ text }] });
  },

  /** Saves the document to disk and fires the save event. */
  async save(doc: StubTextDocument): Promise<void> {
    await fs.writeFile(doc.uri.fsPath, doc.getText());
    doc.markSaved();
    emitters.save.fire(doc);
  },

  close(doc: StubTextDocument): void {
    const i = workspace.textDocuments.indexOf(doc);
    if (i >= 0) workspace.textDocuments.splice(i, 1);
    doc.isClosed = true;
    if (window.activeTextEditor?.document === doc) this.setActiveEditor(undefined);
    emitters.close.fire(doc);
  },

  /** The diagnostics the extension published for a file. */
  diagnostics(file: string): readonly Diagnostic[] {
    const uri = Uri.file(file);
    for (const c of this.diagnosticCollections) {
      if (c.disposed) continue;
      const d = c.get(uri);
      if (d) return d;
    }
    return [];
  },

  /** The live status bar item with this id (HyperBox's main item unless told). */
  statusBarItem(id = 'hyperbox.status'): StubStatusBarItem {
    const live = this.statusBarItems.filter((i) => !i.disposed && i.id === id);
    if (live.length !== 1) throw new Error(`expected one status bar item ${id}, found ${live.length}`);
    return live[0];
  },

  log(): StubLogChannel {
    if (this.outputChannels.length !== 1) throw new Error(`expected one output channel, found ${this.outputChannels.length}`);
    return this.outputChannels[0];
  },

  /** How many listeners each workspace/window event has (to catch listeners that leak). */
  listenerCounts(): Record<string, number> {
    return Object.fromEntries(Object.entries(emitters).map(([k, e]) => [k, e.listenerCount]));
  },

  /** An ExtensionContext for activate(). */
  extensionContext(extensionPath: string, version = '0.0.0-test') {
    return {
      subscriptions: [] as Disposable[],
      workspaceState: new Memento(),
      globalState: new Memento(),
      extensionPath,
      extensionUri: Uri.file(extensionPath),
      extension: { id: 'hyperbox.hyperbox', extensionPath, packageJSON: { name: 'hyperbox', version } },
      extensionMode: 3,
      logUri: Uri.file(path.join(extensionPath, '.test-output', 'log')),
      storageUri: undefined,
      globalStorageUri: Uri.file(path.join(extensionPath, '.test-output', 'global')),
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Namespaces

async function showMessage(level: 'error' | 'warning' | 'info', message: string, ...rest: unknown[]): Promise<string | undefined> {
  const items = rest.filter((r): r is string => typeof r === 'string');
  const options = rest.find((r): r is { modal?: boolean; detail?: string } => typeof r === 'object' && r !== null);
  stub.messages.push({ level, message, items, modal: options?.modal === true, detail: options?.detail });
  return stub.respond(message, items);
}

export const window = {
  activeTextEditor: undefined as { document: StubTextDocument } | undefined,
  onDidChangeActiveTextEditor: emitters.activeEditor.event,
  createOutputChannel(name: string, options?: { log: true } | string): StubLogChannel {
    // a LogOutputChannel ({ log: true }) or a plain one with a language id: the stub records both alike
    if (options !== undefined && typeof options !== 'string' && !options.log) throw new Error('createOutputChannel: options must be { log: true } or a language id');
    const c = new StubLogChannel(name);
    stub.outputChannels.push(c);
    return c;
  },
  createStatusBarItem(id: string, alignment: StatusBarAlignment, priority?: number): StubStatusBarItem {
    const item = new StubStatusBarItem(id, alignment, priority);
    stub.statusBarItems.push(item);
    return item;
  },
  showErrorMessage: (message: string, ...items: unknown[]) => showMessage('error', message, ...items),
  showWarningMessage: (message: string, ...items: unknown[]) => showMessage('warning', message, ...items),
  showInformationMessage: (message: string, ...items: unknown[]) => showMessage('info', message, ...items),
  async showQuickPick(items: unknown[] | Promise<unknown[]>, options?: unknown): Promise<unknown> {
    const list = await items;
    stub.quickPicks.push({ items: list, options });
    return stub.pick(list, options);
  },
  async showTextDocument(target: StubTextDocument | Uri): Promise<{ document: StubTextDocument }> {
    const doc = target instanceof Uri ? await workspace.openTextDocument(target) : target;
    stub.shownDocuments.push({ uri: doc.uri, text: doc.getText() });
    stub.setActiveEditor(doc);
    return { document: doc };
  },
  createWebviewPanel(viewType: string, title: string, showOptions: unknown, options?: StubWebviewPanel['webview']['options']): StubWebviewPanel {
    const panel = new StubWebviewPanel(viewType, title, showOptions, options);
    stub.webviewPanels.push(panel);
    return panel;
  },
  registerWebviewPanelSerializer(viewType: string, serializer: { deserializeWebviewPanel(panel: StubWebviewPanel, state: unknown): Promise<void> }): Disposable {
    stub.serializers.set(viewType, serializer);
    return new Disposable(() => {
      if (stub.serializers.get(viewType) === serializer) stub.serializers.delete(viewType);
    });
  },
  createTreeView(id: string, options: { treeDataProvider: StubTreeView['provider'] }) {
    const view: StubTreeView = { id, provider: options.treeDataProvider, disposed: false };
    stub.treeViews.push(view);
    return {
      dispose: () => {
        view.disposed = true;
      },
    };
  },
  async showInputBox(options: { validateInput?(value: string): string | undefined | Promise<string | undefined> } = {}): Promise<string | undefined> {
    const value = stub.input(options);
    if (value !== undefined && options.validateInput) stub.inputValidations.push(await options.validateInput(value));
    return value;
  },
  setStatusBarMessage(text: string): Disposable {
    stub.statusBarMessages.push(text);
    return new Disposable(() => undefined);
  },
  createTerminal(options: { name: string; pty: StubPty }): StubTerminal {
    const t = new StubTerminal(options);
    stub.terminals.push(t);
    return t;
  },
  state: { focused: true },
  onDidChangeWindowState: emitters.windowState.event,
  async withProgress<R>(options: { title?: string; cancellable?: boolean }, task: (progress: { report(v: { message?: string }): void }, token: unknown) => Promise<R>): Promise<R> {
    const cts = new CancellationTokenSource();
    const entry = { options, messages: [] as string[], cancel: () => cts.cancel(), done: false };
    stub.progress.push(entry);
    try {
      return await task({ report: (v) => v.message !== undefined && entry.messages.push(v.message) }, cts.token);
    } finally {
      entry.done = true;
    }
  },
};

export const workspace = {
  workspaceFolders: undefined as WorkspaceFolder[] | undefined,
  textDocuments: [] as StubTextDocument[],
  isTrusted: true,
  onDidGrantWorkspaceTrust: emitters.trust.event,
  onDidChangeConfiguration: emitters.configuration.event,
  onDidSaveTextDocument: emitters.save.event,
  onDidChangeTextDocument: emitters.change.event,
  onDidOpenTextDocument: emitters.open.event,
  onDidCloseTextDocument: emitters.close.event,
  onDidChangeWorkspaceFolders: emitters.folders.event,
  asRelativePath(pathOrUri: string | Uri): string {
    const p = typeof pathOrUri === 'string' ? pathOrUri : pathOrUri.fsPath;
    const folder = this.getWorkspaceFolder(Uri.file(p));
    return folder ? path.relative(folder.uri.fsPath, p) : p;
  },
  getWorkspaceFolder(uri: Uri): WorkspaceFolder | undefined {
    if (uri.scheme !== 'file') return undefined;
    // the innermost folder that contains the file, as VS Code does
    const matches = (this.workspaceFolders ?? []).filter((f) => {
      const rel = path.relative(f.uri.fsPath, uri.fsPath);
      return !rel.startsWith('..') && !path.isAbsolute(rel);
    });
    return matches.sort((a, b) => b.uri.fsPath.length - a.uri.fsPath.length)[0];
  },
  getConfiguration(section?: string) {
    const full = (key: string) => (section ? `${section}.${key}` : key);
    return {
      get<T>(key: string, defaultValue?: T): T | undefined {
        const v = stub.config.get(full(key));
        const value = v?.workspaceFolderValue ?? v?.workspaceValue ?? v?.globalValue ?? v?.defaultValue;
        return (value as T) ?? defaultValue;
      },
      inspect<T>(key: string) {
        const v = stub.config.get(full(key)) ?? {};
        return { key: full(key), ...(v as { defaultValue?: T; globalValue?: T; workspaceValue?: T; workspaceFolderValue?: T }) };
      },
      has(key: string): boolean {
        return stub.config.has(full(key));
      },
    };
  },
  async openTextDocument(target: Uri | { content?: string; language?: string }): Promise<StubTextDocument> {
    if (!(target instanceof Uri)) {
      const doc = new StubTextDocument(Uri.from({ scheme: 'untitled', path: `Untitled-${this.textDocuments.length + 1}` }), target.content ?? '', target.language ?? 'plaintext');
      this.textDocuments.push(doc);
      emitters.open.fire(doc);
      return doc;
    }
    const uri = target;
    const open = this.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) return open;
    let text: string;
    if (uri.scheme === 'file') text = await fs.readFile(uri.fsPath, 'utf8');
    else {
      const provider = stub.contentProviders.get(uri.scheme);
      if (!provider) throw new Error(`stub: no content provider for ${uri.scheme}`);
      text = await provider.provideTextDocumentContent(uri);
    }
    const doc = new StubTextDocument(uri, text, uri.path.endsWith('.json') ? 'json' : 'plaintext');
    this.textDocuments.push(doc);
    emitters.open.fire(doc);
    return doc;
  },
  registerTextDocumentContentProvider(scheme: string, provider: { provideTextDocumentContent(uri: Uri): string }): Disposable {
    stub.contentProviders.set(scheme, provider);
    return new Disposable(() => stub.contentProviders.delete(scheme));
  },
  createFileSystemWatcher(glob: unknown) {
    const w: FileWatcher = { glob, create: new EventEmitter(), change: new EventEmitter(), delete: new EventEmitter(), disposed: false };
    stub.watchers.push(w);
    return {
      onDidCreate: w.create.event,
      onDidChange: w.change.event,
      onDidDelete: w.delete.event,
      dispose: () => {
        w.disposed = true;
      },
    };
  },
};

export const languages = {
  createDiagnosticCollection(name?: string): StubDiagnosticCollection {
    const c = new StubDiagnosticCollection(name ?? '');
    stub.diagnosticCollections.push(c);
    return c;
  },
  registerCodeActionsProvider(selector: unknown, provider: { provideCodeActions(...args: unknown[]): unknown }, metadata?: unknown): Disposable {
    const entry = { selector, provider, metadata };
    stub.codeActionProviders.push(entry);
    return new Disposable(() => {
      const i = stub.codeActionProviders.indexOf(entry);
      if (i >= 0) stub.codeActionProviders.splice(i, 1);
    });
  },
};

export const commands = {
  registerCommand(id: string, handler: (...args: unknown[]) => unknown): Disposable {
    if (stub.commands.has(id)) throw new Error(`command '${id}' already exists`);
    stub.commands.set(id, handler);
    return new Disposable(() => stub.commands.delete(id));
  },
  async executeCommand(id: string, ...args: unknown[]): Promise<unknown> {
    stub.executed.push({ id, args });
    if (id === 'setContext') {
      stub.contextKeys.set(args[0] as string, args[1]);
      return undefined;
    }
    if (id === 'workbench.action.revertAndCloseActiveEditor') {
      // VS Code's own: the active editor goes, its unsaved changes dropped
      const doc = window.activeTextEditor?.document;
      if (doc) stub.closedDocuments.push(doc.uri.toString());
      window.activeTextEditor = undefined;
      return undefined;
    }
    const handler = stub.commands.get(id);
    if (!handler) throw new Error(`command '${id}' not found`);
    return handler(...args);
  },
};

export const env = {
  appName: 'Visual Studio Code (stub)',
  language: 'en',
  /** undefined in a local window; 'dev-container', 'ssh-remote', ... in a remote one. */
  remoteName: undefined as string | undefined,
  async openExternal(uri: Uri): Promise<boolean> {
    stub.opened.push(uri.toString());
    return true;
  },
  clipboard: {
    async writeText(text: string): Promise<void> {
      stub.clipboard = text;
    },
    async readText(): Promise<string> {
      return stub.clipboard;
    },
  },
};

export const extensions = {
  getExtension(id: string): { id: string } | undefined {
    return stub.installedExtensions.has(id) ? { id } : undefined;
  },
  onDidChange: emitters.extensions.event,
  get all(): { id: string }[] {
    return [...stub.installedExtensions].map((id) => ({ id }));
  },
};
