// The editor's side of hot reload: "HyperBox: Toggle Hot Reload" turns it on or off for a project
// (ReloadToggle; the choice is kept in the workspace state and sent again to every new engine),
// and each save of a file of a project whose hot reload runs goes to the engine at once
// (ReloadSaved): the engine acts on it without waiting for its watcher or a quiet period. What
// hot reload does is shown from the model (ProjectDetails keeps it from ReloadChanged).
import * as vscode from 'vscode';
import { ReloadSaved, ReloadToggle } from '../protocol';
import { StateKeys } from './contributions';
import type { Ctx } from './context';
import type { Project } from './projects';
import { wantsSaves } from './reloadState';

type Choices = Record<string, boolean>;

export class HotReload implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly ctx: Pick<Ctx, 'extension' | 'projects' | 'details' | 'request' | 'notify' | 'onDidRender' | 'engineState' | 'log'>) {
    this.subscriptions.push(vscode.workspace.onDidSaveTextDocument((d) => this.saved(d)));
    // a new engine knows nothing of the editor's choices: each is sent once per engine session,
    // as soon as the engine runs and the project's config is chosen
    let session: unknown;
    const sent = new Set<string>();
    this.subscriptions.push(
      ctx.onDidRender(() => {
        const s = ctx.engineState;
        const id = s.kind === 'running' ? s.session : undefined;
        if (id !== session) sent.clear();
        session = id;
        if (id !== undefined) void this.resend(sent);
      }),
    );
  }

  /** Whether the user turned hot reload on (true) or off (false) for the project in this workspace; undefined: the config decides. */
  choice(project: Project): boolean | undefined {
    return this.choices()[project.folder.uri.toString()];
  }

  /** Turns hot reload on or off for the project (the opposite of what it is now) and says what happens. */
  async toggle(project: Project): Promise<void> {
    if (project.choice.kind !== 'chosen') throw new Error(`${project.folder.name} has no dev container config chosen; hot reload runs the app in its dev container.`);
    const state = this.ctx.details.reload(project)?.state;
    const on = !(state === 'running' || state === 'crashed' || state === 'suspended' || (state === undefined && this.choice(project) === true));
    const r = await this.ctx.request(ReloadToggle, { folder: project.folder.uri.fsPath, configFile: project.choice.configFile, enabled: on, trusted: vscode.workspace.isTrusted });
    await this.ctx.extension.workspaceState.update(StateKeys.hotReload, { ...this.choices(), [project.folder.uri.toString()]: r.enabled });
    void vscode.window.showInformationMessage(`HyperBox: ${r.message}`);
  }

  dispose(): void {
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }

  private choices(): Choices {
    return this.ctx.extension.workspaceState.get<Choices>(StateKeys.hotReload) ?? {};
  }

  private saved(doc: vscode.TextDocument): void {
    if (doc.uri.scheme !== 'file') return;
    const project = this.ctx.projects.forUri(doc.uri);
    if (!project || !wantsSaves(this.ctx.details.reload(project))) return;
    this.ctx.notify(ReloadSaved, { folder: project.folder.uri.fsPath, ...(project.choice.kind === 'chosen' ? { configFile: project.choice.configFile } : {}), paths: [doc.uri.fsPath] });
  }

  private async resend(sent: Set<string>): Promise<void> {
    const choices = this.choices();
    for (const project of this.ctx.projects.list()) {
      const key = project.folder.uri.toString();
      const enabled = choices[key];
      if (enabled === undefined || project.choice.kind !== 'chosen' || sent.has(key)) continue;
      sent.add(key);
      try {
        await this.ctx.request(ReloadToggle, { folder: project.folder.uri.fsPath, configFile: project.choice.configFile, enabled, trusted: vscode.workspace.isTrusted });
      } catch (e) {
        this.ctx.log.warn(`Could not turn hot reload ${enabled ? 'on' : 'off'} for ${project.folder.uri.fsPath}: ${(e as Error).message}`);
      }
    }
  }
}
