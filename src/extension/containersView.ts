// The HyperBox view in the activity bar ("Dev Containers"): renders the nodes treeModel.ts builds
// from the projects, their containers (Containers), ports and lifecycle results (ProjectDetails),
// following the engine live, and registers the commands of its nodes (ports, recommended
// extensions, refresh).
import * as vscode from 'vscode';
import { configLabel } from './configChoice';
import type { Ctx } from './context';
import { BuiltinCommands, Commands, Views } from './contributions';
import { ProjectDetails } from './details';
import { registerPortCommands } from './ports';
import type { Project } from './projects';
import { buildTree, configHooks, recommendedExtensions, type ProjectInput, type TreeInput, type TreeNode } from './treeModel';

/** How long changes are gathered before the tree is redrawn (events come in bursts). */
const REDRAW_MS = 50;

export class ContainersTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined | void>();
  private timer: NodeJS.Timeout | undefined;
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly ctx: Ctx) {}

  /** What the view shows now, from the top. */
  roots(): TreeNode[] {
    return buildTree(this.input());
  }

  getChildren(node?: TreeNode): TreeNode[] {
    return node ? (node.children ?? []) : this.roots();
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const collapsible =
      node.children === undefined
        ? vscode.TreeItemCollapsibleState.None
        : node.expanded
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(node.label, collapsible);
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.contextValue = node.contextValue;
    if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon.id, node.icon.color ? new vscode.ThemeColor(node.icon.color) : undefined);
    if (node.command) item.command = node.command;
    return item;
  }

  /** Redraws soon (changes in one burst make one redraw). */
  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.emitter.fire();
    }, REDRAW_MS);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.emitter.dispose();
  }

  private input(): TreeInput {
    const installed = new Set((vscode.extensions?.all ?? []).map((e) => e.id.toLowerCase()));
    return {
      engineRunning: this.ctx.engineState.kind === 'running',
      trusted: vscode.workspace.isTrusted,
      installedExtensions: installed,
      projects: this.ctx.projects.list().map((p) => projectInput(this.ctx, p)),
    };
  }
}

/** The view's input for a project: its model (the one every surface renders) and what only the view lists. */
function projectInput(ctx: Ctx, p: Project): ProjectInput {
  const m = ctx.model(p);
  const config = p.result?.config;
  return {
    folder: m.folder,
    folderName: m.folderName,
    configLabel: p.choice.kind === 'chosen' ? configLabel(p.folder.uri.fsPath, p.choice.configFile) : undefined,
    state: m.view.state,
    container: m.container,
    summary: m.summary,
    ports: m.ports,
    timeline: m.timeline,
    hooks: configHooks(config),
    extensions: recommendedExtensions(config),
    actions: m.actions,
    compose: p.result?.kind === 'compose',
    discovering: m.discovering,
    reload: m.reload,
  };
}

/** What the view offers to the rest of the extension (and to integration tests through the API). */
export interface ContainersViewHandle {
  tree: ContainersTree;
  details: ProjectDetails;
}

/** Creates the view, its data and its commands; everything is disposed with the extension. */
export function registerContainersView(ctx: Ctx): ContainersViewHandle {
  const subs = ctx.extension.subscriptions;
  const details = ctx.details;
  const tree = new ContainersTree(ctx);
  const view = vscode.window.createTreeView(Views.containers, { treeDataProvider: tree, showCollapseAll: true });
  subs.push(
    tree,
    view,
    // every change of the model (projects, containers, ports, timelines, output) renders
    ctx.onDidRender(() => tree.changed()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => tree.changed()),
  );
  if (vscode.extensions?.onDidChange) subs.push(vscode.extensions.onDidChange(() => tree.changed()));

  const register = (id: string, run: (...args: unknown[]) => unknown) =>
    subs.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await run(...args);
        } catch (e) {
          const message = (e as Error).message;
          ctx.log.error(`${id}: ${message}`);
          void vscode.window.showErrorMessage(message);
        }
      }),
    );
  register(Commands.refreshView, async () => {
    await ctx.containers.refreshAll();
    await details.refresh();
    tree.changed();
  });
  register(Commands.installRecommendedExtension, (arg) => installExtension(ctx, arg));
  register(Commands.showExtension, (arg) => {
    const id = extensionIdOf(arg);
    return id ? vscode.commands.executeCommand(BuiltinCommands.openExtension, id) : undefined;
  });
  registerPortCommands(ctx, details, register);
  return { tree, details };
}

/** The extension id a command was run on: an extension node, or the id itself. */
export function extensionIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const id = (arg as { extensionId?: unknown } | undefined)?.extensionId;
  return typeof id === 'string' ? id : undefined;
}

async function installExtension(ctx: Ctx, arg: unknown): Promise<void> {
  const id = extensionIdOf(arg);
  if (!id) {
    void vscode.window.showInformationMessage('HyperBox: choose an extension under "Recommended Extensions" in the HyperBox view to install it.');
    return;
  }
  ctx.log.info(`Installing ${id}, which the dev container config recommends.`);
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `HyperBox: installing ${id}` }, async () => {
    try {
      await vscode.commands.executeCommand(BuiltinCommands.installExtension, id);
    } catch (e) {
      throw new Error(`HyperBox could not install ${id}: ${(e as Error).message}. Check the id in customizations.vscode.extensions, or install it from the Extensions view.`);
    }
  });
  void vscode.window.showInformationMessage(`HyperBox: installed ${id}.`);
}
