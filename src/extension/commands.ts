// The commands of the palette. Each says what is wrong and what to do when it cannot act (no
// config, engine not running) instead of failing silently.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ProjectInit } from '../protocol';
import { installCli, uninstallCli } from './cliInstall';
import { configLabel } from './configChoice';
import { containerView, type ActionId } from './containerState';
import { ContainerOutput } from './containerOutput';
import { BuiltinCommands, Commands, ContextKeys, DEV_CONTAINERS_EXTENSION_ID, ExternalCommands, type CommandId } from './contributions';
import type { Ctx } from './context';
import type { Project } from './projects';
import { DevContainerPanels } from './panels/devContainerPanel';
import { PressureMonitor } from './panels/pressurePanel';
import { TracesPanels } from './panels/tracesPanel';
import { ContainerTerminals } from './terminal';
import { folderOfArg } from './treeModel';

const LOCATIONS = '.devcontainer/devcontainer.json, .devcontainer.json or .devcontainer/<name>/devcontainer.json';

export function registerCommands(ctx: Ctx): void {
  // `arg` is what VS Code passes: a node of the HyperBox view, a Uri (the Explorer), or nothing (the palette)
  const register = (id: string, run: (arg?: unknown) => unknown) =>
    ctx.extension.subscriptions.push(
      vscode.commands.registerCommand(id, async (arg?: unknown) => {
        try {
          return await run(arg);
        } catch (e) {
          const message = (e as Error).message;
          ctx.log.error(`${id}: ${message}`);
          void showError(ctx, message);
        }
      }),
    );

  const terminals = new ContainerTerminals(
    {
      request: (type, params, opts) => ctx.request(type, params, opts),
      notify: (type, params) => ctx.notify(type, params),
      onNotification: (type, handler) => ctx.onNotification(type, handler),
    },
    ctx.containers.onWillRemoveContainer,
  );
  const output = new ContainerOutput(ctx);
  services.set(ctx, { terminals, output });
  ctx.extension.subscriptions.push(
    terminals,
    output,
    terminals.onDidChange(() => ctx.setContext(ContextKeys.terminalOpen, terminals.count > 0)),
  );

  register(Commands.showLogs, () => ctx.log.show());
  register(Commands.restartEngine, () => ctx.restart());
  register(Commands.openConfig, (arg) => openConfig(ctx, arg));
  register(Commands.selectConfig, (arg) => selectConfig(ctx, arg));
  register(Commands.showResolvedConfig, () => showResolvedConfig(ctx));
  register(Commands.addConfig, () => addConfig(ctx));
  register(Commands.showActions, () => showActions(ctx));
  register(Commands.start, (arg) => containerAction(ctx, 'start', arg));
  register(Commands.stop, (arg) => containerAction(ctx, 'stop', arg));
  register(Commands.rebuild, (arg) => containerAction(ctx, 'rebuild', arg));
  register(Commands.removeContainer, (arg) => containerAction(ctx, 'remove', arg));
  register(Commands.openTerminal, (arg) => containerAction(ctx, 'openTerminal', arg));
  register(Commands.showContainerLogs, (arg) => containerAction(ctx, 'showContainerLogs', arg));
  const cliEnv = () => ({ extensionPath: ctx.extension.extensionPath, log: ctx.log, options: ctx.cliInstallOptions });
  register(Commands.installCli, () => installCli(cliEnv()));
  register(Commands.uninstallCli, () => uninstallCli(cliEnv()));
  register(Commands.retryDocker, () => retryDocker(ctx));
  register(Commands.reopenInContainer, () => reopenInContainer(ctx));
  register(Commands.getStarted, () => ctx.showWalkthrough(() => vscode.commands.executeCommand(BuiltinCommands.openWalkthrough, `${ctx.extension.extension.id}#getStarted`, false)));
  // the Dev Container panel (a webview; restored after a window reload by its serializer)
  const panels = new DevContainerPanels(ctx);
  ctx.extension.subscriptions.push(panels);
  register(Commands.showPanel, (arg) => showPanel(ctx, panels, arg));
  // the Traces and Pressure panels (one each per window) and the pressure status-bar item
  const traces = new TracesPanels(ctx);
  const pressure = new PressureMonitor(ctx);
  ctx.extension.subscriptions.push(traces, pressure);
  register(Commands.showTraces, () => traces.show());
  register(Commands.showPressure, () => pressure.show());
}

