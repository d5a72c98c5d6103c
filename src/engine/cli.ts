// `hb`: the engine's services as a command line. Results on stdout, messages on stderr.
import { isatty } from 'node:tty';
import { runCli } from './cli/run';

function write(stream: NodeJS.WriteStream) {
  return (text: string) => {
    stream.write(text);
  };
}

// Ctrl-C cancels the running operation, which then removes what it half made; a second Ctrl-C exits at once.
const cancel = new AbortController();
process.on('SIGINT', () => {
  if (cancel.signal.aborted) process.exit(130);
  process.stderr.write('\nhb: cancelling (Ctrl-C again to exit at once) ...\n');
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

runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  out: write(process.stdout),
  err: write(process.stderr),
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
    process.stderr.write(`hb: ${(e as Error)?.stack ?? e}\n`);
    process.exitCode = 1;
  },
);
