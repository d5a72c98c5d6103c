// `hb pressure [folder] [--watch] [--json]`: CPU, memory and IO pressure (PSI) of the host and of
// a folder's dev container (every running dev container without a folder), once or every second
// until Ctrl-C, from the pressure sampler (src/engine/pressure/sampler.ts).
import type { ContainerPressure, PressureFigures, PressureSample, PsiResource } from '../../protocol';
import { PressureSampler, type PressureTarget } from '../pressure/sampler';
import { allDevContainerTargets, folderTarget } from '../pressure/targets';
import { engineError, withEngine } from '../runtime/engine/docker';
import { EXIT_OK, UsageError, type Command, type CommandContext } from './command';
import { colors } from './format';
import { configOf, failure, folderOf } from './runtime';

/** How often `--watch` (without a folder) looks for dev containers that started or stopped. */
const RESCAN_EVERY = 5;

export const pressureCommand: Command = {
  name: 'pressure',
  summary: 'Show CPU, memory and IO pressure (PSI) of the host and its dev containers',
  usage: 'hb pressure [folder] [--config FILE] [--watch] [--json]',
  help: [
    'PSI (pressure stall information) says how much of the time tasks waited for CPU, memory or',
    'IO: "some" (at least one task waited) and "full" (all of them did), as averages over 10, 60 and',
    '300 seconds, and with --watch the stall time of each second. Memory use is shown against the',
    'container\'s limit, read from its cgroup. With a folder: the host and that folder\'s dev',
    'container; without one: the host and every running dev container.',
    '',
    'Options:',
    '  --config FILE   the devcontainer.json to use (default: the folder\'s)',
    '  --watch, -w     sample every second until Ctrl-C',
    '  --json          print a PressureSample {time, intervalMs, host, containers}; with --watch one per line',
  ].join('\n'),
  options: { config: { type: 'string' }, watch: { type: 'boolean', short: 'w' }, json: { type: 'boolean' } },
  async run(ctx) {
    if (ctx.positionals.length > 1) throw new UsageError('hb pressure takes at most one folder');
    const oneFolder = ctx.positionals.length === 1 || typeof ctx.values.config === 'string';
    try {
      return await withEngine(ctx.env, async (engine) => {
        let warned = false;
        /** The containers to sample; undefined when the engine could not say (then nothing changes). */
        const find = async (): Promise<PressureTarget[] | undefined> => {
          if (oneFolder) return [await folderTarget(engine, folderOf(ctx), configOf(ctx), ctx.env)];
          try {
            return await allDevContainerTargets(engine);
          } catch (e) {
            // without a folder the host's figures are still worth showing
            if (!warned) ctx.err(`hb pressure: showing the host only: ${(engineError(e, engine.endpoint) as Error).message}\n`);
            warned = true;
            return undefined;
          }
        };
        const sampler = new PressureSampler();
        try {
          const targets = (await find()) ?? [];
          for (const t of targets) sampler.addContainer(t);
          if (!targets.length && !warned && !ctx.values.json) ctx.err('No running dev containers: showing the host only. hb up [folder] starts one.\n');
          if (!ctx.values.watch) {
            const sample = sampler.sample();
            ctx.out(ctx.values.json ? JSON.stringify(sample, null, 2) + '\n' : render(sample, ctx, false));
            return EXIT_OK;
          }
          let n = 0;
          const rescan = async () => {
            const now = await find();
            if (!now) return;
            const ids = new Set(now.map((t) => t.containerId));
            for (const id of sampler.containerIds()) if (!ids.has(id)) sampler.removeContainer(id);
            const have = new Set(sampler.containerIds());
            for (const t of now) if (!have.has(t.containerId)) sampler.addContainer(t);
          };
          await new Promise<void>((resolve, reject) => {
            sampler.subscribe((sample) => {
              if (ctx.values.json) ctx.out(JSON.stringify(sample) + '\n');
              else ctx.out((ctx.isTTY ? '\x1b[H\x1b[2J' : '\n') + render(sample, ctx, true));
              // a folder's container that stopped ends the watch; without a folder, look again now and then
              if (oneFolder && sample.containers.some((c) => c.gone)) {
                ctx.err('The dev container stopped.\n');
                resolve();
              } else if (!oneFolder && ++n % RESCAN_EVERY === 0) rescan().catch(reject);
            });
            if (ctx.signal?.aborted) return resolve();
            ctx.signal?.addEventListener('abort', () => resolve(), { once: true });
            sampler.start();
          });
          return EXIT_OK;
        } finally {
          sampler.dispose();
        }
      });
    } catch (e) {
      return failure(ctx, 'pressure', e);
    }
  },
};

const pct = (v: number) => `${v.toFixed(2)}%`;

function cell(r: PsiResource | undefined, line: 'some' | 'full', watch: boolean, interval: number | null): string {
  const l = r?.[line];
  if (!l) return '-';
  // the stall time of the last interval, as a share of it: what happened this second
  const now = watch && l.delta !== null && interval ? ` ${((l.delta / 1000 / interval) * 100).toFixed(1)}%` : '';
  return `${pct(l.avg10)}${now}`;
}

function size(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

function memory(f: PressureFigures): string {
  const m = f.memoryUsage;
  if (!m) return '';
  return m.limit === null ? `${size(m.usage)} (no limit)` : `${size(m.usage)} / ${size(m.limit)} (${Math.round((m.usage / m.limit) * 100)}%)`;
}

export function render(s: PressureSample, ctx: Pick<CommandContext, 'isTTY' | 'env'>, watch: boolean): string {
  const c = colors(ctx.isTTY, ctx.env);
  const head = ['', 'CPU some', 'MEM some', 'MEM full', 'IO some', 'IO full', 'MEMORY'];
  const row = (name: string, f: PressureFigures) => [
    name,
    cell(f.cpu, 'some', watch, s.intervalMs),
    cell(f.memory, 'some', watch, s.intervalMs),
    cell(f.memory, 'full', watch, s.intervalMs),
    cell(f.io, 'some', watch, s.intervalMs),
    cell(f.io, 'full', watch, s.intervalMs),
    memory(f),
  ];
  const label = (x: ContainerPressure) => `${x.name} (${x.containerId.slice(0, 12)})`;
  const rows = [row('host', s.host), ...s.containers.map((x) => row(label(x), x))];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]))).join('  ').trimEnd();
  const lines = [c.dim(`${s.time}  avg10${watch ? ' and the last second' : ''}; "some": at least one task stalled, "full": all did`), c.bold(fmt(head)), ...rows.map(fmt)];
  for (const [name, f] of [['host', s.host] as const, ...s.containers.map((x) => [label(x), x] as const)]) {
    for (const m of f.missing) lines.push(c.yellow(`${name}: ${m}`));
  }
  return lines.join('\n') + '\n';
}
