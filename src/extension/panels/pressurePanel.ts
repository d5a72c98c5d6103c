// Memory, CPU and IO pressure in the editor: PressureMonitor subscribes to the engine's
// PressureChanged (sampling runs only while someone subscribes: while the status-bar item is on or
// the Pressure panel is open), once Ctx has passed the thresholds (LiveSettingsUpdate), keeps
// the last five minutes for a panel that opens, and renders the engine's alert in the status bar.
// The Pressure panel draws what the monitor receives.
import * as vscode from 'vscode';
import { PressureChanged, PressureSubscribe, PressureUnsubscribe, type PressureUpdate } from '../../protocol';
import { PRESSURE_VIEW_TYPE, PressureSamplesMessage, validatePressureMessage, type PressureToHost } from '../../protocol/webview';
import { Commands, SETTINGS_SECTION, Settings } from '../contributions';
import type { Ctx } from '../context';
import { pressureStatusView } from '../pressureStatus';
import { Panel, PanelSlot, webviewOptions } from './panel';

export type PressureCtx = Pick<Ctx, 'extension' | 'log' | 'request' | 'onNotification' | 'onDidRender' | 'engineState' | 'enginePid' | 'liveSettingsReady'>;

/** Samples kept for a panel that opens: five minutes at 1 Hz. */
const KEEP = 300;

export { pressureThresholds } from '../liveSettings';

class PressurePanel extends Panel<PressureToHost> {
  constructor(
    panel: vscode.WebviewPanel,
    ctx: PressureCtx,
    private readonly monitor: PressureMonitor,
  ) {
    super(panel, { extensionUri: ctx.extension.extensionUri, bundle: 'pressure', title: 'Pressure', validate: validatePressureMessage, log: ctx.log });
  }

  protected onReady(): void {
    this.post(PressureSamplesMessage, { samples: this.monitor.history, reset: true, notice: this.monitor.notice() });
  }

  protected onMessage(): void {
    // the webview only says ready
  }

  sample(u: PressureUpdate): void {
    this.post(PressureSamplesMessage, { samples: [u], reset: false, notice: this.monitor.notice() });
  }
}

export class PressureMonitor implements vscode.Disposable {
  readonly history: PressureUpdate[] = [];
  private readonly item: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly slot = new PanelSlot<PressurePanel>(() => this.sync());
  private get panel(): PressurePanel | undefined {
    return this.slot.current;
  }
  /** The engine (by pid) this window's subscription is with, and its id. */
  private subscribed: { pid: number | undefined; id: number | undefined } | undefined;
  private failure: string | undefined;

  constructor(private readonly ctx: PressureCtx) {
    this.item = vscode.window.createStatusBarItem('hyperbox.pressure', vscode.StatusBarAlignment.Left, 49);
    this.item.name = 'HyperBox Pressure';
    this.item.command = Commands.showPressure;
    this.subscriptions.push(
      this.item,
      ctx.onNotification(PressureChanged, (u) => this.received(u)),
      ctx.onDidRender(() => this.sync()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        // the thresholds reach the engine through Ctx; here only whether the item is wanted
        if (e.affectsConfiguration(`${SETTINGS_SECTION}.${Settings.pressureStatusBar}`)) this.sync();
      }),
      vscode.window.registerWebviewPanelSerializer(PRESSURE_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel) => {
          panel.webview.options = webviewOptions(ctx.extension.extensionUri);
          this.adopt(panel);
        },
      }),
    );
    this.sync();
  }

  private get wanted(): boolean {
    return this.panel !== undefined || vscode.workspace.getConfiguration(SETTINGS_SECTION).get<boolean>(Settings.pressureStatusBar, true) !== false;
  }

  /** Why the panel has nothing new, in words (null when samples flow). */
  notice(): string | null {
    if (this.ctx.engineState.kind !== 'running') return 'The HyperBox engine is not running, so no pressure is sampled. Run "HyperBox: Restart Engine" to start it.';
    return this.failure ?? null;
  }

  /** Subscribes while wanted and the engine runs (again after each engine restart); unsubscribes otherwise. */
  private sync(): void {
    const running = this.ctx.engineState.kind === 'running';
    const pid = this.ctx.enginePid;
    if (running && this.wanted) {
      if (this.subscribed && this.subscribed.pid === pid) return;
      const s: { pid: number | undefined; id: number | undefined } = { pid, id: undefined };
      this.subscribed = s;
      void this.ctx
        .liveSettingsReady()
        .then(() => this.ctx.request(PressureSubscribe, { who: 'editor' }))
        .then(
          (r) => {
            s.id = r.subscription;
            this.failure = undefined;
            if (this.subscribed !== s) void this.ctx.request(PressureUnsubscribe, { subscription: r.subscription }).catch(() => undefined);
          },
          (e) => {
            this.failure = `HyperBox could not sample pressure: ${(e as Error).message}`;
            this.ctx.log.warn(this.failure);
          },
        );
      return;
    }
    if (!running) this.item.hide();
    const s = this.subscribed;
    this.subscribed = undefined;
    if (s?.id !== undefined && running && s.pid === pid) void this.ctx.request(PressureUnsubscribe, { subscription: s.id }).catch(() => undefined);
    if (!this.wanted) this.item.hide();
  }

  private received(u: PressureUpdate): void {
    this.history.push(u);
    if (this.history.length > KEEP) this.history.splice(0, this.history.length - KEEP);
    this.panel?.sample(u);
    const statusOn = vscode.workspace.getConfiguration(SETTINGS_SECTION).get<boolean>(Settings.pressureStatusBar, true) !== false;
    const view = statusOn ? pressureStatusView(u) : undefined;
    if (!view) {
      this.item.hide();
      return;
    }
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.level === 'ok' ? undefined : new vscode.ThemeColor(view.level === 'error' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground');
    this.item.accessibilityInformation = { label: view.tooltip.split('\n')[0] };
    this.item.show();
  }

  /** The item as it shows now, for tests. */
  get statusItem(): Pick<vscode.StatusBarItem, 'text' | 'tooltip' | 'backgroundColor'> {
    return this.item;
  }

  show(): void {
    if (this.panel) {
      this.panel.panel.reveal();
      return;
    }
    this.adopt(vscode.window.createWebviewPanel(PRESSURE_VIEW_TYPE, 'Pressure', vscode.ViewColumn.Active, webviewOptions(this.ctx.extension.extensionUri)));
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.slot.adopt(() => new PressurePanel(panel, this.ctx, this));
    this.sync();
  }

  dispose(): void {
    this.slot.dispose();
    const s = this.subscribed;
    this.subscribed = undefined;
    if (s?.id !== undefined && this.ctx.engineState.kind === 'running') void this.ctx.request(PressureUnsubscribe, { subscription: s.id }).catch(() => undefined);
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }
}
