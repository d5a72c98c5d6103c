// `hb ports [folder] [add|remove PORT] [--forward] [--json]`: the ports of a folder's dev container.
// hb exits when a command is done, so it cannot forward in the background by itself: forwarding
// lives as long as `hb ports --forward` runs in the foreground (or the editor's engine, which
// forwards forwardPorts on its own). `add` / `remove` are remembered for the container, and a
// running forwarder (hb ports --forward or the editor's engine) picks them up within a second or two.
import * as path from 'node:path';
import type { PortForward, PortsResult } from '../../protocol';
import { findContainer, loadConfig } from '../runtime/container';
import { connectEngine, engineError } from '../runtime/engine/docker';
import { RuntimeError } from '../runtime/errors';
import { watchContainerEvents } from '../runtime/live/events';
import { changePort, ForwardManager, listPorts } from '../runtime/live/portsOps';
import { EXIT_OK, UsageError, type Command, type CommandContext } from './command';
import { colors } from './format';
import { configOf, failure } from './runtime';

function stateText(p: PortForward): string {
  if (p.state === 'forwarded') return `forwarded by ${p.by?.what ?? 'HyperBox'}${p.by ? ` (pid ${p.by.pid})` : ''}${p.via === 'netns-relay' ? ', via the relay to its localhost' : ''}`;
  if (p.state === 'published') return 'published by the engine (appPort)';
  if (p.state === 'not-forwarded') return `not forwarded${p.message ? ` (${p.message})` : ''}: hb ports --forward`;
  return `${p.state}: ${p.message ?? ''}`;
}

