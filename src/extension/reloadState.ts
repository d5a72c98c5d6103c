// What is known of a project's hot reload, folded from the engine's ReloadChanged events: whether
// it is on and running, the last reload (what was done, to which files, how long from the save to
// the app serving again), p50/p95 over the recent ones, and the recent reloads themselves for the
// view and the panel. Pure: ProjectDetails keeps one per project, Ctx.model hands it to every
// surface, and the words each surface uses come from here. No run-time `vscode`.
import type { ReloadEvent } from '../protocol';

export type ReloadAction = NonNullable<ReloadEvent['action']>;

export interface ReloadEntry {
  /** When the engine reported it (ms since the epoch). */
  at: number;
  action: ReloadAction;
  files: string[];
  count: number;
  ms: number;
  phases?: ReloadEvent['phases'];
  /** The reload failed (a copy, an install) or the app crashed after it: the message, or the app's last output. */
  error?: string;
}

export type ReloadRunState = 'running' | 'suspended' | 'crashed' | 'stopped' | 'off' | 'not-trusted' | 'failed';

export interface ReloadState {
  state: ReloadRunState;
  /** What the engine said last (the dev command and strategy; why it did not start). */
  message?: string;
  last?: ReloadEntry;
  p50?: number;
  p95?: number;
  /** Newest first, at most RECENT. */
  recent: ReloadEntry[];
}

/** How many reloads the view and the panel list. */
export const RECENT = 20;

/** The state after one event (the one before, or undefined when none was known). */
export function applyReloadEvent(s: ReloadState | undefined, e: ReloadEvent, now = Date.now()): ReloadState {
  const base: ReloadState = s ?? { state: 'stopped', recent: [] };
  switch (e.kind) {
    case 'started':
      return { ...base, state: 'running', message: e.message };
    case 'reloaded': {
      const entry: ReloadEntry = { at: now, action: e.action ?? 'nothing', files: e.files ?? [], count: e.count ?? 0, ms: e.ms ?? 0, ...(e.phases ? { phases: e.phases } : {}), ...(e.message ? { error: e.message } : {}) };
      return { ...base, state: 'running', last: entry, p50: e.p50, p95: e.p95, recent: [entry, ...base.recent].slice(0, RECENT) };
    }
    case 'crashed': {
      // the crash belongs to the last reload: the panel shows the app's output there
      const output = e.output?.trim() ? e.output : `exit code ${e.exitCode}`;
      const recent = base.recent.length ? [{ ...base.recent[0], error: `The app exited with code ${e.exitCode} after this reload; it starts again on the next save.\n${output}` }, ...base.recent.slice(1)] : base.recent;
      return { ...base, state: 'crashed', message: `The app exited with code ${e.exitCode}; it starts again on the next save.`, recent, last: recent[0] ?? base.last };
    }
    case 'suspended':
      return { ...base, state: 'suspended', message: e.message };
    case 'stopped':
      return { ...base, state: 'stopped', message: e.message };
    case 'off':
      return { ...base, state: 'off', message: e.message };
    case 'not-trusted':
      return { ...base, state: 'not-trusted', message: e.message };
    case 'failed':
      return { ...base, state: 'failed', message: e.message };
    case 'rebuild-offered':
      return base;
  }
}

/** A duration as the status bar shows it. */
const ms = (n: number) => (n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`);

/** What was done, in a few words: "restarted in 84 ms". */
export function describeEntry(e: ReloadEntry): string {
  const files = e.count ? `${e.files.join(', ')}${e.count > e.files.length ? ` and ${e.count - e.files.length} more` : ''}` : 'forced';
  return `${e.action} in ${ms(e.ms)} (${files})`;
}

/** The figures: "last 84 ms · p50 80 / p95 120 ms", or undefined before the first reload. */
export function reloadFigures(s: ReloadState): string | undefined {
  if (!s.last) return undefined;
  return `last ${ms(s.last.ms)}${s.p50 !== undefined && s.p95 !== undefined ? ` · p50 ${Math.round(s.p50)} / p95 ${ms(s.p95)}` : ''}`;
}

const STATE_WORDS: Record<ReloadRunState, string> = {
  running: 'on',
  suspended: 'waiting for the container (changes queued)',
  crashed: 'app crashed',
  stopped: 'stopped',
  off: 'off',
  'not-trusted': 'not started: not trusted',
  failed: 'not started',
};

/** The state in words, with the figures when there are some ("on · last 84 ms · p50 80 / p95 120 ms"). */
export function describeReload(s: ReloadState): string {
  const figures = s.state === 'running' || s.state === 'crashed' ? reloadFigures(s) : undefined;
  return [STATE_WORDS[s.state], figures].filter(Boolean).join(' · ');
}

/** The status bar's short form: "$(zap) 84 ms" while it runs, a warning icon when the app crashed; undefined when there is nothing to show. */
export function reloadStatusText(s: ReloadState | undefined): string | undefined {
  if (!s) return undefined;
  if (s.state === 'running') return s.last ? `$(zap) ${ms(s.last.ms)}` : '$(zap)';
  if (s.state === 'crashed') return '$(zap) $(warning) app crashed';
  if (s.state === 'suspended') return '$(zap) waiting';
  return undefined;
}

/** Whether the editor's saves should be sent to the engine (ReloadSaved): hot reload runs or waits for the container. */
export function wantsSaves(s: ReloadState | undefined): boolean {
  return s?.state === 'running' || s?.state === 'crashed' || s?.state === 'suspended';
}
