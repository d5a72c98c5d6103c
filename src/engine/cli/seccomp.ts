// `hb seccomp record|generate|validate|apply`: seccomp profiles made from what the workload really
// does (src/engine/seccomp), proven by running the workload again under them.
import * as path from 'node:path';
import { withEngine, type Engine } from '../runtime/engine/docker';
import { copiesRemoved } from '../seccomp/run';
import { applySeccomp, generateSeccomp, recordSeccomp, validateSeccomp } from '../seccomp/ops';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command, type CommandContext } from './command';
import { colors } from './format';
import { cliReporter, cliTrust, configOf, failure } from './runtime';

const SUBCOMMANDS = ['record', 'generate', 'validate', 'apply'];

function parts(ctx: CommandContext): { sub: string; folder: string; command?: string[] } {
  const cmd = ctx.afterDashDash;
  const positionals = cmd ? ctx.positionals.slice(0, ctx.positionals.length - cmd.length) : ctx.positionals;
  const [sub, folder, ...extra] = positionals;
  if (!sub || !SUBCOMMANDS.includes(sub)) throw new UsageError(sub ? `unknown subcommand "${sub}": use ${SUBCOMMANDS.join(', ')}` : `name a subcommand: ${SUBCOMMANDS.join(', ')}`);
  if (extra.length) throw new UsageError(`hb seccomp ${sub} takes at most one folder (a command goes after --)`);
  if (cmd && (sub === 'generate' || sub === 'apply')) throw new UsageError(`hb seccomp ${sub} runs nothing: a command after -- is for record and validate`);
  if (cmd && !cmd.length) throw new UsageError('nothing after --: give the command to run');
  return { sub, folder: path.resolve(ctx.cwd, folder ?? '.'), command: cmd };
}

function duration(ctx: CommandContext): number | undefined {
  if (ctx.values.duration === undefined) return undefined;
  const d = Number(ctx.values.duration);
  if (!Number.isFinite(d) || d <= 0) throw new UsageError(`--duration takes a number of seconds > 0 (got ${String(ctx.values.duration)})`);
  return d;
}

