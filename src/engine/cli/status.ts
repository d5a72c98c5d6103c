// `hb status [folder]`: the state of a folder's dev container; `hb ps`: every dev container.
import { readReloadState } from '../reload/control';
import { list, status } from '../runtime/ops';
import { EXIT_OK, type Command } from './command';
import { colors } from './format';
import { configOf, failure, folderOf, printSummary } from './runtime';
import { printEngineRuntimes } from './runtimes';

export const statusCommand: Command = {
  name: 'status',
  summary: 'Show the state of the dev container of a folder',
  usage: 'hb status [folder] [--config FILE] [--json]',
  help: [
    'States: running, stopped, stale (the config or a file the Dockerfile copies changed since',
    'the container was made: hb rebuild), missing (no container yet: hb up), error.',
    '',
    'Options:',
    '  --config FILE   the devcontainer.json to use (default: the folder\'s)',
    '  --json          print one JSON object: containerId, state, image, workspaceFolder, remoteUser, ports, drift, seccomp',
  ].join('\n'),
  options: { config: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx) {
    try {
      const s = await status({ folder: folderOf(ctx), configFile: configOf(ctx), env: ctx.env });
      const app = s.configFile ? await readReloadState(ctx.env, s.folder, s.configFile) : undefined;
      if (ctx.values.json) ctx.out(JSON.stringify(app ? { ...s, app } : s, null, 2) + '\n');
      else {
        printSummary(ctx, s);
        if (app) {
          const c = colors(ctx.isTTY, ctx.env);
          const last = app.last ? `; last reload ${app.last.action} in ${app.last.ms} ms${app.p95 !== undefined ? ` (p50 ${app.p50} / p95 ${app.p95} ms)` : ''}` : '';
          ctx.out(`${c.bold("App".padEnd(10))} ${app.command} ${c.dim(`(${app.pid !== null ? `pid ${app.pid}` : 'not running: starts again on the next change'}, ${app.strategy}, supervised by ${app.owner.kind} pid ${app.owner.pid}${last})`)}\n`);
        }
        await printEngineRuntimes(ctx);
      }
      return EXIT_OK;
    } catch (e) {
      return failure(ctx, 'status', e);
    }
  },
};

export const psCommand: Command = {
  name: 'ps',
  summary: 'List every dev container on the engine, whoever made it',
  usage: 'hb ps [--json]',
  help: ['Lists containers that carry the Dev Containers labels: made by HyperBox, the Dev Containers', 'extension or its CLI.', '', 'Options:', '  --json   print {"containers": [...]}'].join('\n'),
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    try {
      const containers = await list(ctx.env);
      if (ctx.values.json) {
        ctx.out(JSON.stringify({ containers }, null, 2) + '\n');
        return EXIT_OK;
      }
      if (!containers.length) {
        ctx.err('No dev containers on this engine. hb up [folder] makes one.\n');
        return EXIT_OK;
      }
      const c = colors(ctx.isTTY, ctx.env);
      const rows = containers.map((x) => [x.containerId.slice(0, 12), x.name, x.state, x.madeBy === 'hyperbox' ? 'hyperbox' : 'other', x.image, x.folder]);
      const head = ['CONTAINER', 'NAME', 'STATE', 'MADE BY', 'IMAGE', 'FOLDER'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      const fmt = (r: string[]) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]))).join('  ');
      ctx.out(c.bold(fmt(head)) + '\n');
      for (const r of rows) ctx.out(fmt(r) + '\n');
      return EXIT_OK;
    } catch (e) {
      return failure(ctx, 'ps', e);
    }
  },
};
