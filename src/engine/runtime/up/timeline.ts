// The startup timeline of an `up`: every step with when it started, how long it took and how it
// ended, lifecycle commands with their command text, exit code and the last lines of their output.
// up.ts's Timer feeds it; the engine sends it to the editor while the up runs (throttled) and the
// last one per folder and config is kept in the cache folder, so the editor shows the timeline of
// an `up` that `hb` ran, and after a window reload. This file is pure (no I/O): timelineStore.ts
// reads and writes the files.
import { LIFECYCLE_COMMANDS, type TimelineEntry, type TimelineStatus, type UpTimeline } from '../../../protocol';
import type { CommandSpec } from '../build/metadata';

/** At most this many characters of a step's output are kept (the last ones, from a line start). */
export const OUTPUT_TAIL_CHARS = 4096;

const BUILD_STEPS = new Set(['image', 'build', 'features image', 'compose up']);
const LIFECYCLE_STEPS = new Set<string>(LIFECYCLE_COMMANDS);

/** What kind of work a step of `up` is: a lifecycle command, an image pull/build, or HyperBox's own work. */
export function kindOf(step: string): TimelineEntry['kind'] {
  if (LIFECYCLE_STEPS.has(step)) return 'lifecycle';
  if (BUILD_STEPS.has(step)) return 'build';
  return 'engine';
}

/** A lifecycle command as the user wrote it, for the timeline (one line per entry; object form as `label: command`). */
export function commandText(entries: readonly { command: CommandSpec; origin?: string }[]): string {
  const one = (c: string | string[]) => (typeof c === 'string' ? c : c.map(String).join(' '));
  return entries
    .map((e) => {
      const c = e.command;
      const text = typeof c === 'string' || Array.isArray(c) ? one(c) : Object.entries(c).map(([label, v]) => `${label}: ${one(v)}`).join('; ');
      return e.origin && e.origin !== 'devcontainer.json' ? `${text} (from ${e.origin})` : text;
    })
    .filter((t) => t.trim())
    .join('\n');
}

/**
 * Adds output to the kept tail: terminal escape sequences and carriage-return overwrites are
 * removed (the panel shows text), and only the last `max` characters are kept, starting at a line.
 */
export function appendTail(prev: string, text: string, max = OUTPUT_TAIL_CHARS): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r\n/g, '\n');
  let out = prev + clean;
  // a carriage return redraws its line (progress bars): keep what was drawn last
  if (out.includes('\r')) out = out.split('\n').map((l) => l.slice(l.lastIndexOf('\r') + 1)).join('\n');
  if (out.length <= max) return out;
  out = out.slice(-max);
  const nl = out.indexOf('\n');
  return nl >= 0 && nl < out.length - 1 ? out.slice(nl + 1) : out;
}

interface LiveEntry extends TimelineEntry {
  /** performance.now() at the start. */
  t0: number;
  /** A hook `--wait-for` left for later: shown as running until it really starts. */
  placeholder?: boolean;
}

export interface TimelineInit {
  folder: string;
  configFile: string | null;
  client: string;
}

/**
 * Told of every change (call `snapshot()` for the protocol's shape: it costs a copy). `final` at each
 * finish: the up ended, or returned with commands left running (--wait-for), or those ended.
 */
export type TimelineListener = (timeline: Timeline, final: boolean) => void;

/** The timeline of one `up`, as it happens. */
export class Timeline {
  private readonly entries: LiveEntry[] = [];
  private readonly t0: number;
  private readonly startedAt: string;
  private ended: UpTimeline['outcome'] = 'running';
  private error: string | undefined;
  private endMs: number | undefined;
  containerId: string | null = null;
  configFile: string | null;
  readonly folder: string;

  constructor(
    private readonly init: TimelineInit,
    private readonly listener?: TimelineListener,
    private readonly now: () => number = () => performance.now(),
    wallClock: () => number = Date.now,
  ) {
    this.t0 = this.now();
    this.startedAt = new Date(wallClock()).toISOString();
    this.configFile = init.configFile;
    this.folder = init.folder;
  }

  /** `running` until the up (and the commands it left running) ended. */
  get outcome(): UpTimeline['outcome'] {
    return this.ended;
  }

  /** A step starts; the returned function ends it. */
  begin(step: string, detail?: string): (status: TimelineStatus, extra?: { exitCode?: number; detail?: string }) => void {
    const t = this.now();
    let entry = this.entries.find((e) => e.placeholder && e.step === step);
    if (entry) {
      entry.placeholder = false;
      entry.t0 = t;
      entry.startMs = this.rel(t);
      if (detail !== undefined) entry.detail = detail;
    } else {
      entry = { step, kind: kindOf(step), startMs: this.rel(t), ms: 0, status: 'running', t0: t };
      if (detail) entry.detail = detail;
      this.entries.push(entry);
    }
    this.changed();
    const e = entry;
    return (status, extra) => {
      if (e.status !== 'running') return;
      e.status = status;
      e.ms = round(this.now() - e.t0);
      if (extra?.exitCode !== undefined) e.exitCode = extra.exitCode;
      if (extra?.detail !== undefined) e.detail = extra.detail;
      this.changed();
    };
  }

