// What the container commands (up, stop, down, rebuild, exec, logs, status, ps) share: progress
// on stderr, the trust question, the folder argument and the human form of a container's state.
import * as path from 'node:path';
import type { ContainerSummary, UpResult } from '../../protocol';
import { seccompText } from '../../protocol/text';
import { RuntimeError } from '../runtime/errors';
import type { Reporter } from '../runtime/report';
import { isTrusted, rememberTrust, trustedKeys, trustRequired, type TrustDecider } from '../runtime/create/trust';
import { EXIT_FAILURE, type CommandContext } from './command';
import { colors } from './format';

/** The folder: the first positional, else --folder, else the current folder. */
export function folderOf(ctx: CommandContext, usePositional = true): string {
  const positional = usePositional ? ctx.positionals[0] : undefined;
  return path.resolve(ctx.cwd, positional ?? (typeof ctx.values.folder === 'string' ? ctx.values.folder : '.'));
}

export function configOf(ctx: CommandContext): string | undefined {
  return typeof ctx.values.config === 'string' ? path.resolve(ctx.cwd, ctx.values.config) : undefined;
}

/** Progress on stderr: steps as lines, command output indented, one line at a time per source. */
export function cliReporter(ctx: CommandContext): Reporter & { flush(): void } {
  const c = colors(Boolean((ctx.stderr as NodeJS.WriteStream | undefined)?.isTTY), ctx.env);
  const partial = new Map<string, string>();
  const line = (source: string, text: string) => ctx.err(`${c.dim(`  ${source} |`)} ${text}\n`);
  return {
    step: (m) => ctx.err(`${c.cyan('>')} ${m}\n`),
    info: (m) => ctx.err(`${m}\n`),
    warn: (m) => ctx.err(`${c.yellow('warning:')} ${m}\n`),
    output(source, text) {
      const all = (partial.get(source) ?? '') + text.replace(/\r\n/g, '\n');
      const lines = all.split('\n');
      partial.set(source, lines.pop() ?? '');
      for (const l of lines) line(source, l.replace(/\r/g, ''));
    },
    flush() {
      for (const [source, rest] of partial) if (rest) line(source, rest);
      partial.clear();
    },
  };
}

/**
 * hb's trust: `--trust` says yes (and is remembered); a folder trusted before for the same
 * findings is trusted; on a terminal hb lists the findings and asks; otherwise it refuses, listing
 * them and naming --trust. Nothing is made and nothing runs before the answer.
 */
export function cliTrust(ctx: CommandContext): TrustDecider {
  return {
    async check(findings, target) {
      if (ctx.values.trust) {
        await rememberTrust(ctx.env, target.folder, findings, target.configFile);
        return true;
      }
      return isTrusted(ctx.env, target.folder, findings, target.configFile);
    },
    async ask(findings, target) {
      const known = await trustedKeys(ctx.env, target.folder, target.configFile);
      if (!ctx.prompt) {
        throw trustRequired(
          target.folder,
          findings,
          'There is no terminal to ask on. Review the config, then run again with --trust (hb remembers it for this folder until what it finds changes).',
          known,
        );
      }
      const fresh = findings.filter((f) => !known.includes(f.key));
      ctx.err(
        `${target.folder}: its dev container reaches into this machine or runs code${known.length ? ` (new since you trusted it: ${fresh.length})` : ''}:\n` +
          `${findings.map((f) => `  - ${f.text}${known.length && fresh.includes(f) ? ' (new)' : ''}`).join('\n')}\n`,
      );
      const answer = (await ctx.prompt('Trust this folder for these and go on? [y/N] ')).toLowerCase();
      if (answer === 'y' || answer === 'yes') {
        await rememberTrust(ctx.env, target.folder, findings, target.configFile);
        return;
      }
      throw new RuntimeError('trust-required', `Not trusted: nothing was made and nothing ran for ${target.folder}. Run again and answer y, or pass --trust.`, undefined, {
        findings,
        newFindings: fresh.map((f) => f.key),
      });
    },
  };
}