/** What the commands share per extension context: the open terminals and the container output views. */
const services = new WeakMap<Ctx, { terminals: ContainerTerminals; output: ContainerOutput }>();

/** The command each action of the quick pick runs (so that a pick counts as the command, e.g. for the walkthrough). */
const ACTION_COMMANDS: Partial<Record<ActionId, CommandId>> = {
  start: Commands.start,
  stop: Commands.stop,
  rebuild: Commands.rebuild,
  remove: Commands.removeContainer,
  openTerminal: Commands.openTerminal,
  showContainerLogs: Commands.showContainerLogs,
  openPorts: Commands.openPorts,
  showPanel: Commands.showPanel,
  openConfig: Commands.openConfig,
};

const ACTIONS: Record<ActionId, { label: string; detail: string; run: (ctx: Ctx, project: Project) => Promise<unknown> }> = {
  start: { label: '$(play) Start', detail: 'Create or start the dev container and run its lifecycle commands', run: (ctx, p) => ctx.containers.up(p) },
  stop: { label: '$(primitive-square) Stop', detail: 'Stop the dev container (it is kept; Start resumes it)', run: (ctx, p) => ctx.containers.stop(p) },
  rebuild: { label: '$(refresh) Rebuild', detail: 'Remove the container and create it again from the current config', run: (ctx, p) => ctx.containers.up(p, true) },
  remove: { label: '$(trash) Remove Container', detail: 'Delete the dev container (hb down); the image, volumes and config stay, and Start makes a new one', run: (ctx, p) => removeContainer(ctx, p) },
  openTerminal: { label: '$(terminal) Open Terminal', detail: 'A shell in the container, as the remote user, in the workspace folder', run: (ctx, p) => openTerminal(ctx, p) },
  openPorts: {
    label: '$(plug) Open Ports',
    detail: 'The forwarded ports: open one in the browser, copy its address, stop forwarding it, or forward another',
    run: (_ctx, p) => Promise.resolve(vscode.commands.executeCommand(Commands.openPorts, { folder: p.folder.uri.fsPath })),
  },
  retryDocker: {
    label: '$(debug-disconnect) Retry Connecting to Docker',
    detail: 'Docker is not running or cannot be reached: start it, then ask again',
    run: (ctx) => retryDocker(ctx),
  },
  reopenInContainer: {
    label: '$(remote) Reopen in Container',
    detail: 'Hand this window to the Dev Containers extension; it attaches to the container HyperBox made',
    run: (ctx) => reopenInContainer(ctx),
  },
  showContainerLogs: {
    label: '$(list-flat) Show Container Output',
    detail: 'What the container and its lifecycle commands print (docker logs), following it while it runs',
    run: (ctx, p) => services.get(ctx)!.output.show(p),
  },
  showPanel: {
    label: '$(graph) Show Dev Container Panel',
    detail: 'The container, the startup timeline of the last up, the detected stack and the resolved config',
    run: (_ctx, p) => Promise.resolve(vscode.commands.executeCommand(Commands.showPanel, { folder: p.folder.uri.fsPath })),
  },
  manageTrust: {
    label: '$(shield) Manage Workspace Trust',
    detail: 'Restricted Mode: HyperBox runs nothing until you trust this folder',
    run: () => Promise.resolve(vscode.commands.executeCommand(BuiltinCommands.manageTrust)),
  },
  openConfig: { label: '$(go-to-file) Open Config', detail: '', run: (_ctx, p) => Promise.resolve(p.choice.kind === 'chosen' ? vscode.window.showTextDocument(vscode.Uri.file(p.choice.configFile)) : undefined) },
  showLogs: { label: '$(output) Show HyperBox Log', detail: "HyperBox's own log: the engine, each start and stop, build and lifecycle output as it runs", run: (ctx) => Promise.resolve(ctx.log.show()) },
};

/** The quick pick of what makes sense now for the focused project (the status bar item's click). */
async function showActions(ctx: Ctx): Promise<void> {
  const chosen = await chosenConfig(ctx, 'Actions for which folder?');
  if (!chosen) return;
  const ids = ctx.actionsOf(chosen.project);
  if (ids.length === 0) {
    void vscode.window.showInformationMessage('HyperBox: the engine is not running, so nothing can be done with the dev container. Run "HyperBox: Restart Engine".');
    return;
  }
  const picked = await vscode.window.showQuickPick(
    ids.map((id) => ({ label: ACTIONS[id].label, detail: ACTIONS[id].detail || undefined, id })),
    { placeHolder: `HyperBox: ${chosen.project.folder.name}` },
  );
  if (!picked) return;
  const command = ACTION_COMMANDS[picked.id];
  if (command) await vscode.commands.executeCommand(command, { folder: chosen.project.folder.uri.fsPath });
  else await ACTIONS[picked.id].run(ctx, chosen.project);
}

