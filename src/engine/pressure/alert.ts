// The status bar's memory pressure verdict, decided in the engine so the editor only renders it:
// a container (or the host) whose memory "some" avg10 reaches the warning threshold, or whose
// "full" avg10 (every task stalled) reaches the error threshold, with what to do about it — raise
// the limit of a container that is near it, or stop another dev container that is idle when the
// host as a whole is short of memory.
import type { ContainerPressure, PressureAlert, PressureFigures, PressureSample } from '../../protocol';

export interface PressureThresholds {
  /** memory some avg10, in percent: a warning from here. */
  memorySomeWarning: number;
  /** memory full avg10, in percent: an error from here. */
  memoryFullError: number;
}

export const DEFAULT_THRESHOLDS: PressureThresholds = { memorySomeWarning: 10, memoryFullError: 5 };

/** A container using this share of its memory limit or more is "near its limit". */
const NEAR_LIMIT = 0.8;

const pct = (n: number) => `${Math.round(n * 10) / 10} %`;

interface Crossing {
  level: PressureAlert['level'];
  figure: PressureAlert['figure'];
  value: number;
  threshold: number;
}

function crossing(f: PressureFigures, t: PressureThresholds): Crossing | undefined {
  const mem = f.memory;
  if (!mem) return undefined;
  if (mem.full && mem.full.avg10 >= t.memoryFullError) return { level: 'error', figure: 'memory full avg10', value: mem.full.avg10, threshold: t.memoryFullError };
  if (mem.some.avg10 >= t.memorySomeWarning) return { level: 'warning', figure: 'memory some avg10', value: mem.some.avg10, threshold: t.memorySomeWarning };
  return undefined;
}

const worse = (a: Crossing, b: Crossing) => (a.level !== b.level ? (a.level === 'error' ? a : b) : a.value >= b.value ? a : b);
const who = (c: ContainerPressure) => ({ containerId: c.containerId, name: c.name, ...(c.folder ? { folder: c.folder } : {}) });

/** How busy a container looks: its CPU and IO stall since the last sample (an idle one stalls on nothing). */
const activity = (c: ContainerPressure) => (c.cpu?.some.delta ?? 0) + (c.io?.some.delta ?? 0);

/** The alert a sample raises, or null when memory pressure is below both thresholds everywhere. */
export function pressureAlert(sample: PressureSample, t: PressureThresholds = DEFAULT_THRESHOLDS): PressureAlert | null {
  const live = sample.containers.filter((c) => !c.gone);
  let worst: { c?: ContainerPressure; x: Crossing } | undefined;
  for (const c of live) {
    const x = crossing(c, t);
    if (x && (!worst || worse(worst.x, x) === x)) worst = { c, x };
  }
  const hostX = crossing(sample.host, t);
  if (!worst && hostX) worst = { x: hostX };
  if (!worst) return null;
  const { c, x } = worst;
  const usage = c?.memoryUsage;
  const nearLimit = !!usage && usage.limit !== null && usage.limit > 0 && usage.usage / usage.limit >= NEAR_LIMIT;
  const what = `${x.figure.replace(' avg10', '')} pressure ${pct(x.value)} (threshold ${pct(x.threshold)})`;
  const where = c ? `the dev container ${c.name}` : 'this machine';
  if (c && nearLimit) {
    const mib = (n: number) => `${Math.round(n / 1048576)} MiB`;
    return {
      ...x,
      container: who(c),
      action: 'raise-memory-limit',
      message: `Memory ${what} in ${where}: it uses ${mib(usage.usage)} of its ${mib(usage.limit!)} limit. Raise its memory limit (runArgs "--memory", or hostRequirements.memory) and rebuild.`,
    };
  }
  // the host is short of memory: the container that does least is the one to stop
  const others = live.filter((o) => o.containerId !== c?.containerId).sort((a, b) => activity(a) - activity(b) || (b.memoryUsage?.usage ?? 0) - (a.memoryUsage?.usage ?? 0));
  const idle = others[0];
  return {
    ...x,
    ...(c ? { container: who(c) } : {}),
    action: 'stop-idle-container',
    ...(idle ? { idle: who(idle) } : {}),
    message: `Memory ${what} in ${where}${c && !usage?.limit ? ' (it has no memory limit: the whole machine is short of memory)' : ''}. ${idle ? `Stop the idle dev container ${idle.name}${idle.folder ? ` (${idle.folder})` : ''} to free memory.` : 'Stop dev containers or programs you are not using to free memory.'}`,
  };
}
