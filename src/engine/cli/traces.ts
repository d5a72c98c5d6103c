// `hb traces serve [--port P]` runs the OTLP/HTTP trace receiver in the foreground until Ctrl-C
// (or forwards to this user's receiver already on the port); `hb traces list` shows the traces of
// a running receiver (the editor's engine or `hb traces serve`) through its token-guarded query
// endpoint. The receiver's code is dist/traces.js, loaded only here.
import type { TraceQuery, TraceSummary } from '../../protocol';
import { loadTraces } from '../traces/load';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command, type CommandContext } from './command';
import { colors } from './format';

function portOf(ctx: CommandContext, fallback: number): number {
  const v = ctx.values.port;
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port ${String(v)} is not a port number (0-65535)`);
  return n;
}

function ms(n: number): string {
  return n < 1 ? `${(n * 1000).toFixed(0)}µs` : n < 1000 ? `${n.toFixed(n < 10 ? 1 : 0)}ms` : `${(n / 1000).toFixed(2)}s`;
}

export function printTraces(ctx: CommandContext, traces: TraceSummary[]): void {
  const c = colors(ctx.isTTY, ctx.env);
  const rows = traces.map((t) => [
    new Date(t.startMs).toISOString().slice(11, 23),
    t.service,
    t.rootMissing ? `${t.rootName} (root not received yet)` : t.rootName,
    ms(t.durationMs),
    String(t.spanCount),
    t.errorCount ? String(t.errorCount) : '',
    t.traceId,
  ]);
  const head = ['START (UTC)', 'SERVICE', 'ROOT', 'DURATION', 'SPANS', 'ERRORS', 'TRACE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]) => row.map((v, i) => (i === row.length - 1 ? v : v.padEnd(widths[i]))).join('  ');
  ctx.out(c.bold(fmt(head)) + '\n');
  for (const row of rows) ctx.out((row[5] ? c.red(fmt(row)) : fmt(row)) + '\n');
}

async function serve(ctx: CommandContext): Promise<number> {
  const traces = loadTraces();
  const receiver = await traces.TraceReceiver.start({ port: portOf(ctx, traces.DEFAULT_TRACES_PORT), env: ctx.env, onMessage: (m) => ctx.err(`${m}\n`) });
  const s = receiver.status();
  if (s.state === 'listening') {
    ctx.err(`Receiving OTLP/HTTP traces on http://${s.host}:${s.port}/v1/traces (protobuf or JSON) until Ctrl-C.\n`);
    ctx.err(`Point an app at it with OTEL_EXPORTER_OTLP_ENDPOINT=http://${s.host}:${s.port}; list traces with hb traces list${s.port === traces.DEFAULT_TRACES_PORT ? '' : ` --port ${s.port}`}.\n`);
  } else {
    ctx.err(`Forwarding until Ctrl-C; if that receiver stops, this one takes ${s.host}:${s.port} over.\n`);
  }
  await new Promise<void>((resolve) => {
    if (!ctx.signal || ctx.signal.aborted) return resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await receiver.close();
  ctx.err('Stopped receiving traces.\n');
  return EXIT_OK;
}

async function list(ctx: CommandContext): Promise<number> {
  const traces = loadTraces();
  const port = portOf(ctx, traces.DEFAULT_TRACES_PORT);
  const q: TraceQuery = {};
  if (typeof ctx.values.service === 'string') q.service = ctx.values.service;
  if (typeof ctx.values.limit === 'string') {
    const n = Number(ctx.values.limit);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--limit ${ctx.values.limit} is not a positive number`);
    q.limit = n;
  }
  const token = await traces.loadToken(ctx.env);
  let result: { traces: TraceSummary[] };
  try {
    result = await traces.queryJson<{ traces: TraceSummary[] }>(port, token, `/hb/traces${traces.queryString(q)}`);
  } catch (e) {
    ctx.err(`hb traces list: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
  if (ctx.values.json) {
    ctx.out(JSON.stringify(result.traces) + '\n');
    return EXIT_OK;
  }
  if (!result.traces.length) {
    ctx.err(q.service ? `No stored trace has a span of service ${q.service}.\n` : 'No traces received yet.\n');
    return EXIT_OK;
  }
  printTraces(ctx, result.traces);
  return EXIT_OK;
}

export const tracesCommand: Command = {
  name: 'traces',
  summary: 'Receive OpenTelemetry traces (OTLP/HTTP) and list them',
  usage: 'hb traces serve [--port P] | hb traces list [--port P] [--service S] [--limit N] [--json]',
  help: [
    'Subcommands:',
    '  serve    receive OTLP/HTTP traces on 127.0.0.1 (protobuf or JSON, gzip) until Ctrl-C;',
    '           when your editor or another hb already receives on the port, forward to it',
    '  list     list the newest traces of the receiver on the port (newest first)',
    '',
    'Options:',
    '  --port P      the receiver port (default 4318)',
    '  --service S   only traces with a span of service S (list)',
    '  --limit N     at most N traces (list; default 100)',
    '  --json        a JSON list of traces: traceId, rootName, service, durationMs, spanCount, errorCount, ... (list)',
    '',
    'The query endpoint answers only requests with the token in your HyperBox config folder',
    '(traces.token, readable by you alone).',
  ].join('\n'),
  options: {
    port: { type: 'string' },
    service: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const [sub, ...rest] = ctx.positionals;
    if (rest.length) throw new UsageError(`unexpected ${rest.join(' ')}`);
    if (sub === 'serve') {
      if (ctx.values.service !== undefined || ctx.values.json || ctx.values.limit !== undefined) throw new UsageError('serve takes only --port');
      return serve(ctx);
    }
    if (sub === 'list') return list(ctx);
    throw new UsageError(sub ? `unknown subcommand ${sub}: use serve or list` : 'name a subcommand: serve or list');
  },
};
