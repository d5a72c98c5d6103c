// The startup timeline as a waterfall: where each bar starts and how wide it is (percent of the
// whole up), the duration as words, the axis ticks, and which row to highlight. Pure, so the
// webview (main.ts) and the unit tests share it.
import type { TimelineEntry, UpTimeline } from '../../src/protocol';

export interface WaterfallRow {
  /** Index in the timeline's entries; with `step`, a stable key for expanded rows. */
  index: number;
  key: string;
  step: string;
  kind: TimelineEntry['kind'];
  status: TimelineEntry['status'];
  /** Left edge and width of the bar, in percent of the track (0..100). */
  left: number;
  width: number;
  /** "12 ms", "1.4 s", "2 min 05 s"; "skipped" for a step that did not run. */
  duration: string;
  /** Start offset as words, for the tooltip ("at 1.2 s"). */
  at: string;
  /** The first failed step (the one to look at). */
  highlight: boolean;
  /** Has output, a command or an exit code to show when opened. */
  expandable: boolean;
}

export interface Waterfall {
  /** The scale: the longer of the up's total and the end of its last step (at least 1 ms). */
  scaleMs: number;
  rows: WaterfallRow[];
  /** Axis ticks: position (percent) and label. */
  ticks: { left: number; label: string }[];
  total: string;
}

/** Narrowest bar drawn, in percent, so a 0.3 ms step is still visible. */
export const MIN_BAR_PERCENT = 0.5;

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 10) return `${Math.round(ms * 10) / 10} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms - min * 60_000) / 1000);
  return s === 60 ? `${min + 1} min 00 s` : `${min} min ${String(s).padStart(2, '0')} s`;
}

/** Round tick spacing (1, 2, 5 × 10^n ms) giving about `count` ticks over `scaleMs`. */
export function tickStep(scaleMs: number, count = 5): number {
  const raw = Math.max(scaleMs, 1) / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const round2 = (v: number) => Math.round(v * 100) / 100;

export function layoutWaterfall(t: Pick<UpTimeline, 'totalMs' | 'entries'>): Waterfall {
  const ends = t.entries.map((e) => Math.max(0, e.startMs) + Math.max(0, e.ms));
  const scaleMs = Math.max(1, t.totalMs || 0, ...ends);
  const firstFailed = t.entries.findIndex((e) => e.status === 'failed');
  const rows = t.entries.map((e, index): WaterfallRow => {
    let left = clamp((Math.max(0, e.startMs) / scaleMs) * 100, 0, 100);
    const width = clamp((Math.max(0, e.ms) / scaleMs) * 100, MIN_BAR_PERCENT, 100);
    // a bar at the far right keeps its minimum width inside the track
    if (left + width > 100) left = 100 - width;
    return {
      index,
      key: `${e.step}#${index}`,
      step: e.step,
      kind: e.kind,
      status: e.status,
      left: round2(left),
      width: round2(width),
      duration: e.status === 'skipped' ? 'skipped' : formatMs(e.ms),
      at: formatMs(e.startMs),
      highlight: index === firstFailed,
      expandable: !!(e.output || e.detail || e.exitCode !== undefined),
    };
  });
  const step = tickStep(scaleMs);
  const ticks: Waterfall['ticks'] = [];
  for (let v = 0; v <= scaleMs + 1e-9 && ticks.length < 50; v += step) ticks.push({ left: round2((v / scaleMs) * 100), label: formatMs(v) });
  return { scaleMs, rows, ticks, total: formatMs(t.totalMs) };
}
