// Every command, setting and context key the extension contributes, declared once with its type.
// package.json must list the same names (a unit test compares them), so the manifest cannot drift
// from the code. No run-time import of `vscode`: pure modules and tests use these too.

/** Command ids. Titles and palette visibility live in package.json's `contributes`. */
export const Commands = {
  showLogs: 'hyperbox.showLogs',
  restartEngine: 'hyperbox.restartEngine',
  openConfig: 'hyperbox.openConfig',
  selectConfig: 'hyperbox.selectConfig',
  showResolvedConfig: 'hyperbox.showResolvedConfig',
  /** Writes a devcontainer.json for the detected stack (ProjectInit); works in any folder. */
  addConfig: 'hyperbox.addConfig',
  /** The quick pick of what can be done now (what a click on the status bar item opens). */
  showActions: 'hyperbox.showActions',
  start: 'hyperbox.start',
  stop: 'hyperbox.stop',
  rebuild: 'hyperbox.rebuild',
  /** Removes the dev container (hb down), after a modal confirmation; the image and volumes stay. */
  removeContainer: 'hyperbox.removeContainer',
  /** A terminal in the running dev container, as remoteUser in the workspace folder. */
  openTerminal: 'hyperbox.openTerminal',
  /** The container's own output and the lifecycle commands' (as `hb logs`), in a reused output view that follows it. */
  showContainerLogs: 'hyperbox.showContainerLogs',
  /** Writes an `hb` launcher (sh) that runs the bundled CLI with the editor's runtime, like VS Code's `code`. */
  installCli: 'hyperbox.installCli',
  /** Removes the `hb` launcher, only if HyperBox wrote it. */
  uninstallCli: 'hyperbox.uninstallCli',
  /** Opens the "Get Started with HyperBox" walkthrough, whose steps tick off from the project's state. */
  getStarted: 'hyperbox.getStarted',
  /** The Dev Container panel (a webview): container summary, startup timeline, detection, resolved config. */
  showPanel: 'hyperbox.showPanel',
  /** The quick pick of the running container's ports: open, copy, stop forwarding, forward another. */
  openPorts: 'hyperbox.openPorts',
  /** Asks for a port and forwards it from the running container to 127.0.0.1 (RuntimePortsAdd). */
  forwardPort: 'hyperbox.forwardPort',
  /** The HyperBox view's port actions (a port node or `{ folder, port }` as argument). */
  openPortInBrowser: 'hyperbox.openPortInBrowser',
  copyPortAddress: 'hyperbox.copyPortAddress',
  stopForwardingPort: 'hyperbox.stopForwardingPort',
  /** Installs an extension the config recommends (customizations.vscode.extensions). */
  installRecommendedExtension: 'hyperbox.installRecommendedExtension',
  /** Shows a recommended extension in the Extensions view. */
  showExtension: 'hyperbox.showExtension',
  /** Asks the engine again about every project's container, ports and lifecycle commands. */
  refreshView: 'hyperbox.refreshView',
  /** Asks the engine for the containers' state again, after "Docker not running". */
  retryDocker: 'hyperbox.retryDocker',
  /** Hands the folder to the Dev Containers extension, which attaches to the container HyperBox made. */
  reopenInContainer: 'hyperbox.reopenInContainer',
  /** The Traces panel (a webview): the engine's received traces, a waterfall per trace, per-service figures. */
  showTraces: 'hyperbox.showTraces',
  /** The Pressure panel (a webview): CPU, memory and IO pressure of the host and each dev container, every second. */
  showPressure: 'hyperbox.showPressure',
} as const;
export type CommandId = (typeof Commands)[keyof typeof Commands];

/** VS Code's own commands that HyperBox calls. */
export const BuiltinCommands = {
  setContext: 'setContext',
  /** Opens the Workspace Trust editor. */
  manageTrust: 'workbench.trust.manage',
  /** Opens a walkthrough by `publisher.name#id`. */
  openWalkthrough: 'workbench.action.openWalkthrough',
  /** Installs an extension by id. */
  installExtension: 'workbench.extensions.installExtension',
  /** Opens an extension's page in the Extensions view, by id. */
  openExtension: 'extension.open',
  /** Closes the active editor, dropping its unsaved changes (an untitled preview). */
  revertAndCloseActiveEditor: 'workbench.action.revertAndCloseActiveEditor',
} as const;

/** The Dev Containers extension: HyperBox's containers carry its labels, so it can attach to them. */
export const DEV_CONTAINERS_EXTENSION_ID = 'ms-vscode-remote.remote-containers';

/** Commands of other extensions that HyperBox calls (only when that extension is installed). */
export const ExternalCommands = {
  /** Dev Containers: reopens the window in the folder's dev container. */
  reopenInContainer: 'remote-containers.reopenInContainer',
} as const;

