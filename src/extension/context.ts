// The one owner of the engine's life: starts, stops and restarts the engine client, and keeps
// two kinds of subscriptions apart — those of one engine session (disposed at every restart)
// and extension-wide ones (disposed at deactivation). Engine and project state drive the UI.
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import { Capability, ConfigResolve, LiveSettingsUpdate, type CapabilityName, type ResolvedConfig } from '../protocol';
import type { RestartPolicy } from './backoff';
import type { CliInstallOptions } from './cliInstall';
import { ConfigQuickFixes } from './codeActions';
import { SeccompCodeActions } from './seccompActions';
import { isConfigLocation } from './configChoice';
import { availableActions, containerExists, containerView } from './containerState';
import { Containers, runtimeSetting, usable } from './containers';
import { BuiltinCommands, Commands, ContextKeys, DEV_CONTAINERS_EXTENSION_ID, SETTINGS_SECTION, Settings, type TraceSetting } from './contributions';
import { ProjectDetails } from './details';
import { ConfigDiagnostics, LiveValidation } from './diagnostics';
import { EngineClient, EngineUnavailableError, type EngineState, type RequestOptions } from './engineClient';
import { EnginePathError, resolveEnginePath } from './enginePath';
import { affectsLiveSettings, readLiveSettings } from './liveSettings';
import { isRunning, truthfulPorts, withLiveOutput, type ProjectModel } from './model';
import { Prewarming } from './prewarm';
import { Projects, dirtyText, type Project } from './projects';
import { RebuildOnSave } from './rebuildOffer';
import { ResolvedConfigView } from './resolvedView';
import type { EngineView, StatusInput } from './status';
import { portsOf } from './treeModel';
import { StatusBar } from './statusBar';

/** Knobs tests turn; the extension uses the defaults. */
export interface CtxOptions {
  restartPolicy?: () => RestartPolicy;
  requestTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  shutdownGraceMs?: number;
  validateDelayMs?: number;
  execPath?: string;
  /** How often container state is polled while the window has focus. */
  containerPollMs?: number;
  /** Where "Install 'hb' Command in PATH" may write, and the PATH it checks against. */
  cli?: CliInstallOptions;
}

const CONFIG_GLOB = '**/{.devcontainer.json,.devcontainer/devcontainer.json,.devcontainer/*/devcontainer.json}';

export class Ctx implements vscode.Disposable {
  readonly status = new StatusBar();
  readonly diagnostics = new ConfigDiagnostics();
  readonly resolvedView = new ResolvedConfigView();
  readonly projects: Projects;
  readonly containers: Containers;
  /** Ports, timelines and live output of each project: with `projects`, the one store every surface reads through model(). */
  readonly details: ProjectDetails;
  /** hyperbox.prewarm: asks the engine to build a trusted folder's next image while the machine is calm. */
  readonly prewarming: Prewarming;
  /** Engine notification handlers for every engine session (attached to each new client). */
  private readonly notificationHandlers = new Set<{ type: NotificationType<unknown>; handler: (params: unknown) => void; attached: vscode.Disposable[] }>();

  private client: EngineClient | undefined;
  /** start() was asked for and stop() was not: no client yet means one is on its way. */
  private wanted = false;
  /** Set when no client could even be made (a bad engine path override). */
  private startFailure: string | undefined;
  private readonly sessionSubscriptions: vscode.Disposable[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];
  private lifecycle: Promise<void> = Promise.resolve();
  private lastSession: { client: EngineClient; session: number } | undefined;
  private readonly folderRefresh = new Map<string, NodeJS.Timeout>();
  private readonly contextKeys = new Map<string, boolean>();
  private readonly rendered = new vscode.EventEmitter<void>();
  /** The last LiveSettingsUpdate of this engine session (settled: sent, or failed and logged). */
  private liveSettingsSent: Promise<void> = Promise.resolve();
  /** Fires after each render(): the engine's or a project's state changed. */
  readonly onDidRender = this.rendered.event;

