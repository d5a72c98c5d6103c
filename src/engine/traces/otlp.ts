// OTLP trace export requests, protobuf or JSON, turned into HyperBox's spans (src/protocol).
// Protobuf is decoded by the protobufjs code that @opentelemetry/otlp-transformer generates from
// the OpenTelemetry proto definitions (0.216.0 is its last release that ships the trace messages
// and runs on Node 20); JSON follows the OTLP/JSON mapping: ids in hex, enums as integers, 64-bit
// integers as strings or numbers. Both arrive here as the same message shape and take one path.
import type { SpanKindName, TraceAttributes, TraceAttributeValue, TraceSpan } from '../../protocol';

// The generated module's typings only say "a protobufjs Root"; these are the fields read here.
type Bytes = Uint8Array | string;
/** protobufjs decodes fixed64 to a Long when the `long` package is present; JSON gives a string or a number. */
type Int64 = number | string | { low: number; high: number; unsigned?: boolean };
interface AnyValue {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: Int64 | null;
  doubleValue?: number | null;
  arrayValue?: { values?: AnyValue[] | null } | null;
  kvlistValue?: { values?: KeyValue[] | null } | null;
  bytesValue?: Bytes | null;
}
interface KeyValue {
  key?: string | null;
  value?: AnyValue | null;
}
interface OtlpSpan {
  traceId?: Bytes | null;
  spanId?: Bytes | null;
  parentSpanId?: Bytes | null;
  name?: string | null;
  kind?: number | string | null;
  startTimeUnixNano?: Int64 | null;
  endTimeUnixNano?: Int64 | null;
  attributes?: KeyValue[] | null;
  events?: { timeUnixNano?: Int64 | null; name?: string | null; attributes?: KeyValue[] | null }[] | null;
  links?: { traceId?: Bytes | null; spanId?: Bytes | null; attributes?: KeyValue[] | null }[] | null;
  status?: { message?: string | null; code?: number | string | null } | null;
}
interface ExportRequest {
  resourceSpans?:
    | {
        resource?: { attributes?: KeyValue[] | null } | null;
        scopeSpans?: { scope?: { name?: string | null; version?: string | null } | null; spans?: OtlpSpan[] | null }[] | null;
      }[]
    | null;
}

/** The request could not be decoded at all: the receiver answers 400. */
export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}

export interface DecodedBatch {
  spans: TraceSpan[];
  /** Spans left out (bad or missing ids), reported back as partial success. */
  rejected: number;
  rejectReason?: string;
}

interface Generated {
  opentelemetry: {
    proto: {
      collector: {
        trace: {
          v1: {
            ExportTraceServiceRequest: { decode(b: Uint8Array): ExportRequest };
            ExportTraceServiceResponse: {
              encode(m: { partialSuccess?: { rejectedSpans?: number; errorMessage?: string } | null }): { finish(): Uint8Array };
            };
          };
        };
      };
    };
  };
}
let generated: Generated | undefined;
function messages(): Generated['opentelemetry']['proto']['collector']['trace']['v1'] {
  if (!generated) {
    // protobufjs looks for the `long` package at run time and, without it, turns 64-bit integers
    // into doubles (inexact beyond 2^53). Give it explicitly, so the bundle behaves the same
    // wherever it runs, with or without a node_modules beside it.
    const protobuf = require('protobufjs/minimal') as typeof import('protobufjs/minimal');
    protobuf.util.Long = require('long') as typeof protobuf.util.Long;
    protobuf.configure();
    generated = require('@opentelemetry/otlp-transformer/build/src/generated/root') as Generated;
  }
  return generated.opentelemetry.proto.collector.trace.v1;
}

export function decodeProtobuf(body: Uint8Array): DecodedBatch {
  let request: ExportRequest;
  try {
    request = messages().ExportTraceServiceRequest.decode(body);
  } catch (e) {
    throw new OtlpDecodeError(`the body is not an OTLP ExportTraceServiceRequest in protobuf (${(e as Error).message})`);
  }
  return fromRequest(request);
}

