// The Pressure panel's data, apart from the DOM so tests can check it: the last five minutes of
// samples per target (the host and each dev container), as the columns a chart draws, and the
// figures in words. A container whose cgroup is gone is dropped with its history.
import type { PressureFigures, PressureUpdate, PsiResource } from '../../src/protocol';

export const RESOURCES = ['cpu', 'memory', 'io'] as const;
export type Resource = (typeof RESOURCES)[number];
/** Samples kept per target: five minutes at 1 Hz. */
export const KEEP = 300;

export interface Target {
  key: string;
  /** `Host`, or the container's name. */
  label: string;
  folder?: string;
  /** Unix seconds of each sample. */
  times: number[];
  /** avg10 in percent per resource, some and full (null where the kernel gives none). */
  some: Record<Resource, (number | null)[]>;
  full: Record<Resource, (number | null)[]>;
  latest: PressureFigures;
}

const emptySeries = (): Record<Resource, (number | null)[]> => ({ cpu: [], memory: [], io: [] });

export class PressureHistory {
  readonly targets = new Map<string, Target>();

  clear(): void {
    this.targets.clear();
  }

  add(u: PressureUpdate): void {
    const t = Date.parse(u.time) / 1000;
    if (!Number.isFinite(t)) return;
    this.push('host', 'Host', undefined, t, u.host);
    for (const c of u.containers) {
      if (c.gone) {
        this.targets.delete(c.containerId);
        continue;
      }
      this.push(c.containerId, c.name, c.folder, t, c);
    }
  }

  private push(key: string, label: string, folder: string | undefined, time: number, f: PressureFigures): void {
    let target = this.targets.get(key);
    if (!target) {
      target = { key, label, folder, times: [], some: emptySeries(), full: emptySeries(), latest: f };
      this.targets.set(key, target);
    }
    target.label = label;
    target.latest = f;
    target.times.push(time);
    for (const r of RESOURCES) {
      const psi: PsiResource | undefined = f[r];
      target.some[r].push(psi ? psi.some.avg10 : null);
      target.full[r].push(psi?.full ? psi.full.avg10 : null);
    }
    if (target.times.length > KEEP) {
      const cut = target.times.length - KEEP;
      target.times.splice(0, cut);
      for (const r of RESOURCES) {
        target.some[r].splice(0, cut);
        target.full[r].splice(0, cut);
      }
    }
  }

  /** The host first, then the containers by name. */
  list(): Target[] {
    const all = [...this.targets.values()];
    return [...all.filter((t) => t.key === 'host'), ...all.filter((t) => t.key !== 'host').sort((a, b) => a.label.localeCompare(b.label))];
  }
}

export const pct = (n: number | undefined) => (n === undefined ? '–' : `${n.toFixed(n < 10 ? 2 : 1)} %`);

/** Bytes in binary units. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 || v >= 100 ? 0 : 1)} ${units[i]}`;
}

/** A container's memory use against its limit, in words, and the share (null without a limit). */
export function memoryUse(f: PressureFigures): { text: string; share: number | null } | null {
  const m = f.memoryUsage;
  if (!m) return null;
  if (m.limit === null) return { text: `${bytes(m.usage)} (no limit)`, share: null };
  const share = m.limit > 0 ? m.usage / m.limit : 0;
  return { text: `${bytes(m.usage)} of ${bytes(m.limit)} (${Math.round(share * 100)} %)`, share };
}
