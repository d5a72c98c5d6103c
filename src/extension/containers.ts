// The projects' dev containers: their state, following the engine (container events when the
// engine sends them, else polling while the window has focus), and the operations on them (up,
// stop, rebuild) with progress notifications that cancel on the engine, errors with "Show Logs"
// and "Retry", Workspace Trust (in Restricted Mode nothing runs, and the message lists what the
// config would reach) and auto-start. Beyond Workspace Trust, every start (auto-start, Start,
// Rebuild) carries the findings the user accepted for this folder (trust.ts in the engine): when
// the engine finds one not among them it refuses before making or running anything, and a modal
// lists exactly the new findings; only "Trust and Start" records them and starts.
import * as vscode from 'vscode';
import type { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import {
  Progress,
  RUNTIME_ERROR,
  RuntimeContainerChanged,
  RuntimeDown,
  RuntimeErrorCodes,
  RuntimeOutput,
  RuntimeStatus,
  RuntimeStop,
  RuntimeTrustPreview,
  RuntimeUp,
  RuntimeWatch,
  type ContainerSummary,
  type RuntimeErrorCode,
  type RuntimeErrorData,
  type TrustFinding,
} from '../protocol';
import type { ProjectDetails } from './details';
import { BuiltinCommands, CONTAINER_POLL_MS, Commands, SETTINGS_SECTION, Settings } from './contributions';
import { EngineUnavailableError, RequestCancelledError, type RequestOptions } from './engineClient';
import type { Project, Projects } from './projects';
import { containerExists } from './containerState';

export interface ContainersDeps {
  projects: Projects;
  log: vscode.LogOutputChannel;
  request<P, R>(type: RequestType<P, R, void>, params: P, options?: RequestOptions): Promise<R>;
  request0<R>(type: RequestType0<R, void>, options?: RequestOptions): Promise<R>;
  /** Subscribes to an engine notification for every engine session. */
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): vscode.Disposable;
  engineRunning(): boolean;
  pollMs?: number;
  /** The store of ports, timelines and live output (RuntimeOutput goes there). */
  details?: () => ProjectDetails;
  /** Where the findings the user accepted are kept, per folder and config (the workspace's state; a repository cannot write it). */
  state?: vscode.Memento;
}

/** The workspaceState key of the finding keys accepted for one folder and config. */
export const acceptedFindingsKey = (folder: string, configFile: string) => `hyperbox.acceptedFindings:${folder}\u0000${configFile}`;

/** Lines of live output as the HyperBox output channel shows them: `[source] line`, no empty tail. */
export function outputLines(source: string, text: string): string[] {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .filter((l, i, all) => l.trim() !== '' || (i > 0 && i < all.length - 1))
    .map((l) => `[${source}] ${l}`);
}

/** An up or a rebuild may build an image and run lifecycle commands: no request timeout worth the name. */
const UP_TIMEOUT_MS = 6 * 60 * 60 * 1000;
const STOP_TIMEOUT_MS = 2 * 60 * 1000;

