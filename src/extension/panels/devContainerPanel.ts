// The Dev Container panel: one webview per workspace folder showing its container (state, image,
// id, runtime, ports), the last up's startup timeline as a waterfall (live while an up runs, with
// the output of the running steps), the detected stack with its evidence, and the resolved config.
// It renders only from the project's model (Ctx.model), like the status bar and the HyperBox
// view, so they cannot disagree. Its buttons act on that folder's container. A serializer brings
// it back after a window reload (the webview keeps its folder with setState).
import * as vscode from 'vscode';
import { ProjectDetect, type DetectionResult } from '../../protocol';
import {
  DEV_CONTAINER_VIEW_TYPE,
  DevContainerStateMessage,
  validateDevContainerMessage,
  validateDevContainerWebviewState,
  type DevContainerAction,
  type DevContainerDetection,
  type DevContainerReload,
  type DevContainerState,
  type DevContainerToHost,
} from '../../protocol/webview';
import { describeContainer, type ActionId } from '../containerState';
import { Commands } from '../contributions';
import type { Ctx } from '../context';
import type { Project } from '../projects';
import { describeReload, type ReloadState } from '../reloadState';
import { containerWords } from '../status';
import { Panel, webviewOptions } from './panel';

/** What the panel needs of the extension's context. */
export type PanelCtx = Pick<Ctx, 'extension' | 'log' | 'projects' | 'containers' | 'request' | 'onDidRender' | 'model' | 'engineState'>;

/** How long the panel gathers changes before it sends the state (live output comes in bursts). */
const PUSH_MS = 50;

/** The panel's buttons for the actions that apply now (the quick pick's, plus Open Config and Refresh), in the quick pick's order. */
export function panelActions(available: readonly ActionId[], hasConfig: boolean): DevContainerAction[] {
  const out: DevContainerAction[] = [];
  for (const a of available) if (a === 'start' || a === 'stop' || a === 'rebuild' || a === 'openTerminal' || a === 'showContainerLogs') out.push(a);
  if (hasConfig) out.push('openConfig');
  out.push('refresh');
  return out;
}

/** The detection result as the panel shows it. */
export function detectionOf(d: DetectionResult): DevContainerDetection | null {
  if (d.primary === null) return null;
  return {
    label: d.label,
    languageName: d.languageName,
    frameworkName: d.frameworkName,
    packageManagerName: d.packageManagerName,
    devCommand: d.devCommand,
    ports: d.ports,
    evidence: d.evidence,
    parts: d.parts.map((p) => ({ path: p.path, label: p.label, role: p.role })),
    notes: d.notes,
  };
}


class DevContainerPanel extends Panel<DevContainerToHost> {
  private detection: DevContainerDetection | null = null;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: vscode.Disposable[] = [];

  constructor(
    panel: vscode.WebviewPanel,
    private readonly ctx: PanelCtx,
    readonly folderUri: string,
  ) {
    super(panel, { extensionUri: ctx.extension.extensionUri, bundle: 'devContainer', title: 'Dev Container', validate: validateDevContainerMessage, log: ctx.log });
    // every change of the model (projects, container, ports, timeline, live output) renders
    this.listeners.push(ctx.onDidRender(() => this.changed()));
    this.onDidDispose(() => {
      clearTimeout(this.timer);
      for (const d of this.listeners.splice(0)) d.dispose();
    });
    this.setTitle();
  }

  private project(): Project | undefined {
    return this.ctx.projects.list().find((p) => p.folder.uri.toString() === this.folderUri);
  }

  private setTitle(): void {
    const p = this.project();
    const name = p?.folder.name ?? vscode.Uri.parse(this.folderUri).path.split('/').pop() ?? '';
    this.panel.title = `Dev Container: ${name}`;
  }

  protected onReady(): void {
    this.pushState();
    void this.fetch();
  }

  /** Asks the engine for what the panel shows that the model does not hold: the detection's evidence. */
  async fetch(): Promise<void> {
    const p = this.project();
    if (!p || this.ctx.engineState.kind !== 'running') return;
    const folder = p.folder.uri.fsPath;
    try {
      this.detection = detectionOf(await this.ctx.request(ProjectDetect, { folder }));
    } catch (e) {
      this.ctx.log.warn(`Dev Container panel: could not detect the stack of ${folder}: ${(e as Error)?.message}`);
    }
    this.pushState();
  }

