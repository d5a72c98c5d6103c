// `hb config [folder] [--config FILE] [--json]`: the resolved configuration and every problem.
import * as path from 'node:path';
import { syncFs } from '../devcontainer/fsops';
import { resolveConfig } from '../devcontainer/resolve';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command } from './command';
import { colors, formatProblem, summarizeProblems } from './format';

export const configCommand: Command = {
  name: 'config',
  summary: 'Show the resolved dev container configuration and every problem in it',
  usage: 'hb config [folder] [--config FILE] [--json]',
  help: [
    'Reads the folder\'s devcontainer.json (or the one --config names), validates it against the',
    'Dev Container spec and substitutes its variables.',
    '',
    'Options:',
    '  --config FILE   the config to read (relative to the current directory)',
    '  --json          print one JSON object: configFile, config, devcontainerId, problems, ...',
    '',
    'Exit status: 0 without errors (warnings allowed), 1 when the config has errors or cannot be',
    'found or read, 2 for bad usage.',
  ].join('\n'),
  options: {
    config: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    if (ctx.positionals.length > 1) {
      throw new UsageError(`one folder at a time: got ${ctx.positionals.length} (${ctx.positionals.join(', ')}). Use --config FILE to pick a config inside the folder.`);
    }
    const folder = path.resolve(ctx.cwd, ctx.positionals[0] ?? '.');
    const configFile = typeof ctx.values.config === 'string' ? path.resolve(ctx.cwd, ctx.values.config) : undefined;
    const result = await resolveConfig({ folder, configFile, env: ctx.env, fs: syncFs });
    const hasErrors = result.problems.some((p) => p.severity === 'error') || !result.config;
    if (ctx.values.json) {
      ctx.out(JSON.stringify(result, null, 2) + '\n');
      return hasErrors ? EXIT_FAILURE : EXIT_OK;
    }
    const c = colors(ctx.isTTY, ctx.env);
    for (const p of result.problems) ctx.err(formatProblem(p, ctx.cwd, colors(ctx.isTTY, ctx.env)) + '\n');
    if (result.config) {
      ctx.out(`${c.bold('Config')}         ${result.configFile}\n`);
      ctx.out(`${c.bold('Kind')}           ${result.kind ?? 'unknown'}\n`);
      ctx.out(`${c.bold('devcontainerId')} ${result.devcontainerId}\n`);
      if (result.workspace) {
        ctx.out(`${c.bold('Workspace')}      ${result.workspace.containerWorkspaceFolder}\n`);
        if (result.workspace.workspaceMount) ctx.out(`${c.bold('Mount')}          ${result.workspace.workspaceMount}\n`);
      }
      for (const other of result.otherConfigFiles) ctx.out(`${c.dim(`also found: ${other} (use --config to read it)`)}\n`);
      ctx.out(JSON.stringify(result.config, null, 2) + '\n');
    }
    if (result.problems.length) ctx.err(`${summarizeProblems(result.problems)}\n`);
    return hasErrors ? EXIT_FAILURE : EXIT_OK;
  },
};
