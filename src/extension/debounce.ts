// Runs a task once things have been quiet for a while, separately for each key (a file path).
// Pure: timers only.

export class KeyedDebouncer {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  constructor(private readonly delayMs: number) {}

  /** Runs `task` after `delayMs` unless the same key is scheduled again first. */
  schedule(key: string, task: () => void): void {
    this.cancel(key);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        task();
      }, this.delayMs),
    );
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  /** Whether a task is waiting for this key. */
  pending(key: string): boolean {
    return this.timers.has(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
