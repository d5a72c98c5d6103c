// Read-only documents showing a resolved config (what `hb config --json` prints): a content
// provider under its own scheme, so the editor never offers to save them.
import * as vscode from 'vscode';
import type { ResolvedConfig } from '../protocol';
import { RESOLVED_SCHEME } from './contributions';

export class ResolvedConfigView implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  private readonly registration: vscode.Disposable;

  readonly onDidChange = this.emitter.event;

  constructor() {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(RESOLVED_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '// Run "HyperBox: Show Resolved Config" to show this config again.\n';
  }

  /** Opens (or refreshes) the resolved view of a folder's config. */
  async show(folderName: string, configLabel: string, result: ResolvedConfig): Promise<vscode.TextEditor> {
    const name = configLabel.replace(/\.json$/, '').replace(/[\\/]/g, '-');
    const uri = vscode.Uri.from({ scheme: RESOLVED_SCHEME, path: `/${folderName}/${name}.resolved.json` });
    this.contents.set(uri.toString(), JSON.stringify(result, null, 2) + '\n');
    this.emitter.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(doc, { preview: false });
  }

  dispose(): void {
    this.registration.dispose();
    this.emitter.dispose();
  }
}
