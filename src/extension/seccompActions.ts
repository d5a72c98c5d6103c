// The code action in devcontainer.json: where securityOpt or runArgs has `seccomp=unconfined`, or
// where the config sets no seccomp profile, "Generate a seccomp profile from what the workload
// does" runs HyperBox: Generate Seccomp Profile and then offers to apply it (after the user confirms).
import * as vscode from 'vscode';
import { CONFIG_DOCUMENTS } from './codeActions';
import { Commands } from './contributions';
import { seccompOffers } from './seccompOffer';

export class SeccompCodeActions implements vscode.CodeActionProvider {
  static readonly kind = vscode.CodeActionKind.QuickFix.append('hyperbox.seccomp');
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [SeccompCodeActions.kind] };

  static register(): vscode.Disposable {
    return vscode.languages.registerCodeActionsProvider(CONFIG_DOCUMENTS, new SeccompCodeActions(), SeccompCodeActions.metadata);
  }

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection): vscode.CodeAction[] {
    const offers = seccompOffers(document.getText()).filter((o) => new vscode.Range(document.positionAt(o.start), document.positionAt(o.end)).intersection(range) !== undefined);
    if (!offers.length) return [];
    const folder = vscode.workspace.getWorkspaceFolder(document.uri)?.uri.fsPath;
    const action = new vscode.CodeAction(
      offers[0].kind === 'unconfined' ? 'Replace seccomp=unconfined with a profile generated from what the workload does (HyperBox)' : 'Generate a seccomp profile from what the workload does (HyperBox)',
      SeccompCodeActions.kind,
    );
    action.command = { command: Commands.generateSeccomp, title: action.title, arguments: [{ folder, configFile: document.uri.fsPath, offerApply: true }] };
    return [action];
  }
}