export class Containers implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly progress = new Map<string, (message: string) => void>();
  private readonly autoStarted = new Set<string>();
  /** The progress token of each up → its folder: output keeps coming after `waitFor` returned. */
  private readonly outputOf = new Map<string, { folder: string; name: string }>();
  private readonly recreating = new vscode.EventEmitter<{ project: Project; why: string }>();
  /** The project's container is about to be removed (Rebuild, Remove): terminals in it end now. */
  readonly onWillRemoveContainer = this.recreating.event;
  private timer: NodeJS.Timeout | undefined;
  private watching = false;
  private tokenSeq = 0;

  constructor(private readonly deps: ContainersDeps) {
    this.subscriptions.push(
      this.recreating,
      deps.onNotification(Progress, ({ token, message }) => this.progress.get(token)?.(message)),
      deps.onNotification(RuntimeOutput, ({ token, source, text }) => {
        const of = this.outputOf.get(token);
        if (!of) return;
        for (const line of outputLines(source, text)) deps.log.info(`${of.name}: ${line}`);
        deps.details?.().appendOutput(of.folder, source, text);
      }),
      deps.onNotification(RuntimeContainerChanged, (e) => {
        const project = this.deps.projects.list().find((p) => p.folder.uri.fsPath === e.folder);
        if (!project) return;
        // say it at once (a `die` of a container stopped outside the editor), then ask for the details
        this.applyEvent(project, e.containerId, e.state);
        void this.refresh(project);
      }),
      vscode.window.onDidChangeWindowState((s) => {
        if (s.focused) void this.refreshAll();
        this.schedule();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        deps.log.info('The workspace is trusted now: dev containers may run.');
        void this.refreshAll().then(() => this.autoStart());
      }),
    );
  }

  /** A new engine session: follow container events if it offers them, ask every project, then auto-start. */
  async engineStarted(): Promise<void> {
    this.watching = false;
    try {
      this.watching = (await this.deps.request0(RuntimeWatch)).watching;
    } catch {
      // an engine without container events: polling covers it
    }
    this.schedule();
  }

  /** Called when the projects changed (discovered, checked): ask about containers not known yet, and auto-start. */
  projectsChanged(): void {
    for (const p of this.deps.projects.list()) {
      // not known yet, and not asked since the config was last checked
      if (usable(p) && !p.container.summary && !p.container.busy && !p.container.failure && p.container.askedFor !== p.result) void this.refresh(p);
    }
    this.autoStart();
  }

  /** The folder's container is not started automatically in this window (a config just added: the user is asked instead). */
  holdAutoStart(folder: vscode.Uri): void {
    this.autoStarted.add(folder.toString());
  }

  /** Asks the engine for one project's container state. */
  async refresh(project: Project): Promise<void> {
    if (project.choice.kind !== 'chosen' || !vscode.workspace.isTrusted || !this.deps.engineRunning()) return;
    project.container.askedFor = project.result;
    try {
      const summary = await this.deps.request(RuntimeStatus, { folder: project.folder.uri.fsPath, configFile: project.choice.configFile });
      if (project.container.busy) return;
      this.setSummary(project, summary);
    } catch (e) {
      if (e instanceof EngineUnavailableError || project.container.busy) return;
      // The file on disk has errors the editor's unsaved text may not: the Problems panel says so.
      if (runtimeCode(e) === RuntimeErrorCodes.config) return;
      project.container.failure = (e as Error).message;
      project.container.failureCode = runtimeCode(e);
      this.deps.log.warn(`Could not get the state of the dev container of ${project.folder.uri.fsPath}: ${project.container.failure}`);
      this.deps.projects.touch();
    }
  }

  async refreshAll(): Promise<void> {
    await Promise.all(this.deps.projects.list().filter(usable).map((p) => this.refresh(p)));
  }

  /** Brings the project's container up (or rebuilds it), with a cancellable progress notification. */
  async up(project: Project, rebuild = false): Promise<ContainerSummary | undefined> {
    if (!this.mayRun(project)) return undefined;
    if (project.choice.kind !== 'chosen' || project.container.busy) return undefined;
    const configFile = project.choice.configFile;
    const acceptedFindings = this.accepted(project.folder.uri.fsPath, configFile);
    const progressToken = `up-${++this.tokenSeq}`;
    const verb = rebuild ? 'Rebuilding' : 'Starting';
    for (const [token, of] of this.outputOf) if (of.folder === project.folder.uri.fsPath) this.outputOf.delete(token);
    this.outputOf.set(progressToken, { folder: project.folder.uri.fsPath, name: project.folder.name });
    this.deps.details?.().upStarted(project.folder.uri.fsPath);
    if (rebuild && containerExists(project.container)) this.recreating.fire({ project, why: 'the dev container is being rebuilt (it is removed and made again).' });
    project.container.busy = { kind: 'starting', rebuild };
    project.container.failure = undefined;
    project.container.failureCode = undefined;
    this.deps.projects.touch();
    this.deps.log.info(`${project.folder.name}: ${verb.toLowerCase()} the dev container.`);
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `HyperBox: ${verb} the dev container of ${project.folder.name}`, cancellable: true },
        (progress, token) => {
          this.progress.set(progressToken, (message) => {
            progress.report({ message });
            if (project.container.busy?.kind === 'starting') {
              project.container.busy.step = message;
              this.deps.projects.touch();
            }
          });
          return this.deps.request(
            RuntimeUp,
            // Workspace Trust is the trust in the editor: mayRun() checked it just now.
            // and the findings accepted before: a new one stops the up before anything is made (askTrust)
            { folder: project.folder.uri.fsPath, configFile, progressToken, trusted: vscode.workspace.isTrusted, acceptedFindings, waitFor: true, rebuild, runtime: runtimeSetting() },
            { token, timeoutMs: UP_TIMEOUT_MS },
          );
        },
      );
      project.container.busy = undefined;
      // what this up was trusted for, kept as accepted (the same keys the engine checked)
      if (result.findings) await this.accept(project.folder.uri.fsPath, configFile, result.findings);
      this.setSummary(project, result);
      this.deps.log.info(`${project.folder.name}: the dev container ${result.name ?? ''} is ${result.running ? 'running' : result.state} (${(result.totalMs / 1000).toFixed(1)} s).`);
      return result;
    } catch (e) {
      project.container.busy = undefined;
      if (e instanceof RequestCancelledError) {
        this.deps.log.info(`${project.folder.name}: ${verb.toLowerCase()} was cancelled.`);
        void this.refresh(project);
        return undefined;
      }
      if (runtimeCode(e) === 'trust-required') {
        // nothing was made and nothing ran: ask about exactly the new findings, start only on yes
        this.deps.projects.touch();
        void this.refresh(project);
        const data = (e as { data?: RuntimeErrorData }).data;
        if (await this.askTrust(project, configFile, data?.findings ?? [], data?.newFindings, rebuild)) return this.up(project, rebuild);
        return undefined;
      }
      const message = `HyperBox could not ${rebuild ? 'rebuild' : 'start'} the dev container of ${project.folder.name}: ${(e as Error).message}`;
      project.container.failure = (e as Error).message;
      project.container.failureCode = runtimeCode(e);
      this.deps.projects.touch();
      this.deps.log.error(message);
      void this.offerRetry(message, () => this.up(project, rebuild));
      return undefined;
    } finally {
      this.progress.delete(progressToken);
    }
  }

  async stop(project: Project): Promise<void> {
    if (project.choice.kind !== 'chosen' || project.container.busy) return;
    project.container.busy = { kind: 'stopping' };
    this.deps.projects.touch();
    this.deps.log.info(`${project.folder.name}: stopping the dev container.`);
    try {
      const summary = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `HyperBox: stopping the dev container of ${project.folder.name}` },
        () => this.deps.request(RuntimeStop, { folder: project.folder.uri.fsPath, configFile: (project.choice as { configFile: string }).configFile }, { timeoutMs: STOP_TIMEOUT_MS }),
      );
      project.container.busy = undefined;
      this.setSummary(project, summary);
      this.deps.log.info(`${project.folder.name}: the dev container ${summary.name ?? ''} is ${summary.running ? 'still running' : 'stopped'}.`);
    } catch (e) {
      project.container.busy = undefined;
      const message = `HyperBox could not stop the dev container of ${project.folder.name}: ${(e as Error).message}`;
      this.deps.log.error(message);
      void this.refresh(project);
      void this.offerRetry(message, () => this.stop(project));
    }
  }

  /** Removes the project's container (hb down); the image, volumes and config stay. True when it was removed. */
  async remove(project: Project): Promise<boolean> {
    if (project.choice.kind !== 'chosen' || project.container.busy) return false;
    const configFile = project.choice.configFile;
    this.recreating.fire({ project, why: 'the dev container is being removed.' });
    project.container.busy = { kind: 'stopping', removing: true };
    this.deps.projects.touch();
    this.deps.log.info(`${project.folder.name}: removing the dev container.`);
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `HyperBox: removing the dev container of ${project.folder.name}` },
        () => this.deps.request(RuntimeDown, { folder: project.folder.uri.fsPath, configFile }, { timeoutMs: STOP_TIMEOUT_MS }),
      );
      project.container.busy = undefined;
      this.deps.log.info(`${project.folder.name}: ${result.removed ? `removed the dev container${result.containerId ? ` ${result.containerId.slice(0, 12)}` : ''}` : 'there was no dev container to remove'}.`);
      await this.refresh(project);
      this.deps.projects.touch();
      return result.removed;
    } catch (e) {
      project.container.busy = undefined;
      const message = `HyperBox could not remove the dev container of ${project.folder.name}: ${(e as Error).message}`;
      this.deps.log.error(message);
      void this.refresh(project);
      void this.offerRetry(message, () => this.remove(project));
      return false;
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }

  // -------------------------------------------------------------------------------------------

  /** A container event says what the state is now: show it before the full status answers. */
  private applyEvent(project: Project, containerId: string, state: 'running' | 'stopped' | 'paused' | 'missing'): void {
    const s = project.container.summary;
    if (project.container.busy || !s || s.containerId !== containerId) return;
    if (state === 'missing') this.setSummary(project, { ...s, containerId: null, name: null, state: 'missing', running: false, ports: [], forwards: [] });
    else if (state === 'stopped' && s.running) this.setSummary(project, { ...s, running: false, state: s.state === 'stale' ? 'stale' : 'stopped' });
  }

  private setSummary(project: Project, summary: ContainerSummary): void {
    project.container.summary = summary;
    project.container.failure = undefined;
    project.container.failureCode = undefined;
    this.deps.projects.touch();
  }

  /**
   * In Restricted Mode nothing runs: say why, list what the config would reach and run (the
   * engine finds it without running anything) and offer to manage trust.
   */
  private mayRun(project: Project): boolean {
    if (vscode.workspace.isTrusted) return true;
    void this.explainRestricted(project);
    return false;
  }

  private async explainRestricted(project: Project): Promise<void> {
    const manage = 'Manage Workspace Trust';
    let detail: string;
    try {
      if (project.choice.kind !== 'chosen' || !this.deps.engineRunning()) throw new Error('the HyperBox engine is not running');
      const preview = await this.deps.request(RuntimeTrustPreview, { folder: project.folder.uri.fsPath, configFile: project.choice.configFile }, { timeoutMs: STOP_TIMEOUT_MS });
      detail = preview.findings.length
        ? `Trusting the folder lets its dev container:\n${bullets(preview.findings)}`
        : 'Its dev container reaches nothing on this machine and runs none of the config\'s commands.';
      if (preview.pending.length) detail += `\n\nThe up may find more, and asks again then:\n${preview.pending.map((p) => `• ${p}`).join('\n')}`;
    } catch (e) {
      detail = `What the config would reach could not be worked out: ${(e as Error).message}`;
    }
    const answer = await vscode.window.showWarningMessage(
      `HyperBox runs nothing for ${project.folder.name} in Restricted Mode: starting its dev container would build images and run the config's commands. Trust the folder to start it.`,
      { modal: true, detail },
      manage,
    );
    if (answer === manage) await vscode.commands.executeCommand(BuiltinCommands.manageTrust);
  }

  /** The finding keys accepted for this folder and config ([] when none were: every finding is new). Prewarming sends them too. */
  accepted(folder: string, configFile: string): string[] {
    const keys = this.deps.state?.get<unknown>(acceptedFindingsKey(folder, configFile));
    return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
  }

  private async accept(folder: string, configFile: string, findings: TrustFinding[]): Promise<void> {
    await this.deps.state?.update(acceptedFindingsKey(folder, configFile), [...new Set(findings.map((f) => f.key))].sort());
  }

  /**
   * The engine refused an up for findings not accepted yet (nothing was made or run): a modal
   * lists exactly the new ones. True when the user accepted them (recorded, with the rest).
   */
  private async askTrust(project: Project, configFile: string, findings: TrustFinding[], newKeys: string[] | undefined, rebuild: boolean): Promise<boolean> {
    const fresh = newKeys ? findings.filter((f) => newKeys.includes(f.key)) : findings;
    const known = findings.length - fresh.length;
    const go = rebuild ? 'Trust and Rebuild' : 'Trust and Start';
    const answer = await vscode.window.showWarningMessage(
      `The dev container of ${project.folder.name} would reach into this machine or run code in ways you have not accepted${known ? ' since you last started it' : ''}. Start it?`,
      {
        modal: true,
        detail: `${bullets(fresh)}${known ? `\n\n(${known} more you accepted before ${known === 1 ? 'is' : 'are'} unchanged.)` : ''}\n\nNothing was built, made or run. ${go} accepts ${fresh.length === 1 ? 'it' : 'these'} for this folder and starts; Cancel starts nothing.`,
      },
      go,
    );
    if (answer !== go) {
      this.deps.log.info(`${project.folder.name}: not started; the dev container's new findings were not accepted: ${fresh.map((f) => f.text).join('; ')}`);
      return false;
    }
    this.deps.log.info(`${project.folder.name}: accepted ${fresh.map((f) => f.text).join('; ')}`);
    await this.accept(project.folder.uri.fsPath, configFile, findings);
    return true;
  }

  private async offerRetry(message: string, retry: () => Promise<unknown>): Promise<void> {
    const logs = 'Show Logs';
    const again = 'Retry';
    const answer = await vscode.window.showErrorMessage(message, logs, again);
    if (answer === logs) await vscode.commands.executeCommand(Commands.showLogs);
    else if (answer === again) await retry();
  }

  /** With hyperbox.autoStart and a trusted folder, each project's container starts once per window. */
  private autoStart(): void {
    if (!vscode.workspace.isTrusted || !this.deps.engineRunning()) return;
    if (!vscode.workspace.getConfiguration(SETTINGS_SECTION).get<boolean>(Settings.autoStart, true)) return;
    for (const p of this.deps.projects.list()) {
      const key = p.folder.uri.toString();
      if (this.autoStarted.has(key) || !usable(p) || !p.container.summary || p.container.busy) continue;
      this.autoStarted.add(key);
      if (p.container.summary.running) continue;
      this.deps.log.info(`${p.folder.name}: starting the dev container (hyperbox.autoStart is on).`);
      void this.up(p);
    }
  }

  /** Polls while the window has focus, slower when the engine sends container events. */
  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!vscode.window.state.focused) return;
    const ms = (this.deps.pollMs ?? CONTAINER_POLL_MS) * (this.watching ? 6 : 1);
    this.timer = setTimeout(() => {
      void this.refreshAll().finally(() => this.schedule());
    }, ms);
    this.timer.unref?.();
  }
}

/** Findings as a bulleted list, one line each. */
function bullets(findings: TrustFinding[]): string {
  return findings.map((f) => `• ${f.text}`).join('\n');
}

/** The RuntimeErrorCode an engine error carries (`config`, `not-found`, `no-engine`...). */
export function runtimeCode(e: unknown): RuntimeErrorCode | undefined {
  const data = (e as { code?: unknown; data?: { code?: unknown } })?.data;
  return (e as { code?: unknown })?.code === RUNTIME_ERROR && typeof data?.code === 'string' ? (data.code as RuntimeErrorCode) : undefined;
}

/** The project has a chosen config without errors: its container can be asked about and started. */
export function usable(p: Project): boolean {
  return p.choice.kind === 'chosen' && !!p.result && p.result.problems.every((x) => x.severity !== 'error');
}

/**
 * The hyperbox.runtime setting, from the user's own settings only: it has machine scope, and a
 * repository's .vscode/settings.json must not choose the runtime its container runs under.
 */
export function runtimeSetting(): string | undefined {
  const value = vscode.workspace.getConfiguration(SETTINGS_SECTION).inspect<unknown>(Settings.runtime)?.globalValue;
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}