  /** A step that already ended, `ms` long: started at `startedAt` (in `now()`'s terms), else ending now. */
  add(step: string, ms: number, status: TimelineStatus = 'ok', extra: { detail?: string; exitCode?: number } = {}, startedAt?: number): void {
    const t0 = startedAt ?? this.now() - ms;
    const entry: LiveEntry = { step, kind: kindOf(step), startMs: Math.max(0, this.rel(t0)), ms: round(ms), status, t0 };
    if (extra.detail) entry.detail = extra.detail;
    if (extra.exitCode !== undefined) entry.exitCode = extra.exitCode;
    this.entries.push(entry);
    this.changed();
  }

  /** A step that did not run, and why (already ran for this container, an earlier step failed). */
  skip(step: string, why: string): void {
    const t = this.now();
    const placeholder = this.entries.find((e) => e.placeholder && e.step === step);
    if (placeholder) Object.assign(placeholder, { placeholder: false, startMs: this.rel(t), ms: 0, status: 'skipped', detail: why, t0: t });
    else this.entries.push({ step, kind: kindOf(step), startMs: this.rel(t), ms: 0, status: 'skipped', detail: why, t0: t });
    this.changed();
  }

  /** Hooks that run after `up` returned (--wait-for): shown as running from now on. */
  pending(step: string, detail?: string): void {
    const t = this.now();
    const entry: LiveEntry = { step, kind: kindOf(step), startMs: this.rel(t), ms: 0, status: 'running', t0: t, placeholder: true };
    if (detail) entry.detail = detail;
    this.entries.push(entry);
    this.changed();
  }

  /**
   * Output of a build or a lifecycle command. `source` is the reporter's (`postCreateCommand`,
   * `postCreateCommand label`, `build`, `pull`): it goes to the running step it names, else to the
   * last running build or lifecycle step.
   */
  output(source: string, text: string): void {
    const running = this.entries.filter((e) => e.status === 'running' && !e.placeholder);
    const target =
      findLast(running, (e) => e.step === source || source.startsWith(`${e.step} `)) ?? findLast(running, (e) => e.kind !== 'engine');
    if (!target) return;
    const label = source !== target.step && source.startsWith(`${target.step} `) ? source.slice(target.step.length + 1) : undefined;
    // lines of the object form's parallel commands carry their label
    const shown = label ? text.replace(/^(?=.)/gm, `[${label}] `) : text;
    target.output = appendTail(target.output ?? '', shown);
    this.changed();
  }

  /** Names of steps begun so far (for hooks that never ran after a failure). */
  has(step: string): boolean {
    return this.entries.some((e) => e.step === step && !e.placeholder);
  }

  /** The up ended (or, with `running`, returned with hooks left for later). */
  finish(outcome: UpTimeline['outcome'], error?: string): void {
    this.ended = outcome;
    this.error = error;
    if (outcome !== 'running') {
      this.endMs = this.rel(this.now());
      // what was still running ends with the up
      for (const e of this.entries) {
        if (e.status !== 'running') continue;
        e.status = outcome === 'ok' ? 'ok' : outcome === 'cancelled' ? 'cancelled' : 'failed';
        e.ms = e.placeholder ? 0 : round(this.now() - e.t0);
        e.placeholder = false;
      }
    } else {
      this.endMs = undefined;
    }
    this.listener?.(this, true);
  }

  /** The timeline as the protocol carries it; running steps last until now. */
  snapshot(): UpTimeline {
    const now = this.now();
    const entries: TimelineEntry[] = this.entries.map(({ t0, placeholder, ...e }) => (e.status === 'running' ? { ...e, ms: placeholder ? 0 : round(now - t0) } : { ...e }));
    const end = this.endMs ?? this.rel(now);
    const out: UpTimeline = {
      folder: this.init.folder,
      configFile: this.configFile,
      containerId: this.containerId,
      startedAt: this.startedAt,
      totalMs: Math.max(end, ...entries.map((e) => round(e.startMs + e.ms))),
      outcome: this.ended,
      client: this.init.client,
      entries,
    };
    if (this.error) out.error = this.error;
    return out;
  }

  private rel(t: number): number {
    return round(t - this.t0);
  }

  private changed(): void {
    this.listener?.(this, false);
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function findLast<T>(list: T[], pred: (x: T) => boolean): T | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (pred(list[i])) return list[i];
  return undefined;
}

/**
 * Calls `send` at most once per `intervalMs` (the first change at once, later ones batched into
 * one call at the end of the interval); `flush` sends what is pending now.
 */
export class Throttle<T> {
  private pending: { value: T } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private last = -Infinity;

  constructor(
    private readonly send: (value: T) => void,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly timers: { set: (fn: () => void, ms: number) => ReturnType<typeof setTimeout>; clear: (t: ReturnType<typeof setTimeout>) => void } = {
      set: (fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref?.();
        return t;
      },
      clear: (t) => clearTimeout(t),
    },
  ) {}

  push(value: T): void {
    this.pending = { value };
    if (this.timer) return;
    const wait = this.last + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer = this.timers.set(() => this.flush(), wait);
  }

  flush(): void {
    if (this.timer) this.timers.clear(this.timer);
    this.timer = undefined;
    const p = this.pending;
    this.pending = undefined;
    if (!p) return;
    this.last = this.now();
    this.send(p.value);
  }
}
