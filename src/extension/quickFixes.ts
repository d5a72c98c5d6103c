// From the engine's did-you-mean fixes to quick fixes in devcontainer.json. Pure: codeActions.ts
// turns the result into CodeActions with WorkspaceEdits; tests check the choices without an editor.
import type { DiagnosticData, ZeroBasedRange } from './problems';

/** One quick fix: replace `range` of the document with `replacement`. */
export interface QuickFix {
  title: string;
  range: ZeroBasedRange;
  replacement: string;
  /** Index of the diagnostic (in the list given) that the fix resolves. */
  diagnostic: number;
  /** Each problem has one fix, the one the message suggests: the editor may apply it directly. */
  isPreferred: boolean;
}

/** A diagnostic as the editor hands it to a code action provider. */
export interface ShownDiagnostic {
  range: ZeroBasedRange;
  message: string;
  /** Who published it: only HyperBox's own diagnostics carry our fixes. */
  source?: string;
}

const sameRange = (a: ZeroBasedRange, b: ZeroBasedRange) =>
  a.startLine === b.startLine && a.startCharacter === b.startCharacter && a.endLine === b.endLine && a.endCharacter === b.endCharacter;

/**
 * Whether the fix can still be applied to the text now in the range. Every fix the engine makes
 * replaces one JSON string (a property name or a string value); when the user has typed since the
 * check, the range may hold something else, and then the fix is not offered (the next check, a
 * moment later, brings fresh ones).
 */
export function stillApplies(current: string, replacement: string): boolean {
  return current.length >= 2 && current.startsWith('"') && current.endsWith('"') && current !== replacement;
}

/**
 * The quick fixes for the diagnostics the editor asks about: each of HyperBox's diagnostics whose
 * problem (same range and message) came with a fix that still applies to the text.
 */
export function quickFixesFor(
  known: readonly DiagnosticData[],
  shown: readonly ShownDiagnostic[],
  textAt: (range: ZeroBasedRange) => string,
  source: string,
): QuickFix[] {
  const out: QuickFix[] = [];
  shown.forEach((d, i) => {
    if (d.source !== source) return;
    const match = known.find((k) => k.fix && k.message === d.message && sameRange(k.range, d.range));
    if (!match?.fix || !stillApplies(textAt(d.range), match.fix.replacement)) return;
    out.push({ title: match.fix.title, range: d.range, replacement: match.fix.replacement, diagnostic: i, isPreferred: true });
  });
  return out;
}

/**
 * Every fix in the file at once (for "Fix all"), or none when fewer than two apply: one fix is
 * already offered by itself. Overlapping ranges cannot be applied together; only the first is kept.
 */
export function allFixes(known: readonly DiagnosticData[], textAt: (range: ZeroBasedRange) => string): { range: ZeroBasedRange; replacement: string }[] {
  const edits = known
    .filter((k) => k.fix && stillApplies(textAt(k.range), k.fix.replacement))
    .map((k) => ({ range: k.range, replacement: k.fix!.replacement }))
    .sort((a, b) => a.range.startLine - b.range.startLine || a.range.startCharacter - b.range.startCharacter);
  const kept: typeof edits = [];
  for (const e of edits) {
    const last = kept[kept.length - 1];
    const overlaps = last && (e.range.startLine < last.range.endLine || (e.range.startLine === last.range.endLine && e.range.startCharacter < last.range.endCharacter));
    if (!overlaps) kept.push(e);
  }
  return kept.length >= 2 ? kept : [];
}