/** Prints a runtime failure (the message says what, why and what next) and returns the exit code. */
export function failure(ctx: CommandContext, command: string, e: unknown): number {
  if (e instanceof RuntimeError) {
    ctx.err(`hb ${command}: ${e.message}\n`);
    if (ctx.env.HB_DEBUG) ctx.err(`${e.stack}\n`);
    return EXIT_FAILURE;
  }
  throw e;
}

function fmtPorts(s: ContainerSummary): string {
  return s.ports.length ? s.ports.map((p) => `${p.hostIp || '0.0.0.0'}:${p.hostPort} -> ${p.containerPort}/${p.protocol}`).join(', ') : 'none';
}

export function printSummary(ctx: CommandContext, s: ContainerSummary | UpResult): void {
  const c = colors(ctx.isTTY, ctx.env);
  const row = (k: string, v: string) => ctx.out(`${c.bold(k.padEnd(10))} ${v}\n`);
  const stateColor = s.state === 'running' ? c.green : s.state === 'stale' || s.state === 'stopped' ? c.yellow : c.red;
  const up = 'timings' in s ? s : undefined;
  const how = up ? (up.created ? ', created' : up.started ? ', started' : ', reused') : '';
  if (s.containerId) row('Container', `${s.name} (${s.containerId.slice(0, 12)}) ${stateColor(s.state)}${s.state === 'stale' ? (s.running ? ' (running)' : ' (stopped)') : ''}${how}`);
  else row('Container', stateColor(s.state));
  row('Folder', s.folder);
  if (s.configFile) row('Config', s.configFile);
  if (s.image) row('Image', s.image);
  if (s.workspaceFolder) row('Workspace', s.workspaceFolder);
  if (s.remoteUser) row('User', s.remoteUser);
  if (s.containerId && s.forwards?.length) {
    // with portsAttributes labels and who forwards each (hb ports has the details)
    const f = s.forwards.map((p) => `127.0.0.1:${p.hostPort} -> ${p.service ? `${p.service}:` : ''}${p.containerPort}${p.label ? ` (${p.label})` : ''} ${p.state}`);
    row('Ports', f.join(', '));
  } else if (s.containerId) row('Ports', fmtPorts(s));
  if (s.containerId) row('Drift', !s.drift.known ? 'unknown (not made by HyperBox)' : s.drift.changed.length ? `stale: ${s.drift.changed.join(', ')}` : 'none');
  if (s.madeBy) row('Made by', s.madeBy === 'hyperbox' ? 'HyperBox' : 'another tool (adopted)');
  if (s.engine) row('Engine', `${s.engine.name} ${s.engine.version} at ${s.engine.host}`);
  if (s.runtime) row('Runtime', s.runtime);
  if (s.containerId && s.seccomp) row('Seccomp', seccompText(s.seccomp));
  if (s.containerId && s.shutdownAction) row('On close', s.shutdownAction === 'none' ? 'keep running (shutdownAction none)' : `${s.shutdownAction} (when the editor window closes)`);
  if (up) {
    row('Took', `${(up.totalMs / 1000).toFixed(2)} s (${up.timings.map((t) => `${t.step} ${Math.round(t.ms)} ms`).join(', ')})`);
    if (up.pendingHooks.length) row('Running', `${up.pendingHooks.join(', ')} (in the background; see hb logs)`);
    if (up.profile) {
      // the language profile applied when the container was made (runtime/profile.ts)
      const what = up.profile.entries.map((e) => (e.kind === 'volume' ? `volume ${e.source} at ${e.target}` : `${e.name}=${e.value}`));
      row('Profile', `${up.profile.label}: ${what.join(', ')}`);
    }
  }
  if (s.message && s.state !== 'running') ctx.err(`${s.message}\n`);
}
