// The commands of the palette. Each says what is wrong and what to do when it cannot act (no
// config, engine not running) instead of failing silently.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { configLabel } from './configChoice';
import { Commands } from './contributions';
import type { Ctx } from './context';
import type { Project } from './projects';

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