export const seccompCommand: Command = {
  name: 'seccomp',
  summary: 'Record the syscalls a workload makes, generate a minimal seccomp profile, validate and apply it',
  usage: 'hb seccomp record|generate|validate|apply [folder] [--duration S] [--strace] [--trust] [--name N] [--profile FILE] [--json] [-- CMD...]',
  help: [
    'record    runs the workload (CMD after --, else customizations.hyperbox.devCommand, else the',
    '          detected dev command) in a temporary copy of the dev container (its image, settings',
    '          and own command), and records every syscall its processes make, from the moment the',
    '          runtime loads the container\'s filter: through the kernel\'s seccomp log (SCMP_ACT_LOG,',
    '          read from /dev/kmsg; no arguments or failures seen), or strace from the host when the',
    '          log cannot be read or with --strace. Recordings add up.',
    'generate  writes .devcontainer/seccomp/<name>.json from every recording: only the calls made',
    '          are allowed; clone3 gets ENOSYS (glibc falls back to clone); socket only for the',
    '          address families used; personality only with the values seen.',
    'validate  runs the workload again under the profile and lists every call it blocks, with the',
    '          program that made it, and the exit status.',
    'apply     sets customizations.hyperbox.seccomp.profile in devcontainer.json (comments kept).',
    '',
    'Recording and validation need the dev container (hb up first), root on the Docker host,',
    'strace (apt-get install strace; validation, and recording with --strace) and',
    'scmp_sys_resolver (apt-get install seccomp).',
    '',
    'Options:',
    '  --config FILE     the devcontainer.json to use (default: the folder\'s)',
    '  --duration S      stop the workload after S seconds (a server does not end by itself)',
    '  --strace          record: with strace (slower; sees arguments and failed calls)',
    '  --trust           trust the folder: recording and validation run its code',
    '  --name N          generate: the profile\'s name (default "default")',
    '  --profile FILE    validate, apply: the profile file (default: the configured one, else',
    '                    .devcontainer/seccomp/default.json)',
    '  --json            print the result as JSON',
    '',
    'Exit status: 0 when done (validate: no call blocked and the workload succeeded), 1 otherwise.',
  ].join('\n'),
  options: {
    config: { type: 'string' },
    duration: { type: 'string' },
    strace: { type: 'boolean' },
    trust: { type: 'boolean' },
    name: { type: 'string' },
    profile: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const { sub, folder, command } = parts(ctx);
    const c = colors(ctx.isTTY, ctx.env);
    const report = cliReporter(ctx);
    const json = (v: unknown) => ctx.out(JSON.stringify(v, null, 2) + '\n');
    const profile = typeof ctx.values.profile === 'string' ? path.resolve(ctx.cwd, ctx.values.profile) : undefined;
    try {
      if (sub === 'generate') {
        const started = performance.now();
        const r = await generateSeccomp({ folder, configFile: configOf(ctx), env: ctx.env, name: typeof ctx.values.name === 'string' ? ctx.values.name : undefined });
        for (const w of r.warnings) report.warn(w);
        if (ctx.values.json) json(r);
        else {
          ctx.out(`Wrote ${r.file} in ${Math.round(performance.now() - started)} ms: ${r.allowed.length} syscalls allowed (${r.recordings} recording${r.recordings === 1 ? '' : 's'} hold ${r.distinct} distinct calls of the workload, the container's own processes and the runtime).\n`);
          if (r.added.length) ctx.out(`${c.green('added:')} ${r.added.join(' ')}\n`);
          if (r.removed.length) ctx.out(`${c.yellow('removed:')} ${r.removed.join(' ')}\n`);
          ctx.out(`Next: hb seccomp validate${ctx.positionals[1] ? ` ${ctx.positionals[1]}` : ''} runs the workload under it.\n`);
        }
        return EXIT_OK;
      }
      if (sub === 'apply') {
        const r = await applySeccomp({ folder, configFile: configOf(ctx), env: ctx.env, profileFile: profile });
        if (ctx.values.json) json(r);
        else ctx.out(`Set customizations.hyperbox.seccomp.profile to "${r.profile}" in ${r.configFile} (${r.allowed} syscalls allowed). hb rebuild makes the container with it.\n`);
        return EXIT_OK;
      }
      const durationS = duration(ctx);
      // the copies a run made are removed in the background once its result is in: hb waits for that before it exits
      return await withEngine(ctx.env, (engine) => runIn(engine).finally(copiesRemoved));
      async function runIn(engine: Engine): Promise<number> {
        const base = { engine, folder, configFile: configOf(ctx), env: ctx.env, command, durationS, trusted: cliTrust(ctx), report, signal: ctx.signal };
        if (sub === 'record') {
          const r = await recordSeccomp({ ...base, mechanism: ctx.values.strace ? 'strace' : undefined });
          report.flush();
          for (const w of r.warnings) report.warn(w);
          if (ctx.values.json) json(r);
          else
            ctx.out(
              `Recorded ${r.syscalls} distinct syscalls (${r.calls} calls${r.mechanism === 'seccomp-log' ? ", from the kernel's seccomp log" : ', with strace'}) in ${(r.durationMs / 1000).toFixed(1)} s; the workload ${r.ended === 'stopped' ? 'was stopped' : `exited with ${r.exitCode}`}. ` +
                `${r.recordings} recording${r.recordings === 1 ? '' : 's'} of this folder so far; hb seccomp generate makes the profile.\n`,
            );
          return EXIT_OK;
        }
        const r = await validateSeccomp({ ...base, profileFile: profile });
        report.flush();
        if (ctx.values.json) json(r);
        else {
          const how = r.ended === 'stopped' ? 'ran until stopped' : `exited with ${r.exitCode}`;
          for (const d of r.denials) ctx.out(`${c.red('blocked:')} ${d.name} (${d.count}×) by ${d.processes.join(', ')}\n`);
          if (r.failsWithoutProfile === true) ctx.out(`The workload ${how}, and fails without the profile too: it fails on its own, not because of ${r.file}.\n`);
          else if (r.failsWithoutProfile === false) ctx.out(`The workload ${how} under ${r.file} but works without it: the profile breaks it.\n`);
          if (r.ownProcessExit !== null) ctx.out(`${c.red('stopped:')} the dev container's own process exited with ${r.ownProcessExit} under ${r.file}: a dev container made with this profile would not stay up.\n`);
          if (r.logTail && (r.failsWithoutProfile !== null || r.ownProcessExit !== null)) ctx.err(`Its last output:\n${r.logTail}`);
          if (r.ok) ctx.out(`${c.green('ok:')} no call blocked under ${r.file}; the workload ${how}.\n`);
          else if (r.denials.length) ctx.out(`${r.denials.length} syscall${r.denials.length === 1 ? '' : 's'} blocked under ${r.file}: record the workload doing this, then hb seccomp generate again.\n`);
        }
        return r.ok ? EXIT_OK : EXIT_FAILURE;
      }
    } catch (e) {
      report.flush();
      return failure(ctx, `seccomp ${sub}`, e);
    }
  },
};
