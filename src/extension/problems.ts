// From the engine's problems (1-based line and column) to editor diagnostics (0-based). Pure, so
// tests check positions without an editor; diagnostics.ts turns these into vscode objects.
import { getLocation } from 'jsonc-parser';
import type { Problem, ResolvedConfig } from '../protocol';

export interface ZeroBasedRange {
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
}

export interface DiagnosticData {
  range: ZeroBasedRange;
  severity: 'error' | 'warning';
  message: string;
  code?: string;
  /** The engine's machine-applicable fix: replace the range with `replacement` (a quick fix). */
  fix?: { title: string; replacement: string };
}

const toIndex = (n: number | undefined): number => (typeof n === 'number' && Number.isFinite(n) && n >= 1 ? Math.floor(n) - 1 : 0);

/**
 * The 0-based range of a problem. Without an end, or with an end before the start, the range is
 * empty at the start (the editor then marks the word there).
 */
export function problemRange(p: Pick<Problem, 'line' | 'column' | 'endLine' | 'endColumn'>): ZeroBasedRange {
  const startLine = toIndex(p.line);
  const startCharacter = toIndex(p.column);
  let endLine = p.endLine === undefined ? startLine : toIndex(p.endLine);
  let endCharacter = p.endColumn === undefined ? startCharacter : toIndex(p.endColumn);
  if (endLine < startLine || (endLine === startLine && endCharacter < startCharacter)) {
    endLine = startLine;
    endCharacter = startCharacter;
  }
  return { startLine, startCharacter, endLine, endCharacter };
}

export function toDiagnosticData(p: Problem): DiagnosticData {
  const d: DiagnosticData = { range: problemRange(p), severity: p.severity === 'warning' ? 'warning' : 'error', message: p.message };
  if (p.code) d.code = p.code;
  if (p.fix && typeof p.fix.title === 'string' && typeof p.fix.replacement === 'string') d.fix = { title: p.fix.title, replacement: p.fix.replacement };
  return d;
}

/**
 * A resolve result's problems grouped by the file they belong to. Problems about the folder
 * itself (no config, several configs) have no file to show them in and are left out: the status
 * bar reports those.
 */
export function problemsByFile(result: Pick<ResolvedConfig, 'problems' | 'workspaceFolder' | 'configFile'>): Map<string, DiagnosticData[]> {
  const byFile = new Map<string, DiagnosticData[]>();
  if (result.configFile) byFile.set(result.configFile, []);
  for (const p of result.problems) {
    if (!p.file || p.file === result.workspaceFolder) continue;
    let list = byFile.get(p.file);
    if (!list) byFile.set(p.file, (list = []));
    list.push(toDiagnosticData(p));
  }
  return byFile;
}

export function countProblems(problems: readonly Pick<Problem, 'severity'>[]): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const p of problems) {
    if (p.severity === 'warning') warnings++;
    else errors++;
  }
  return { errors, warnings };
}

/** The problems a JSON schema describes (and so the editor's checker finds too); HyperBox's other checks are its own. */
const SCHEMA_CODES = new Set(['type', 'enum', 'pattern', 'range', 'required', 'unknown-property', 'deprecated']);

/** The 0-based offset of a 1-based line and column in `text`. */
function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  return Math.min(text.length, offset + Math.max(0, column - 1));
}

/**
 * Whether the editor itself reports this problem in an open devcontainer.json, so that HyperBox
 * showing it too would list it twice: syntax errors (VS Code's JSON checker) and anything under
 * `customizations.hyperbox` (our schema, which the manifest's jsonValidation hands to that
 * checker). `text` is the document's text.
 */
export function reportedByEditor(p: Pick<Problem, 'code' | 'line' | 'column'>, text: string): boolean {
  if (p.code === 'syntax') return true;
  if (!p.code || !SCHEMA_CODES.has(p.code)) return false;
  const where = getLocation(text, offsetOf(text, p.line, p.column)).path;
  return where[0] === 'customizations' && where[1] === 'hyperbox' && where.length > 2;
}