  constructor(
    readonly extension: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
    private readonly options: CtxOptions = {},
  ) {
    this.projects = new Projects({
      request: (type, params, opts) => this.request(type, params, opts),
      state: extension.workspaceState,
      diagnostics: this.diagnostics,
      log,
    });
    this.containers = new Containers({
      projects: this.projects,
      log,
      request: (type, params, opts) => this.request(type, params, opts),
      request0: (type, opts) => this.request0(type, opts),
      onNotification: (type, handler) => this.onNotification(type, handler),
      engineRunning: () => this.engineState.kind === 'running',
      pollMs: options.containerPollMs,
      details: () => this.details,
      state: extension.workspaceState,
    });
    this.details = new ProjectDetails({
      projects: this.projects,
      request: (type, params, opts) => this.request(type, params, opts),
      onNotification: (type, handler) => this.onNotification(type, handler),
      engineRunning: () => this.engineState.kind === 'running',
      engineHas: (capability) => this.engineHas(capability),
      log,
    });
    this.prewarming = new Prewarming({
      projects: this.projects,
      request: (type, params, opts) => this.request(type, params, opts),
      engineRunning: () => this.engineState.kind === 'running',
      accepted: (folder, configFile) => this.containers.accepted(folder, configFile),
      refresh: (project) => void this.containers.refresh(project),
      runtime: () => runtimeSetting(),
      log,
    });
    this.subscriptions.push(
      this.details,
      this.prewarming,
      this.details.onDidChange(() => this.render()),
      this.containers,
      this.projects.onDidChange(() => this.containers.projectsChanged()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.render()),
      this.status,
      this.diagnostics,
      this.resolvedView,
      this.projects,
      new LiveValidation(this.projects, options.validateDelayMs),
      this.projects.onDidChange(() => this.render()),
      vscode.window.onDidChangeActiveTextEditor(() => this.render()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.projects.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigurationChanged(e)),
      this.watchConfigFiles(),
      ConfigQuickFixes.register(this.diagnostics),
      SeccompCodeActions.register(),
      new RebuildOnSave({ projects: this.projects, containers: this.containers, log }),
      vscode.extensions.onDidChange(() => this.render()),
    );
  }

  /** The Dev Containers extension is installed and this window is local: it can reopen a folder in its container. */
  get devContainersAvailable(): boolean {
    return !vscode.env.remoteName && vscode.extensions.getExtension(DEV_CONTAINERS_EXTENSION_ID) !== undefined;
  }

  /** Options of the 'hb' install and uninstall commands (defaults in the extension). */
  get cliInstallOptions(): CliInstallOptions {
    return this.options.cli ?? {};
  }

  get engineState(): EngineState {
    if (this.client) return this.client.state;
    if (this.startFailure) return { kind: 'failed', message: this.startFailure, gaveUp: false };
    return this.wanted ? { kind: 'starting', attempt: 0, maxRestarts: 0 } : { kind: 'stopped' };
  }

  /** The engine's process id while it runs (for tests and the log). */
  get enginePid(): number | undefined {
    return this.client?.pid;
  }

  /** Sends a request to the engine; rejects with a message for the user when it is not running. */
  request<P, R>(type: RequestType<P, R, void>, params: P, options?: RequestOptions): Promise<R> {
    if (!this.client) {
      return Promise.reject(
        new EngineUnavailableError(
          this.startFailure ?? 'The HyperBox engine is not running. Run "HyperBox: Restart Engine" to start it, or "HyperBox: Show Logs" to see why it stopped.',
        ),
      );
    }
    return this.client.request(type, params, options);
  }

  /** A request without parameters; rejects like request() when the engine is not running. */
  request0<R>(type: RequestType0<R, void>, options?: RequestOptions): Promise<R> {
    if (!this.client) return Promise.reject(new EngineUnavailableError('The HyperBox engine is not running. Run "HyperBox: Restart Engine" to start it.'));
    return this.client.request(type, options);
  }

  /** Sends a notification to the running engine; false when there is none. */
  notify<P>(type: NotificationType<P>, params: P): boolean {
    return this.client?.notify(type, params) ?? false;
  }