/** Start, Stop, Rebuild from the palette: says why when the action does not apply now. */
type ContainerActionId = 'start' | 'stop' | 'rebuild' | 'remove' | 'openTerminal' | 'showContainerLogs';

async function containerAction(ctx: Ctx, id: ContainerActionId, arg?: unknown): Promise<void> {
  const chosen = await chosenConfig(ctx, id === 'openTerminal' ? 'Open a terminal in the dev container of which folder?' : `${id[0].toUpperCase()}${id.slice(1)} the dev container of which folder?`, arg);
  if (!chosen) return;
  const { project } = chosen;
  if ((id === 'start' || id === 'rebuild') && !vscode.workspace.isTrusted) {
    await ctx.containers.up(project); // says why nothing runs in Restricted Mode
    return;
  }
  if (!ctx.actionsOf(project).includes(id)) {
    void vscode.window.showInformationMessage(whyNot(ctx, project, id));
    return;
  }
  await ACTIONS[id].run(ctx, project);
}

function whyNot(ctx: Ctx, project: Project, id: ContainerActionId): string {
  const name = project.folder.name;
  if (ctx.engineState.kind !== 'running') return 'HyperBox: the engine is not running. Run "HyperBox: Restart Engine" to start it.';
  if (project.container.busy) return `HyperBox: the dev container of ${name} is busy (${project.container.busy.kind}); wait for it to finish.`;
  if (id === 'stop') return `HyperBox: the dev container of ${name} is not running, so there is nothing to stop.`;
  if (id === 'showContainerLogs') return `HyperBox: ${name} has no dev container yet, so it has no output. Start it first.`;
  if (id === 'remove') return `HyperBox: ${name} has no dev container to remove.`;
  if (id === 'openTerminal') {
    return vscode.workspace.isTrusted
      ? `HyperBox: the dev container of ${name} is not running, so there is nothing to open a terminal in. Run "HyperBox: Start Dev Container" first.`
      : `HyperBox: the dev container of ${name} is not running, and in Restricted Mode HyperBox starts nothing. Trust the folder, then start it.`;
  }
  if (!project.result) return `HyperBox: the config of ${name} is still being checked; try again in a moment.`;
  if (project.result.problems.some((p) => p.severity === 'error')) return `HyperBox: the config of ${name} has errors (see the Problems panel); fix them, then ${id}.`;
  if (id === 'start') return `HyperBox: the dev container of ${name} is already running.`;
  return `HyperBox: the dev container of ${name} cannot be rebuilt now.`;
}

/** The Dev Container panel of the folder the command is about (a view node, the focused project, or one picked). */
async function showPanel(ctx: Ctx, panels: DevContainerPanels, arg?: unknown): Promise<void> {
  const chosen = await chosenConfig(ctx, 'Show the dev container panel of which folder?', arg);
  if (chosen) panels.show(chosen.project);
}

/** After "Docker not running": asks the engine about every container again and says what it found. */
async function retryDocker(ctx: Ctx): Promise<void> {
  if (ctx.engineState.kind !== 'running') {
    void vscode.window.showInformationMessage('HyperBox: the engine is not running, so it cannot look for Docker. Run "HyperBox: Restart Engine".');
    return;
  }
  const unreachable = () => ctx.projects.list().filter((p) => containerView(p.container).kind === 'noDocker');
  const before = unreachable().length;
  // a notification, so the click visibly does something
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'HyperBox: looking for Docker…' }, () => ctx.containers.refreshAll());
  const still = unreachable();
  if (still.length > 0) {
    const retry = 'Retry';
    const logs = 'Show Logs';
    const answer = await vscode.window.showWarningMessage(`HyperBox still cannot reach Docker: ${still[0].container.failure}`, retry, logs);
    if (answer === retry) await retryDocker(ctx);
    else if (answer === logs) ctx.log.show();
  } else if (before > 0) {
    ctx.log.info('Docker answers again.');
    void vscode.window.showInformationMessage('HyperBox: Docker is reachable again.');
  }
}

/**
 * Hands the window to the Dev Containers extension ("Reopen in Container"). HyperBox's containers
 * carry its labels, so it finds and attaches to the one HyperBox made instead of making another.
 */
