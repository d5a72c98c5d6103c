// `hb up [folder]` and `hb rebuild [folder]`: bring the folder's dev container up.
import { mkdirSync, openSync, closeSync } from 'node:fs';
import * as path from 'node:path';
import { lifecycleLogFile } from '../runtime/up/state';
import { up } from '../runtime/up/up';
import { LIFECYCLE_HOOKS, type LifecycleHook } from '../runtime/build/metadata';
import { EXIT_OK, UsageError, type Command, type CommandContext } from './command';
import { colors, formatProblem } from './format';
import { cliReporter, cliTrust, configOf, failure, folderOf, printSummary } from './runtime';
import { childProcess } from '../util/program';

const COMMON_HELP = [
  '  --config FILE   the devcontainer.json to use (default: the folder\'s)',
  '  --json          print one JSON object: containerId, state, image, workspaceFolder, remoteUser,',
  '                  ports, drift, and the time each step took',
  '  --trust         trust the folder: run its initializeCommand, build and lifecycle commands',
  '                  (remembered until those settings change; on a terminal hb asks instead)',
  '  --runtime NAME  create the container with this OCI runtime (hb runtimes lists them);',
  '                  over runArgs --runtime and customizations.hyperbox.runtime; without any,',
  '                  the engine\'s default',
  '  --frozen-lockfile  fail when devcontainer-lock.json is missing or does not match the',
  '                  Features resolved from registries (instead of updating it)',
];

async function runUp(ctx: CommandContext, name: 'up' | 'rebuild' | 'run-hooks'): Promise<number> {
  const folder = folderOf(ctx);
  const report = cliReporter(ctx);
  let runHooks: LifecycleHook[] | undefined;
  if (name === 'run-hooks') {
    const asked = (ctx.values.hook as string[] | undefined) ?? [];
    const unknown = asked.filter((h) => !(LIFECYCLE_HOOKS as readonly string[]).includes(h));
    if (unknown.length) throw new UsageError(`--hook ${unknown.join(', ')}: not a lifecycle command; one of ${LIFECYCLE_HOOKS.join(', ')}.`);
    runHooks = asked.length ? (asked as LifecycleHook[]) : [...LIFECYCLE_HOOKS];
  }
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
      runHooks,
      // as hb config prints them: file:line:column: warning: message (the up goes on)
      onConfigWarnings: (warnings) => {
        const c = colors(Boolean((ctx.stderr as NodeJS.WriteStream | undefined)?.isTTY), ctx.env);
        for (const p of warnings) ctx.err(formatProblem(p, ctx.cwd, c) + '\n');
      },
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
      const child = childProcess().spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd], env: ctx.env, cwd: folder });
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

export const runHooksCommand: Command = {
  name: 'run-hooks',
  summary: 'Run the lifecycle commands of a folder\'s dev container again, even those that ran once',
  usage: 'hb run-hooks [folder] [--hook NAME]... [--config FILE] [--json] [--trust]',
  help: [
    'Brings the dev container up as hb up does (making or starting it when needed), then runs the',
    'lifecycle commands named with --hook (default: all of onCreateCommand, updateContentCommand,',
    'postCreateCommand, postStartCommand and postAttachCommand) whether or not they ran before.',
    'Use it after fixing a command, or to run e.g. postCreateCommand again after changing what it',
    'installs. A command that fails is not marked as run, so hb up runs it again too.',
    '',
    'Options:',
    '  --hook NAME     a lifecycle command to run (repeat for several)',
    ...COMMON_HELP,
    '',
    'Exit status: 0 when the commands ran, 1 when one failed, 2 for bad usage.',
  ].join('\n'),
  options: {
    hook: { type: 'string', multiple: true },
    config: { type: 'string' },
    json: { type: 'boolean' },
    trust: { type: 'boolean' },
    runtime: { type: 'string' },
  },
  run: (ctx) => runUp(ctx, 'run-hooks'),
};
