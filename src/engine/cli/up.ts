// `hb up [folder]` and `hb rebuild [folder]`: bring the folder's dev container up.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import * as path from 'node:path';
import { lifecycleLogFile } from '../runtime/state';
import { up } from '../runtime/up';
import { EXIT_OK, type Command, type CommandContext } from './command';
import { cliReporter, cliTrust, configOf, failure, folderOf, printSummary } from './runtime';

const COMMON_HELP = [
  '  --config FILE   the devcontainer.json to use (default: the folder\'s)',
  '  --json          print one JSON object: containerId, state, image, workspaceFolder, remoteUser,',
  '                  ports, drift, and the time each step took',
  '  --trust         trust the folder: run its initializeCommand, build and lifecycle commands',
  '                  (remembered until those settings change; on a terminal hb asks instead)',
  '  --runtime NAME  create the container with this OCI runtime (hb runtimes lists them);',
  '                  default: customizations.hyperbox.runtime, else the engine\'s default',
  '  --frozen-lockfile  fail when devcontainer-lock.json is missing or does not match the',
  '                  Features resolved from registries (instead of updating it)',
];

async function runUp(ctx: CommandContext, name: 'up' | 'rebuild'): Promise<number> {
  const folder = folderOf(ctx);
  const report = cliReporter(ctx);
  try {
    const outcome = await up({
      folder,
      configFile: configOf(ctx),
      env: ctx.env,
      trusted: cliTrust(ctx),
      report,
      signal: ctx.signal,
      waitFor: name === 'up' && Boolean(ctx.values['wait-for']),
      rebuild: name === 'rebuild',
      noCache: Boolean(ctx.values['no-cache']),
      frozenLockfile: Boolean(ctx.values['frozen-lockfile']),
      runtime: typeof ctx.values.runtime === 'string' ? ctx.values.runtime : undefined,
    });
    report.flush();
    const { result } = outcome;
    if (outcome.release) {
      // the rest of the lifecycle commands run in a background hb, their output in hb logs
      await outcome.release();
      const log = lifecycleLogFile(ctx.env, result.containerId!);
      mkdirSync(path.dirname(log), { recursive: true });
      const fd = openSync(log, 'a');
      const args = [process.argv[1], 'up', folder, '--trust'];
      if (result.configFile) args.push('--config', result.configFile);
      const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd], env: ctx.env, cwd: folder });
      child.unref();
      closeSync(fd);
      ctx.err(`${result.pendingHooks.join(', ')} keep running in the background (pid ${child.pid}); hb logs shows their output.\n`);
    }
    if (ctx.values.json) ctx.out(JSON.stringify(result, null, 2) + '\n');
    else printSummary(ctx, result);
    return EXIT_OK;
  } catch (e) {
    report.flush();
    return failure(ctx, name, e);
  }
}

export const upCommand: Command = {
  name: 'up',
  summary: 'Create or start the dev container of a folder and run its lifecycle commands',
  usage: 'hb up [folder] [--config FILE] [--json] [--wait-for] [--trust] [--frozen-lockfile]',
  help: [
    'Finds the folder\'s dev container by the labels the Dev Containers tools set (so a container',
    'made by the Dev Containers extension or CLI is reused as it is), starts it when stopped, or',
    'makes it: the image is used or pulled, or the Dockerfile built, or the Compose services',
    'started (docker compose / docker-compose); Features (local ./folder, registry references,',
    'tarball URLs) are installed in a derived image. Then onCreateCommand, updateContentCommand and postCreateCommand run once,',
    'postStartCommand once per start and postAttachCommand at each up. When the config changed',
    'since the container was made, hb up says so (state "stale"): hb rebuild recreates it.',
    '',
    'Options:',
    ...COMMON_HELP,
    '  --wait-for      return once the "waitFor" command (default updateContentCommand) is done;',
    '                  the rest keep running in the background, their output in hb logs',
    '',
    'Ctrl-C cancels and removes a container whose create-time commands did not finish.',
    'Exit status: 0 when the container is up, 1 on failure, 2 for bad usage.',
  ].join('\n'),
  options: {
    config: { type: 'string' },
    json: { type: 'boolean' },
    'wait-for': { type: 'boolean' },
    trust: { type: 'boolean' },
    runtime: { type: 'string' },
    'frozen-lockfile': { type: 'boolean' },
  },
  run: (ctx) => runUp(ctx, 'up'),
};

export const rebuildCommand: Command = {
  name: 'rebuild',
  summary: 'Remove the dev container of a folder and make it again from the current config',
  usage: 'hb rebuild [folder] [--config FILE] [--no-cache] [--json] [--trust]',
  help: [
    'Removes the container (its volumes stay), builds the image again when the config has a',
    'Dockerfile, and brings a new container up, running every lifecycle command.',
    '',
    'Options:',
    ...COMMON_HELP,
    '  --no-cache      build without the layer cache',
  ].join('\n'),
  options: {
    config: { type: 'string' },
    json: { type: 'boolean' },
    'no-cache': { type: 'boolean' },
    trust: { type: 'boolean' },
    runtime: { type: 'string' },
    'frozen-lockfile': { type: 'boolean' },
  },
  run: (ctx) => runUp(ctx, 'rebuild'),
};
