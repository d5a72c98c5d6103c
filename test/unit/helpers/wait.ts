// Waiting in tests: a pause, and a condition polled until it holds (or a timeout naming it).

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `test()` holds (checked every 20 ms); throws after `ms` naming `what`. */
export async function until(what: string, test: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
