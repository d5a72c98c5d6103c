// `hb`: the engine's services as a command line. Results on stdout, messages on stderr.
import { runCli } from './cli/run';

function write(stream: NodeJS.WriteStream) {
  return (text: string) => {
    stream.write(text);
  };
}

runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  out: write(process.stdout),
  err: write(process.stderr),
  isTTY: Boolean(process.stdout.isTTY),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`hb: ${(e as Error)?.stack ?? e}\n`);
    process.exitCode = 1;
  },
);
