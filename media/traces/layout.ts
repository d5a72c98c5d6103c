// The Traces panel's arithmetic, apart from the DOM so tests can check it: which rows of a long
// list are in view (only those are rendered), where each span's bar goes in a trace's waterfall,
// durations in words, attribute values as text, and a span's source location.
import type { TraceAttributeValue, TraceDetail, TraceSpan } from '../../src/protocol';

/** Rows rendered beyond the visible ones on each side, so a scroll does not show gaps. */
export const OVERSCAN = 8;

/** The rows [start, end) to render for a list of `count` rows of `rowHeight` px scrolled to `scrollTop` in a viewport `height` px high. */
export function visibleRange(scrollTop: number, height: number, rowHeight: number, count: number, overscan = OVERSCAN): { start: number; end: number } {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(0, height) / rowHeight) + 1;
  const start = Math.max(0, Math.min(count - 1, first) - overscan);
  const end = Math.min(count, first + visible + overscan);
  return { start, end: Math.max(start, end) };
}

export interface SpanRow {
  span: TraceSpan;
  /** Nesting under its parent (0 for roots and spans whose parent is missing). */
  depth: number;
  /** Percent of the trace's time span. */
  left: number;
  width: number;
  error: boolean;
}

/** The smallest bar, in percent, so instant spans stay visible. */
export const MIN_BAR = 0.3;

/** Each span of a trace (in the engine's tree order) with its depth and its bar's position. */
export function layoutSpans(detail: TraceDetail): { rows: SpanRow[]; startMs: number; totalMs: number } {
  const spans = detail.spans;
  if (spans.length === 0) return { rows: [], startMs: detail.summary.startMs, totalMs: 0 };
  let start = Infinity;
  let end = -Infinity;
  for (const s of spans) {
    start = Math.min(start, s.startMs);
    end = Math.max(end, s.startMs + Math.max(0, s.durationMs));
  }
  const total = Math.max(end - start, 0);
  const depthOf = new Map<string, number>();
  const rows: SpanRow[] = [];
  for (const s of spans) {
    const parent = s.parentSpanId === undefined ? undefined : depthOf.get(s.parentSpanId);
    const depth = parent === undefined ? 0 : parent + 1;
    depthOf.set(s.spanId, depth);
    const left = total > 0 ? ((s.startMs - start) / total) * 100 : 0;
    let width = total > 0 ? (Math.max(0, s.durationMs) / total) * 100 : 100;
    width = Math.max(MIN_BAR, width);
    const l = Math.min(Math.max(0, left), 100 - MIN_BAR);
    rows.push({ span: s, depth, left: l, width: Math.min(width, 100 - l), error: s.status.code === 'error' });
  }
  return { rows, startMs: start, totalMs: total };
}

/** A duration in words: µs under a millisecond, ms under a second, else seconds. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** An attribute's value as the text shown (strings as they are; the rest as JSON). */
export function attributeText(v: TraceAttributeValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The file and line a span names (`code.filepath`, `code.lineno`; also the newer `code.file.path`, `code.line.number`). */
export function sourceOf(span: TraceSpan): { filepath: string; lineno?: number } | null {
  const a = span.attributes;
  const file = a['code.filepath'] ?? a['code.file.path'];
  if (typeof file !== 'string' || file === '') return null;
  const raw = a['code.lineno'] ?? a['code.line.number'];
  const line = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isInteger(line) && line >= 1 ? { filepath: file, lineno: line } : { filepath: file };
}
