// Errors the runtime reports to users. Each names the thing, why, and what to do next; `code`
// lets the CLI and the editor react (e.g. offer `--trust`) without parsing messages.
export type RuntimeErrorCode =
  | 'no-engine'
  | 'config'
  | 'unsupported'
  | 'image-missing'
  | 'build-failed'
  | 'create-failed'
  | 'command-failed'
  | 'trust-required'
  | 'not-found'
  | 'not-running'
  | 'cancelled'
  | 'port-taken';

export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
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
