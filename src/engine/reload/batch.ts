// Changed paths become batches: a short trailing debounce (a save's several events, a formatter's
// second write) capped by a maximum wait (a file that never stops changing cannot starve reloads).
// A batch is acted on once, after the previous action ended; what changed while an action ran
// makes the next batch. File state is read at flush time: a path whose size and mtime are what the
// last batch saw is dropped, so the editor's save notice and the watcher's event for the same save
// never make two reloads. Memory is bounded: past `maxPaths` a batch only counts (and says so).

export interface Batch {
  /** Changed paths (relative to the root), at most maxPaths. */
  paths: string[];
  /** Paths that were deleted (present in `paths` too). */
  deleted: string[];
  /** How many paths changed in all (more than `paths` when overflowed). */
  count: number;
  /** More changed than maxPaths: act on everything (e.g. a full sync). */
  overflow: boolean;
  /** When the batch's first change arrived (Date.now()). */
  firstAt: number;
  /** Its folders were read again at its flush (a burst): `rescan` gave the state of what it found. */
  rescanned?: boolean;
}

/** A file's state: size and mtime, or null when it is gone. */
export type Stamp = string | null;

export interface BatcherOptions {
  debounceMs?: number;
  maxWaitMs?: number;
  maxPaths?: number;
  /** Reads a path's state at flush time (lstat). */
  stamp(rel: string): Promise<Stamp>;
  /** Acts on one batch; the next one waits until it resolves. */
  act(batch: Batch): Promise<void>;
  /**
   * A burst settled: the paths in these folders (relative to the root) changed since `since`
   * (Date.now()), read from the file system, each with its state as read then (so the burst's
   * files are not read a second time for their stamps). The watcher loses events when thousands
   * arrive faster than it reads them (the kernel's inotify queue overflows), so a burst's folders
   * are read again before it is acted on.
   */
  rescan?(dirs: string[], since: number): Promise<Map<string, Stamp>>;
  /**
   * When a burst was last written as the file system says: the latest time an entry was added to
   * or removed from these folders (and the folders under them) or one of the recently reported
   * files was written (Date.now() ms); null when it cannot tell cheaply. The watcher reports a
   * burst of thousands of files a second or more after the writer finished (it reads each folder
   * again and watches each new file); asked while a burst arrives, so the burst is acted on once
   * its writing stopped, not once the watcher caught up (its folders are read again at flush
   * time: what the watcher did not report yet is in the batch all the same). `since`: what
   * changed from then on belongs to the burst (as for `rescan`).
   */
  lastWrite?(dirs: string[], recent: string[], since: number): Promise<number | null>;
  /**
   * A burst still arrives: these of its paths (files reported since the last call) may be made
   * ready ahead of its action (copy-sync copies them in while the writer writes and the quiet
   * period runs). Called while no action runs; what the batch holds at its flush still decides.
   */
  ahead?(paths: string[]): void;
}

/** A save's events (write then chmod, an editor's temp file and rename) arrive within a few ms. */
export const DEBOUNCE_MS = 10;
/**
 * A batch with an entry made or removed (a new file, a deletion) waits at least this long: the
 * first file of a burst is reported alone, and the next ones may come tens of ms later on a busy
 * machine (bench/reload at load 4 saw 80 ms). A save of an existing file is not held, nor one
 * the editor reports (saved()).
 */
export const ENTRY_DEBOUNCE_MS = 100;
export const MAX_WAIT_MS = 250;
export const MAX_PATHS = 10_000;
/**
 * A burst of new paths (a branch switch, an unpacked archive) may hold a batch open this long: on
 * a loaded machine the watcher takes seconds to report thousands of new files.
 */
export const BURST_MAX_MS = 5_000;
/**
 * From this many distinct paths on, a batch is a burst, and its quiet period at least this long.
 * A save names a path or two; a branch switch's first files may come as a handful, then a pause
 * on a busy machine, and must not make a reload of their own.
 */
export const BURST_PATHS = 5;
export const BURST_QUIET_MS = 300;
/**
 * A burst's quiet period follows how the watcher delivers it: three times the longest gap seen
 * between its new paths, up to this; and this long after a new folder until a path under it
 * arrives (the watcher first reads the whole folder).
 */