async function reopenInContainer(ctx: Ctx): Promise<void> {
  if (!vscode.extensions.getExtension(DEV_CONTAINERS_EXTENSION_ID)) {
    void vscode.window.showInformationMessage(
      `HyperBox: "Reopen in Container" hands the window to the Dev Containers extension (${DEV_CONTAINERS_EXTENSION_ID}), which is not installed. Install it, or work from this window: "HyperBox: Start Dev Container", then "HyperBox: Open Terminal in Dev Container".`,
    );
    return;
  }
  if (vscode.env.remoteName) {
    void vscode.window.showInformationMessage(`HyperBox: this window is already remote (${vscode.env.remoteName}); reopen the folder locally first to reopen it in a container.`);
    return;
  }
  const chosen = await chosenConfig(ctx, 'Reopen which folder in its dev container?');
  if (!chosen) return;
  if (!vscode.workspace.isTrusted) {
    const manage = 'Manage Workspace Trust';
    const answer = await vscode.window.showWarningMessage(
      `HyperBox hands nothing over in Restricted Mode: reopening ${chosen.project.folder.name} in a container would build images and run the config's commands. Trust the folder first.`,
      manage,
    );
    if (answer === manage) await vscode.commands.executeCommand(BuiltinCommands.manageTrust);
    return;
  }
  ctx.log.info(`${chosen.project.folder.name}: handing the window to the Dev Containers extension (Reopen in Container).`);
  await vscode.commands.executeCommand(ExternalCommands.reopenInContainer);
}

/** "Remove Container": hb down after a modal confirmation that says what goes and what stays. */
async function removeContainer(ctx: Ctx, project: Project): Promise<void> {
  const name = project.container.summary?.name;
  const remove = 'Remove Container';
  const answer = await vscode.window.showWarningMessage(
    `Remove the dev container of ${project.folder.name}${name ? ` (${name})` : ''}?`,
    {
      modal: true,
      detail:
        'Whatever was changed inside the container and not in the workspace folder or a volume is lost, and open terminals in it end. The image, the volumes and devcontainer.json stay; Start makes a new container.',
    },
    remove,
  );
  if (answer !== remove) return;
  if (await ctx.containers.remove(project)) void vscode.window.showInformationMessage(`HyperBox: removed the dev container of ${project.folder.name}.`);
}

/** A terminal in the running container (a Pseudoterminal fed by a TTY exec through the engine). */
async function openTerminal(ctx: Ctx, project: Project): Promise<void> {
  if (project.choice.kind !== 'chosen') return;
  services.get(ctx)!.terminals.create({ folder: project.folder.uri.fsPath, configFile: project.choice.configFile, folderName: project.folder.name }, project.container.summary?.name);
}

/**
 * "Add Dev Container Configuration": previews the config the engine renders for the detected stack
 * (ProjectInit with write: false), writes it on confirmation, and opens it. Never overwrites: an
 * existing config is offered for opening instead.
 */
