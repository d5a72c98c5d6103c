// `hb watch [folder]`: hot reload from a terminal — the app (devCommand, else the detected dev
// command) runs in the dev container under HyperBox's supervision, its output streams here, and
// every saved change reloads it until Ctrl-C. `hb reload [folder]`: one reload of a running
// `hb watch` (or the editor's engine), through its local socket.
import type { Writable } from 'node:stream';
import { findContainer, loadConfig } from '../runtime/container';
import { connectEngine } from '../runtime/engine/docker';
import { RuntimeError } from '../runtime/errors';
import { percentile, requestReload, serveControl, type ReloadState } from '../reload/control';
import { alreadyRunning, planReload, reloadTrustFindings } from '../reload/plan';
import { ReloadSession, type ReloadRecord } from '../reload/session';
import { EXIT_FAILURE, EXIT_OK, type Command, type CommandContext } from './command';
import { colors } from './format';
import { cliTrust, configOf, failure, folderOf } from './runtime';

/** How often hb watch looks for its stopped container to run again. */
const RESUME_POLL_MS = 1000;

export function describeRecord(r: ReloadRecord): string {
  const files = r.count ? `${r.files.join(', ')}${r.count > r.files.length ? ` and ${r.count - r.files.length} more` : ''}` : 'forced';
  return `${r.action} in ${r.ms} ms (${files})${r.error ? `: ${r.error}` : ''}`;
}

export const watchCommand: Command = {
  name: 'watch',
  summary: 'Run the app in the dev container and reload it on every saved change',
  usage: 'hb watch [folder] [--config FILE] [--trust]',
  help: [
    'Starts the dev command (customizations.hyperbox.devCommand, else the detected one) in the',
    'running dev container under HyperBox\'s supervision, streams its output, and on every change',
    'in the folder restarts it (reload.strategy "restart"; a Node standby process waits ahead, a',
    'Python parent with Flask imported forks the app, so a reload is not a cold start) or leaves',
    'it to the app\'s own watcher',
    '("framework-native"). A changed lockfile reinstalls dependencies first; a changed',
    'devcontainer.json or Dockerfile is reported (hb rebuild). When the container stops, changes',
    'are queued and replayed once it runs again (hb up). Ctrl-C stops the app.',
    'It runs the dev command, so the folder must be trusted (hb asks once, or --trust).',
    '',
    'Options:',
    '  --config FILE   the devcontainer.json to use (default: the folder\'s)',
    '  --trust         trust the folder: run its dev command',
  ].join('\n'),
  options: { config: { type: 'string' }, trust: { type: 'boolean' } },
  async run(ctx) {
    try {
      return await watch(ctx);
    } catch (e) {
      if (e instanceof RuntimeError) return failure(ctx, 'watch', e);
      ctx.err(`hb watch: ${(e as Error).message}\n`);
      return EXIT_FAILURE;
    }
  },
};

