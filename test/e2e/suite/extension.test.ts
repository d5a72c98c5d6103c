// Runs inside VS Code's extension host with the real `vscode` API, on a copy of
// test/fixtures/example (a folder with .devcontainer/devcontainer.json).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, waitFor } from './util';


describe('HyperBox in VS Code', function () {
  this.timeout(60_000);

  it('runs in a window on a folder with a dev container config', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1, `expected one workspace folder, got ${folders.map((f) => f.uri.toString()).join(', ') || 'none'}`);
    const configs = await vscode.workspace.findFiles('.devcontainer/devcontainer.json');
    assert.equal(configs.length, 1, 'the fixture folder should have .devcontainer/devcontainer.json');
  });

  it(`has the extension ${EXTENSION_ID}`, () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    const ours = vscode.extensions.all.filter((e) => !e.id.startsWith('vscode.')).map((e) => e.id);
    assert.ok(ext, `${EXTENSION_ID} is not loaded; non-built-in extensions: ${ours.join(', ') || 'none'}`);
  });

  it('activates by itself on that folder', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    const active = await waitFor(() => ext.isActive || undefined, 30_000);
    const events = (ext.packageJSON as { activationEvents?: string[] }).activationEvents ?? [];
    assert.ok(
      active,
      `${EXTENSION_ID} did not activate within 30 s of opening a folder with a dev container config ` +
        `(main: ${JSON.stringify((ext.packageJSON as { main?: string }).main)}, activationEvents: ${JSON.stringify(events)})`,
    );
  });

  it('registers its commands', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    if (!ext.isActive) await ext.activate();
    const registered = (await vscode.commands.getCommands(true)).filter((c) => c.startsWith('hyperbox.'));
    assert.ok(registered.length > 0, 'no command whose id starts with "hyperbox." is registered');
    // every command the manifest shows to users must have a handler behind it
    const declared = (((ext.packageJSON as { contributes?: { commands?: { command: string }[] } }).contributes?.commands) ?? [])
      .map((c) => c.command);
    const missing = declared.filter((c) => !registered.includes(c));
    assert.deepEqual(missing, [], `declared in package.json but not registered: ${missing.join(', ')}`);
  });

  it('names the project by its stack in the status bar and follows the dev container from the engine', async () => {
    const ext = vscode.extensions.getExtension<{ statusBar(): { text: string; tooltip: string; command?: string } | undefined }>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    const api = ext.isActive ? ext.exports : await ext.activate();
    // the example is an Express app on npm; its container state comes from the engine
    const CONTAINER = /: ((no |starting |rebuilding |stopping )?dev container( (running|stopped|stale|error))?(, stale)?|Docker not running|Restricted Mode)$/;
    const view = await waitFor(() => {
      const v = api.statusBar();
      return v && v.text.includes('JavaScript · Express · npm') && CONTAINER.test(v.text) ? v : undefined;
    }, 45_000);
    assert.ok(view, `the status bar shows ${JSON.stringify(api.statusBar())}`);
    assert.match(view.tooltip, /Evidence/);
    const registered = await vscode.commands.getCommands(true);
    for (const id of ['hyperbox.addConfig', 'hyperbox.showActions', 'hyperbox.start', 'hyperbox.stop', 'hyperbox.rebuild', 'hyperbox.openTerminal']) {
      assert.ok(registered.includes(id), `${id} is not registered`);
    }
  });
});
