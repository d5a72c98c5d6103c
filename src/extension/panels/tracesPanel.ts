// The Traces panel: the engine's stored traces (TracesList with the panel's filters), one trace's
// spans as a waterfall (TracesGet), and per-service figures (TracesServices), refreshed when the
// engine says traces changed. One panel per window; a serializer restores it with its filters.
// A span's `code.filepath` opens only when it maps into a workspace folder (sourcePath.ts).
import * as vscode from 'vscode';
import {
  TracesChanged,
  TracesGet,
  TracesList,
  TracesServices,
  TracesRecreateOffer,
  TracesSidecarProblemNotice,
  TracesStart,
  TracesStatusRequest,
  type TraceQuery,
  type TracesSidecarProblem,
  type TracesStatus,
} from '../../protocol';
import { Commands } from '../contributions';
import {
  TRACES_VIEW_TYPE,
  TraceDetailMessage,
  TracesStateMessage,
  validateTracesMessage,
  validateTracesWebviewState,
  type TracesState,
  type TracesToHost,
} from '../../protocol/webview';
import type { Ctx } from '../context';
import { Panel, PanelSlot, webviewOptions } from './panel';
import { resolveSourceFile, type SourceRoot } from './sourcePath';

export type TracesPanelCtx = Pick<Ctx, 'extension' | 'log' | 'projects' | 'request' | 'request0' | 'onNotification' | 'model' | 'engineState'>;

/** How long the panel gathers TracesChanged notifications before it asks again (a span shows within 500 ms). */
const REFRESH_MS = 100;

/** The workspace folders and where each is inside its dev container: where a span's file may be. */
export function sourceRoots(ctx: Pick<Ctx, 'projects' | 'model'>): SourceRoot[] {
  return ctx.projects.list().map((p) => ({ hostFolder: p.folder.uri.fsPath, containerFolder: ctx.model(p).summary?.workspaceFolder ?? null }));
}

export class TracesPanel extends Panel<TracesToHost> {
  private query: TraceQuery;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private again = false;
  private readonly listeners: vscode.Disposable[] = [];

  constructor(
    panel: vscode.WebviewPanel,
    private readonly ctx: TracesPanelCtx,
    query: TraceQuery = {},
  ) {
    super(panel, { extensionUri: ctx.extension.extensionUri, bundle: 'traces', title: 'Traces', validate: validateTracesMessage, log: ctx.log });
    this.query = query;
    this.listeners.push(ctx.onNotification(TracesChanged, () => this.changed()));
    this.onDidDispose(() => {
      clearTimeout(this.timer);
      for (const d of this.listeners.splice(0)) d.dispose();
    });
  }

  protected onReady(): void {
    void this.refresh();
  }

  protected onMessage(m: TracesToHost): void {
    switch (m.type) {
      case 'query':
        this.query = m.params;
        void this.refresh();
        break;
      case 'openTrace':
        void this.openTrace(m.params.traceId);
        break;
      case 'openSource':
        void this.openSource(m.params.filepath, m.params.lineno);
        break;
      case 'startReceiver':
        void this.startReceiver();
        break;
    }
  }

