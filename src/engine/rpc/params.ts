// The parameters of every message a client may send the engine, checked in one place before any
// handler sees them (the reader calls checkMessage for each message; see rpc/reader.ts). A
// request whose parameters do not fit is answered with -32602 naming the field and what it got,
// so no handler ever runs on `"trusted": "false"` or a number where a path belongs. Schemas use
// valibot: small (only the validators used are bundled) and nothing is compiled at start-up.
import * as v from 'valibot';
import type { RequestMessage, ResponseMessage } from 'vscode-jsonrpc';
import {
  CONTAINER_HOOKS,
  ConfigDiscover,
  ConfigResolve,
  Initialize,
  Ping,
  ProjectDetect,
  ProjectInit,
  ProjectProfile,
  RuntimeContainerLogs,
  RuntimeDown,
  RuntimeList,
  RuntimePorts,
  RuntimePortsAdd,
  RuntimePortsRemove,
  RuntimeRunHooks,
  RuntimeStatus,
  RuntimeStop,
  RuntimeTerminalClose,
  RuntimeTerminalInput,
  RuntimeTerminalOpen,
  RuntimeTerminalResize,
  RuntimeTimeline,
  RuntimeTrustPreview,
  RuntimeUp,
  RuntimeWatch,
  Shutdown,
  ReloadSaved,
  ReloadToggle,
  PressureSubscribe,
  PressureUnsubscribe,
  PrewarmRequest,
  LiveSettingsUpdate,
  SeccompRecord,
  SeccompGenerate,
  SeccompValidate,
  SeccompApply,
  SeccompShow,
  TracesGet,
  TracesList,
  TracesServices,
  TracesStart,
  TracesStatusRequest,
  TracesStop,
} from '../../protocol';

/** JSON-RPC error codes. */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const INVALID_PARAMS = -32602;

const text = v.string();
/** A path on this machine: a non-empty string without NUL. */
const path = v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.check((s) => !s.includes('\0'), 'must not contain a NUL character'));
const hook = v.picklist(CONTAINER_HOOKS);
const size = v.pipe(v.number(), v.integer(), v.minValue(1, 'must be a positive whole number'), v.maxValue(9_999, 'must be under 10000'));

const target = { folder: path, configFile: v.optional(path), progressToken: v.optional(text) };
const up = {
  ...target,
  trusted: v.boolean(),
  acceptedFindings: v.optional(v.array(text)),
  waitFor: v.optional(v.boolean()),
  rebuild: v.optional(v.boolean()),
  noCache: v.optional(v.boolean()),
  runtime: v.optional(text),
};
const port = v.union([v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)), v.pipe(v.string(), v.minLength(1, 'must not be empty'))]);
/** Messages without parameters: none, or an empty list or object. */
const none = v.union([v.undefined(), v.null(), v.pipe(v.array(v.unknown()), v.length(0)), v.pipe(v.looseObject({}), v.check((o) => Object.keys(o).length === 0, 'takes no parameters'))]);

/**
 * One method's entry: its name and schema. The compiler checks that what the schema lets through
 * (its output) fits the parameters the protocol declares for the message, so the schema and the
 * protocol's types cannot drift apart (a field the protocol requires but the schema does not check
 * is a type error here).
 */
function param<P, S extends v.GenericSchema>(
  // a request's signature is [params, result, error, ...], a notification's [params, ...]
  type: { method: string; readonly _: [P, unknown, unknown, unknown] | [P, unknown] | undefined },
  schema: S & ([v.InferOutput<S>] extends [P] ? unknown : { 'the schema lets through what the protocol does not declare': v.InferOutput<S>; protocol: P }),
): [string, v.GenericSchema] {
  return [type.method, schema];
}

/** A message without parameters (RequestType0, NotificationType0). */
function noParams(type: { method: string; readonly _: [unknown, unknown, unknown] | [unknown] | undefined }): [string, v.GenericSchema] {
  return [type.method, none];
}

