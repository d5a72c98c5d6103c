// When to restart a crashed engine: exponential backoff, capped, and a limit on crashes within a
// time window after which HyperBox stops trying and asks the user. Pure: the caller passes the clock.

export interface RestartPolicyOptions {
  /** Restarts allowed within `windowMs`; one more crash in the window gives up. */
  maxRestarts: number;
  windowMs: number;
  /** Delay before the first restart; doubled for each further crash in the window. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  maxRestarts: 5,
  windowMs: 3 * 60_000,
  initialDelayMs: 500,
  maxDelayMs: 8_000,
};

export type RestartDecision =
  | { restart: true; delayMs: number; attempt: number; maxRestarts: number }
  | { restart: false; crashes: number; windowMs: number };

export class RestartPolicy {
  private crashes: number[] = [];
  constructor(readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** Records a crash at `now` and says whether, and after how long, to restart. */
  onCrash(now: number): RestartDecision {
    this.crashes = this.crashes.filter((t) => now - t < this.options.windowMs);
    this.crashes.push(now);
    const n = this.crashes.length;
    if (n > this.options.maxRestarts) return { restart: false, crashes: n, windowMs: this.options.windowMs };
    const delayMs = Math.min(this.options.maxDelayMs, this.options.initialDelayMs * 2 ** (n - 1));
    return { restart: true, delayMs, attempt: n, maxRestarts: this.options.maxRestarts };
  }

  /** Forgets past crashes: after a restart the user asked for. */
  reset(): void {
    this.crashes = [];
  }
}

/** "3 minutes", "90 seconds": for messages. */
export function describeDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return ms === 60_000 ? '1 minute' : `${ms / 60_000} minutes`;
  const s = Math.round(ms / 100) / 10;
  return s === 1 ? '1 second' : `${s} seconds`;
}