export const BURST_QUIET_MAX_MS = 1_000;
/** A burst's folders are read again at flush time when there are at most this many. */
export const RESCAN_DIRS = 200;
/**
 * A burst's folders are read for what changed from this long before the previous batch was read
 * (file times are set before the watcher reports; clocks are coarse). From the previous batch,
 * not from the burst's first event: on a loaded machine the watcher reports a burst's first file
 * seconds after it was written (what changed and was acted on already has the state seen then,
 * and is left out).
 */
export const RESCAN_SLACK_MS = 1_000;
/** While a burst arrives, the file system is asked this often whether its writing stopped. */
export const SETTLE_PROBE_MS = 100;
/**
 * The least quiet after a burst's last write as the file system shows it: a writer descheduled
 * for a few hundred ms on a loaded machine (bench/reload at load 3 saw one split a burst in two
 * at 300 ms) is not its end.
 */
export const DISK_QUIET_MS = 500;
/**
 * A burst whose writer paused (descheduled on a loaded machine) waits up to this long after its
 * last write: the watcher's own lag no longer adds a margin.
 */
export const DISK_QUIET_MAX_MS = 2_000;
/** How many of the latest new paths are checked for writes still going on. */
const RECENT_PATHS = 20;
/** After a burst, changes stay in burst mode this long (its tail still arriving on a busy machine). */
export const BURST_TAIL_MS = 1_000;

export class Batcher {
  private pending = new Set<string>();
  private count = 0;
  private firstAt = 0;
  private lastNewAt = 0;
  /** Distinct paths past maxPaths (counted, not kept). */
  private dropped = 0;
  private burst = false;
  private lastBurstAt = 0;
  /** The longest gap between two new paths of the pending batch. */
  private maxGap = 0;
  /** Folders added in the pending batch with nothing under them reported yet (bounded). */
  private newDirs = new Set<string>();
  /** The latest new paths of the pending batch (at most RECENT_PATHS). */
  private recent: string[] = [];
  /** The pending batch's new files not yet handed to `ahead` (bounded by maxPaths, as the batch). */
  private fresh: string[] = [];
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  /** When the previous batch's state was read (its flush), or this batcher was made. */
  private readAt = Date.now();
  /**
   * The burst's latest write the file system showed; how long it had been quiet when last asked;
   * and the longest pause in its writing seen so far (a quiet seen, then writing again).
   */
  private diskLast = 0;
  private diskStill = 0;
  private diskGap = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Counts schedule() calls: a quiet period that ended is acted on only if none came since. */
  private scheduled = 0;
  /** The pending batch has an entry made or removed. */
  private entries = false;
  private maxTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private forced = false;
  /** An editor's save is pending: the flush is due now, and a watcher event does not put it off. */
  private now = false;
  /** What the last batches saw of each path (bounded: oldest dropped first). */
  private seen = new Map<string, Stamp>();
  private closed = false;
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private readonly maxPaths: number;

  constructor(private readonly opts: BatcherOptions) {
    this.debounceMs = opts.debounceMs ?? DEBOUNCE_MS;
    this.maxWaitMs = opts.maxWaitMs ?? MAX_WAIT_MS;
    this.maxPaths = opts.maxPaths ?? MAX_PATHS;
  }

  /** A path changed (watcher event); `dir`: a folder appeared (its files follow); `entry`: an entry was made or removed. */
  add(rel: string, dir = false, entry = false): void {
    if (this.closed) return;
    this.note(rel, dir);
    if (entry) this.entries = true;
    // a save is a path or two; many paths, or a new folder, are a burst: wait for it to settle
    if (this.bursting()) {
      this.schedule(this.burstQuiet());
      this.probe();
    } else if (!this.now) this.schedule(this.entries ? Math.max(this.debounceMs, ENTRY_DEBOUNCE_MS) : this.debounceMs);
  }

