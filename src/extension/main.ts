// Entry point of the VS Code extension: wiring only. activate does no synchronous I/O; the engine
// is found and spawned after it returns.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { registerContainersView, type ContainersViewHandle } from './containersView';
import { Ctx } from './context';
import { OUTPUT_CHANNEL_NAME } from './contributions';
import type { TreeNode } from './treeModel';

/** The running context, for deactivate (VS Code awaits its promise; dispose() it does not). */
let current: Ctx | undefined;
let containersView: ContainersViewHandle | undefined;

/** What the extension exports (`extension.exports`): read-only views, for integration tests. */
export interface HyperBoxApi {
  /** The status bar item's text, tooltip (Markdown) and click command, as last rendered. */
  statusBar(): { text: string; tooltip: string; command?: string } | undefined;
  /** The HyperBox view's nodes from the top (label, description, contextValue, children), as it shows them now. */
  containersTree(): TreeNode[];
}

export function activate(context: vscode.ExtensionContext): HyperBoxApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  context.subscriptions.push(log);
  try {
    const ctx = new Ctx(context, log);
    current = ctx;
    context.subscriptions.push(ctx);
    registerCommands(ctx);
    containersView = registerContainersView(ctx);
    void ctx.start();
  } catch (e) {
    const message = (e as Error)?.stack ?? String(e);
    log.error(`Activation failed: ${message}`);
    void vscode.window.showErrorMessage(
      `HyperBox could not start: ${(e as Error)?.message ?? e}. Run "HyperBox: Show Logs" for details, then reload the window.`,
    );
  }
  log.info(`HyperBox ${context.extension?.packageJSON?.version ?? ''} activated in ${(performance.now() - started).toFixed(1)} ms.`);
  return {
    statusBar: () => {
      const v = current?.status.view;
      return v && { text: v.text, tooltip: v.tooltip, command: v.command };
    },
    containersTree: () => containersView?.tree.roots() ?? [],
  };
}

export async function deactivate(): Promise<void> {
  const ctx = current;
  current = undefined;
  containersView = undefined;
  await ctx?.stop();
}
