// `bash scripts/try.sh`: HyperBox in a real VS Code in your browser, with nothing to install.
// Packages the extension, installs it into code-server (throwaway profile) and serves a folder with
// a dev container on 127.0.0.1 until Ctrl-C.
//
//   node --import tsx test/e2e/serve.ts [--port N] [folder]
// Without a folder it serves a fresh copy of test/fixtures/example (the checked-in one stays clean).
// Port: --port, else $HB_PORT, else 8080 when free, else any free port.
import * as path from 'node:path';
import {
  copyFixture, freePort, offlineExample, isPortFree, newProfile, packageExtension, removeDir, startCodeServer, type CodeServer,
} from './harness';

function parseArgs(argv: string[]): { port?: number; folder?: string } {
  const out: { port?: number; folder?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') out.port = Number(argv[++i]);
    else if (a.startsWith('--port=')) out.port = Number(a.slice('--port='.length));
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: bash scripts/try.sh [--port N] [folder]\n');
      process.exit(0);
    } else out.folder = path.resolve(a);
  }
  if (out.port !== undefined && !(Number.isInteger(out.port) && out.port > 0 && out.port < 65536)) {
    process.stderr.write('try: --port needs a number between 1 and 65535\n');
    process.exit(2);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const wanted = args.port ?? (process.env.HB_PORT ? Number(process.env.HB_PORT) : undefined);
  let port = wanted ?? 8080;
  if (!(await isPortFree(port))) {
    if (wanted !== undefined) throw new Error(`port ${port} on 127.0.0.1 is in use; choose another with --port`);
    port = await freePort();
  }
  const vsix = await packageExtension();
  const folder = args.folder ?? (await copyFixture());
  if (!args.folder) await offlineExample(folder);
  const profile = await newProfile();
  process.stderr.write(`try: installing ${path.relative(process.cwd(), vsix)} into code-server and starting it ...\n`);
  const server: CodeServer = await startCodeServer({ folder, profile, vsix, port });

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\ntry: ${why}; stopping code-server ...\n`);
    await server.stop();
    await removeDir(path.dirname(profile.userDataDir));
    if (!args.folder) await removeDir(path.dirname(folder));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('Ctrl-C'));
  process.on('SIGTERM', () => void stop('terminated'));
  server.process.once('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`try: code-server exited (${code ?? signal}); its log: ${server.logFile}\n`);
      process.exit(1);
    }
  });

  process.stdout.write(
    [
      '',
      `  HyperBox is running in VS Code (code-server) on ${args.folder ? folder : `a copy of test/fixtures/example (${folder})`}.`,
      '',
      `  Open:  ${server.folderUrl()}`,
      '',
      '  Answer "Yes, I trust the authors" to let HyperBox start the dev container;',
      '  "No" shows Restricted Mode, where nothing runs. Ctrl-C stops the server.',
      `  (code-server log: ${server.logFile})`,
      '',
    ].join('\n') + '\n',
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`try: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(1);
});