export function decodeJson(body: Uint8Array): DecodedBatch {
  let request: unknown;
  try {
    request = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (e) {
    throw new OtlpDecodeError(`the body is not JSON (${(e as Error).message})`);
  }
  if (!request || typeof request !== 'object' || Array.isArray(request)) throw new OtlpDecodeError('the body is not an OTLP/JSON ExportTraceServiceRequest object');
  const rs = (request as ExportRequest).resourceSpans;
  if (rs != null && !Array.isArray(rs)) throw new OtlpDecodeError('"resourceSpans" is not a list');
  try {
    return fromRequest(request);
  } catch (e) {
    if (e instanceof OtlpDecodeError) throw e;
    throw new OtlpDecodeError(`the body is not a well-formed OTLP/JSON ExportTraceServiceRequest (${(e as Error).message})`);
  }
}

/** The success answer, in the request's encoding. */
export function encodeResponse(kind: 'protobuf' | 'json', rejected: number, message?: string): Uint8Array | string {
  const partialSuccess = rejected || message ? { rejectedSpans: rejected, errorMessage: message ?? '' } : null;
  if (kind === 'protobuf') return messages().ExportTraceServiceResponse.encode({ partialSuccess }).finish();
  // proto3 JSON: 64-bit integers as strings
  return JSON.stringify(partialSuccess ? { partialSuccess: { rejectedSpans: String(rejected), errorMessage: partialSuccess.errorMessage } } : {});
}

/** An error answer (google.rpc.Status: code 1, message 2), in the request's encoding. */
export function encodeStatus(kind: 'protobuf' | 'json', code: number, message: string): Uint8Array | string {
  if (kind === 'json') return JSON.stringify({ code, message });
  // google.rpc.Status is not among the generated messages; two fields with protobufjs's writer
  const { Writer } = require('protobufjs/minimal') as typeof import('protobufjs/minimal');
  return Writer.create().uint32(8).int32(code).uint32(18).string(message).finish();
}

// shared by every span without events or links (most of them), frozen so no one adds to them
const NO_EVENTS: TraceSpan['events'] = Object.freeze([]) as unknown as TraceSpan['events'];
const NO_LINKS: TraceSpan['links'] = Object.freeze([]) as unknown as TraceSpan['links'];

const KINDS: SpanKindName[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

function kindOf(k: number | string | null | undefined): SpanKindName {
  if (typeof k === 'number') return KINDS[k] ?? 'unspecified';
  if (typeof k === 'string') {
    const name = k.replace(/^SPAN_KIND_/, '').toLowerCase();
    return (KINDS as string[]).includes(name) ? (name as SpanKindName) : 'unspecified';
  }
  return 'unspecified';
}

function statusOf(s: OtlpSpan['status']): TraceSpan['status'] {
  const c = s?.code;
  const code = c === 2 || c === 'STATUS_CODE_ERROR' ? 'error' : c === 1 || c === 'STATUS_CODE_OK' ? 'ok' : 'unset';
  return s?.message ? { code, message: s.message } : { code };
}

const HEX = /^[0-9a-fA-F]*$/;
/** Lower-case hex of an id, or undefined when it is missing, all zero or not `bytes` long. */
function idOf(v: Bytes | null | undefined, bytes: number): string | undefined {
  if (v == null) return undefined;
  let hex: string;
  if (typeof v === 'string') {
    if (v.length !== bytes * 2 || !HEX.test(v)) return undefined;
    hex = v.toLowerCase();
  } else {
    if (v.length !== bytes) return undefined;
    hex = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  }
  return /^0+$/.test(hex) ? undefined : hex;
}

/** Unix nanoseconds to milliseconds (a double keeps them to well under a microsecond). */
function msOf(v: Int64 | null | undefined): number {
  if (v == null) return 0;
  if (typeof v === 'number') return v / 1e6;
  if (typeof v === 'string') {
    if (!/^\d+$/.test(v)) throw new OtlpDecodeError(`"${v.slice(0, 40)}" is not a 64-bit unsigned integer`);
    return Number(v) / 1e6;
  }
  return ((v.high >>> 0) * 4294967296 + (v.low >>> 0)) / 1e6;
}

/**
 * end - start in milliseconds, computed on the integers (Unix nanoseconds are beyond a double's
 * 53 bits, so subtracting two converted times would be off by a fraction of a microsecond).
 */
function durationOf(start: Int64 | null | undefined, end: Int64 | null | undefined): number {
  if (start == null || end == null) return Math.max(0, msOf(end) - msOf(start));
  let ns: number;
  if (typeof start === 'object' && typeof end === 'object') ns = ((end.high >>> 0) - (start.high >>> 0)) * 4294967296 + ((end.low >>> 0) - (start.low >>> 0));
  else if (typeof start === 'string' && typeof end === 'string' && /^\d+$/.test(start) && /^\d+$/.test(end)) ns = Number(BigInt(end) - BigInt(start));
  else ns = (msOf(end) - msOf(start)) * 1e6;
  return Math.max(0, ns / 1e6);
}

function int64Value(v: Int64): number | string {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (!/^-?\d+$/.test(v)) throw new OtlpDecodeError(`"${v.slice(0, 40)}" is not a 64-bit integer`);
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  // signed Long
  const n = (v.high | 0) * 4294967296 + (v.low >>> 0);
  return Number.isSafeInteger(n) ? n : BigInt.asIntN(64, (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0)).toString();
}

function valueOf(v: AnyValue | null | undefined, depth = 0): TraceAttributeValue {
  if (v == null || depth > 16) return null;
  if (v.stringValue != null) return String(v.stringValue);
  if (v.boolValue != null) return Boolean(v.boolValue);
  if (v.intValue != null) return int64Value(v.intValue);
  if (v.doubleValue != null) return Number(v.doubleValue);
  if (v.arrayValue != null) return (v.arrayValue.values ?? []).map((x) => valueOf(x, depth + 1));
  if (v.kvlistValue != null) return attributesOf(v.kvlistValue.values, depth + 1);
  if (v.bytesValue != null) return typeof v.bytesValue === 'string' ? v.bytesValue : Buffer.from(v.bytesValue).toString('base64');
  return null;
}

const NO_ATTRIBUTES: TraceAttributes = Object.freeze({});

function attributesOf(kvs: KeyValue[] | null | undefined, depth = 0): TraceAttributes {
  if (!kvs?.length) return NO_ATTRIBUTES;
  // A plain object, not Object.create(null): those are dictionaries and take several times the
  // memory, while spans of one kind share their attribute keys and so one hidden class.
  const out: TraceAttributes = {};
  for (const kv of kvs) {
    if (kv?.key == null) continue;
    const key = String(kv.key);
    // an attribute named __proto__ is data like any other, never the object's prototype
    if (key === '__proto__') Object.defineProperty(out, key, { value: valueOf(kv.value, depth), enumerable: true, writable: true, configurable: true });
    else out[key] = valueOf(kv.value, depth);
  }
  return out;
}

function fromRequest(request: ExportRequest): DecodedBatch {
  const spans: TraceSpan[] = [];
  let rejected = 0;
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributesOf(rs?.resource?.attributes);
    const svc = resource['service.name'];
    const service = typeof svc === 'string' && svc ? svc : 'unknown_service';
    for (const ss of rs?.scopeSpans ?? []) {
      const scope = ss?.scope?.name ? { name: String(ss.scope.name), ...(ss.scope.version ? { version: String(ss.scope.version) } : {}) } : undefined;
      for (const s of ss?.spans ?? []) {
        const traceId = idOf(s?.traceId, 16);
        const spanId = idOf(s?.spanId, 8);
        if (!traceId || !spanId) {
          rejected++;
          continue;
        }
        const startMs = msOf(s.startTimeUnixNano);
        const span: TraceSpan = {
          traceId,
          spanId,
          name: s.name ? String(s.name) : '',
          kind: kindOf(s.kind),
          service,
          startMs,
          durationMs: durationOf(s.startTimeUnixNano, s.endTimeUnixNano),
          status: statusOf(s.status),
          attributes: attributesOf(s.attributes),
          resource,
          events: !s.events?.length ? NO_EVENTS : s.events.map((e) => ({ name: e?.name ? String(e.name) : '', timeMs: msOf(e?.timeUnixNano), attributes: attributesOf(e?.attributes) })),
          links: !s.links?.length ? NO_LINKS : s.links.flatMap((l) => {
            const t = idOf(l?.traceId, 16);
            const p = idOf(l?.spanId, 8);
            return t && p ? [{ traceId: t, spanId: p, attributes: attributesOf(l.attributes) }] : [];
          }),
        };
        const parent = idOf(s.parentSpanId, 8);
        if (parent) span.parentSpanId = parent;
        if (scope) span.scope = scope;
        spans.push(span);
      }
    }
  }
  return rejected
    ? { spans, rejected, rejectReason: `${rejected} span${rejected === 1 ? '' : 's'} without a valid traceId (16 bytes) and spanId (8 bytes) were dropped` }
    : { spans, rejected };
}
