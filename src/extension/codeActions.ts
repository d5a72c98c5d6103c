// Quick fixes in devcontainer.json: the engine's did-you-mean problems carry a fix ("Rename to
// "forwardPorts"", "Change to "none""); this turns each into a preferred QuickFix with a
// WorkspaceEdit, plus one "fix all" when a file has several. The choices are in quickFixes.ts.
import * as vscode from 'vscode';
import { DIAGNOSTIC_SOURCE, type ConfigDiagnostics } from './diagnostics';
import type { ZeroBasedRange } from './problems';
import { allFixes, quickFixesFor } from './quickFixes';

/** The documents the provider serves: dev container configs on disk. */
export const CONFIG_DOCUMENTS: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/{devcontainer.json,.devcontainer.json}' }];

const toRange = (r: ZeroBasedRange) => new vscode.Range(r.startLine, r.startCharacter, r.endLine, r.endCharacter);
const fromRange = (r: vscode.Range): ZeroBasedRange => ({ startLine: r.start.line, startCharacter: r.start.character, endLine: r.end.line, endCharacter: r.end.character });

export class ConfigQuickFixes implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly diagnostics: Pick<ConfigDiagnostics, 'problemsOf'>) {}

  /** Registers the provider for dev container configs. */
  static register(diagnostics: Pick<ConfigDiagnostics, 'problemsOf'>): vscode.Disposable {
    return vscode.languages.registerCodeActionsProvider(CONFIG_DOCUMENTS, new ConfigQuickFixes(diagnostics), ConfigQuickFixes.metadata);
  }

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    if (context.only && !context.only.contains(vscode.CodeActionKind.QuickFix)) return [];
    const known = this.diagnostics.problemsOf(document.uri.fsPath);
    if (!known.some((k) => k.fix)) return [];
    const textAt = (r: ZeroBasedRange) => document.getText(toRange(r));
    const shown = context.diagnostics.map((d) => ({ range: fromRange(d.range), message: d.message, source: d.source }));
    const actions = quickFixesFor(known, shown, textAt, DIAGNOSTIC_SOURCE).map((fix) => {
      const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
      action.edit = new vscode.WorkspaceEdit();
      action.edit.replace(document.uri, toRange(fix.range), fix.replacement);
      action.diagnostics = [context.diagnostics[fix.diagnostic]];
      action.isPreferred = fix.isPreferred;
      return action;
    });
    const all = actions.length > 0 ? allFixes(known, textAt) : [];
    if (all.length > 0) {
      const action = new vscode.CodeAction(`Apply all ${all.length} HyperBox fixes in this file`, vscode.CodeActionKind.QuickFix);
      action.edit = new vscode.WorkspaceEdit();
      for (const e of all) action.edit.replace(document.uri, toRange(e.range), e.replacement);
      actions.push(action);
    }
    return actions;
  }
}
