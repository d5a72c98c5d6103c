// PSI (pressure stall information) files: /proc/pressure/{cpu,memory,io} for the host and
// <cgroup v2 dir>/{cpu,memory,io}.pressure for a cgroup, each one or two lines like
//   some avg10=0.12 avg60=0.05 avg300=0.01 total=123456
//   full avg10=0.00 avg60=0.00 avg300=0.00 total=7890
// (averages in percent, total in microseconds of stall since the cgroup was made).
import type { PsiLine, PsiResource } from '../../protocol';

export const PSI_RESOURCES = ['cpu', 'memory', 'io'] as const;
export type PsiResourceName = (typeof PSI_RESOURCES)[number];

type RawLine = Omit<PsiLine, 'delta'>;

function parseLine(line: string): RawLine | undefined {
  const out: Partial<RawLine> = {};
  for (const field of line.split(' ').slice(1)) {
    const eq = field.indexOf('=');
    if (eq < 0) continue;
    const key = field.slice(0, eq);
    const value = Number(field.slice(eq + 1));
    if (!Number.isFinite(value)) return undefined;
    if (key === 'avg10' || key === 'avg60' || key === 'avg300' || key === 'total') out[key] = value;
  }
  return out.avg10 !== undefined && out.avg60 !== undefined && out.avg300 !== undefined && out.total !== undefined ? (out as RawLine) : undefined;
}

/**
 * Parses a PSI file. `previous` (the last sample of the same file) gives the `total` deltas; a total
 * that went down (the cgroup was made anew under the same path) counts from zero.
 */
export function parsePsi(text: string, previous?: PsiResource): PsiResource | undefined {
  let some: RawLine | undefined;
  let full: RawLine | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('some ')) some = parseLine(line);
    else if (line.startsWith('full ')) full = parseLine(line);
  }
  if (!some) return undefined;
  const delta = (now: RawLine, before: PsiLine | undefined) => (before ? (now.total >= before.total ? now.total - before.total : now.total) : null);
  const out: PsiResource = { some: { ...some, delta: delta(some, previous?.some) } };
  if (full) out.full = { ...full, delta: delta(full, previous?.full) };
  return out;
}
