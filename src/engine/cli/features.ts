// `hb features outdated` and `hb features upgrade`: the versions of a config's registry Features
// against what is published, and devcontainer-lock.json brought up to the newest each reference allows.
import { readFeatures } from '../runtime/build/features';
import { loadConfig } from '../runtime/container';
import { lockfilePath, readLockfile } from '../registry/lockfile';
import { outdatedFeatures } from '../registry/outdated';
import { EXIT_OK, UsageError, type Command } from './command';
import { colors } from './format';
import { cliReporter, configOf, failure, folderOf } from './runtime';

export const featuresCommand: Command = {
  name: 'features',
  summary: 'List newer versions of the config\'s registry Features, or upgrade its lockfile',
  usage: 'hb features outdated|upgrade [folder] [--config FILE] [--json]',
  help: [
    'outdated  for each Feature from a registry: the version in devcontainer-lock.json, the',
    '          newest its reference allows (":1" allows 1.x.y) and the newest published',
    'upgrade   resolves every Feature afresh (ignoring the lockfile), downloads what changed and',
    '          writes devcontainer-lock.json; hb up then installs those versions',
    '',
    'Options:',
    '  --config FILE   the devcontainer.json to use (default: the folder\'s)',
    '  --json          print the table (outdated) or the lockfile (upgrade) as JSON',
  ].join('\n'),
  options: { config: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx) {
    const sub = ctx.positionals[0];
    if (sub !== 'outdated' && sub !== 'upgrade') throw new UsageError(sub ? `Unknown subcommand "${sub}": use outdated or upgrade.` : 'Say what to do: hb features outdated, or hb features upgrade.');
    const rest = { ...ctx, positionals: ctx.positionals.slice(1) };
    try {
      const resolved = await loadConfig(folderOf(rest), configOf(rest), ctx.env);
      if (sub === 'outdated') {
        const rows = await outdatedFeatures(resolved, ctx.env, ctx.signal);
        if (ctx.values.json) {
          ctx.out(JSON.stringify({ features: rows }, null, 2) + '\n');
          return EXIT_OK;
        }
        if (!rows.length) {
          ctx.err('The config has no Features from a registry.\n');
          return EXIT_OK;
        }
        const c = colors(ctx.isTTY, ctx.env);
        const table = rows.map((r) => [r.feature, r.current ?? '-', r.wanted ?? '-', r.latest ?? '-']);
        const head = ['FEATURE', 'CURRENT', 'WANTED', 'LATEST'];
        const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
        const fmt = (r: string[]) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]))).join('  ');
        ctx.out(c.bold(fmt(head)) + '\n');
        for (const r of table) ctx.out(fmt(r) + '\n');
        return EXIT_OK;
      }
      const report = cliReporter(rest);
      const before = resolved.configFile ? await readLockfile(resolved.configFile) : undefined;
      await readFeatures(resolved, { env: ctx.env, report, signal: ctx.signal, upgradeLockfile: true });
      report.flush();
      const after = resolved.configFile ? await readLockfile(resolved.configFile) : undefined;
      if (ctx.values.json) ctx.out(JSON.stringify(after ?? { features: {} }, null, 2) + '\n');
      const changed = Object.entries(after?.features ?? {}).filter(([k, v]) => before?.features[k]?.integrity !== v.integrity);
      for (const [k, v] of changed) ctx.err(`${k}: ${before?.features[k]?.version ?? 'new'} -> ${v.version ?? v.integrity.slice(0, 19)}\n`);
      ctx.err(changed.length ? `Updated ${lockfilePath(resolved.configFile!)}.\n` : 'The lockfile is up to date.\n');
      return EXIT_OK;
    } catch (e) {
      return failure(ctx, `features ${sub}`, e);
    }
  },
};
