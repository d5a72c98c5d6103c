// Running a command in a container through the Engine API (an exec), streaming its output.
import { StringDecoder } from 'node:string_decoder';
import { demux, type Engine } from '../engine/docker';
import { RuntimeError } from '../errors';

export interface ExecOptions {
  cmd: string[];
  user?: string;
  workdir?: string;
  /** Added to the container's environment. */
  env?: Record<string, string>;
  signal?: AbortSignal;
  onOutput?(text: string, from: 'stdout' | 'stderr'): void;
  /** Keep at most this many characters of output for the result (default 16k). */
  keep?: number;
  /** Called once the exec runs, with what inspecting it tells (its host process id). */
  onStart?(info: { pid: number }): void;
}

export interface ExecResult {
  exitCode: number;
  /** The last part of the combined output. */
  output: string;
  stdout: string;
}

export async function execIn(engine: Engine, containerId: string, opts: ExecOptions): Promise<ExecResult> {
  const container = engine.docker.getContainer(containerId);
  const exec = await container.exec({
    Cmd: opts.cmd,
    User: opts.user || undefined,
    WorkingDir: opts.workdir || undefined,
    Env: opts.env ? Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) : undefined,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  let ended = false;
  if (opts.onStart) {
    // the engine answers the start before the process runs: its pid is known a moment later
    const onStart = opts.onStart;
    void (async () => {
      for (let i = 0; i < 1000 && !ended; i++) {
        const info = await exec.inspect().catch(() => undefined);
        if (info?.Pid) return onStart({ pid: info.Pid });
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
  }
  const keep = opts.keep ?? 16_384;
  let output = '';
  let stdout = '';
  const onAbort = () => stream.destroy();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let unwatch = () => {};
  try {
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    const done = demux(stream, (data, from) => {
      const text = decoders[from].write(data);
      output += text;
      if (output.length > keep * 2) output = output.slice(-keep);
      if (from === 'stdout') {
        stdout += text;
        if (stdout.length > keep * 2) stdout = stdout.slice(-keep);
      }
      opts.onOutput?.(text, from);
    });
    unwatch = endWhenExited(exec, stream);
    await done;
  } finally {
    ended = true;
    unwatch();
    opts.signal?.removeEventListener('abort', onAbort);
  }
  if (opts.signal?.aborted) throw new RuntimeError('cancelled', `Running ${opts.cmd.join(' ')} was cancelled.`);
  // the exit code is recorded a moment after the stream ends
  for (let i = 0; ; i++) {
    const info = await exec.inspect();
    if (!info.Running || i >= 100) return { exitCode: info.ExitCode ?? -1, output: output.slice(-keep), stdout: stdout.slice(-keep) };
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** How long an exec's output may be quiet before it is asked whether its process still runs. */
const QUIET_MS = 1000;
/** How long its output stream may stay open once its process has exited (Docker: 2 s at most). */
const AFTER_EXIT_MS = 3000;

/**
 * Ends an exec's output stream that its engine leaves open after the process exited. Docker closes
 * it at most 2 s after the exit (even while a background child still holds the output); Podman
 * 4.3.1 closes it at the exit; an engine that never closed it would hang every caller waiting for
 * its end, and the hb process with them. Costs nothing while output flows, or when the stream ends
 * within QUIET_MS; after that the exec is inspected once per quiet QUIET_MS, and a stream still
 * open AFTER_EXIT_MS after its process was seen to exit is destroyed (which ends the caller's wait).
 * Attach it after the stream's own 'data' handler. Returns the function that stops watching.
 */
export function endWhenExited(
  exec: { inspect(options?: { abortSignal?: AbortSignal }): Promise<{ Running?: boolean }> },
  stream: NodeJS.ReadableStream & { destroy(): void },
  { quietMs = QUIET_MS, afterExitMs = AFTER_EXIT_MS } = {},
): () => void {
  let stopped = false;
  let exitedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number) => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(() => void check(), ms);
  };
  const check = async () => {
    if (stopped) return;
    if (exitedAt) {
      stop();
      stream.destroy();
      return;
    }
    // an engine that does not answer while the stream is open must not hold the watch either
    const ac = new AbortController();
    const limit = setTimeout(() => ac.abort(), quietMs * 2);
    try {
      const info = await exec.inspect({ abortSignal: ac.signal });
      if (info && info.Running === false) exitedAt = Date.now();
    } catch {
      // asked again after the next quiet period
    } finally {
      clearTimeout(limit);
    }
    arm(exitedAt ? afterExitMs : quietMs);
  };
  // output resets the quiet period, until the process is known to have exited
  const onData = () => {
    if (!exitedAt) arm(quietMs);
  };
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    stream.removeListener('data', onData);
    stream.removeListener('end', stop);
    stream.removeListener('close', stop);
  };
  stream.on('data', onData);
  stream.once('end', stop);
  stream.once('close', stop);
  arm(quietMs);
  return stop;
}
