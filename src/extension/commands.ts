// The commands of the palette. Each says what is wrong and what to do when it cannot act (no
// config, engine not running) instead of failing silently.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ProjectInit, RuntimeContainerLogs } from '../protocol';
import { installCli, uninstallCli } from './cliInstall';
import { configLabel } from './configChoice';
import type { ActionId } from './containerState';
import { BuiltinCommands, Commands } from './contributions';
import type { Ctx } from './context';
import type { Project } from './projects';
import { ContainerTerminal } from './terminal';

const LOCATIONS = '.devcontainer/devcontainer.json, .devcontainer.json or .devcontainer/<name>/devcontainer.json';

export function registerCommands(ctx: Ctx): void {
  const register = (id: string, run: () => Promise<unknown> | unknown) =>
    ctx.extension.subscriptions.push(
      vscode.commands.registerCommand(id, async () => {
        try {
          return await run();
        } catch (e) {
          const message = (e as Error).message;
          ctx.log.error(`${id}: ${message}`);
          void showError(ctx, message);
        }
      }),
    );

  register(Commands.showLogs, () => ctx.log.show());
  register(Commands.restartEngine, () => ctx.restart());
  register(Commands.openConfig, () => openConfig(ctx));
  register(Commands.selectConfig, () => selectConfig(ctx));
  register(Commands.showResolvedConfig, () => showResolvedConfig(ctx));
  register(Commands.addConfig, () => addConfig(ctx));
  register(Commands.showActions, () => showActions(ctx));
  register(Commands.start, () => containerAction(ctx, 'start'));
  register(Commands.stop, () => containerAction(ctx, 'stop'));
  register(Commands.rebuild, () => containerAction(ctx, 'rebuild'));
  register(Commands.openTerminal, () => containerAction(ctx, 'openTerminal'));
  register(Commands.showContainerLogs, () => containerAction(ctx, 'showContainerLogs'));
  const cliEnv = () => ({ extensionPath: ctx.extension.extensionPath, log: ctx.log, options: ctx.cliInstallOptions });
  register(Commands.installCli, () => installCli(cliEnv()));
  register(Commands.uninstallCli, () => uninstallCli(cliEnv()));
}

const ACTIONS: Record<ActionId, { label: string; detail: string; run: (ctx: Ctx, project: Project) => Promise<unknown> }> = {
  start: { label: '$(play) Start', detail: 'Create or start the dev container and run its lifecycle commands', run: (ctx, p) => ctx.containers.up(p) },
  stop: { label: '$(primitive-square) Stop', detail: 'Stop the dev container (it is kept; Start resumes it)', run: (ctx, p) => ctx.containers.stop(p) },
  rebuild: { label: '$(refresh) Rebuild', detail: 'Remove the container and create it again from the current config', run: (ctx, p) => ctx.containers.up(p, true) },
  openTerminal: { label: '$(terminal) Open Terminal', detail: 'A shell in the container, as the remote user, in the workspace folder', run: (ctx, p) => openTerminal(ctx, p) },
  showContainerLogs: { label: '$(list-flat) Show Container Logs', detail: 'What the container and its lifecycle commands printed', run: (ctx, p) => showContainerLogs(ctx, p) },
  manageTrust: {
    label: '$(shield) Manage Workspace Trust',
    detail: 'Restricted Mode: HyperBox runs nothing until you trust this folder',
    run: () => Promise.resolve(vscode.commands.executeCommand(BuiltinCommands.manageTrust)),
  },
  openConfig: { label: '$(go-to-file) Open Config', detail: '', run: (_ctx, p) => Promise.resolve(p.choice.kind === 'chosen' ? vscode.window.showTextDocument(vscode.Uri.file(p.choice.configFile)) : undefined) },
  showLogs: { label: '$(output) Show Logs', detail: '', run: (ctx) => Promise.resolve(ctx.log.show()) },
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
  if (picked) await ACTIONS[picked.id].run(ctx, chosen.project);
}

/** Start, Stop, Rebuild from the palette: says why when the action does not apply now. */
type ContainerActionId = 'start' | 'stop' | 'rebuild' | 'openTerminal' | 'showContainerLogs';

