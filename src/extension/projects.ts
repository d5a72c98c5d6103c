// The workspace's projects: each workspace folder with a dev container config is one. Discovery
// and validation are the engine's (ConfigDiscover, ConfigResolve); this keeps, per folder, the
// configs found, the one in use (remembered in workspaceState when the user picked it) and its
// last result, and feeds the diagnostics.
import * as vscode from 'vscode';
import { ConfigDiscover, ConfigResolve, ProjectDetect, type ResolvedConfig } from '../protocol';
import type { RequestType } from 'vscode-jsonrpc';
import { chooseConfig, configLabel, isConfigLocation, type ConfigChoice } from './configChoice';
import { containerView, type ContainerFacts } from './containerState';
import { StateKeys } from './contributions';
import type { ConfigDiagnostics, ConfigValidator } from './diagnostics';
import { EngineUnavailableError, RequestCancelledError, type RequestOptions } from './engineClient';
import { countProblems } from './problems';
import type { ProjectView } from './status';

export interface Project {
  folder: vscode.WorkspaceFolder;
  /** Configs found in the folder, the default first. */
  configFiles: string[];
  choice: ConfigChoice;
  /** Last result for the chosen config (of the editor's text while it is being edited). */
  result?: ResolvedConfig;
  /** Why the engine could not answer the last time it was asked, if it could not. */
  failure?: string;
  /** Discovery has not answered yet. */
  discovering: boolean;
  /** The detected stack (ProjectDetect), when something was recognised. */
  stack?: { label: string; summary: string };
  /** What is known of the folder's dev container (kept by Ctx). */
  container: ContainerFacts;
}

/** Sends a typed request to the engine; rejects when the engine is not running. */
export type Requester = <P, R>(type: RequestType<P, R, void>, params: P, options?: RequestOptions) => Promise<R>;

export interface ProjectsDeps {
  request: Requester;
  state: vscode.Memento;
  diagnostics: ConfigDiagnostics;
  log: vscode.LogOutputChannel;
}

export class Projects implements ConfigValidator, vscode.Disposable {
  private readonly byFolder = new Map<string, Project>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Latest request number per config file and per folder; older answers are dropped. */
  private readonly resolveSeq = new Map<string, number>();
  private readonly discoverSeq = new Map<string, number>();
  private readonly inflight = new Map<string, vscode.CancellationTokenSource>();

  readonly onDidChange = this.changed.event;

  constructor(private readonly deps: ProjectsDeps) {}

  /** Projects in workspace-folder order, including folders without a config. */
  list(): Project[] {
    return [...this.byFolder.values()].sort((a, b) => a.folder.index - b.folder.index);
  }

  /** The project of the folder containing `uri`. */
  forUri(uri: vscode.Uri): Project | undefined {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    return folder ? this.byFolder.get(folder.uri.toString()) : undefined;
  }

