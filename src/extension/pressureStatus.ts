// What the pressure status-bar item shows for the engine's last PressureChanged: compact figures
// while all is calm, and the engine's alert (which container, which figure, what to do) as a
// warning or error. The engine decides the alert from the thresholds (src/engine/pressure/alert.ts);
// this only renders it. No run-time `vscode`.
import type { PressureUpdate } from '../protocol';

export interface PressureStatusView {
  text: string;
  tooltip: string;
  level: 'ok' | 'warning' | 'error';
}

const pct = (n: number) => `${n < 10 ? n.toFixed(1) : Math.round(n)}%`;

/** The status-bar item for one update; undefined when there is nothing to show (no sample has memory figures). */
export function pressureStatusView(u: PressureUpdate): PressureStatusView | undefined {
  const a = u.alert;
  if (a) {
    const where = a.container ? a.container.name : 'host';
    const action = a.action === 'raise-memory-limit' ? 'raise its memory limit' : a.idle ? `stop the idle container ${a.idle.name}` : 'stop an idle container';
    return {
      text: `$(${a.level === 'error' ? 'error' : 'warning'}) ${where} memory ${pct(a.value)}`,
      tooltip: `${a.message}\nSuggested: ${action}.\nClick to open the Pressure panel.`,
      level: a.level,
    };
  }
  const live = u.containers.filter((c) => !c.gone && c.memory);
  const host = u.host.memory?.some.avg10;
  if (host === undefined && live.length === 0) return undefined;
  const worst = live.reduce<{ name: string; v: number } | undefined>((w, c) => (!w || c.memory!.some.avg10 > w.v ? { name: c.name, v: c.memory!.some.avg10 } : w), undefined);
  const lines = [`Memory pressure (some, avg10): host ${host === undefined ? 'unknown' : pct(host)}`, ...live.map((c) => `${c.name}: ${pct(c.memory!.some.avg10)}`), 'Click to open the Pressure panel.'];
  return { text: `$(pulse) ${pct(Math.max(host ?? 0, worst?.v ?? 0))}`, tooltip: lines.join('\n'), level: 'ok' };
}