async function addConfig(ctx: Ctx): Promise<void> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  if (folders.length === 0) {
    void vscode.window.showInformationMessage('HyperBox: no folder is open. Open the folder of your project (File > Open Folder), then run "HyperBox: Add Dev Container Configuration" again.');
    return;
  }
  const focusedUri = vscode.window.activeTextEditor?.document.uri;
  const focusedFolder = focusedUri ? vscode.workspace.getWorkspaceFolder(focusedUri) : undefined;
  let folder = folders.length === 1 ? folders[0] : undefined;
  if (!folder) {
    const picked = await vscode.window.showQuickPick(
      folders.map((f) => ({ label: f.name, description: f.uri.fsPath, folder: f, picked: f === focusedFolder })),
      { placeHolder: 'Add a dev container configuration to which folder?' },
    );
    folder = picked?.folder;
  }
  if (!folder) return;
  const preview = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: `HyperBox: detecting the stack of ${folder.name}` },
    () => ctx.request(ProjectInit, { folder: folder.uri.fsPath, write: false }),
  );
  if (preview.existing) {
    await offerExisting(folder.name, preview.existing);
    return;
  }
  const rel = path.relative(folder.uri.fsPath, preview.file);
  const rels = preview.files.map((f) => path.relative(folder.uri.fsPath, f.file));
  const names = rels.join(' and ');
  const add = preview.files.length > 1 ? 'Add Configuration Files' : 'Add Configuration';
  const show = 'Preview and Edit';
  const answer = await vscode.window.showInformationMessage(
    `HyperBox: add ${names} to ${folder.name} for ${preview.detection.label}?`,
    { modal: true, detail: `${preview.message}

${preview.detection.summary}

Nothing starts until you choose to.` },
    add,
    show,
  );
  let text: string | undefined;
  let texts: Record<string, string> | undefined;
  let edited = false;
  if (answer === show) {
    // one preview document per file; what they say when "Add" is clicked is what gets written
    const docs: vscode.TextDocument[] = [];
    for (const f of preview.files) {
      const doc = await vscode.workspace.openTextDocument({ language: f.language, content: f.text });
      await vscode.window.showTextDocument(doc, { preview: false });
      docs.push(doc);
    }
    const again = await vscode.window.showInformationMessage(
      preview.files.length > 1
        ? `HyperBox: these ${preview.files.length} files are the config for ${folder.name} (${preview.detection.label}): ${preview.files.map((f, i) => `${rels[i]} (${f.purpose})`).join(', ')}. Edit them if you like; "${add}" writes them, as they are then.`
        : `HyperBox: this is the config for ${folder.name} (${preview.detection.label}); edit it if you like. "${add}" writes it, as it is then, to ${rel}.`,
      add,
    );
    if (again !== add) return;
    text = docs[0].getText();
    texts = Object.fromEntries(preview.files.slice(1).map((f, i) => [f.file, docs[i + 1].getText()]));
    edited = docs.some((d, i) => d.getText() !== preview.files[i].text);
    // close every preview, leaving no unsaved copy behind (each must be the active editor to close)
    for (const doc of docs.reverse()) {
      if (vscode.window.activeTextEditor?.document !== doc) await vscode.window.showTextDocument(doc);
      if (vscode.window.activeTextEditor?.document === doc) await vscode.commands.executeCommand(BuiltinCommands.revertAndCloseActiveEditor);
    }
  } else if (answer !== add) {
    return;
  }
  const result = await ctx.request(ProjectInit, { folder: folder.uri.fsPath, write: true, text, texts });
  if (!result.written) {
    if (result.existing) await offerExisting(folder.name, result.existing);
    else void vscode.window.showWarningMessage(`HyperBox: ${result.message}`);
    return;
  }
  ctx.log.info(`${folder.name}: wrote ${result.files.map((f) => f.file).join(' and ')} (${result.detection.label}${edited ? ', as edited in the preview' : ''}).`);
  // a config just added is the user's to look at first: ask before anything is built or pulled
  ctx.containers.holdAutoStart(folder.uri);
  for (const f of result.files.slice(1)) await vscode.window.showTextDocument(vscode.Uri.file(f.file), { preview: false });
  await vscode.window.showTextDocument(vscode.Uri.file(result.file), { preview: false });
  await ctx.projects.refreshFolder(folder);
  const start = 'Start Dev Container';
  const go = await vscode.window.showInformationMessage(`HyperBox: added ${names}. Start the dev container of ${folder.name} now? It may pull or build an image.`, start);
  if (go === start) await vscode.commands.executeCommand(Commands.start, { folder: folder.uri.fsPath });
}

async function offerExisting(folderName: string, existing: string): Promise<void> {
  const open = 'Open It';
  const answer = await vscode.window.showInformationMessage(
    `HyperBox: ${folderName} already has a dev container config (${existing}); HyperBox never overwrites one.`,
    open,
  );
  if (answer === open) await vscode.window.showTextDocument(vscode.Uri.file(existing));
}

async function showError(ctx: Ctx, message: string): Promise<void> {
  const logs = 'Show Logs';
  const restart = 'Restart Engine';
  const actions = ctx.engineState.kind === 'running' ? [logs] : [restart, logs];
  const answer = await vscode.window.showErrorMessage(message, ...actions);
  if (answer === logs) ctx.log.show();
  else if (answer === restart) await ctx.restart();
}

function noConfigMessage(ctx: Ctx): string {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) return 'HyperBox: no folder is open. Open a folder that has a dev container config.';
  if (ctx.projects.list().some((p) => p.discovering)) return 'HyperBox is still looking for dev container configs; try again in a moment.';
  const names = folders.map((f) => f.name).join(', ');
  return `HyperBox: no dev container config in ${names}. Add one at ${LOCATIONS}.`;
}