/** Settings, as `section.key` under the `hyperbox` section. */
export const Settings = {
  /** Path of the engine script; `machine` scope, so no workspace can redirect it. */
  enginePath: 'engine.path',
  /** Logs the JSON-RPC traffic between the extension and the engine. */
  traceServer: 'trace.server',
  /** Memory pressure thresholds of the status bar item (percent, avg10): some → warning, full → error. */
  pressureMemoryWarning: 'pressure.memoryWarning',
  pressureMemoryError: 'pressure.memoryError',
  /** Build the next up's image while the host is calm (trusted folders; `machine` scope). */
  prewarm: 'prewarm',
  /** The trace receiver and OTEL_* in new containers (`machine` scope: it opens a port). */
  tracesEnabled: 'traces.enabled',
  tracesPort: 'traces.port',
  /** The privileged eBPF sidecar and its image (`machine` scope; never from a config). */
  tracesEbpfEnabled: 'traces.ebpf.enabled',
  tracesEbpfImage: 'traces.ebpf.image',
  /** Start (or reuse) the dev container when a trusted folder opens. */
  autoStart: 'autoStart',
  /**
   * The OCI runtime for containers made when neither runArgs nor the config names one; `machine`
   * scope (it names a program the engine runs), so only user settings count.
   */
  runtime: 'runtime',
  /** Show the pressure item in the status bar (sampling then runs while the engine does). */
  pressureStatusBar: 'pressure.statusBar',
} as const;
export const SETTINGS_SECTION = 'hyperbox';
export type TraceSetting = 'off' | 'messages' | 'verbose';

/** Context keys for `when` clauses in package.json. */
export const ContextKeys = {
  /** The engine has answered the handshake and is serving. */
  engineRunning: 'hyperbox.engineRunning',
  /** At least one workspace folder has a dev container config. */
  hasConfig: 'hyperbox.hasConfig',
  /** At least one workspace folder has several configs to choose from. */
  hasSeveralConfigs: 'hyperbox.hasSeveralConfigs',
  /** Some project's container can be started (trusted, config without errors, not running). */
  canStart: 'hyperbox.canStart',
  /** Some project's container runs (it can be stopped, and a terminal opened in it). */
  canStop: 'hyperbox.canStop',
  /** Some project's container can be rebuilt (trusted, config without errors, not busy). */
  canRebuild: 'hyperbox.canRebuild',
  /** Some project has a container (running or not): it has logs. */
  hasContainer: 'hyperbox.hasContainer',
  /** Some project's container can be removed (it exists, nothing is under way). */
  canRemove: 'hyperbox.canRemove',
  /** The engine can write a config for the detected stack (its handshake lists `init`). */
  canAddConfig: 'hyperbox.canAddConfig',
  /** Some project's dev container runs (the walkthrough's "Start the container" is done). */
  containerRunning: 'hyperbox.containerRunning',
  /** A terminal in a dev container is open (the walkthrough's "Open a terminal" is done). */
  terminalOpen: 'hyperbox.terminalOpen',
  /** The walkthrough's own copies of hasConfig, containerRunning and terminalOpen (see Ctx.showWalkthrough). */
  walkthroughConfig: 'hyperbox.walkthrough.config',
  walkthroughStart: 'hyperbox.walkthrough.start',
  walkthroughTerminal: 'hyperbox.walkthrough.terminal',
  /** The engine is not running and is not starting either (stopped, or failed): the view offers a restart. */
  engineStopped: 'hyperbox.engineStopped',
  /** The engine found no Docker engine to talk to (the status bar says "Docker not running"). */
  dockerUnreachable: 'hyperbox.dockerUnreachable',
  /** The Dev Containers extension is installed and this window is local: "Reopen in Container" can hand over. */
  devContainersAvailable: 'hyperbox.devContainersAvailable',
} as const;

/** The HyperBox view container in the activity bar, and its views. */
export const Views = {
  container: 'hyperbox',
  /** Projects, their containers, ports, mounts, lifecycle commands and recommended extensions. */
  containers: 'hyperbox.containers',
} as const;

/** How often the container state is asked for while the window has focus (no event stream yet). */
export const CONTAINER_POLL_MS = 5000;

/** Environment variable that overrides the engine path (before the setting). */
export const ENGINE_PATH_ENV = 'HYPERBOX_ENGINE_PATH';

/** The LogOutputChannel every part of the extension writes to. */
export const OUTPUT_CHANNEL_NAME = 'HyperBox';

/** Keys in `workspaceState`. */
export const StateKeys = {
  /** folder URI → config path relative to that folder, chosen in the quick pick. */
  selectedConfigs: 'hyperbox.selectedConfigs',
} as const;

/** The URI scheme of the read-only resolved-config documents. */
export const RESOLVED_SCHEME = 'hyperbox-resolved';