  /** Handles an engine notification in this and every later engine session. */
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): vscode.Disposable {
    const entry = { type: type as NotificationType<unknown>, handler: handler as (params: unknown) => void, attached: [] as vscode.Disposable[] };
    this.notificationHandlers.add(entry);
    if (this.client) this.attachHandler(this.client, entry);
    return new vscode.Disposable(() => {
      this.notificationHandlers.delete(entry);
      for (const d of entry.attached.splice(0)) d.dispose();
    });
  }

  /** Attaches a handler to one client; disposed with the session, or with the handler. */
  private attachHandler(client: EngineClient, entry: { type: NotificationType<unknown>; handler: (params: unknown) => void; attached: vscode.Disposable[] }): void {
    const d = client.onNotification(entry.type, entry.handler);
    entry.attached.push(d);
    this.sessionSubscriptions.push({
      dispose: () => {
        d.dispose();
        const i = entry.attached.indexOf(d);
        if (i >= 0) entry.attached.splice(i, 1);
      },
    });
  }

  start(): Promise<void> {
    this.wanted = true;
    this.render();
    return this.queue(() => this.doStart());
  }

  stop(): Promise<void> {
    this.wanted = false;
    return this.queue(() => this.doStop());
  }

  /** Stops the engine and starts a new one (a new session: fresh handlers, fresh restart budget). */
  restart(): Promise<void> {
    this.wanted = true;
    return this.queue(async () => {
      this.log.info('Restarting the engine.');
      this.startFailure = undefined;
      await this.doStop();
      await this.doStart();
    });
  }

  /** The project of the active editor, else the only one with a config; undefined if it is ambiguous. */
  focusedProject(): Project | undefined {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const active = uri ? this.projects.forUri(uri) : undefined;
    if (active && active.choice.kind !== 'none') return active;
    const withConfig = this.projects.list().filter((p) => p.choice.kind !== 'none');
    return withConfig.length === 1 ? withConfig[0] : undefined;
  }

  /** Resolves a project's chosen config, using the editor's unsaved text if there is some. */
  resolveProject(project: Project, configFile: string): Promise<ResolvedConfig> {
    return this.request(ConfigResolve, { folder: project.folder.uri.fsPath, configFile, text: dirtyText(configFile) });
  }

  dispose(): void {
    void this.stop();
    for (const t of this.folderRefresh.values()) clearTimeout(t);
    for (const d of this.subscriptions.splice(0)) d.dispose();
    this.rendered.dispose();
  }

  // -------------------------------------------------------------------------------------------

  private queue(step: () => Promise<void>): Promise<void> {
    const next = this.lifecycle.then(step, step);
    this.lifecycle = next.catch(() => undefined);
    return next;
  }

  private async doStart(): Promise<void> {
    if (this.client || !this.wanted) return;
    this.startFailure = undefined;
    let choice;
    try {
      const setting = vscode.workspace.getConfiguration(SETTINGS_SECTION).inspect<unknown>(Settings.enginePath);
      // Only the user's own settings count: the setting has machine scope, and a workspace value
      // (from a repository's .vscode/settings.json) must never choose what runs.
      choice = resolveEnginePath({ env: process.env, setting: setting?.globalValue, extensionPath: this.extension.extensionPath, homeDir: os.homedir() });
    } catch (e) {
      if (!(e instanceof EnginePathError)) throw e;
      this.startFailure = e.message;
      this.log.error(e.message);
      this.render();
      void this.notifyFailure(e.message);
      return;
    }
    if (choice.source !== 'bundled') this.log.info(`Using the engine at ${choice.path}, from ${choice.origin}.`);
    const client = new EngineClient({
      enginePath: choice.path,
      engineOrigin: choice.origin,
      logger: this.log,
      clientName: 'vscode',
      clientVersion: String(this.extension.extension?.packageJSON?.version ?? 'unknown'),
      trace: this.traceSetting(),
      execPath: this.options.execPath,
      restartPolicy: this.options.restartPolicy?.(),
      requestTimeoutMs: this.options.requestTimeoutMs,
      handshakeTimeoutMs: this.options.handshakeTimeoutMs,
      shutdownGraceMs: this.options.shutdownGraceMs,
    });
    this.client = client;
    this.sessionSubscriptions.push(client.onDidChangeState((state) => this.onEngineState(client, state)));
    for (const h of this.notificationHandlers) this.attachHandler(client, h);
    this.render();
    await client.start();
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.lastSession = undefined;
    for (const d of this.sessionSubscriptions.splice(0)) d.dispose();
    if (client) await client.stop();
    this.render();
  }

  private onEngineState(client: EngineClient, state: EngineState): void {
    if (client !== this.client) return;
    if (state.kind === 'running' && (this.lastSession?.client !== client || this.lastSession.session !== state.session)) {
      // A new engine process knows nothing yet: look at every folder again.
      this.lastSession = { client, session: state.session };
      // the live settings first: an up asked for next makes its container with them (traces)
      this.sendLiveSettings();
      for (const p of this.projects.list()) p.container.askedFor = undefined;
      void this.projects.refresh();
      void this.containers.engineStarted();
      this.details.engineStarted();
    }
    if (state.kind === 'failed') void this.notifyFailure(state.message);
    this.render();
  }

  private async notifyFailure(message: string): Promise<void> {
    const restart = 'Restart Engine';
    const logs = 'Show Logs';
    const answer = await vscode.window.showErrorMessage(message, restart, logs);
    if (answer === restart) await vscode.commands.executeCommand(Commands.restartEngine);
    else if (answer === logs) await vscode.commands.executeCommand(Commands.showLogs);
  }

  private onConfigurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (e.affectsConfiguration(`${SETTINGS_SECTION}.${Settings.enginePath}`)) {
      this.log.info(`"${SETTINGS_SECTION}.${Settings.enginePath}" changed; restarting the engine to use it.`);
      void this.restart();
    } else if (e.affectsConfiguration(`${SETTINGS_SECTION}.${Settings.traceServer}`)) {
      this.client?.setTrace(this.traceSetting());
    }
    if (affectsLiveSettings((section) => e.affectsConfiguration(section))) this.sendLiveSettings();
  }

  /**
   * Passes every live setting (traces, the eBPF sidecar, prewarming, pressure thresholds) to the
   * running engine: at each engine session's start and at each change of one of them, whether or
   * not the pressure item or a panel is on. Failures are logged; the next change or session tries again.
   */
  private sendLiveSettings(): void {
    if (this.engineState.kind !== 'running') return;
    const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const settings = readLiveSettings((key, fallback) => config.get(key, fallback));
    const previous = this.liveSettingsSent;
    // in order: a quick second change must not be overtaken by the first
    this.liveSettingsSent = previous.then(() =>
      this.request(LiveSettingsUpdate, settings).then(
        () => undefined,
        (e) => this.log.warn(`HyperBox could not pass its settings (traces, eBPF sidecar, prewarming, pressure thresholds) to the engine: ${(e as Error).message}`),
      ),
    );
  }

  /** Settles once the live settings of this engine session were sent (or failed): the pressure subscription waits for its thresholds. */
  liveSettingsReady(): Promise<void> {
    return this.liveSettingsSent;
  }

  private traceSetting(): TraceSetting {
    const value = vscode.workspace.getConfiguration(SETTINGS_SECTION).get<string>(Settings.traceServer, 'off');
    return value === 'messages' || value === 'verbose' ? value : 'off';
  }

  /** Configs created or deleted outside the editor change what a folder has: discover again. */
  private watchConfigFiles(): vscode.Disposable {
    const watcher = vscode.workspace.createFileSystemWatcher(CONFIG_GLOB);
    const onCreateOrDelete = (uri: vscode.Uri) => {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      if (!folder || !isConfigLocation(folder.uri.fsPath, uri.fsPath)) return;
      const key = folder.uri.toString();
      clearTimeout(this.folderRefresh.get(key));
      this.folderRefresh.set(
        key,
        setTimeout(() => {
          this.folderRefresh.delete(key);
          if (this.client?.state.kind === 'running') void this.projects.refreshFolder(folder);
        }, 200),
      );
    };
    const onChange = (uri: vscode.Uri) => {
      // Edits in the editor are validated by LiveValidation; this is for changes made elsewhere.
      if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString())) return;
      const project = this.projects.forUri(uri);
      if (project?.choice.kind === 'chosen' && project.choice.configFile === uri.fsPath) void this.projects.validate(project);
    };
    return vscode.Disposable.from(watcher, watcher.onDidCreate(onCreateOrDelete), watcher.onDidDelete(onCreateOrDelete), watcher.onDidChange(onChange));
  }

  /** The project's state as every surface shows it (see model.ts). */
  model(project: Project): ProjectModel {
    const view = this.projects.view(project);
    const container = view.container ?? { kind: 'unknown' as const };
    const running = isRunning(container);
    const summary = project.container.summary;
    return {
      folder: project.folder.uri.fsPath,
      folderUri: project.folder.uri.toString(),
      folderName: project.folder.name,
      configFile: project.choice.kind === 'chosen' ? project.choice.configFile : null,
      view,
      container,
      exists: containerExists(project.container),
      running,
      summary,
      ports: truthfulPorts(portsOf({ ports: this.details.ports(project), summary }), running),
      timeline: withLiveOutput(this.details.timeline(project), this.details.output(project)),
      actions: this.actionsOf(project),
      result: project.result,
      discovering: project.discovering,
      reload: this.details.reload(project),
    };
  }

  /** Pushes engine and project state to the status bar and the context keys (from model()). */
  render(): void {
    const projects = this.projects.list();
    const models = projects.map((p) => this.model(p));
    const uri = vscode.window.activeTextEditor?.document.uri;
    const active = uri ? this.projects.forUri(uri) : undefined;
    const input: StatusInput = {
      engine: engineView(this.engineState),
      projects: models.map((m) => (m.reload ? { ...m.view, reload: m.reload } : m.view)),
      focus: active ? projects.indexOf(active) : -1,
      trusted: vscode.workspace.isTrusted,
    };
    this.status.render(input);
    this.setContext(ContextKeys.engineRunning, this.engineState.kind === 'running');
    this.setContext(ContextKeys.engineStopped, this.engineState.kind === 'stopped' || this.engineState.kind === 'failed');
    this.setContext(ContextKeys.hasConfig, projects.some((p) => p.choice.kind !== 'none'));
    this.setContext(ContextKeys.hasSeveralConfigs, projects.some((p) => p.configFiles.length > 1));
    const actions = new Set(models.flatMap((m) => m.actions));
    this.setContext(ContextKeys.canStart, actions.has('start'));
    this.setContext(ContextKeys.canStop, actions.has('stop'));
    this.setContext(ContextKeys.canRebuild, actions.has('rebuild'));
    this.setContext(ContextKeys.hasContainer, actions.has('showContainerLogs'));
    this.setContext(ContextKeys.canRemove, actions.has('remove'));
    this.setContext(ContextKeys.containerRunning, this.engineState.kind === 'running' && models.some((m) => m.running));
    this.setContext(ContextKeys.dockerUnreachable, actions.has('retryDocker'));
    this.setContext(ContextKeys.devContainersAvailable, this.devContainersAvailable);
    this.setContext(ContextKeys.canAddConfig, this.engineHas(Capability.init));
    this.rendered.fire();
  }

  /** What can be done with a project's container now (the quick pick, the context keys). */
  actionsOf(project: Project): ReturnType<typeof availableActions> {
    if (project.choice.kind === 'none' || this.engineState.kind !== 'running') return [];
    return availableActions({
      trusted: vscode.workspace.isTrusted,
      configOk: usable(project),
      container: containerView(project.container),
      devContainers: this.devContainersAvailable,
      exists: containerExists(project.container),
      can: (capability) => this.engineHas(capability),
    });
  }

  /** Whether the running engine's handshake lists a capability: what the editor offers follows it. */
  engineHas(capability: CapabilityName): boolean {
    return this.engineState.kind === 'running' && this.engineState.info.capabilities.includes(capability);
  }

  setContext(key: string, value: boolean): void {
    if (this.contextKeys.get(key) === value) return;
    this.contextKeys.set(key, value);
    void vscode.commands.executeCommand(BuiltinCommands.setContext, key, value);
    const copy = WALKTHROUGH_KEYS.get(key);
    if (copy) void vscode.commands.executeCommand(BuiltinCommands.setContext, copy, value);
  }

  /**
   * Opens the walkthrough so that its steps show the project's state. VS Code starts its
   * walkthrough service only when a walkthrough is first shown, and a step whose context key was
   * already true then is never ticked; so the walkthrough's own keys are cleared before it opens
   * and set to the truth after, which VS Code sees as the change that completes those steps.
   */
  async showWalkthrough(open: () => Thenable<unknown>): Promise<void> {
    for (const copy of WALKTHROUGH_KEYS.values()) await vscode.commands.executeCommand(BuiltinCommands.setContext, copy, false);
    await open();
    for (const [key, copy] of WALKTHROUGH_KEYS) await vscode.commands.executeCommand(BuiltinCommands.setContext, copy, this.contextKeys.get(key) ?? false);
  }
}

/** The context keys the walkthrough's steps complete on, each with the walkthrough's copy of it. */
const WALKTHROUGH_KEYS = new Map<string, string>([
  [ContextKeys.hasConfig, ContextKeys.walkthroughConfig],
  [ContextKeys.containerRunning, ContextKeys.walkthroughStart],
  [ContextKeys.terminalOpen, ContextKeys.walkthroughTerminal],
]);

function engineView(state: EngineState): EngineView {
  switch (state.kind) {
    case 'running':
      return { kind: 'running', version: state.info.version, pid: state.info.pid };
    case 'starting':
      return { kind: 'starting', attempt: state.attempt, maxRestarts: state.maxRestarts };
    case 'failed':
      return { kind: 'failed', message: state.message };
    case 'stopped':
      return { kind: 'stopped' };
  }
}
