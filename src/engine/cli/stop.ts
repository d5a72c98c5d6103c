// `hb stop [folder]` and `hb down [folder] [--volumes]`.
import { down, stop } from '../runtime/ops';
import { EXIT_OK, type Command } from './command';
import { cliReporter, configOf, failure, folderOf } from './runtime';

export const stopCommand: Command = {
  name: 'stop',
  summary: 'Stop the dev container of a folder (hb up starts it again)',
  usage: 'hb stop [folder] [--config FILE] [--json]',
  help: ['Options:', '  --config FILE   the devcontainer.json to use (default: the folder\'s)', '  --json          print the container\'s state as JSON'].join('\n'),
  options: { config: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx) {
    try {
      const s = await stop({ folder: folderOf(ctx), configFile: configOf(ctx), env: ctx.env, report: cliReporter(ctx) });
      if (ctx.values.json) ctx.out(JSON.stringify(s, null, 2) + '\n');
      else if (!s.containerId) ctx.err(`${s.folder} has no dev container; nothing to stop.\n`);
      else ctx.out(`${s.name} (${s.containerId.slice(0, 12)}) ${s.running ? 'running' : 'stopped'}\n`);
      return EXIT_OK;
    } catch (e) {
      return failure(ctx, 'stop', e);
    }
  },
};

export const downCommand: Command = {
  name: 'down',
  summary: 'Remove the dev container of a folder (its volumes only with --volumes)',
  usage: 'hb down [folder] [--config FILE] [--volumes] [--json]',
  help: [
    'Options:',
    '  --config FILE   the devcontainer.json to use (default: the folder\'s)',
    '  --volumes       also remove its volumes: anonymous ones, and named ones no other container uses',
    '  --json          print {containerId, removed, volumesRemoved, volumesKept}',
  ].join('\n'),
  options: { config: { type: 'string' }, volumes: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(ctx) {
    try {
      const r = await down({ folder: folderOf(ctx), configFile: configOf(ctx), env: ctx.env, volumes: Boolean(ctx.values.volumes), report: cliReporter(ctx) });
      if (ctx.values.json) ctx.out(JSON.stringify(r, null, 2) + '\n');
      else if (!r.removed) ctx.err(`${folderOf(ctx)} has no dev container; nothing to remove.\n`);
      else {
        ctx.out(`removed ${r.containerId!.slice(0, 12)}\n`);
        if (r.volumesRemoved.length) ctx.out(`removed volumes: ${r.volumesRemoved.join(', ')}\n`);
        if (r.volumesKept.length) ctx.err(`kept volumes: ${r.volumesKept.join(', ')}${ctx.values.volumes ? ' (in use by other containers)' : ' (hb down --volumes removes them)'}\n`);
      }
      return EXIT_OK;
    } catch (e) {
      return failure(ctx, 'down', e);
    }
  },
};
