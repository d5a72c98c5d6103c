// `hb exec [--] CMD...`: run a command in the dev container, as its remoteUser, in the workspace
// folder, with the user's environment; the command's exit code is hb's.
import { exec, logs } from '../runtime/ops';
import { UsageError, type Command } from './command';
import { cliReporter, configOf, failure, folderOf } from './runtime';

export const execCommand: Command = {
  name: 'exec',
  summary: 'Run a command in the dev container of a folder',
  usage: 'hb exec [-it] [--folder DIR] [--config FILE] [--user USER] [--workdir DIR] [--] CMD [ARGS...]',
  help: [
    'Runs CMD as the config\'s remoteUser, in the workspace folder, with the user\'s login-shell',
    'environment (userEnvProbe) and remoteEnv; no shell is involved unless CMD is one.',
    'Exit status: the command\'s own.',
    '',
    'Options:',
    '  --folder DIR    the workspace folder (default: the current folder)',
    '  --config FILE   the devcontainer.json to use (default: the folder\'s)',
    '  --user USER     run as USER instead of remoteUser',
    '  --workdir DIR   run in DIR instead of the workspace folder',
    '  -i, --interactive  forward stdin to the command',
    '  -t, --tty       give the command a terminal (raw mode; resized with the window):',
    '                  hb exec -it -- bash for a shell',
  ].join('\n'),
  stopAtFirstPositional: true,
  options: {
    folder: { type: 'string' },
    config: { type: 'string' },
    user: { type: 'string' },
    workdir: { type: 'string' },
    interactive: { type: 'boolean', short: 'i' },
    tty: { type: 'boolean', short: 't' },
  },
  async run(ctx) {
    if (!ctx.positionals.length) throw new UsageError('name the command to run, e.g. hb exec -- ls -la');
    try {
      return await exec({
        folder: folderOf(ctx, false),
        configFile: configOf(ctx),
        env: ctx.env,
        cmd: ctx.positionals,
        user: typeof ctx.values.user === 'string' ? ctx.values.user : undefined,
        workdir: typeof ctx.values.workdir === 'string' ? ctx.values.workdir : undefined,
        stdout: (ctx.stdout ?? process.stdout) as import("node:stream").Writable,
        stderr: (ctx.stderr ?? process.stderr) as import("node:stream").Writable,
        report: cliReporter(ctx),
        signal: ctx.signal,
        interactive: Boolean(ctx.values.interactive),
        tty: Boolean(ctx.values.tty),
      });
    } catch (e) {
      return failure(ctx, 'exec', e);
    }
  },
};

export const logsCommand: Command = {
  name: 'logs',
  summary: 'Show the output of the dev container of a folder',
  usage: 'hb logs [folder] [--config FILE] [-f]',
  help: [
    'The container\'s output, then the output of lifecycle commands that hb up --wait-for left',
    'running in the background.',
    '',
    'Options:',
    '  --config FILE   the devcontainer.json to use (default: the folder\'s)',
    '  -f, --follow    keep printing new output until Ctrl-C',
  ].join('\n'),
  options: { config: { type: 'string' }, follow: { type: 'boolean', short: 'f' } },
  async run(ctx) {
    try {
      await logs({
        folder: folderOf(ctx),
        configFile: configOf(ctx),
        env: ctx.env,
        follow: Boolean(ctx.values.follow),
        stdout: (ctx.stdout ?? process.stdout) as import('node:stream').Writable,
        stderr: (ctx.stderr ?? process.stderr) as import('node:stream').Writable,
        signal: ctx.signal,
      });
      return 0;
    } catch (e) {
      return failure(ctx, 'logs', e);
    }
  },
};
