// PSI (pressure stall information) files: /proc/pressure/{cpu,memory,io} for the host and
// <cgroup v2 dir>/{cpu,memory,io}.pressure for a cgroup, each one or two lines like
//   some avg10=0.12 avg60=0.05 avg300=0.01 total=123456
//   full avg10=0.00 avg60=0.00 avg300=0.00 total=7890
// (averages in percent, total in microseconds of stall since the cgroup was made).
import type { PsiLine, PsiResource } from '../../protocol';

export const PSI_RESOURCES = ['cpu', 'memory', 'io'] as const;
export type PsiResourceName = (typeof PSI_RESOURCES)[number];

/** The number after `key=` in `text` from `from` to `to`; NaN when it is not there. */
function field(text: string, key: string, from: number, to: number): number {
  const i = text.indexOf(key, from);
  if (i < 0 || i >= to) return NaN;
  const start = i + key.length;
  let end = text.indexOf(' ', start);
  if (end < 0 || end > to) end = to;
  return Number(text.slice(start, end));
}

// Called for every container every second (bench/pressure): indexOf and one Number per field, no
// splitting into arrays, one object per line.
function parseLine(text: string, from: number, before: PsiLine | undefined): PsiLine | undefined {
  let to = text.indexOf('\n', from);
  if (to < 0) to = text.length;
  const avg10 = field(text, 'avg10=', from, to);
  const avg60 = field(text, 'avg60=', from, to);
  const avg300 = field(text, 'avg300=', from, to);
  const total = field(text, 'total=', from, to);
  if (!(Number.isFinite(avg10) && Number.isFinite(avg60) && Number.isFinite(avg300) && Number.isFinite(total))) return undefined;
  // a total that went down (the cgroup was made anew under the same path) counts from zero
  const delta = before ? (total >= before.total ? total - before.total : total) : null;
  return { avg10, avg60, avg300, total, delta };
}

/** Parses a PSI file. `previous` (the last sample of the same file) gives the `total` deltas. */
export function parsePsi(text: string, previous?: PsiResource): PsiResource | undefined {
  const s = text.startsWith('some ') ? 0 : text.indexOf('\nsome ') + 1;
  if (s === 0 && !text.startsWith('some ')) return undefined;
  const some = parseLine(text, s, previous?.some);
  if (!some) return undefined;
  const f = text.indexOf('full ', s);
  const full = f >= 0 && (f === 0 || text[f - 1] === '\n') ? parseLine(text, f, previous?.full) : undefined;
  return full ? { some, full } : { some };
}
