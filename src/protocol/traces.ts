import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc/lib/common/messages';

// ---------------------------------------------------------------------------------------------
// Traces: the engine's OTLP/HTTP receiver and its bounded store (src/engine/traces). Span
// attributes come from any program in a container: untrusted, render them as text only.

export type TraceAttributeValue = string | number | boolean | null | TraceAttributeValue[] | { [key: string]: TraceAttributeValue };
export type TraceAttributes = Record<string, TraceAttributeValue>;
export type SpanKindName = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export interface TraceSpan {
  /** Lower-case hex: 32 digits for the trace, 16 for spans. */
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: SpanKindName;
  /** The resource's `service.name` (`unknown_service` without one). */
  service: string;
  scope?: { name: string; version?: string };
  /** Unix time in milliseconds (fractional). */
  startMs: number;
  durationMs: number;
  status: { code: 'unset' | 'ok' | 'error'; message?: string };
  attributes: TraceAttributes;
  /** The resource's attributes (shared by the spans of one resource). */
  resource: TraceAttributes;
  events: { name: string; timeMs: number; attributes: TraceAttributes }[];
  links: { traceId: string; spanId: string; attributes: TraceAttributes }[];
}

export interface TraceSummary {
  traceId: string;
  /** The root span's name; while the root has not arrived, the earliest span's. */
  rootName: string;
  /** The root span's service (else the earliest span's); `services` lists all of them. */
  service: string;
  services: string[];
  /** True while no span without a parent has arrived for this trace. */
  rootMissing: boolean;
  startMs: number;
  durationMs: number;
  spanCount: number;
  /** Spans with status error. */
  errorCount: number;
  /** Unix ms when the last span of this trace was received. */
  receivedMs: number;
}

export interface TraceDetail {
  summary: TraceSummary;
  /** In tree order: each span after its parent, siblings by start time (spans whose parent is missing with the roots). */
  spans: TraceSpan[];
}

/** Every condition must hold (a trace matches when one of its spans does, per condition). */
export interface TraceQuery {
  /** Exact service name. */
  service?: string;
  /** Substring of a span name, case-insensitive. */
  operation?: string;
  /** A span has this attribute (and, when given, a value whose text equals `value`). */
  attribute?: { key: string; value?: string };
  minDurationMs?: number;
  maxDurationMs?: number;
  /** Only traces that got a span after this time (Unix ms, as in TraceSummary.receivedMs). */
  receivedAfterMs?: number;
  /** At most this many traces, newest first (default 100). */
  limit?: number;
}

export interface ServiceSummary {
  service: string;
  spanCount: number;
  traceCount: number;
  errorCount: number;
  /** Spans per second received for this service over the last minute. */
  ratePerSecond: number;
  /** Span durations of the stored spans. */
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface TracesStatus {
  /** `listening`: this process receives on host:port; `forwarding`: another HyperBox receiver of this user holds the port and this one passes to it. */
  state: 'off' | 'listening' | 'forwarding';
  host?: string;
  port?: number;
  /** The process that holds the port (this one when listening). */
  receiverPid?: number;
  storedTraces: number;
  storedSpans: number;
  storedBytes: number;
  /** Traces evicted to stay within the bounds since the receiver started. */
  evictedTraces: number;
}

/** client → engine: start the receiver (loaded on first use), or forward to the one already on the port. */
export const TracesStart = new RequestType<{ port?: number }, TracesStatus, void>('hyperbox/traces/start');
/** client → engine: stop receiving; stored traces are dropped. */
export const TracesStop = new RequestType0<TracesStatus, void>('hyperbox/traces/stop');
/** client → engine: the receiver's state and the store's size. */
export const TracesStatusRequest = new RequestType0<TracesStatus, void>('hyperbox/traces/status');
/** client → engine: stored traces matching a query, newest first. */
export const TracesList = new RequestType<TraceQuery, { traces: TraceSummary[] }, void>('hyperbox/traces/list');
/** client → engine: one trace with all its spans; null when it is not (or no longer) stored. */
export const TracesGet = new RequestType<{ traceId: string }, TraceDetail | null, void>('hyperbox/traces/get');
/** client → engine: per-service rate, errors and durations. */
export const TracesServices = new RequestType0<{ services: ServiceSummary[] }, void>('hyperbox/traces/services');
/** engine → client: traces that are new or got spans since the last notification (at most every 200 ms; every second while forwarding to another receiver). */
export const TracesChanged = new NotificationType<{ traces: TraceSummary[] }>('hyperbox/traces/changed');
