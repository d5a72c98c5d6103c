// PSI-aware prewarming from the editor (hyperbox.prewarm): when a trusted folder's Dockerfile
// config has no container or a stale one, the editor asks the engine to prepare the next up
// (PrewarmRequest): the image, and for a missing container the container itself, made stopped. The
// engine decides the rest — the host is calm (its PSI), the build and the container's findings are
// in a trust record, nothing starts and no lifecycle command runs — and answers what it did or why
// not; a deferral (the host under pressure) is shown in the status bar and the log, and asked
// again a minute later. The request carries the findings the user accepted for the folder
// (Containers.accepted): the engine prewarms only a build the user let run before. What to ask and
// what to say are decided in prewarmDecision.ts (pure).
import * as vscode from 'vscode';
import { PrewarmRequest } from '../protocol';
import { SETTINGS_SECTION, Settings } from './contributions';
import { usable } from './containers';
import { describePrewarm, prewarmDecision } from './prewarmDecision';
import type { Project, Requester } from './projects';

/** A deferred prewarm is asked again after this long (the engine's calm check is avg10: 10 s windows). */
export const PREWARM_RETRY_MS = 60_000;
/** A prewarm is a build: it may take as long as an up's. */
const PREWARM_TIMEOUT_MS = 6 * 60 * 60 * 1000;

export interface PrewarmingDeps {
  projects: { list(): Project[]; onDidChange: vscode.Event<void> };
  request: Requester;
  engineRunning: () => boolean;
  /** The finding keys the user accepted for a folder and config (Containers.accepted). */
  accepted: (folder: string, configFile: string) => string[];
  /** Asks the engine for the project's container again (a prewarm made it: the engine sees no start). */
  refresh?: (project: Project) => void;
  /** The user's hyperbox.runtime setting, which the container made must run under as its up's would. */
  runtime?: () => string | undefined;
  log: vscode.LogOutputChannel;
  retryMs?: number;
}

export class Prewarming implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Per folder: the situation last asked about (not asked again), and a request under way. */
  private readonly asked = new Map<string, string>();
  private readonly inflight = new Map<string, vscode.CancellationTokenSource>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  /** Folders whose container was seen in this window, and those whose container then went missing (removed by the user). */
  private readonly hadContainer = new Set<string>();
  private readonly removed = new Set<string>();
  private statusMessage: vscode.Disposable | undefined;

  constructor(private readonly deps: PrewarmingDeps) {
    this.subscriptions.push(
      deps.projects.onDidChange(() => this.check()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.check()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(`${SETTINGS_SECTION}.${Settings.prewarm}`)) return;
        // turned on: the situations seen while it was off are news; turned off: stop what runs
        this.asked.clear();
        if (!this.enabled) for (const c of this.inflight.values()) c.cancel();
        this.check();
      }),
    );
  }

  private get enabled(): boolean {
    return vscode.workspace.getConfiguration(SETTINGS_SECTION).get<unknown>(Settings.prewarm, false) === true;
  }

  /** Looks at every project and asks the engine for those that should be prewarmed now. */
  check(): void {
    for (const p of this.deps.projects.list()) {
      if (p.choice.kind !== 'chosen') continue;
      const folder = p.folder.uri.fsPath;
      const configFile = p.choice.configFile;
      const state = p.container.summary?.state;
      if (state && state !== 'missing') {
        this.hadContainer.add(folder);
        this.removed.delete(folder);
      } else if (state === 'missing' && this.hadContainer.has(folder)) this.removed.add(folder);
      const d = prewarmDecision({
        workspaceTrusted: vscode.workspace.isTrusted,
        enabled: this.enabled,
        engineRunning: this.deps.engineRunning(),
        usable: usable(p),
        kind: p.result?.kind,
        summary: p.container.summary,
        busy: !!p.container.busy,
        removed: this.removed.has(folder),
      });
      if (!d.ask) {
        // the user starts or rebuilds it now: that up builds what it needs itself
        if (p.container.busy) this.inflight.get(folder)?.cancel();
        // an up or a change of state makes the next stale or missing container news again
        if (p.container.summary && p.container.summary.state !== 'missing' && p.container.summary.state !== 'stale') this.asked.delete(folder);
        continue;
      }
      if (this.asked.get(folder) === d.situation || this.inflight.has(folder)) continue;
      this.asked.set(folder, d.situation);
      void this.ask(p, folder, configFile, d.container);
    }
  }

  private async ask(p: Project, folder: string, configFile: string, container: boolean): Promise<void> {
    const cts = new vscode.CancellationTokenSource();
    this.inflight.set(folder, cts);
    clearTimeout(this.retries.get(folder));
    this.retries.delete(folder);
    const runtime = this.deps.runtime?.();
    try {
      const answer = await this.deps.request(
        PrewarmRequest,
        { folder, configFile, trusted: vscode.workspace.isTrusted, acceptedFindings: this.deps.accepted(folder, configFile), ...(runtime ? { runtime } : {}), ...(container ? {} : { container: false }) },
        // a build: as long as it takes (cancelled when the setting goes off or the window closes)
        { token: cts.token, timeoutMs: PREWARM_TIMEOUT_MS },
      );
      const said = describePrewarm(p.folder.name, answer);
      if (said) {
        this.deps.log[said.level](said.text);
        if (said.status) {
          this.statusMessage?.dispose();
          this.statusMessage = vscode.window.setStatusBarMessage(said.status, 15_000);
        }
      } else this.deps.log.debug(`Prewarming ${p.folder.name}: ${answer.reason}`);
      // the view and status bar show the container made (stopped) instead of none
      if (answer.containerId) this.deps.refresh?.(p);
      if (answer.state === 'deferred') {
        // the same situation is asked again once the host may have calmed down
        const t = setTimeout(() => {
          this.retries.delete(folder);
          if (this.asked.get(folder) !== undefined) this.asked.delete(folder);
          this.check();
        }, this.deps.retryMs ?? PREWARM_RETRY_MS);
        t.unref?.();
        this.retries.set(folder, t);
      }
    } catch (e) {
      if (!cts.token.isCancellationRequested) this.deps.log.warn(`Prewarming ${p.folder.name} failed: ${(e as Error).message}`);
    } finally {
      this.inflight.delete(folder);
      cts.dispose();
    }
  }

  dispose(): void {
    for (const c of this.inflight.values()) c.cancel();
    for (const t of this.retries.values()) clearTimeout(t);
    this.statusMessage?.dispose();
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }
}
