// `hb runtimes [--json]`: the OCI runtimes the Docker engine has registered (runc, crun, youki,
// gVisor's runsc, Kata), which is the default, and which one hb up would pick on this host.
import * as os from 'node:os';
import { connectEngine, engineError } from '../runtime/engine/docker';
import { chooseRuntime, listRuntimes } from '../runtime/engine/runtimes';
import { EXIT_OK, type Command, type CommandContext } from './command';
import { colors } from './format';
import { failure } from './runtime';

export const runtimesCommand: Command = {
  name: 'runtimes',
  summary: 'List the OCI runtimes the Docker engine can run containers with',
  usage: 'hb runtimes [--json]',
  help: [
    'Lists the runtimes the engine has registered (its default first) and what each one is.',
    'A dev container picks one with "customizations": {"hyperbox": {"runtime": "crun"}} or',
    'hb up --runtime NAME; on ARM (arm64) hosts hb up prefers youki or crun when registered.',
    'Register another with dockerd --add-runtime NAME=/path/to/binary (or "runtimes" in',
    '/etc/docker/daemon.json).',
    '',
    'Options:',
    '  --json   print {"runtimes": [{name, path, kind, description, isDefault}], "defaultRuntime", "preferred"}',
  ].join('\n'),
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    try {
      const engine = await connectEngine(ctx.env);
      let list;
      try {
        list = await listRuntimes(engine, ctx.env);
      } catch (e) {
        throw engineError(e, engine.endpoint);
      }
      const choice = chooseRuntime(list, undefined, os.arch());
      const preferred = choice.runtime ?? list.defaultRuntime;
      if (ctx.values.json) {
        ctx.out(JSON.stringify({ ...list, preferred, reason: choice.reason ?? null }, null, 2) + '\n');
        return EXIT_OK;
      }
      const c = colors(ctx.isTTY, ctx.env);
      const rows = list.runtimes.map((r) => [r.name + (r.isDefault ? ' (default)' : ''), r.kind, r.path ?? '', r.description]);
      const head = ['NAME', 'KIND', 'PATH', 'WHAT'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      const fmt = (r: string[]) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]))).join('  ');
      ctx.out(c.bold(fmt(head)) + '\n');
      for (const r of rows) ctx.out(fmt(r) + '\n');
      ctx.err(choice.runtime ? `hb up uses ${choice.reason}.\n` : `hb up uses the engine's default, ${list.defaultRuntime}, unless a config or --runtime picks another.\n`);
      return EXIT_OK;
    } catch (e) {
      return failure(ctx, 'runtimes', e);
    }
  },
};

/** hb status's row of the engine's runtimes; nothing when the engine does not say. */
export async function printEngineRuntimes(ctx: CommandContext): Promise<void> {
  try {
    const list = await listRuntimes(await connectEngine(ctx.env), ctx.env);
    if (!list.runtimes.length) return;
    const c = colors(ctx.isTTY, ctx.env);
    const names = list.runtimes.map((r) => (r.isDefault ? `${r.name} (default)` : r.name));
    ctx.out(`${c.bold('Runtimes'.padEnd(10))} ${names.join(', ')} (hb runtimes)\n`);
  } catch {
    // the summary above already says what the engine is; the runtimes are extra
  }
}
