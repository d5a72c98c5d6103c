// Problems in devcontainer.json, in the Problems panel at the engine's line and column: a
// DiagnosticCollection fed by ConfigResolve, re-validated on save and, debounced, as the user
// types (the unsaved text goes to the engine).
import * as vscode from 'vscode';
import type { ResolvedConfig } from '../protocol';
import { KeyedDebouncer } from './debounce';
import { problemsByFile, reportedByEditor, type DiagnosticData } from './problems';

export const DIAGNOSTIC_SOURCE = 'HyperBox';

export function toDiagnostic(d: DiagnosticData): vscode.Diagnostic {
  const r = d.range;
  const diagnostic = new vscode.Diagnostic(
    new vscode.Range(r.startLine, r.startCharacter, r.endLine, r.endCharacter),
    d.message,
    d.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error,
  );
  diagnostic.source = DIAGNOSTIC_SOURCE;
  if (d.code) diagnostic.code = d.code;
  return diagnostic;
}

export class ConfigDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('hyperbox');
  /** For each validated config, the files its last result put diagnostics on. */
  private readonly owned = new Map<string, Set<string>>();
  /** What is shown for each file, with the engine's fixes (the quick fixes read them). */
  private readonly shown = new Map<string, DiagnosticData[]>();

  /** The problems shown for a file, as the engine reported them (with their fixes). */
  problemsOf(file: string): readonly DiagnosticData[] {
    return this.shown.get(file) ?? [];
  }

  /** Replaces the diagnostics from the last result for `configFile` with this result's. */
  show(configFile: string, result: ResolvedConfig): void {
    // a problem the editor's JSON checker already marks in an open document is shown once, by it
    const open = new Map(vscode.workspace.textDocuments.filter((d) => d.uri.scheme === 'file').map((d) => [d.uri.fsPath, d.getText()]));
    const byFile = problemsByFile({ ...result, problems: result.problems.filter((p) => !(open.has(p.file) && reportedByEditor(p, open.get(p.file)!))) });
    const previous = this.owned.get(configFile) ?? new Set<string>();
    for (const file of previous) {
      if (byFile.has(file)) continue;
      this.collection.delete(vscode.Uri.file(file));
      this.shown.delete(file);
    }
    for (const [file, list] of byFile) {
      this.collection.set(vscode.Uri.file(file), list.map(toDiagnostic));
      this.shown.set(file, list);
    }
    this.owned.set(configFile, new Set(byFile.keys()));
  }

  clear(configFile: string): void {
    for (const file of this.owned.get(configFile) ?? []) {
      this.collection.delete(vscode.Uri.file(file));
      this.shown.delete(file);
    }
    this.owned.delete(configFile);
  }

  clearAll(): void {
    this.collection.clear();
    this.owned.clear();
    this.shown.clear();
  }

  dispose(): void {
    this.collection.dispose();
  }
}

/** What live validation needs from the projects. */
export interface ConfigValidator {
  /** Whether the file is a dev container config of a workspace folder. */
  isConfigFile(file: string): boolean;
  /** Validates a config; `text` is the unsaved editor content, else the file on disk is read. */
  validateFile(file: string, text?: string): Promise<void>;
  /** The editor closed a config: drop what only the editor's text produced. */
  closedFile(file: string): Promise<void>;
}

/** Re-validates configs as they are typed (debounced), saved, opened and closed. */
export class LiveValidation implements vscode.Disposable {
  private readonly debouncer: KeyedDebouncer;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly validator: ConfigValidator,
    delayMs = 300,
  ) {
    this.debouncer = new KeyedDebouncer(delayMs);
    const isConfig = (doc: vscode.TextDocument) => doc.uri.scheme === 'file' && validator.isConfigFile(doc.uri.fsPath);
    this.subscriptions.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0 || !isConfig(e.document)) return;
        const doc = e.document;
        this.debouncer.schedule(doc.uri.fsPath, () => void validator.validateFile(doc.uri.fsPath, doc.getText()));
      }),
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (!isConfig(doc)) return;
        this.debouncer.cancel(doc.uri.fsPath);
        void validator.validateFile(doc.uri.fsPath);
      }),
      vscode.workspace.onDidOpenTextDocument((doc) => {
        if (isConfig(doc)) void validator.validateFile(doc.uri.fsPath, doc.isDirty ? doc.getText() : undefined);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (!isConfig(doc)) return;
        this.debouncer.cancel(doc.uri.fsPath);
        void validator.closedFile(doc.uri.fsPath);
      }),
    );
  }

  dispose(): void {
    this.debouncer.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