  /**
   * While a burst arrives: hands its new files to `ahead`, asks the file system when it was last
   * written, and flushes once that is a quiet period ago: the burst's (from the watcher's gaps),
   * at least DISK_QUIET_MS, or three times the longest pause seen in its writing if longer, up to
   * DISK_QUIET_MAX_MS.
   */
  private probe(): void {
    const { lastWrite, ahead } = this.opts;
    if ((!lastWrite && !ahead) || this.probeTimer || this.closed) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      if (!this.count || !this.bursting()) return;
      if (ahead && this.fresh.length && !this.running) ahead(this.fresh.splice(0));
      if (!lastWrite || this.probing) return;
      const dirs = new Set(this.newDirs);
      for (const p of this.pending) {
        dirs.add(p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
        if (dirs.size > RESCAN_DIRS) return; // too spread out to ask cheaply: the quiet period decides
      }
      this.probing = true;
      const firstAt = this.firstAt;
      const asked = Date.now();
      void lastWrite([...dirs], [...this.recent], this.readAt - RESCAN_SLACK_MS)
        .catch(() => null)
        .then((at) => {
          this.probing = false;
          // (the batch it asked about may have gone meanwhile: the quiet period flushed it)
          if (this.closed || !this.count || this.firstAt !== firstAt || at === null) return;
          // a pause is what was seen quiet before the writing went on: not the step between two
          // answers, which is at least the time between two questions (longer on a busy thread)
          if (this.diskLast && at > this.diskLast) this.diskGap = Math.max(this.diskGap, this.diskStill);
          this.diskLast = Math.max(this.diskLast, at);
          this.diskStill = Math.max(0, asked - this.diskLast);
          const quiet = Math.max(this.burstQuiet(), this.diskQuiet());
          if (Date.now() - this.diskLast >= quiet) void this.flush();
          else this.probe();
        });
    }, SETTLE_PROBE_MS);
  }

  /**
   * Paths the editor saved: a save is finished when the editor says so, so no quiet period is
   * waited for (the watcher's event for the same save, before or after, is the same state and
   * adds nothing). Within a burst the burst's rules still hold.
   */
  saved(rels: string[]): void {
    if (this.closed || !rels.length) return;
    for (const rel of rels) this.note(rel, false);
    if (this.bursting()) return this.schedule(this.burstQuiet());
    this.now = true;
    this.schedule(0);
  }

  private bursting(): boolean {
    return this.burst || this.pending.size >= BURST_PATHS;
  }

  /** The quiet a burst's writing needs as the file system shows it (its pauses lengthen it). */
  private diskQuiet(): number {
    return Math.max(DISK_QUIET_MS, Math.min(DISK_QUIET_MAX_MS, 3 * this.diskGap));
  }

  /**
   * The file system showed the burst written less than its quiet period ago, by a write the
   * watcher reported since: a writer stalled on a loaded machine (the watcher quiet meanwhile) has
   * not finished, so its burst is not split. (Writes the watcher never reports, to files it
   * ignores in the same folders, do not hold it.)
   */
  private diskBusy(now: number): boolean {
    return this.bursting() && this.diskLast > 0 && this.diskLast <= this.lastNewAt && now - this.diskLast < this.diskQuiet();
  }

  private burstQuiet(): number {
    if (this.newDirs.size) return Math.max(BURST_QUIET_MAX_MS, this.debounceMs);
    return Math.max(BURST_QUIET_MS, this.debounceMs, Math.min(BURST_QUIET_MAX_MS, 3 * this.maxGap));
  }

  private note(rel: string, dir: boolean): void {
    if (!this.count) this.firstAt = Date.now();
    this.count++;
    if (!this.pending.has(rel)) {
      const now = Date.now();
      if (this.pending.size) this.maxGap = Math.max(this.maxGap, now - this.lastNewAt);
      this.lastNewAt = now;
      if (dir) {
        if (this.newDirs.size < 100) this.newDirs.add(rel);
      } else if (this.newDirs.size) {
        for (const d of this.newDirs) if (rel.startsWith(`${d}/`)) this.newDirs.delete(d);
      }
      if (this.pending.size < this.maxPaths) {
        this.pending.add(rel);
        if (!dir) this.fresh.push(rel);
      } else this.dropped++;
      if (!dir) {
        this.recent.push(rel);
        if (this.recent.length > RECENT_PATHS) this.recent.shift();
      }
    }
    if (dir || Date.now() - this.lastBurstAt < BURST_TAIL_MS) this.burst = true;
  }

  private schedule(quiet: number): void {
    clearTimeout(this.timer);
    // once the timer fired, the changes that arrived meanwhile (this thread was busy: timers run
    // before the watcher's queued messages) are taken in first; one of them may put it off
    const n = ++this.scheduled;
    this.timer = setTimeout(() => setImmediate(() => n === this.scheduled && this.quietOver()), quiet);
    this.maxTimer ??= setTimeout(() => this.maxWait(), this.maxWaitMs);
  }

  /** The watcher was quiet for the quiet period: flushes, unless the file system says a burst's writer only paused. */
  private quietOver(): void {
    const now = Date.now();
    if (this.diskBusy(now) && now - this.firstAt < BURST_MAX_MS) {
      this.timer = setTimeout(() => this.quietOver(), this.diskLast + this.diskQuiet() - now);
      return;
    }
    void this.flush();
  }

  /**
   * The maximum wait is over: a file that keeps changing is acted on now, but a burst still
   * bringing new paths, or still written as the file system shows, stays one batch until it
   * settles (for at most BURST_MAX_MS).
   */
  private maxWait(): void {
    const now = Date.now();
    if (this.bursting() && (now - this.lastNewAt < this.burstQuiet() || this.diskBusy(now)) && now - this.firstAt < BURST_MAX_MS) {
      this.maxTimer = setTimeout(() => this.maxWait(), this.debounceMs);
      return;
    }
    void this.flush();
  }

  /** Acts now on what is pending, or with nothing pending, forces one action (hb reload). */
  force(): Promise<void> {
    this.forced = true;
    if (!this.count) this.firstAt = Date.now();
    return this.flush();
  }

  /** Whether a batch was acted on with this path in this state (a late report of it changes nothing). */
  actedOn(rel: string, stamp: Stamp): boolean {
    return this.seen.has(rel) && this.seen.get(rel) === stamp;
  }

  /** Forgets what was seen of these paths, so adding them again acts on them (a failed copy retried). */
  retry(paths: string[]): void {
    for (const p of paths) {
      this.seen.delete(p);
      this.add(p);
    }
  }

  /** Stops taking changes; resolves when the running action ended. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.maxTimer);
    clearTimeout(this.probeTimer);
    await this.running;
  }

  /** Resolves when no batch is pending or running (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.running || this.count || this.timer) await (this.running ?? new Promise((r) => setTimeout(r, this.debounceMs)));
  }

  private flush(): Promise<void> {
    clearTimeout(this.timer);
    clearTimeout(this.maxTimer);
    this.timer = this.maxTimer = undefined;
    this.now = false;
    if (this.running) return this.running; // what is pending goes when it ended
    if (!this.count && !this.forced) return Promise.resolve();
    const paths = [...this.pending];
    const burst = this.bursting();
    if (burst) this.lastBurstAt = Date.now();
    const overflow = this.dropped > 0;
    const count = paths.length + this.dropped;
    const firstAt = this.firstAt;
    const forced = this.forced;
    const since = this.readAt;
    this.readAt = Date.now();
    this.pending = new Set();
    this.count = 0;
    this.dropped = 0;
    this.burst = false;
    this.maxGap = 0;
    this.newDirs.clear();
    this.recent = [];
    this.fresh = [];
    this.entries = false;
    this.scheduled++;
    this.diskLast = this.diskStill = this.diskGap = 0;
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.forced = false;
    this.running = (async () => {
      const changed: string[] = [];
      const deleted: string[] = [];
      let read = new Map<string, Stamp>();
      let rescanned = false;
      if (overflow) changed.push(...paths);
      else {
        if (burst && this.opts.rescan) {
          const dirs = new Set(paths.map((p) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '')));
          if (dirs.size <= RESCAN_DIRS) {
            const known = new Set(paths);
            read = await this.opts.rescan([...dirs], since - RESCAN_SLACK_MS).catch(() => new Map<string, Stamp>());
            rescanned = true;
            for (const m of read.keys()) if (!known.has(m) && paths.length < this.maxPaths) paths.push(m);
          }
        }
        const stamps = await Promise.all(paths.map((p) => (read.has(p) ? Promise.resolve(read.get(p)!) : this.opts.stamp(p).catch(() => null))));
        paths.forEach((p, i) => {
          const s = stamps[i];
          if (this.seen.has(p) && this.seen.get(p) === s) return; // reported twice: acted on already
          this.remember(p, s);
          changed.push(p);
          if (s === null) deleted.push(p);
        });
      }
      if (changed.length || overflow || forced) await this.opts.act({ paths: changed, deleted, count: overflow ? count : changed.length, overflow, firstAt, ...(rescanned ? { rescanned } : {}) });
    })()
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
        // what changed meanwhile goes next (unless its quiet period still runs), but a burst
        // still arriving settles first
        if ((this.count || this.forced) && !this.timer) {
          clearTimeout(this.maxTimer);
          this.maxTimer = undefined;
          this.maxWait();
        }
      });
    return this.running;
  }

  private remember(p: string, s: Stamp): void {
    this.seen.delete(p);
    this.seen.set(p, s);
    if (this.seen.size > this.maxPaths) this.seen.delete(this.seen.keys().next().value as string);
  }
}