/** The schema of each method the engine serves, by method name. A method missing here is refused (see params.test.ts). */
export const PARAMS: Record<string, v.GenericSchema> = Object.fromEntries([
  param(Initialize, v.object({ clientName: text, clientVersion: text })),
  noParams(Shutdown),
  noParams(Ping),
  param(ConfigDiscover, v.object({ folder: path })),
  param(ConfigResolve, v.object({ folder: path, configFile: v.optional(path), text: v.optional(text) })),
  param(ProjectDetect, v.object({ folder: path })),
  param(ProjectProfile, v.object({ folder: path, memoryLimitBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))), inotify: v.optional(v.boolean()) })),
  param(ProjectInit, v.object({ folder: path, write: v.optional(v.boolean()), text: v.optional(text), texts: v.optional(v.record(v.string(), text)) })),
  param(RuntimeUp, v.object(up)),
  param(RuntimeRunHooks, v.object({ ...up, hooks: v.optional(v.array(hook)) })),
  param(RuntimeStatus, v.object(target)),
  param(RuntimeTrustPreview, v.object(target)),
  param(RuntimeStop, v.object(target)),
  param(RuntimeDown, v.object({ ...target, volumes: v.optional(v.boolean()), confirmVolumes: v.optional(v.array(text)) })),
  noParams(RuntimeList),
  param(RuntimeTimeline, v.object(target)),
  noParams(RuntimeWatch),
  param(RuntimePorts, v.object(target)),
  param(RuntimePortsAdd, v.object({ ...target, port })),
  param(RuntimePortsRemove, v.object({ ...target, port })),
  param(RuntimeTerminalOpen, v.object({ ...target, cols: size, rows: size, cmd: v.optional(v.pipe(v.array(text), v.minLength(1, 'must name a command'))) })),
  param(RuntimeContainerLogs, v.object({ ...target, maxBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))) })),
  param(RuntimeTerminalInput, v.object({ terminalId: text, data: text })),
  param(RuntimeTerminalResize, v.object({ terminalId: text, cols: size, rows: size })),
  param(RuntimeTerminalClose, v.object({ terminalId: text })),
  param(TracesStart, v.object({ port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535))) })),
  noParams(TracesStop),
  noParams(TracesStatusRequest),
  param(TracesList, v.object({
    service: v.optional(text),
    operation: v.optional(text),
    attribute: v.optional(v.object({ key: text, value: v.optional(text) })),
    minDurationMs: v.optional(v.number()),
    maxDurationMs: v.optional(v.number()),
    receivedAfterMs: v.optional(v.number()),
    limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  })),
  param(TracesGet, v.object({ traceId: v.pipe(text, v.regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex digits')) })),
  noParams(TracesServices),
  param(ReloadSaved, v.object({ folder: path, configFile: v.optional(path), paths: v.array(path) })),
  param(ReloadToggle, v.object({ folder: path, configFile: v.optional(path), enabled: v.boolean(), trusted: v.boolean() })),
  param(PressureSubscribe, v.object({ who: text })),
  param(PressureUnsubscribe, v.object({ subscription: v.number() })),
  param(PrewarmRequest, v.object({ folder: path, configFile: v.optional(path), trusted: v.boolean(), acceptedFindings: v.optional(v.array(text)), runtime: v.optional(text), container: v.optional(v.boolean()) })),
  param(LiveSettingsUpdate, v.object({
    pressure: v.optional(v.object({ memorySomeWarning: v.number(), memoryFullError: v.number() })),
    traces: v.optional(
      v.object({
        enabled: v.boolean(),
        port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535))),
        ebpf: v.optional(v.object({ enabled: v.boolean(), image: v.optional(text) })),
      }),
    ),
    prewarm: v.optional(v.boolean()),
  })),
  param(SeccompRecord, v.object({ ...target, trusted: v.boolean(), command: v.optional(v.array(text)), durationS: v.optional(v.number()) })),
  param(SeccompGenerate, v.object({ ...target, name: v.optional(text) })),
  param(SeccompValidate, v.object({ ...target, trusted: v.boolean(), command: v.optional(v.array(text)), durationS: v.optional(v.number()), profile: v.optional(text) })),
  param(SeccompApply, v.object({ ...target, profile: v.optional(text) })),
  param(SeccompShow, v.object(target)),
  // vscode-jsonrpc's own
  ['$/cancelRequest', v.object({ id: v.union([v.number(), v.string()]) })],
  ['$/setTrace', v.object({ value: text })],
]);

type Id = number | string | null;

