// The HyperBox view in the activity bar, inside VS Code's extension host with the real `vscode`
// API, on a copy of test/fixtures/example (one folder with .devcontainer/devcontainer.json).
// The suite is compiled file by file, so ids come from the manifest, not from src/.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, waitFor } from './util';


interface Node {
  label: string;
  kind: string;
  folder: string;
  contextValue: string;
  children?: Node[];
}

interface Manifest {
  contributes: {
    viewsContainers: { activitybar: { id: string; title: string }[] };
    views: Record<string, { id: string }[]>;
    menus: Record<string, { command: string }[]>;
  };
}

describe('the HyperBox view', function () {
  this.timeout(60_000);

  it('is in the activity bar, its menus\' commands are registered, and it shows the example folder as a project', async () => {
    const ext = vscode.extensions.getExtension<{ containersTree(): Node[] }>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    const api = ext.isActive ? ext.exports : await ext.activate();
    const manifest = ext.packageJSON as Manifest;
    const [container] = manifest.contributes.viewsContainers.activitybar;
    assert.equal(container.title, 'HyperBox');
    const [view] = manifest.contributes.views[container.id];

    // the workbench knows the container and the view: opening them works
    await vscode.commands.executeCommand(`workbench.view.extension.${container.id}`);
    await vscode.commands.executeCommand(`${view.id}.focus`);

    const registered = await vscode.commands.getCommands(true);
    const menuCommands = new Set([...manifest.contributes.menus['view/item/context'], ...manifest.contributes.menus['view/title']].map((e) => e.command));
    const missing = [...menuCommands].filter((id) => !registered.includes(id));
    assert.deepEqual(missing, [], `in the view's menus but not registered: ${missing.join(', ')}`);
    for (const id of ['hyperbox.openPorts', 'hyperbox.forwardPort', 'hyperbox.refreshView']) assert.ok(registered.includes(id), `${id} is not registered`);

    const [folder] = vscode.workspace.workspaceFolders ?? [];
    assert.ok(folder, 'the window has no folder');
    // once the engine has checked the config, the folder is a project with its container and lifecycle commands
    const nodes = await waitFor(() => {
      const roots = api.containersTree();
      return roots.length === 1 && roots[0].children?.some((c) => c.kind === 'container') ? roots : undefined;
    }, 45_000);
    assert.ok(nodes, `the view shows ${JSON.stringify(api.containersTree().map((n) => ({ label: n.label, contextValue: n.contextValue })))}`);
    const [project] = nodes;
    assert.equal(project.kind, 'project');
    assert.equal(project.label, folder.name);
    assert.equal(project.folder, folder.uri.fsPath);
    assert.match(project.contextValue, /^project\b.*\bopenConfig\b/);
    const lifecycle = project.children?.find((c) => c.kind === 'lifecycle');
    assert.ok(lifecycle, `no Lifecycle Commands node: ${JSON.stringify(project.children?.map((c) => c.label))}`);
    // the config's own lifecycle commands, in the spec's order
    const text = (await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, '.devcontainer', 'devcontainer.json'))).toString();
    const hooks = ['initializeCommand', 'onCreateCommand', 'updateContentCommand', 'postCreateCommand', 'postStartCommand', 'postAttachCommand'].filter((h) => text.includes(`"${h}"`));
    assert.ok(hooks.length > 0, 'the example config has lifecycle commands');
    assert.deepEqual(lifecycle.children?.map((c) => c.label), hooks, 'the example config\'s lifecycle commands');
  });
});