  private changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, REFRESH_MS);
  }

  /** Asks the engine for the list, the services and the receiver's state; one request at a time. */
  async refresh(): Promise<void> {
    if (!this.ready) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    try {
      this.post(TracesStateMessage, await this.state());
    } finally {
      this.inFlight = false;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    }
  }

  async state(): Promise<TracesState> {
    const empty: TracesState = { receiver: { state: 'off', storedSpans: 0, evictedTraces: 0 }, traces: [], services: [], query: this.query, notice: null };
    if (this.ctx.engineState.kind !== 'running') return { ...empty, notice: 'The HyperBox engine is not running. Run "HyperBox: Restart Engine" to start it.' };
    try {
      const status: TracesStatus = await this.ctx.request0(TracesStatusRequest);
      const receiver = { state: status.state, host: status.host, port: status.port, storedSpans: status.storedSpans, evictedTraces: status.evictedTraces };
      if (status.state === 'off') {
        return { ...empty, receiver, notice: 'Traces are off. Start receiving here (OTLP/HTTP on 127.0.0.1), or turn on the setting "hyperbox.traces.enabled" or customizations.hyperbox.traces in devcontainer.json so your dev containers send their OpenTelemetry traces to HyperBox.' };
      }
      const [list, services] = await Promise.all([this.ctx.request(TracesList, { limit: 1000, ...this.query }), this.ctx.request0(TracesServices)]);
      return { receiver, traces: list.traces, services: services.services, query: this.query, notice: null };
    } catch (e) {
      this.ctx.log.warn(`Traces panel: ${(e as Error).message}`);
      return { ...empty, notice: `HyperBox could not read the traces: ${(e as Error).message}` };
    }
  }

  /** The panel's Start button: the engine's receiver on loopback (or forwarding to this user's receiver on the port). */
  private async startReceiver(): Promise<void> {
    try {
      await this.ctx.request(TracesStart, {});
    } catch (e) {
      this.ctx.log.warn(`Traces panel: could not start the receiver: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(`HyperBox could not start receiving traces: ${(e as Error).message}`);
    }
    await this.refresh();
  }

  private async openTrace(traceId: string): Promise<void> {
    try {
      const detail = await this.ctx.request(TracesGet, { traceId });
      this.post(TraceDetailMessage, { traceId, detail });
    } catch (e) {
      this.ctx.log.warn(`Traces panel: trace ${traceId}: ${(e as Error).message}`);
      this.post(TraceDetailMessage, { traceId, detail: null });
    }
  }

  /** Opens a span's source file at its line, when it is inside a workspace folder; says why not otherwise. */
  async openSource(filepath: string, lineno?: number): Promise<boolean> {
    const found = await resolveSourceFile(filepath, sourceRoots(this.ctx));
    if (!found.ok) {
      this.ctx.log.warn(`Traces panel: ${found.reason}`);
      void vscode.window.showWarningMessage(`HyperBox: ${found.reason}.`);
      return false;
    }
    const line = Math.max(0, (lineno ?? 1) - 1);
    await vscode.window.showTextDocument(vscode.Uri.file(found.file), { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(line, 0, line, 0) });
    return true;
  }
}

/** The window's Traces panel and the serializer that restores it; the engine's word on the eBPF sidecar. */
export class TracesPanels implements vscode.Disposable {
  private readonly slot = new PanelSlot<TracesPanel>();
  private get current(): TracesPanel | undefined {
    return this.slot.current;
  }
  private readonly registration: vscode.Disposable;
  private readonly sidecarNotices: vscode.Disposable;
  private readonly recreateOffers: vscode.Disposable;
  /** Sidecar problems already shown (container and what is missing): each once per window. */
  private readonly shown = new Set<string>();

  constructor(private readonly ctx: TracesPanelCtx) {
    this.registration = vscode.window.registerWebviewPanelSerializer(TRACES_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, saved) => {
        panel.webview.options = webviewOptions(ctx.extension.extensionUri);
        this.adopt(panel, validateTracesWebviewState(saved).query);
      },
    });
    this.sidecarNotices = ctx.onNotification(TracesSidecarProblemNotice, (p) => this.sidecarProblem(p));
    this.recreateOffers = ctx.onNotification(TracesRecreateOffer, (o) => this.recreateOffer(o));
  }

  /** Traces are on, but a running dev container was made without them: offer to recreate it (a rebuild), once per container. */
  private recreateOffer(o: { folder: string; containerId: string; reason: string }): void {
    const key = `recreate\0${o.containerId}`;
    if (this.shown.has(key)) return;
    this.shown.add(key);
    const recreate = 'Recreate Container';
    void vscode.window.showInformationMessage(`HyperBox traces: ${o.reason}`, recreate).then((a) => (a === recreate ? vscode.commands.executeCommand(Commands.rebuild, { folder: o.folder }) : undefined));
  }

  /** The eBPF sidecar the user's setting asks for does not run: say what is missing (the engine's words), once. */
  private sidecarProblem(p: TracesSidecarProblem): void {
    const key = `${p.containerId}\0${p.missing}`;
    if (this.shown.has(key)) return;
    this.shown.add(key);
    const logs = 'Show Logs';
    void vscode.window.showWarningMessage(`HyperBox traces: ${p.message}`, logs).then((a) => (a === logs ? vscode.commands.executeCommand(Commands.showLogs) : undefined));
  }

  show(): TracesPanel {
    if (this.current) {
      this.current.panel.reveal();
      void this.current.refresh();
      return this.current;
    }
    const panel = vscode.window.createWebviewPanel(TRACES_VIEW_TYPE, 'Traces', vscode.ViewColumn.Active, { ...webviewOptions(this.ctx.extension.extensionUri), retainContextWhenHidden: false });
    return this.adopt(panel, {});
  }

  get panel(): TracesPanel | undefined {
    return this.current;
  }

  private adopt(panel: vscode.WebviewPanel, query: TraceQuery): TracesPanel {
    return this.slot.adopt(() => new TracesPanel(panel, this.ctx, query));
  }

  dispose(): void {
    this.registration.dispose();
    this.sidecarNotices.dispose();
    this.recreateOffers.dispose();
    this.slot.dispose();
  }
}
