// Offers "Rebuild" when a saved change makes the dev container stale: on save of a file that
// shapes the container (staleOffer.ts says which), asks the engine for the state and, when it
// became stale with changes not offered before, says what changed with "Rebuild" and "Not Now".
import * as vscode from 'vscode';
import { usable, type Containers } from './containers';
import { KeyedDebouncer } from './debounce';
import type { Project, Projects } from './projects';
import { RebuildOffers, savedFileMatters } from './staleOffer';

export interface RebuildOfferDeps {
  projects: Pick<Projects, 'forUri'>;
  containers: Pick<Containers, 'refresh' | 'up'>;
  log: vscode.LogOutputChannel;
  /** Saves within this time are asked about once (an editor's "Save All"). */
  delayMs?: number;
}

export class RebuildOnSave implements vscode.Disposable {
  private readonly offers = new RebuildOffers();
  private readonly debouncer: KeyedDebouncer;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly deps: RebuildOfferDeps) {
    this.debouncer = new KeyedDebouncer(deps.delayMs ?? 500);
    this.subscription = vscode.workspace.onDidSaveTextDocument((doc) => this.saved(doc.uri));
  }

  private saved(uri: vscode.Uri): void {
    if (uri.scheme !== 'file' || !vscode.workspace.isTrusted) return;
    const project = this.deps.projects.forUri(uri);
    if (!project || project.choice.kind !== 'chosen' || !project.result) return;
    // no container, or one being made or stopped: nothing can be out of date
    const summary = project.container.summary;
    if (!summary || summary.state === 'missing' || project.container.busy) return;
    if (!savedFileMatters(uri.fsPath, { configFile: project.choice.configFile, kind: project.result.kind, paths: project.result.paths, workspaceFolder: project.folder.uri.fsPath })) return;
    const key = project.folder.uri.toString();
    this.debouncer.schedule(key, () => void this.check(project, key));
  }

  private async check(project: Project, key: string): Promise<void> {
    if (!usable(project)) return;
    await this.deps.containers.refresh(project);
    if (project.container.busy) return;
    const offer = this.offers.decide(key, project.folder.name, project.container.summary);
    if (!offer) return;
    this.deps.log.info(`${project.folder.name}: ${offer.message}`);
    const rebuild = 'Rebuild';
    const answer = await vscode.window.showInformationMessage(offer.message, rebuild, 'Not Now');
    if (answer !== rebuild) return;
    this.offers.forget(key);
    await this.deps.containers.up(project, true);
  }

  dispose(): void {
    this.debouncer.dispose();
    this.subscription.dispose();
  }
}
