// Short host programs the engine asks something and waits for (docker --version, nvidia-smi -L,
// docker-credential-<helper> get, scmp_sys_resolver): one way to run them, with a time limit, an
// optional stdin, and an answer that never throws, so each caller words its own error. Node's
// execFile does the work; long-running or streaming children (builds, Compose, initializeCommand,
// strace, port relays) need their output as it comes and are spawned where they are handled.
import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * node:child_process, loaded when a process is first started: hb up of a running container and
 * hb status start none, and loading it (with dgram and the socket list) costs every run ~2 ms.
 */
export function childProcess(): typeof import('node:child_process') {
  return require('node:child_process') as typeof import('node:child_process');
}

export interface ProgramResult {
  /** The exit code; -1 when the program did not run or did not exit by itself (not found, timed out, killed). */
  code: number;
  stdout: string;
  stderr: string;
  /** Why it did not run or finish, when it did not (ENOENT: not on the PATH; a time limit). */
  error?: NodeJS.ErrnoException;
}

export function runProgram(
  file: string,
  args: string[],
  o: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string; maxBuffer?: number } = {},
): Promise<ProgramResult> {
  return new Promise((resolve) => {
    const child = childProcess().execFile(file, args, { env: o.env ?? process.env, timeout: o.timeoutMs ?? 15_000, maxBuffer: o.maxBuffer ?? 16 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const exit = (err as { code?: unknown } | null)?.code;
      resolve({
        code: !err ? 0 : typeof exit === 'number' ? exit : -1,
        stdout: stdout ?? '',
        stderr: stderr ?? '',
        ...(err && typeof exit !== 'number' ? { error: err as NodeJS.ErrnoException } : {}),
      });
    });
    // a program that exits before reading its input must not turn into an unhandled EPIPE
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(o.input ?? '');
  });
}

/** Whether `p` is a file this process may execute. */
export function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Every executable `name` on env.PATH, in PATH order. */
export function findAllOnPath(name: string, env: NodeJS.ProcessEnv, isExecutable: (p: string) => boolean = isExecutableFile): string[] {
  const out: string[] = [];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    if (isExecutable(p)) out.push(p);
  }
  return out;
}

/** The first executable `name` on env.PATH (/usr/bin:/bin when it is unset), then in `alsoIn`; undefined when there is none. */
export function which(name: string, env: NodeJS.ProcessEnv = process.env, alsoIn: string[] = []): string | undefined {
  return findAllOnPath(name, { PATH: [env.PATH ?? '/usr/bin:/bin', ...alsoIn].join(path.delimiter) })[0];
}
