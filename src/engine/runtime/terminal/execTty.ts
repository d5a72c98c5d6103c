// `hb exec -it`: an exec with the terminal attached. With -t the exec gets a TTY (one raw byte
// stream, no demultiplexing), the local terminal goes into raw mode so keys (Ctrl-C included)
// reach the container, and the exec is resized to the terminal at start and on every SIGWINCH.
// With -i, stdin is forwarded (its end closes the command's stdin).
import type { Container } from 'dockerode';
import type { Readable, Writable } from 'node:stream';
import type { Engine } from '../engine/docker';

export interface TtyStdin extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface TtyStdout extends Writable {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export interface AttachedExecOptions {
  cmd: string[];
  user?: string;
  workdir?: string;
  env: string[];
  /** Forward stdin (-i). */
  interactive: boolean;
  /** Allocate a TTY (-t). */
  tty: boolean;
  stdin: TtyStdin;
  stdout: TtyStdout;
  stderr: Writable;
  signal?: AbortSignal;
}

/** Runs the exec attached to the given streams; returns the command's exit code. */
export async function execAttached(engine: Engine, container: Container, opts: AttachedExecOptions): Promise<number> {
  const env = [...opts.env];
  if (opts.tty && !env.some((e) => e.startsWith('TERM='))) env.push(`TERM=${process.env.TERM || 'xterm'}`);
  const e = await container.exec({
    Cmd: opts.cmd,
    User: opts.user,
    WorkingDir: opts.workdir,
    Env: env,
    AttachStdin: opts.interactive,
    AttachStdout: true,
    AttachStderr: true,
    Tty: opts.tty,
  });
  const stream = (await e.start({ hijack: true, stdin: opts.interactive, Tty: opts.tty })) as unknown as Readable & Writable;

  const resize = () => {
    const w = opts.stdout.columns;
    const h = opts.stdout.rows;
    if (w && h) e.resize({ h, w }).catch(() => undefined);
  };
  const raw = opts.tty && opts.interactive && opts.stdin.isTTY && typeof opts.stdin.setRawMode === 'function';
  if (opts.tty) {
    resize();
    opts.stdout.on('resize', resize);
    process.on('SIGWINCH', resize);
  }
  if (raw) opts.stdin.setRawMode!(true);
  const onAbort = () => stream.destroy();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const onStdinEnd = () => stream.end();
  if (opts.interactive) {
    opts.stdin.pipe(stream, { end: false });
    opts.stdin.on('end', onStdinEnd);
  }
  try {
    if (opts.tty) stream.pipe(opts.stdout, { end: false });
    else engine.docker.modem.demuxStream(stream, opts.stdout, opts.stderr);
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (opts.tty) {
      opts.stdout.removeListener('resize', resize);
      process.removeListener('SIGWINCH', resize);
    }
    if (opts.interactive) {
      opts.stdin.unpipe(stream);
      opts.stdin.removeListener('end', onStdinEnd);
      opts.stdin.pause();
    }
    if (raw) opts.stdin.setRawMode!(false);
  }
  for (let i = 0; ; i++) {
    const r = await e.inspect();
    if (!r.Running || i > 200) return r.ExitCode ?? 1;
    await new Promise((res) => setTimeout(res, 10));
  }
}
