// Shared by the extension-host tests (compiled beside them, not a test file itself).
export const EXTENSION_ID = 'hyperbox.hyperbox';

/** Polls `what` until it gives a truthy value (returned) or `timeoutMs` passes (undefined). */
export async function waitFor<T>(what: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await what();
    if (value) return value;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
