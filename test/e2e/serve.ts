// `bash scripts/try.sh`: HyperBox in a real VS Code in your browser, with nothing to install.
// Packages the extension, installs it into code-server (throwaway profile) and serves a folder with
// a dev container on 127.0.0.1 until Ctrl-C.
//
//   node --import tsx test/e2e/serve.ts [--port N] [folder]
// Without a folder it serves the example workspace kept in ~/.cache/hyperbox/try/example: copied
// from test/fixtures/example the first time, then reused as you left it (your edits are never
// overwritten, and Ctrl-C never deletes it). On exit it removes the dev container made for the
// folder (found by its devcontainer.local_folder label): for the example, any; for your own folder,
// only one this run made.
// Port: --port, else $HB_PORT, else 8080 when free, else any free port.
import { cp, readFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { discoverConfigs } from '../../src/engine/devcontainer/discover';
import { connectEngine } from '../../src/engine/runtime/engine/docker';
import { cacheDir } from '../../src/engine/runtime/dirs';
import { LABEL_LOCAL_FOLDER } from '../../src/engine/runtime/create/labels';
import { down } from '../../src/engine/runtime/ops';
import {
  exampleFixture, freePort, offlineExample, isPortFree, newProfile, packageExtension, removeDir, setLogPrefix, startCodeServer, type CodeServer,
} from './harness';

const say = (line: string) => process.stderr.write(`try: ${line}\n`);

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
    say('--port needs a number between 1 and 65535');
    process.exit(2);
  }
  return out;
}

/** The example workspace under HyperBox's cache folder: made once, then reused as the user left it. */
async function exampleWorkspace(): Promise<string> {
  const dir = path.join(cacheDir(process.env), 'try', 'example');
  const config = path.join(dir, '.devcontainer', 'devcontainer.json');
  if (!existsSync(dir)) {
    await cp(exampleFixture, dir, { recursive: true });
    say(`made the example workspace ${dir} (a copy of test/fixtures/example; it stays there, and your edits stay, across runs)`);
  } else {
    say(`reusing the example workspace ${dir} as you left it (delete that folder to start again from test/fixtures/example)`);
  }
  // the offline image only replaces the example's config while it is still the one shipped
  const shipped = await readFile(path.join(exampleFixture, '.devcontainer', 'devcontainer.json'), 'utf8');
  if ((await readFile(config, 'utf8').catch(() => undefined)) === shipped) await offlineExample(dir);
  return dir;
}

interface Found {
  Id: string;
  Names: string[];
}

/** The containers labelled as made for this folder (its path as given and as resolved). */
async function containersFor(folder: string): Promise<Found[]> {
  const paths = [...new Set([folder, existsSync(folder) ? realpathSync(folder) : folder])];
  const engine = await connectEngine(process.env);
  const lists = await Promise.all(paths.map((p) => engine.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_LOCAL_FOLDER}=${p}`] }) })));
  const seen = new Set<string>();
  return lists.flat().filter((c) => !seen.has(c.Id) && !!seen.add(c.Id));
}

/** Removes the dev containers this run made for the folder (the engine's `down`, then by label); says what it kept. */
async function removeContainers(folder: string, before: Set<string>, ownFolder: boolean): Promise<void> {
  let now: Found[];
  try {
    now = await containersFor(folder);
  } catch {
    return; // no engine answers: nothing was made
  }
  const made = now.filter((c) => ownFolder || !before.has(c.Id));
  const kept = now.filter((c) => !made.includes(c));
  const name = (c: Found) => c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12);
  if (made.length) {
    // down also takes a Compose project's other services; a container it does not find goes by label
    await down({ folder, env: process.env }).catch(() => undefined);
    const engine = await connectEngine(process.env);
    for (const c of made) await engine.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    say(`removed the dev container${made.length > 1 ? 's' : ''} made for ${folder}: ${made.map(name).join(', ')}`);
  }
  for (const c of kept) say(`kept ${name(c)}: it was there before try started (remove it with: node bin/hb.js down ${folder})`);
}

async function main(): Promise<void> {
  setLogPrefix('try');
  const started = Number(process.env.HB_TRY_STARTED_MS) || Date.now();
  const args = parseArgs(process.argv.slice(2));
  const wanted = args.port ?? (process.env.HB_PORT ? Number(process.env.HB_PORT) : undefined);
  let port = wanted ?? 8080;
  if (!(await isPortFree(port))) {
    if (wanted !== undefined) throw new Error(`port ${port} on 127.0.0.1 is in use; choose another with --port`);
    port = await freePort();
  }
  const vsix = await packageExtension();
  const folder = args.folder ?? (await exampleWorkspace());
  const hasConfig = (await discoverConfigs(folder).catch(() => [])).length > 0;
  const before = new Set((await containersFor(folder).catch(() => [] as Found[])).map((c) => c.Id));
  const profile = await newProfile();
  say(`installing ${path.relative(process.cwd(), vsix)} into code-server and starting it ...`);
  const server: CodeServer = await startCodeServer({ folder, profile, vsix, port });

  let stopping = false;
  const stop = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('\n');
    say(`${why}; stopping code-server ...`);
    await server.stop();
    await removeDir(path.dirname(profile.userDataDir));
    await removeContainers(folder, before, !args.folder);
    if (!args.folder) say(`the example workspace stays in ${folder}, with your edits; the next run opens it again`);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop('Ctrl-C', 0));
  process.on('SIGTERM', () => void stop('terminated', 0));
  server.process.once('exit', (code, signal) => {
    if (!stopping) void stop(`code-server exited (${code ?? signal}); its log: ${server.logFile}`, 1);
  });

  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const next = hasConfig
    ? [
        '  Answer "Yes, I trust the authors" to let HyperBox start the dev container;',
        '  "No" shows Restricted Mode, where nothing runs.',
      ]
    : [
        '  This folder has no dev container config, so there is nothing to start yet. HyperBox offers',
        '  "Add Dev Container Configuration" (click "<your stack>: no config" in the status bar, or open',
        '  the HyperBox view in the activity bar): it writes a config for the stack it detects. Answer',
        '  "Yes, I trust the authors", and HyperBox then starts the dev container.',
      ];
  process.stdout.write(
    [
      '',
      `  HyperBox is running in VS Code (code-server) on ${args.folder ? folder : `the example workspace ${folder}`}.`,
      `  Ready in ${seconds} s.`,
      '',
      `  Open:  ${server.folderUrl()}`,
      '',
      ...next,
      `  Ctrl-C stops the server and removes the dev container ${args.folder ? 'this run made for the folder' : 'made for the example'}${args.folder ? '' : '; the workspace stays'}.`,
      `  (code-server log: ${server.logFile})`,
      '',
    ].join('\n') + '\n',
  );
}

main().catch((e: unknown) => {
  say((e as Error)?.message ?? String(e));
  process.exit(1);
});
