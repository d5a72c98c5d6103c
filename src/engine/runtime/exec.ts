// Running a command in a container through the Engine API (an exec), streaming its output.
import { StringDecoder } from 'node:string_decoder';
import { demux, type Engine } from './docker';
import { RuntimeError } from './errors';

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
  const keep = opts.keep ?? 16_384;
  let output = '';
  let stdout = '';
  const onAbort = () => stream.destroy();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    await demux(stream, (data, from) => {
      const text = decoders[from].write(data);
      output += text;
      if (output.length > keep * 2) output = output.slice(-keep);
      if (from === 'stdout') {
        stdout += text;
        if (stdout.length > keep * 2) stdout = stdout.slice(-keep);
      }
      opts.onOutput?.(text, from);
    });
  } finally {
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