  /** Discovers and validates every folder's config (after an engine start, a folder change...). */
  async refresh(): Promise<void> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    const keep = new Set(folders.map((f) => f.uri.toString()));
    for (const [key, project] of this.byFolder) {
      if (keep.has(key)) continue;
      if (project.choice.kind === 'chosen') this.deps.diagnostics.clear(project.choice.configFile);
      this.byFolder.delete(key);
    }
    this.changed.fire();
    await Promise.all(folders.map((f) => this.refreshFolder(f)));
  }

  /** Discovers the folder's configs again, chooses one and validates it. */
  async refreshFolder(folder: vscode.WorkspaceFolder): Promise<void> {
    const key = folder.uri.toString();
    let project = this.byFolder.get(key);
    if (!project) {
      project = { folder, configFiles: [], choice: { kind: 'none' }, discovering: true, container: {} };
      this.byFolder.set(key, project);
    }
    project.folder = folder;
    void this.detect(project);
    const seq = (this.discoverSeq.get(key) ?? 0) + 1;
    this.discoverSeq.set(key, seq);
    let found: string[];
    try {
      found = (await this.deps.request(ConfigDiscover, { folder: folder.uri.fsPath })).configFiles;
    } catch (e) {
      if (this.discoverSeq.get(key) !== seq) return;
      if (engineGone(e, this.deps.log)) return;
      project.discovering = false;
      project.failure = (e as Error).message;
      this.deps.log.warn(`Could not look for dev container configs in ${folder.uri.fsPath}: ${project.failure}`);
      this.changed.fire();
      return;
    }
    if (this.discoverSeq.get(key) !== seq || this.byFolder.get(key) !== project) return;
    const before = project.choice.kind === 'chosen' ? project.choice.configFile : undefined;
    project.discovering = false;
    project.configFiles = found;
    project.choice = chooseConfig(folder.uri.fsPath, found, this.remembered(folder));
    const after = project.choice.kind === 'chosen' ? project.choice.configFile : undefined;
    if (before !== after) {
      project.result = undefined;
      project.failure = undefined;
      if (before && !isOpen(before)) this.deps.diagnostics.clear(before);
    }
    this.changed.fire();
    if (after) await this.validate(project, dirtyText(after));
  }

  /** Makes `configFile` the folder's config, remembers the choice, and validates it. */
  async select(project: Project, configFile: string): Promise<void> {
    const map = { ...this.deps.state.get<Record<string, string>>(StateKeys.selectedConfigs, {}) };
    map[project.folder.uri.toString()] = configLabel(project.folder.uri.fsPath, configFile);
    await this.deps.state.update(StateKeys.selectedConfigs, map);
    await this.refreshFolder(project.folder);
  }

  /** Validates the project's chosen config; `text` is the editor's unsaved content. */
  async validate(project: Project, text?: string): Promise<void> {
    if (project.choice.kind !== 'chosen') return;
    const file = project.choice.configFile;
    let result: ResolvedConfig | undefined;
    try {
      result = await this.resolve(project.folder.uri.fsPath, file, text);
    } catch (e) {
      if (engineGone(e, this.deps.log)) return;
      project.failure = (e as Error).message;
      this.deps.log.warn(`Could not check ${file}: ${project.failure}`);
      this.changed.fire();
      return;
    }
    if (!result || project.choice.kind !== 'chosen' || project.choice.configFile !== file) return;
    project.result = result;
    project.failure = undefined;
    this.deps.diagnostics.show(file, result);
    const { errors, warnings } = countProblems(result.problems);
    const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
    this.deps.log.debug(`Checked ${file}${text !== undefined ? ' (unsaved text)' : ''}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}.`);
    this.changed.fire();
  }

  // ConfigValidator: what live validation calls.

  isConfigFile(file: string): boolean {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
    return !!folder && folder.uri.scheme === 'file' && isConfigLocation(folder.uri.fsPath, file);
  }

  async validateFile(file: string, text?: string): Promise<void> {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
    if (!folder || !isConfigLocation(folder.uri.fsPath, file)) return;
    const project = this.byFolder.get(folder.uri.toString());
    if (project?.choice.kind === 'chosen' && project.choice.configFile === file) return this.validate(project, text);
    if (project && !project.configFiles.includes(file)) {
      // A config the last discovery did not see (just created): discover again, then check it.
      await this.refreshFolder(folder);
      const again = this.byFolder.get(folder.uri.toString());
      if (again?.choice.kind === 'chosen' && again.choice.configFile === file) return;
    }
    // Another of the folder's configs, open in the editor: its problems, without changing the project.
    try {
      const result = await this.resolve(folder.uri.fsPath, file, text);
      if (result) this.deps.diagnostics.show(file, result);
    } catch (e) {
      if (!engineGone(e, this.deps.log)) this.deps.log.warn(`Could not check ${file}: ${(e as Error).message}`);
    }
  }

  async closedFile(file: string): Promise<void> {
    const project = this.forUri(vscode.Uri.file(file));
    // Unsaved edits were dropped: what counts again is the file on disk.
    if (project?.choice.kind === 'chosen' && project.choice.configFile === file) return this.validate(project);
    this.deps.diagnostics.clear(file);
  }

  /** Asks the engine what the folder is; the status bar names the project by it. */
  private async detect(project: Project): Promise<void> {
    const folder = project.folder;
    try {
      const d = await this.deps.request(ProjectDetect, { folder: folder.uri.fsPath });
      if (this.byFolder.get(folder.uri.toString()) !== project) return;
      const stack = d.primary !== null ? { label: d.label, summary: d.summary } : undefined;
      if (stack?.label === project.stack?.label && stack?.summary === project.stack?.summary) return;
      project.stack = stack;
      if (stack) this.deps.log.info(`${folder.name}: ${stack.label}.`);
      this.changed.fire();
    } catch (e) {
      if (!engineGone(e, this.deps.log)) this.deps.log.warn(`Could not detect the stack of ${folder.uri.fsPath}: ${(e as Error).message}`);
    }
  }

  /** Tells listeners the project changed (its container state, kept by Ctx). */
  touch(): void {
    this.changed.fire();
  }

  /** The view of a project for the status bar. */
  view(project: Project): ProjectView {
    const v = this.configView(project);
    if (project.stack) v.stack = project.stack;
    v.container = containerView(project.container);
    return v;
  }

  private configView(project: Project): ProjectView {
    const folderName = project.folder.name;
    const configCount = project.configFiles.length;
    const c = project.choice;
    if (project.discovering) return { folderName, configCount, state: { kind: 'checking', configLabel: 'looking for configs' } };
    if (c.kind === 'none') {
      return project.failure
        ? { folderName, configCount, state: { kind: 'unknown', message: project.failure } }
        : { folderName, configCount, state: { kind: 'none' } };
    }
    if (c.kind === 'ask') return { folderName, configCount, state: { kind: 'ask', candidates: c.candidates.length } };
    const label = configLabel(project.folder.uri.fsPath, c.configFile);
    if (project.failure) return { folderName, configCount, state: { kind: 'unknown', configLabel: label, message: project.failure } };
    if (!project.result) return { folderName, configCount, state: { kind: 'checking', configLabel: label } };
    const { errors, warnings } = countProblems(project.result.problems);
    const first = project.result.problems.find((p) => p.severity === 'error') ?? project.result.problems[0];
    return {
      folderName,
      configCount,
      state: {
        kind: 'checked',
        configLabel: label,
        errors,
        warnings,
        firstProblem: first ? `${configLabel(project.folder.uri.fsPath, first.file)}:${first.line}:${first.column} ${first.message}` : undefined,
      },
    };
  }

  dispose(): void {
    for (const cts of this.inflight.values()) cts.cancel();
    this.changed.dispose();
  }

  private remembered(folder: vscode.WorkspaceFolder): string | undefined {
    return this.deps.state.get<Record<string, string>>(StateKeys.selectedConfigs, {})[folder.uri.toString()];
  }

  /** ConfigResolve for one file; undefined when a newer request for the same file superseded it. */
  private async resolve(folder: string, file: string, text: string | undefined): Promise<ResolvedConfig | undefined> {
    const seq = (this.resolveSeq.get(file) ?? 0) + 1;
    this.resolveSeq.set(file, seq);
    this.inflight.get(file)?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.inflight.set(file, cts);
    try {
      const result = await this.deps.request(ConfigResolve, { folder, configFile: file, text }, { token: cts.token });
      return this.resolveSeq.get(file) === seq ? result : undefined;
    } catch (e) {
      if (e instanceof RequestCancelledError || this.resolveSeq.get(file) !== seq) return undefined;
      throw e;
    } finally {
      if (this.inflight.get(file) === cts) this.inflight.delete(file);
      cts.dispose();
    }
  }
}

/**
 * The engine is not there to answer (stopped, restarting, failed): not a problem of the project.
 * The status bar shows the engine's state, and the next engine session looks at every folder again.
 */
function engineGone(e: unknown, log: vscode.LogOutputChannel): boolean {
  if (!(e instanceof EngineUnavailableError)) return false;
  log.debug(e.message);
  return true;
}

function isOpen(file: string): boolean {
  return vscode.workspace.textDocuments.some((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
}

/** The unsaved text of a config open in the editor, if it has unsaved changes. */
export function dirtyText(file: string): string | undefined {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
  return doc?.isDirty ? doc.getText() : undefined;
}
