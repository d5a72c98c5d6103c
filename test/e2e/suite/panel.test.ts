// The Dev Container panel in a real VS Code: "HyperBox: Show Dev Container Panel" opens a webview
// tab for the folder (the extension host creates it without error), and running it again reveals
// that tab instead of opening a second one.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, waitFor } from './util';

const COMMAND = 'hyperbox.showPanel';
const VIEW_TYPE = 'hyperbox.devContainer';

function panelTabs(): vscode.Tab[] {
  // VS Code prefixes the view type of an extension's webview (mainThreadWebview-<viewType>)
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(VIEW_TYPE));
}

describe('HyperBox Dev Container panel', function () {
  this.timeout(60_000);

  it('opens from "HyperBox: Show Dev Container Panel" as a webview tab for the folder, once', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    if (!ext.isActive) await ext.activate();
    const title = ((ext.packageJSON as { contributes?: { commands?: { command: string; title: string }[] } }).contributes?.commands ?? []).find((c) => c.command === COMMAND)?.title;
    assert.equal(title, 'Show Dev Container Panel');
    assert.ok((await vscode.commands.getCommands(true)).includes(COMMAND), `${COMMAND} is not registered`);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'a workspace folder');
    // the folder's config must be discovered first: until then the command says so and opens nothing
    const tab = await waitFor(async () => {
      await vscode.commands.executeCommand(COMMAND);
      return panelTabs()[0];
    }, 45_000);
    assert.ok(tab, `no webview tab of type ${VIEW_TYPE} after running ${COMMAND}; tabs: ${vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => t.label).join(', ') || 'none'}`);
    assert.equal(tab.label, `Dev Container: ${folder.name}`);
    await vscode.commands.executeCommand(COMMAND);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(panelTabs().length, 1, 'running the command again reveals the same panel');
    await vscode.window.tabGroups.close(panelTabs());
    assert.equal(panelTabs().length, 0);
  });
});
