// Errors the runtime reports to users. Each names the thing, why, and what to do next; `code`
// lets the CLI and the editor react (e.g. offer `--trust`) without parsing messages.
// The codes are part of the protocol (RUNTIME_ERROR's data), so the editor and hb share them.
import type { RuntimeErrorCode, RuntimeErrorData } from '../../protocol';

export type { RuntimeErrorCode };

export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    /** For `command-failed`: the command's exit code, when it ran and exited. */
    readonly exitCode?: number,
    /** More for the client than the code (trust-required: the findings), sent in the error's data. */
    readonly data?: Omit<RuntimeErrorData, 'code'>,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export function throwIfCancelled(signal: AbortSignal | undefined, what = 'The operation'): void {
  if (signal?.aborted) throw new RuntimeError('cancelled', `${what} was cancelled.`);
}

/** The last `n` non-empty lines of some output, for error messages. */
export function lastLines(text: string, n = 15): string {
  // eslint-disable-next-line no-control-regex
  const lines = text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '').split('\n').filter((l) => l.trim() !== '');
  return lines.slice(-n).join('\n');
}
