// Runs inside VS Code's extension host: a misspelled property typed into devcontainer.json gets
// HyperBox's diagnostic and a preferred quick fix (through VS Code's own code action machinery),
// and applying the fix makes the problem go away.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, waitFor } from './util';


describe('HyperBox quick fixes in devcontainer.json', function () {
  this.timeout(60_000);

  it('offers "Rename to "forwardPorts"" for a misspelled property, and the fix clears the problem', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    if (!ext.isActive) await ext.activate();
    const [uri] = await vscode.workspace.findFiles('.devcontainer/devcontainer.json');
    assert.ok(uri, 'the fixture folder should have .devcontainer/devcontainer.json');
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc);
    try {
      const at = doc.getText().indexOf('"forwardPorts"');
      assert.ok(at >= 0, 'the fixture config has "forwardPorts"');
      const key = new vscode.Range(doc.positionAt(at), doc.positionAt(at + '"forwardPorts"'.length));
      // type the mistake (unsaved: HyperBox checks the editor's text)
      assert.ok(await editor.edit((e) => e.replace(key, '"forwardPort"')));
      const ours = () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'HyperBox');
      const diagnostic = await waitFor(() => ours().find((d) => d.message.includes('Did you mean "forwardPorts"')), 20_000);
      assert.ok(diagnostic, `no HyperBox diagnostic for "forwardPort"; diagnostics: ${JSON.stringify(ours().map((d) => d.message))}`);
      assert.equal(doc.getText(diagnostic.range), '"forwardPort"', 'the diagnostic underlines the misspelled key');

      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
      const fix = actions.find((a) => a.title === 'Rename to "forwardPorts"');
      assert.ok(fix, `no quick fix; offered: ${JSON.stringify(actions.map((a) => a.title))}`);
      assert.equal(fix.isPreferred, true);
      assert.ok(fix.edit, 'the quick fix carries its edit');
      assert.ok(await vscode.workspace.applyEdit(fix.edit));
      // the key is back as it was, the rest of the text untouched
      assert.equal(doc.getText().indexOf('"forwardPorts"'), at, doc.getText());
      assert.ok(!doc.getText().includes('"forwardPort"'), doc.getText());
      const cleared = await waitFor(() => !ours().some((d) => d.message.includes('"forwardPort"')) || undefined, 20_000);
      assert.ok(cleared, `the problem stays after the fix: ${JSON.stringify(ours().map((d) => d.message))}`);
    } finally {
      await vscode.commands.executeCommand('workbench.action.files.revert');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    }
  });
});