  private changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.setTitle();
      this.pushState();
    }, PUSH_MS);
  }

  /** The whole state, for the webview (only once it said ready): the project's model, as the other surfaces show it. */
  state(): DevContainerState {
    const p = this.project();
    const m = p ? this.ctx.model(p) : undefined;
    const view = m?.container ?? { kind: 'unknown' as const };
    const engine = this.ctx.engineState.kind;
    const notice =
      engine !== 'running'
        ? 'The HyperBox engine is not running, so this shows what was known last. Run "HyperBox: Restart Engine" to start it.'
        : !vscode.workspace.isTrusted
          ? 'Restricted Mode: HyperBox shows what it knows but starts nothing until you trust this folder.'
          : !p
            ? 'This folder is not open in this window any more.'
            : m?.view.state.kind === 'checked' && m.view.state.errors > 0
              ? `The config has ${m.view.state.errors} error${m.view.state.errors === 1 ? '' : 's'} (see the Problems panel)${m.exists ? '; the container keeps running as it was made' : ''}.`
              : null;
    return {
      folderUri: this.folderUri,
      folderName: p?.folder.name ?? vscode.Uri.parse(this.folderUri).path.split('/').pop() ?? '',
      configFile: m?.configFile ?? null,
      containerText: describeContainer(view),
      stateWord: containerWords(view),
      stateKind: view.kind,
      container: m?.exists ? (m.summary ?? null) : null,
      ports: m?.exists ? m.ports : [],
      busy: view.kind === 'starting' || view.kind === 'stopping' ? describeContainer(view) : null,
      resolved: p?.result ? { config: p.result.config, kind: p.result.kind, devcontainerId: p.result.devcontainerId, problems: p.result.problems } : null,
      detection: this.detection,
      timeline: m?.timeline ?? null,
      reload: m?.reload ? panelReload(m.reload) : null,
      actions: p && m ? panelActions(m.actions, p.choice.kind === 'chosen') : ['refresh'],
      notice,
    };
  }

  private pushState(): void {
    this.post(DevContainerStateMessage, this.state());
  }

  protected onMessage(m: DevContainerToHost): void {
    if (m.type !== 'action') return;
    const action = m.params.action;
    const p = this.project();
    // only what the panel offers now (the buttons may be older than the state)
    if (!p || !this.state().actions.includes(action)) {
      this.ctx.log.warn(`Dev Container panel: "${action}" does not apply now; ignored.`);
      this.pushState();
      return;
    }
    void this.run(action, p).catch((e) => {
      this.ctx.log.error(`Dev Container panel: ${action}: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(`HyperBox: ${(e as Error).message}`);
    });
  }

  private async run(action: DevContainerAction, p: Project): Promise<void> {
    switch (action) {
      case 'start':
        await vscode.commands.executeCommand(Commands.start, { folder: p.folder.uri.fsPath });
        break;
      case 'rebuild':
        await vscode.commands.executeCommand(Commands.rebuild, { folder: p.folder.uri.fsPath });
        break;
      case 'stop':
        await this.ctx.containers.stop(p);
        break;
      case 'showContainerLogs':
        await vscode.commands.executeCommand(Commands.showContainerLogs, { folder: p.folder.uri.fsPath });
        break;
      case 'openTerminal':
        await vscode.commands.executeCommand(Commands.openTerminal, { folder: p.folder.uri.fsPath });
        break;
      case 'openConfig':
        if (p.choice.kind === 'chosen') await vscode.window.showTextDocument(vscode.Uri.file(p.choice.configFile), { viewColumn: vscode.ViewColumn.One });
        break;
      case 'refresh':
        await this.ctx.containers.refresh(p);
        await this.fetch();
        this.pushState();
        break;
    }
  }
}

/** The open Dev Container panels, one per folder, and the serializer that restores them. */
export class DevContainerPanels implements vscode.Disposable {
  private readonly open = new Map<string, DevContainerPanel>();
  private readonly registration: vscode.Disposable;

  constructor(private readonly ctx: PanelCtx) {
    this.registration = vscode.window.registerWebviewPanelSerializer(DEV_CONTAINER_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, saved) => {
        const s = validateDevContainerWebviewState(saved);
        if (!s) {
          // nothing to show it for: close it rather than keep an empty panel
          panel.dispose();
          return;
        }
        panel.webview.options = webviewOptions(ctx.extension.extensionUri);
        this.adopt(panel, s.folderUri);
      },
    });
  }

  /** Shows (or reveals) the panel of a project's folder. */
  show(project: Project): void {
    const key = project.folder.uri.toString();
    const existing = this.open.get(key);
    if (existing) {
      existing.panel.reveal();
      void existing.fetch();
      return;
    }
    const panel = vscode.window.createWebviewPanel(DEV_CONTAINER_VIEW_TYPE, `Dev Container: ${project.folder.name}`, vscode.ViewColumn.Active, webviewOptions(this.ctx.extension.extensionUri));
    this.adopt(panel, key);
  }

  /** The open panels' folders (URI strings), for tests. */
  folders(): string[] {
    return [...this.open.keys()];
  }

  private adopt(panel: vscode.WebviewPanel, folderUri: string): void {
    this.open.get(folderUri)?.dispose();
    const p = new DevContainerPanel(panel, this.ctx, folderUri);
    this.open.set(folderUri, p);
    p.onDidDispose(() => {
      if (this.open.get(folderUri) === p) this.open.delete(folderUri);
    });
  }

  dispose(): void {
    this.registration.dispose();
    for (const p of [...this.open.values()]) p.dispose();
    this.open.clear();
  }
}

/** Hot reload as the panel lists it: the words the status bar and the view use, and each recent reload. */
export function panelReload(r: ReloadState): DevContainerReload {
  return {
    summary: describeReload(r),
    message: r.message ?? null,
    recent: r.recent.map((e) => ({
      at: e.at,
      files: e.count ? `${e.files.join(', ')}${e.count > e.files.length ? ` and ${e.count - e.files.length} more` : ''}` : 'forced',
      action: e.action,
      ms: e.ms,
      phases: e.phases ? Object.entries(e.phases).map(([k, v]) => `${k} ${v} ms`).join(', ') : null,
      error: e.error ?? null,
    })),
  };
}