/** The project a command is about: the active editor's, the only one, or one the user picks. */
async function pickProject(ctx: Ctx, candidates: Project[], placeHolder: string): Promise<Project | undefined> {
  if (candidates.length === 0) return undefined;
  const focused = ctx.focusedProject();
  if (focused && candidates.includes(focused)) return focused;
  if (candidates.length === 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    candidates.map((p) => ({ label: p.folder.name, description: p.folder.uri.fsPath, project: p })),
    { placeHolder },
  );
  return picked?.project;
}

/**
 * The config a command acts on: the project of `arg` (a node of the HyperBox view, or a Uri) when
 * the command was run on one, else one from pickProject; asks the user to select a config when the
 * folder has several.
 */
async function chosenConfig(ctx: Ctx, placeHolder: string, arg?: unknown): Promise<{ project: Project; configFile: string } | undefined> {
  const withConfig = ctx.projects.list().filter((p) => p.choice.kind !== 'none');
  const target = projectOfArg(ctx, arg);
  if (target && target.choice.kind === 'none') {
    void vscode.window.showInformationMessage(`HyperBox: ${target.folder.name} has no dev container config. Add one at ${LOCATIONS}, or run "HyperBox: Add Dev Container Configuration".`);
    return undefined;
  }
  if (withConfig.length === 0) {
    void vscode.window.showInformationMessage(noConfigMessage(ctx));
    return undefined;
  }
  const project = target ?? (await pickProject(ctx, withConfig, placeHolder));
  if (!project) return undefined;
  if (project.choice.kind === 'ask') await pickConfig(ctx, project);
  return project.choice.kind === 'chosen' ? { project, configFile: project.choice.configFile } : undefined;
}

/** The project a command was run on (a view node or a Uri of one of its files); undefined from the palette. */
function projectOfArg(ctx: Ctx, arg: unknown): Project | undefined {
  const folder = folderOfArg(arg);
  if (!folder) return undefined;
  return ctx.projects.list().find((p) => p.folder.uri.fsPath === folder) ?? ctx.projects.forUri(vscode.Uri.file(folder));
}

async function openConfig(ctx: Ctx, arg?: unknown): Promise<void> {
  const chosen = await chosenConfig(ctx, 'Open the dev container config of which folder?', arg);
  if (!chosen) return;
  await vscode.window.showTextDocument(vscode.Uri.file(chosen.configFile));
}

async function selectConfig(ctx: Ctx, arg?: unknown): Promise<void> {
  const target = projectOfArg(ctx, arg);
  if (target && target.configFiles.length > 1) {
    await pickConfig(ctx, target);
    return;
  }
  const projects = ctx.projects.list();
  const several = projects.filter((p) => p.configFiles.length > 1);
  if (several.length === 0) {
    const single = projects.filter((p) => p.choice.kind === 'chosen');
    void vscode.window.showInformationMessage(
      single.length > 0
        ? `HyperBox: there is nothing to choose: ${single.map((p) => `${p.folder.name} has one config (${configLabel(p.folder.uri.fsPath, p.configFiles[0])})`).join('; ')}. Add more under .devcontainer/<name>/devcontainer.json to choose between them.`
        : noConfigMessage(ctx),
    );
    return;
  }
  const project = await pickProject(ctx, several, 'Select the dev container config of which folder?');
  if (project) await pickConfig(ctx, project);
}

/** The quick pick of a folder's configs; the choice is remembered for this workspace. */
async function pickConfig(ctx: Ctx, project: Project): Promise<void> {
  const folder = project.folder.uri.fsPath;
  const current = project.choice.kind === 'chosen' ? project.choice.configFile : undefined;
  const items = project.configFiles.map((file) => ({
    label: configLabel(folder, file),
    description: file === current ? 'in use' : path.dirname(file) === path.join(folder, '.devcontainer') || path.dirname(file) === folder ? 'default location' : undefined,
    file,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    placeHolder: `Dev container config for ${project.folder.name} (remembered for this workspace)`,
  });
  if (!picked) return;
  ctx.log.info(`${project.folder.name}: using ${picked.label}.`);
  await ctx.projects.select(project, picked.file);
}

async function showResolvedConfig(ctx: Ctx): Promise<void> {
  const chosen = await chosenConfig(ctx, 'Show the resolved config of which folder?');
  if (!chosen) return;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'HyperBox: resolving config' },
    () => ctx.resolveProject(chosen.project, chosen.configFile),
  );
  await ctx.resolvedView.show(chosen.project.folder.name, configLabel(chosen.project.folder.uri.fsPath, chosen.configFile), result);
}
