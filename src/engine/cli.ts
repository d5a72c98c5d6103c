// `hb`: the engine's services as a command line. Results on stdout, messages on stderr.
import { isatty } from 'node:tty';
import { runCli } from './cli/run';
import { enableCompileCache } from './compileCache';

// before any command module (dist/cli-*.js, dist/docker.js) is loaded
enableCompileCache(__dirname);

/**
 * A reader that goes away (`hb status | head -2`, `hb up | head -1`) must neither stop the work nor
 * print a trace: once a stream fails (EPIPE, or anything else that means nobody reads it), what is
 * still written to it is dropped and the command goes on to its end and its own exit code. This
 * covers the raw streams too (hb exec and hb logs pipe into them).
 */
function keepWorkingWhenClosed(stream: NodeJS.WriteStream): () => boolean {
  let closed = false;
  stream.on('error', () => {
    closed = true;
  });
  return () => closed || stream.destroyed;
}
const stdoutClosed = keepWorkingWhenClosed(process.stdout);
const stderrClosed = keepWorkingWhenClosed(process.stderr);

function write(stream: NodeJS.WriteStream, closed: () => boolean) {
  return (text: string) => {
    if (!closed()) stream.write(text);
  };
}

// Ctrl-C cancels the running operation, which then removes what it half made; a second Ctrl-C exits at once.
const cancel = new AbortController();
process.on('SIGINT', () => {
  if (cancel.signal.aborted) process.exit(130);
  if (!stderrClosed()) process.stderr.write('\nhb: cancelling (Ctrl-C again to exit at once) ...\n');
  cancel.abort();
});

/** A question on the terminal (stderr), answered on stdin; only when both are terminals. */
function prompt(question: string): Promise<string> {
  return new Promise((resolve) => {
    process.stderr.write(question);
    let answer = '';
    const onData = (b: Buffer) => {
      answer += b.toString('utf8');
      const nl = answer.indexOf('\n');
      if (nl >= 0) {
        process.stdin.off('data', onData);
        process.stdin.pause();
        resolve(answer.slice(0, nl).trim());
      }
    };
    process.stdin.on('data', onData);
    process.stdin.resume();
  });
}

// Once nothing is left to do (the result written, the timeline saved, every stream flushed: the
// event loop is empty), exit as process.exit does, without taking down the heap piece by piece
// as a natural exit does: about 10 ms of every hb command. 'exit' listeners (the compile cache)
// still run; `beforeExit` never comes while anything is still pending.
process.once('beforeExit', () => process.exit());

runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  out: write(process.stdout, stdoutClosed),
  err: write(process.stderr, stderrClosed),
  isTTY: Boolean(process.stdout.isTTY),
  // isatty(0), not process.stdin.isTTY: creating the stdin stream costs every run a few ms
  prompt: isatty(0) && process.stderr.isTTY ? prompt : undefined,
  signal: cancel.signal,
  stdout: process.stdout,
  stderr: process.stderr,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    if (!stderrClosed()) process.stderr.write(`hb: ${(e as Error)?.stack ?? e}\n`);
    process.exitCode = 1;
  },
);