async function containerAction(ctx: Ctx, id: ContainerActionId): Promise<void> {
  const chosen = await chosenConfig(ctx, id === 'openTerminal' ? 'Open a terminal in the dev container of which folder?' : `${id[0].toUpperCase()}${id.slice(1)} the dev container of which folder?`);
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
  if (id === 'showContainerLogs') return `HyperBox: ${name} has no dev container yet, so there are no container logs. Start it first.`;
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

/** The container's logs so far, in an editor tab (the last MiB). */
async function showContainerLogs(ctx: Ctx, project: Project): Promise<void> {
  if (project.choice.kind !== 'chosen') return;
  const { text, truncated } = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: `HyperBox: reading the container logs of ${project.folder.name}` },
    () => ctx.request(RuntimeContainerLogs, { folder: project.folder.uri.fsPath, configFile: (project.choice as { configFile: string }).configFile }),
  );
  const head = truncated ? '(older output left out; hb logs prints all of it)\n' : '';
  const doc = await vscode.workspace.openTextDocument({ language: 'log', content: `${head}${text || '(the container has printed nothing yet)\n'}` });
  await vscode.window.showTextDocument(doc, { preview: true });
}

/** A terminal in the running container (a Pseudoterminal fed by a TTY exec through the engine). */
async function openTerminal(ctx: Ctx, project: Project): Promise<void> {
  if (project.choice.kind !== 'chosen') return;
  const pty = new ContainerTerminal(
    {
      request: (type, params, opts) => ctx.request(type, params, opts),
      notify: (type, params) => ctx.notify(type, params),
      onNotification: (type, handler) => ctx.onNotification(type, handler),
    },
    { folder: project.folder.uri.fsPath, configFile: project.choice.configFile, folderName: project.folder.name },
  );
  const name = project.container.summary?.name;
  const terminal = vscode.window.createTerminal({ name: `HyperBox: ${project.folder.name}${name ? ` (${name})` : ''}`, pty, iconPath: new vscode.ThemeIcon('vm') });
  terminal.show();
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
  const add = 'Add Configuration';
  const show = 'Preview';
  const answer = await vscode.window.showInformationMessage(
    `HyperBox: add ${rel} to ${folder.name} for ${preview.detection.label}?`,
    { modal: true, detail: `${preview.message}

${preview.detection.summary}` },
    add,
    show,
  );
  if (answer === show) {
    const doc = await vscode.workspace.openTextDocument({ language: 'jsonc', content: preview.text });
    await vscode.window.showTextDocument(doc, { preview: true });
    const again = await vscode.window.showInformationMessage(`HyperBox: this is the config for ${folder.name} (${preview.detection.label}). Add it as ${rel}?`, add);
    if (again !== add) return;
  } else if (answer !== add) {
    return;
  }
  const result = await ctx.request(ProjectInit, { folder: folder.uri.fsPath, write: true });
  if (!result.written) {
    if (result.existing) await offerExisting(folder.name, result.existing);
    else void vscode.window.showWarningMessage(`HyperBox: ${result.message}`);
    return;
  }
  ctx.log.info(`${folder.name}: wrote ${result.file} (${result.detection.label}).`);
  await vscode.window.showTextDocument(vscode.Uri.file(result.file));
  void ctx.projects.refreshFolder(folder);
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

/** The config a command acts on; asks the user to select one when the folder has several. */
async function chosenConfig(ctx: Ctx, placeHolder: string): Promise<{ project: Project; configFile: string } | undefined> {
  const withConfig = ctx.projects.list().filter((p) => p.choice.kind !== 'none');
  if (withConfig.length === 0) {
    void vscode.window.showInformationMessage(noConfigMessage(ctx));
    return undefined;
  }
  const project = await pickProject(ctx, withConfig, placeHolder);
  if (!project) return undefined;
  if (project.choice.kind === 'ask') await pickConfig(ctx, project);
  return project.choice.kind === 'chosen' ? { project, configFile: project.choice.configFile } : undefined;
}

async function openConfig(ctx: Ctx): Promise<void> {
  const chosen = await chosenConfig(ctx, 'Open the dev container config of which folder?');
  if (!chosen) return;
  await vscode.window.showTextDocument(vscode.Uri.file(chosen.configFile));
}

async function selectConfig(ctx: Ctx): Promise<void> {
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
