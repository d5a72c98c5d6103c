// The Seccomp panel: one folder's seccomp profile as the engine reads it (SeccompShow) — the
// allowed syscalls by category with their argument rules, the recordings' counts and first
// process, the size against the engine's measured default, the last generate's difference and the
// last validation with the processes whose calls were blocked. One panel per window; a serializer
// restores it on the same folder. Its button runs "HyperBox: Generate Seccomp Profile".
import * as vscode from 'vscode';
import { SeccompShow } from '../../protocol';
import { SECCOMP_VIEW_TYPE, SeccompStateMessage, validateSeccompMessage, validateSeccompWebviewState, type SeccompState, type SeccompToHost } from '../../protocol/webview';
import type { Ctx } from '../context';
import type { Project } from '../projects';
import { Panel, PanelSlot, webviewOptions } from './panel';

export type SeccompPanelCtx = Pick<Ctx, 'extension' | 'log' | 'projects' | 'request' | 'engineState'>;

export class SeccompPanel extends Panel<SeccompToHost> {
  private busy: string | null = null;
  /** The last state sent (tests and the e2e read it). */
  last: SeccompState | undefined;

  constructor(
    panel: vscode.WebviewPanel,
    private readonly ctx: SeccompPanelCtx,
    public project: Project,
    private readonly generate: (project: Project) => Promise<unknown>,
  ) {
    super(panel, { extensionUri: ctx.extension.extensionUri, bundle: 'seccomp', title: 'Seccomp', validate: validateSeccompMessage, log: ctx.log });
    panel.title = `Seccomp: ${project.folder.name}`;
  }

  protected onReady(): void {
    void this.refresh();
  }

  protected onMessage(m: SeccompToHost): void {
    if (m.type === 'generate') void this.generate(this.project);
    else if (m.type === 'openFile' && this.last?.view?.exists) void vscode.window.showTextDocument(vscode.Uri.file(this.last.view.file));
  }

  /** Shows what a running generate is doing (null when it ended). */
  setBusy(step: string | null): void {
    this.busy = step;
    if (this.last) this.send({ ...this.last, busy: step });
  }

  async refresh(): Promise<void> {
    if (!this.ready) return;
    this.send(await this.state());
  }

  private send(s: SeccompState): void {
    this.last = s;
    this.post(SeccompStateMessage, s);
  }

  async state(): Promise<SeccompState> {
    const base: SeccompState = { folderUri: this.project.folder.uri.toString(), folderName: this.project.folder.name, view: null, busy: this.busy, notice: null };
    if (this.ctx.engineState.kind !== 'running') return { ...base, notice: 'The HyperBox engine is not running. Run "HyperBox: Restart Engine" to start it.' };
    if (this.project.choice.kind !== 'chosen') return { ...base, notice: `${this.project.folder.name} has no dev container config chosen yet.` };
    try {
      const view = await this.ctx.request(SeccompShow, { folder: this.project.folder.uri.fsPath, configFile: this.project.choice.configFile });
      return { ...base, view, notice: view.exists ? null : `No seccomp profile yet at ${view.file}. "Generate" records the dev command while it runs, writes the profile and runs the workload again under it.` };
    } catch (e) {
      this.ctx.log.warn(`Seccomp panel: ${(e as Error).message}`);
      return { ...base, notice: `HyperBox could not read the seccomp profile: ${(e as Error).message}` };
    }
  }
}

/** The window's Seccomp panel and the serializer that restores it. */
export class SeccompPanels implements vscode.Disposable {
  private readonly slot = new PanelSlot<SeccompPanel>();
  private get current(): SeccompPanel | undefined {
    return this.slot.current;
  }
  private readonly registration: vscode.Disposable;

  constructor(
    private readonly ctx: SeccompPanelCtx,
    private readonly generate: (project: Project) => Promise<unknown>,
  ) {
    this.registration = vscode.window.registerWebviewPanelSerializer(SECCOMP_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, saved) => {
        const folder = validateSeccompWebviewState(saved);
        const project = folder ? ctx.projects.forUri(vscode.Uri.parse(folder.folderUri)) : undefined;
        if (!project) {
          panel.dispose();
          return;
        }
        panel.webview.options = webviewOptions(ctx.extension.extensionUri);
        this.adopt(panel, project);
      },
    });
  }

  show(project: Project): SeccompPanel {
    if (this.current) {
      this.current.project = project;
      this.current.panel.title = `Seccomp: ${project.folder.name}`;
      this.current.panel.reveal();
      void this.current.refresh();
      return this.current;
    }
    const panel = vscode.window.createWebviewPanel(SECCOMP_VIEW_TYPE, `Seccomp: ${project.folder.name}`, vscode.ViewColumn.Active, { ...webviewOptions(this.ctx.extension.extensionUri), retainContextWhenHidden: false });
    return this.adopt(panel, project);
  }

  /** The panel, when it shows this folder. */
  of(folder: string): SeccompPanel | undefined {
    return this.current?.project.folder.uri.fsPath === folder ? this.current : undefined;
  }

  get panel(): SeccompPanel | undefined {
    return this.current;
  }

  private adopt(panel: vscode.WebviewPanel, project: Project): SeccompPanel {
    return this.slot.adopt(() => new SeccompPanel(panel, this.ctx, project, this.generate));
  }

  dispose(): void {
    this.registration.dispose();
    this.slot.dispose();
  }
}