export function printPorts(ctx: CommandContext, r: PortsResult): void {
  if (!r.containerId) {
    ctx.err(`${r.folder} has no dev container. Run hb up first.\n`);
    return;
  }
  if (!r.ports.length) {
    ctx.err('No ports: add "forwardPorts" or "appPort" to the config, or hb ports add PORT.\n');
    return;
  }
  const c = colors(ctx.isTTY, ctx.env);
  const rows = r.ports.map((p) => [
    `127.0.0.1:${p.hostPort}`,
    `${p.service ? `${p.service}:` : ''}${p.containerPort}`,
    p.label ?? '',
    p.source,
    stateText(p),
  ]);
  const head = ['HOST', 'CONTAINER', 'LABEL', 'FROM', 'STATE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]) => row.map((v, i) => (i === row.length - 1 ? v : v.padEnd(widths[i]))).join('  ');
  ctx.out(c.bold(fmt(head)) + '\n');
  for (const row of rows) ctx.out(fmt(row) + '\n');
}

/** Parses `[folder] [add|remove PORT]`. */
export function portsArgs(positionals: string[]): { folder?: string; op?: 'add' | 'remove'; port?: string } {
  const i = positionals.findIndex((p) => p === 'add' || p === 'remove');
  if (i < 0) {
    if (positionals.length > 1) throw new UsageError(`unexpected ${positionals.slice(1).join(' ')}`);
    return { folder: positionals[0] };
  }
  if (i > 1) throw new UsageError(`unexpected ${positionals.slice(1, i).join(' ')}`);
  const port = positionals[i + 1];
  if (!port) throw new UsageError(`${positionals[i]} needs a PORT`);
  if (positionals.length > i + 2) throw new UsageError(`unexpected ${positionals.slice(i + 2).join(' ')}`);
  return { folder: i === 1 ? positionals[0] : undefined, op: positionals[i] as 'add' | 'remove', port };
}

/** The foreground forwarder: runs until Ctrl-C, or until the container is removed. */
async function forward(ctx: CommandContext, folder: string): Promise<number> {
  const env = ctx.env;
  const engine = await connectEngine(env);
  try {
    const resolved = await loadConfig(folder, configOf(ctx), env);
    const found = await findContainer(engine, resolved.workspaceFolder, resolved.configFile!);
    if (!found) throw new RuntimeError('not-found', `${resolved.workspaceFolder} has no dev container. Run hb up first.`);
    const info = await engine.docker.getContainer(found.Id).inspect();
    if (!info.State.Running) throw new RuntimeError('not-running', `The dev container of ${resolved.workspaceFolder} (${info.Name.replace(/^\//, '')}) is stopped. Run hb up to start it.`);
    const said = new Set<string>();
    const manager = new ForwardManager(engine, {
      env,
      what: 'hb ports --forward',
      onMessage: (m) => ctx.err(`${m}\n`),
      onChange: (r) => {
        for (const p of r.ports) {
          const line =
            p.state === 'forwarded' && p.by?.pid === process.pid
              ? `Forwarding 127.0.0.1:${p.hostPort} -> ${p.service ? `${p.service}:` : 'container port '}${p.containerPort}${p.label ? ` (${p.label})` : ''}${p.via === 'netns-relay' ? ' via the relay to its localhost' : ''}`
              : p.state === 'forwarded'
                ? `Port ${p.hostPort} is already forwarded by ${p.by?.what} (pid ${p.by?.pid})`
                : '';
          if (line && !said.has(line)) {
            said.add(line);
            ctx.err(`${line}\n`);
          }
        }
      },
    });
    const first = await manager.sync(resolved, info);
    if (!first.ports.some((p) => p.state !== 'published')) ctx.err('Nothing to forward yet: hb ports add PORT in another terminal adds one.\n');
    ctx.err('Forwarding until Ctrl-C.\n');
    if (ctx.values.json) ctx.out(JSON.stringify(first) + '\n');
    await new Promise<void>((resolve) => {
      const events = watchContainerEvents(engine, (ev) => {
        if (ev.containerId !== info.Id) return;
        manager.forwarderOf(info.Id)?.invalidate(info.Id);
        if (ev.action === 'destroy') {
          ctx.err('The dev container was removed; forwarding stops.\n');
          finish();
        } else if (ev.action === 'die') ctx.err('The dev container stopped; its ports answer again once hb up starts it.\n');
        else if (ev.action === 'start') void manager.refresh(info.Id).catch(() => undefined);
      });
      events.ready.catch(() => undefined);
      const timer = setInterval(() => void manager.refresh(info.Id).catch(() => undefined), 1000);
      const finish = () => {
        clearInterval(timer);
        events.close();
        resolve();
      };
      if (ctx.signal?.aborted) finish();
      ctx.signal?.addEventListener('abort', finish, { once: true });
    });
    await manager.close();
    return EXIT_OK;
  } catch (e) {
    throw engineError(e, engine.endpoint);
  }
}

export const portsCommand: Command = {
  name: 'ports',
  summary: 'Show, add, remove and forward the ports of the dev container of a folder',
  usage: 'hb ports [folder] [add PORT | remove PORT] [--forward] [--config FILE] [--json]',
  help: [
    'Lists the ports of the dev container: appPort (published by the engine on 127.0.0.1 when the',
    'container is made), forwardPorts and ports added with hb ports add, with their portsAttributes',
    'labels and who forwards them now.',
    '',
    '  hb ports [folder] add PORT      forward one more port (a number, or service:port for Compose)',
    '  hb ports [folder] remove PORT   stop forwarding a port (also one from forwardPorts)',
    '  hb ports [folder] --forward     forward the ports from 127.0.0.1 of this machine into the',
    '                                  container, in the foreground, until Ctrl-C',
    '',
    'Forwarding needs a process that stays: hb ports --forward, or the editor (its engine forwards',
    'forwardPorts by itself). add / remove are remembered for the container, and a running',
    'forwarder picks them up within two seconds. The container is not recreated. A server that',
    'listens only on the container\'s localhost (Vite\'s default) is reached through a relay in the',
    'container\'s network namespace, which needs root and nsenter; without them hb says so.',
    'A host port that is taken is an error naming who holds it; hb never picks another port.',
    '',
    'Options:',
    '  --config FILE   the devcontainer.json to use (default: the folder\'s)',
    '  --forward       forward until Ctrl-C (or until the container is removed)',
    '  --json          print {folder, containerId, ports: [...]}',
  ].join('\n'),
  options: { config: { type: 'string' }, json: { type: 'boolean' }, forward: { type: 'boolean' } },
  async run(ctx) {
    const args = portsArgs(ctx.positionals);
    const folder = path.resolve(ctx.cwd, args.folder ?? '.');
    try {
      if (ctx.values.forward) {
        if (args.op) throw new UsageError('--forward cannot be combined with add / remove');
        return await forward(ctx, folder);
      }
      const r = args.op
        ? await changePort({ folder, configFile: configOf(ctx), env: ctx.env, port: /^\d+$/.test(args.port!) ? Number(args.port) : args.port!, op: args.op })
        : await listPorts({ folder, configFile: configOf(ctx), env: ctx.env });
      if (ctx.values.json) ctx.out(JSON.stringify(r, null, 2) + '\n');
      else printPorts(ctx, r);
      if (args.op === 'add' && !ctx.values.json) {
        const p = r.ports.find((x) => String(x.service ? `${x.service}:${x.containerPort}` : x.containerPort) === args.port);
        if (p?.state === 'not-forwarded') ctx.err('Remembered. It is forwarded while hb ports --forward (or the editor) runs.\n');
      }
      return EXIT_OK;
    } catch (e) {
      return failure(ctx, 'ports', e);
    }
  },
};