async function watch(ctx: CommandContext): Promise<number> {
  const c = colors(Boolean((ctx.stderr as NodeJS.WriteStream | undefined)?.isTTY), ctx.env);
  const resolved = await loadConfig(folderOf(ctx), configOf(ctx), ctx.env);
  const folder = resolved.workspaceFolder;
  const configFile = resolved.configFile!;
  const engine = await connectEngine(ctx.env);
  const found = await findContainer(engine, folder, configFile);
  if (!found || found.State !== 'running') {
    throw new RuntimeError('not-running', `The dev container of ${folder} ${found ? 'is stopped' : 'does not exist'}; hot reload runs the app in it. Run hb up${folder === ctx.cwd ? '' : ` ${folder}`} first.`);
  }
  const info = await engine.docker.getContainer(found.Id).inspect();
  const plan = await planReload(folder, resolved.config, ctx.env);
  {
    const findings = reloadTrustFindings(plan.command);
    const target = { folder, configFile };
    const decider = cliTrust(ctx);
    if (!(await decider.check(findings, target))) await decider.ask(findings, target);
  }
  const why = await alreadyRunning(engine, info, resolved.config, plan.command, plan.ports);
  if (why) throw new RuntimeError('port-taken', why);

  const out = (ctx.stdout ?? process.stdout) as Writable;
  const records: ReloadRecord[] = [];
  let ended: () => void = () => {};
  const done = new Promise<void>((r) => (ended = r));
  const session = new ReloadSession({
    engine,
    info,
    config: resolved.config,
    root: folder,
    containerWorkspace: resolved.workspace?.containerWorkspaceFolder ?? info.Config.WorkingDir ?? '/',
    command: plan.command,
    strategy: plan.strategy,
    rebuildOn: plan.rebuildOn,
    preload: plan.preload,
    ports: plan.servePorts,
    env: ctx.env,
    // the container stopping (docker stop, hb stop, a rebuild) suspends the session: changes queue until it runs again
    followRestarts: true,
    events: {
      output: (text) => out.write(text),
      reloaded: (r) => {
        records.push(r);
        ctx.err(`${c.cyan('>')} ${describeRecord(r)}\n`);
        void state();
      },
      crashed: (code, last) => {
        ctx.err(`${c.yellow('warning:')} the app exited with code ${code}; HyperBox starts it again on the next change. Its last output:\n${last}\n`);
        void state();
      },
      rebuildOffered: (files) => ctx.err(`${c.yellow('note:')} ${files.join(', ')} changed: the container is made from it; run hb rebuild to apply the change.\n`),
      warn: (m) => ctx.err(`${c.yellow('warning:')} ${m}\n`),
      ended: () => ended(),
      suspended: () => {
        ctx.err(`${c.yellow('note:')} the dev container stopped; changes are queued and replayed when it runs again (hb up${folder === ctx.cwd ? '' : ` ${folder}`}). Ctrl-C stops waiting.\n`);
        void state();
        void waitForContainer();
      },
    },
  });
  const control = await serveControl(ctx.env, folder, configFile, async () => {
    await session.force();
    return session.last;
  });
  // the stopped (or recreated) container running again: the session resumes there
  let waiting = false;
  const waitForContainer = async () => {
    if (waiting) return;
    waiting = true;
    try {
      while (!ctx.signal?.aborted && session.suspended) {
        await new Promise((r) => setTimeout(r, RESUME_POLL_MS));
        const now = await findContainer(engine, folder, configFile).catch(() => undefined);
        if (!now || now.State !== 'running') continue;
        const next = await engine.docker.getContainer(now.Id).inspect().catch(() => undefined);
        if (!next?.State.Running) continue;
        try {
          await session.resume(next);
          ctx.err(`${c.cyan('>')} The dev container runs again: ${plan.command} started${session.copy ? ' (workspace copied in)' : ''}; queued changes replayed.\n`);
          await state();
        } catch (e) {
          ctx.err(`${c.yellow('warning:')} the dev container runs again but the app did not start: ${(e as Error).message}; retrying.\n`);
        }
      }
    } finally {
      waiting = false;
    }
  };
  const state = () => {
    const ms = records.slice(-50).map((r) => r.ms);
    const s: ReloadState = {
      owner: { pid: process.pid, kind: 'hb watch' },
      folder,
      containerId: session.info.Id,
      command: plan.command,
      strategy: plan.strategy,
      pid: session.supervisor?.pid ?? null,
      startedAt: new Date(session.supervisor?.startedAt ?? Date.now()).toISOString(),
      last: session.last,
      p50: percentile(ms, 50),
      p95: percentile(ms, 95),
    };
    return control.update(s).catch(() => undefined);
  };
  try {
    ctx.err(`${c.cyan('>')} Starting ${plan.command} (from ${plan.source}) in the container; ${plan.strategy === 'restart' ? 'restarted' : 'left to reload by itself'} on every change. Ctrl-C stops it.\n`);
    await session.start();
    if (session.copy) ctx.err(`${c.dim('The workspace is not bind-mounted: each change is copied into the container.')}\n`);
    await state();
    const stop = new Promise<void>((r) => (ctx.signal?.aborted ? r() : ctx.signal?.addEventListener('abort', () => r(), { once: true })));
    await Promise.race([stop, done]);
    if (!ctx.signal?.aborted) ctx.err(`hb watch: the app's supervisor ended (the container stopped?). Run hb up, then hb watch again.\n`);
    return ctx.signal?.aborted ? EXIT_OK : EXIT_FAILURE;
  } finally {
    await session.close();
    await control.close();
  }
}

export const reloadCommand: Command = {
  name: 'reload',
  summary: 'Reload the app that hb watch (or the editor) runs for a folder, once',
  usage: 'hb reload [folder] [--config FILE] [--json]',
  help: ['Asks the running hot reload of the folder (hb watch, or the editor\'s engine) to restart', 'the app now, and prints what was done.', '', 'Options:', '  --config FILE   the devcontainer.json to use (default: the folder\'s)', '  --json          print the reload as JSON'].join('\n'),
  options: { config: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx) {
    try {
      const resolved = await loadConfig(folderOf(ctx), configOf(ctx), ctx.env);
      const r = await requestReload(ctx.env, resolved.workspaceFolder, resolved.configFile!);
      if (!r) {
        ctx.err(`hb reload: no hot reload runs for ${resolved.workspaceFolder}. Start one with hb watch${resolved.workspaceFolder === ctx.cwd ? '' : ` ${resolved.workspaceFolder}`}.\n`);
        return EXIT_FAILURE;
      }
      if (ctx.values.json) ctx.out(`${JSON.stringify(r)}\n`);
      else if (r.error && !r.action) ctx.err(`hb reload: ${r.error}\n`);
      else ctx.out(`${describeRecord(r)}\n`);
      return r.error ? EXIT_FAILURE : EXIT_OK;
    } catch (e) {
      return failure(ctx, 'reload', e);
    }
  },
};
