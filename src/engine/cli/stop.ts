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
  usage: 'hb down [folder] [--config FILE] [--volumes [--volume NAME]... | --yes] [--json]',
  help: [
    'Options:',
    '  --config FILE   the devcontainer.json to use (default: the folder\'s)',
    '  --volumes       also remove its anonymous volumes and the named ones HyperBox made for it;',
    '                  a volume you made (docker volume create) and the language profile\'s shared',
    '                  caches stay, each named with why. For Compose, the project\'s declared',
    '                  volumes (a database\'s data) are listed and go only when you confirm: on a',
    '                  terminal hb asks; otherwise name each with --volume NAME, or pass --yes',
    '  --volume NAME   a Compose volume you agree to delete (repeat for each)',
    '  --yes           agree to delete every Compose volume --volumes lists',
    '  --json          print {containerId, removed, volumesRemoved, volumesKept, kept: [{name, reason}]}',
  ].join('\n'),
  options: { config: { type: 'string' }, volumes: { type: 'boolean' }, volume: { type: 'string', multiple: true }, yes: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(ctx) {
    const named = (ctx.values.volume as string[] | undefined) ?? [];
    const confirmVolumes = async (volumes: string[]): Promise<boolean> => {
      if (ctx.values.yes || volumes.every((v) => named.includes(v))) return true;
      if (!ctx.prompt) return false;
      ctx.err(`Removing the Compose project also deletes its volumes, and the data in them:\n${volumes.map((v) => `  - ${v}`).join('\n')}\n`);
      const answer = (await ctx.prompt('Delete these volumes? [y/N] ')).toLowerCase();
      return answer === 'y' || answer === 'yes';
    };
    try {
      const r = await down({ folder: folderOf(ctx), configFile: configOf(ctx), env: ctx.env, volumes: Boolean(ctx.values.volumes), report: cliReporter(ctx), confirmVolumes });
      if (ctx.values.json) ctx.out(JSON.stringify(r, null, 2) + '\n');
      else if (!r.removed) ctx.err(`${folderOf(ctx)} has no dev container; nothing to remove.\n`);
      else {
        ctx.out(`removed ${r.containerId!.slice(0, 12)}\n`);
        if (r.volumesRemoved.length) ctx.out(`removed volumes: ${r.volumesRemoved.join(', ')}\n`);
        for (const k of r.kept) ctx.err(`kept volume ${k.name}: ${k.reason}\n`);
      }
      return EXIT_OK;
    } catch (e) {
      return failure(ctx, 'down', e);
    }
  },
};