const error = (id: Id, code: number, message: string): ResponseMessage => ({ jsonrpc: '2.0', id, error: { code, message } });

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value === 'number' ? 'the number' : typeof value} ${String(value)}`;
}

/** "trusted: expected boolean, got the string "false"" for each problem (the first few). */
function explain(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 5)
    .map((i) => {
      const where = i.path?.map((p) => String(p.key)).join('.') || 'params';
      const expected = i.kind === 'validation' ? i.message : `expected ${i.expected ?? 'something else'}`;
      return `${where}: ${expected}, got ${describe(i.input)}`;
    })
    .join('; ');
}

export type Checked =
  /** Deliver this message (parameters as checked). */
  | { deliver: RequestMessage | Record<string, unknown> }
  /** Do not deliver; answer with `reply` when there is one (a notification gets none), and say why. */
  | { reply?: ResponseMessage; why: string };

const validId = (id: unknown): id is number | string => (typeof id === 'number' && Number.isFinite(id)) || typeof id === 'string';

/**
 * Checks one JSON-RPC message: its shape (JSON-RPC 2.0) and, for a method the engine serves, its
 * parameters. Responses from the client pass as they are.
 */
export function checkMessage(message: Record<string, unknown>): Checked {
  const hasId = 'id' in message && message.id !== undefined;
  const id: Id = validId(message.id) ? message.id : null;
  const invalid = (why: string): Checked => ({ reply: hasId ? error(id, INVALID_REQUEST, why) : undefined, why });
  if (message.jsonrpc !== '2.0') return invalid(`Invalid Request: "jsonrpc" must be "2.0", got ${describe(message.jsonrpc)}.`);
  if (hasId && message.id !== null && !validId(message.id)) return { reply: error(null, INVALID_REQUEST, `Invalid Request: "id" must be a number or a string, got ${describe(message.id)}.`), why: 'bad id' };
  if (!('method' in message)) {
    if (hasId && ('result' in message || 'error' in message)) return { deliver: message }; // a response
    return invalid('Invalid Request: a request needs a "method" (a string naming what to do), and a response a "result" or an "error".');
  }
  if (typeof message.method !== 'string' || !message.method) return invalid(`Invalid Request: "method" must be a non-empty string, got ${describe(message.method)}.`);
  const params = message.params;
  if (params !== undefined && params !== null && typeof params !== 'object') {
    return invalid(`Invalid Request: "params" must be an object or a list, got ${describe(params)}.`);
  }
  const schema = PARAMS[message.method];
  if (!schema) return { deliver: message }; // vscode-jsonrpc answers "method not found"
  const r = v.safeParse(schema, params);
  if (!r.success) {
    const why = `Invalid params for ${message.method}: ${explain(r.issues)}.`;
    return { reply: hasId ? error(id, INVALID_PARAMS, why) : undefined, why };
  }
  // delivered as sent: the schema checks the fields it names and never drops the others, so a field
  // added to a message's type but not yet to its schema is not lost on the way
  return { deliver: message };
}

/** The answers to a batch (a JSON array of messages), which the engine does not serve: one per member that carries an id. */
export function answerBatch(batch: unknown[]): ResponseMessage[] {
  const why = 'Invalid Request: batches (a JSON array of messages) are not supported; send each message on its own.';
  if (!batch.length) return [error(null, INVALID_REQUEST, why)];
  const out: ResponseMessage[] = [];
  for (const m of batch) {
    const rawId = m && typeof m === 'object' && !Array.isArray(m) ? (m as { id?: unknown }).id : undefined;
    if (rawId !== undefined && !(m as { method?: unknown }).method && ('result' in (m as object) || 'error' in (m as object))) continue; // a response
    if (rawId !== undefined) out.push(error(validId(rawId) ? rawId : null, INVALID_REQUEST, why));
    else if (!m || typeof m !== 'object' || Array.isArray(m)) out.push(error(null, INVALID_REQUEST, why));
  }
  return out;
}

/** The answer to a message whose body is not JSON (cut short, or broken): -32700, with its id when one can be read. */
export function answerUnparsable(body: string, why: string): ResponseMessage {
  const m = /"id"\s*:\s*(-?\d+(?:\.\d+)?|"(?:[^"\\]|\\.)*")\s*[,}]/.exec(body);
  let id: Id = null;
  if (m) {
    try {
      const parsed = JSON.parse(m[1]) as unknown;
      if (validId(parsed)) id = parsed;
    } catch {
      id = null;
    }
  }
  return error(id, PARSE_ERROR, `Parse error: the message is not valid JSON (${why}); nothing was done.`);
}
