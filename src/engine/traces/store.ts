// The trace store: spans grouped by trace, bounded by a span count and an estimate of the bytes
// they hold. A trace's spans are assembled in whatever order and request they arrive; when a bound
// is crossed, the traces that got no span for the longest time go first. Pure: no I/O.
import type { ServiceSummary, TraceAttributes, TraceDetail, TraceQuery, TraceSpan, TraceSummary } from '../../protocol';

export interface StoreLimits {
  /** At most this many spans (default 50 000). */
  maxSpans?: number;
  /** At most about this many bytes of span data (default 128 MiB). */
  maxBytes?: number;
  /**
   * When keeping within the bounds would evict a trace received less than this long ago, the
   * store is saturated and the receiver asks senders to retry later (default 1 s).
   */
  minAgeMs?: number;
}

interface Trace {
  id: string;
  spans: Map<string, TraceSpan>;
  root?: TraceSpan;
  /** The earliest span, which names the trace while the root is missing. */
  first?: TraceSpan;
  startMs: number;
  endMs: number;
  errorCount: number;
  bytes: number;
  receivedMs: number;
}

export interface AddResult {
  /** Ids of the traces that are new or got spans. */
  changed: string[];
  /** Spans refused because their trace alone would exceed the store. */
  refused: number;
}

const RATE_WINDOW_S = 60;

/** A rough count of the bytes a span keeps alive, so the bound follows big attributes too. */
function sizeOfValue(v: unknown): number {
  if (typeof v === 'string') return 16 + 2 * v.length;
  if (v && typeof v === 'object') {
    let n = 32;
    if (Array.isArray(v)) for (const x of v) n += 8 + sizeOfValue(x);
    else for (const [k, x] of Object.entries(v)) n += 32 + 2 * k.length + sizeOfValue(x);
    return n;
  }
  return 16;
}
function sizeOfAttributes(a: TraceAttributes): number {
  let n = 64;
  for (const k in a) n += 32 + 2 * k.length + sizeOfValue(a[k]);
  return n;
}
export function sizeOfSpan(s: TraceSpan): number {
  let n = 400 + 2 * s.name.length + sizeOfAttributes(s.attributes) + (s.status.message ? 2 * s.status.message.length : 0);
  for (const e of s.events) n += 64 + 2 * e.name.length + sizeOfAttributes(e.attributes);
  for (const l of s.links) n += 128 + sizeOfAttributes(l.attributes);
  return n;
}

function textOf(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Each span after its parent, siblings by start time; spans whose parent has not arrived go with the roots. */
function treeOrder(spans: Map<string, TraceSpan>): TraceSpan[] {
  const byStart = (a: TraceSpan, b: TraceSpan) => a.startMs - b.startMs;
  const children = new Map<string, TraceSpan[]>();
  const roots: TraceSpan[] = [];
  for (const s of spans.values()) {
    if (s.parentSpanId && s.parentSpanId !== s.spanId && spans.has(s.parentSpanId)) {
      const list = children.get(s.parentSpanId);
      if (list) list.push(s);
      else children.set(s.parentSpanId, [s]);
    } else roots.push(s);
  }
  const out: TraceSpan[] = [];
  const seen = new Set<string>();
  const stack = roots.sort(byStart).reverse();
  while (stack.length) {
    const s = stack.pop()!;
    if (seen.has(s.spanId)) continue;
    seen.add(s.spanId);
    out.push(s);
    const kids = children.get(s.spanId);
    if (kids) for (const k of kids.sort(byStart).reverse()) stack.push(k);
  }
  // a parent cycle (a broken exporter) leaves spans unreached: keep them, by start
  if (out.length < spans.size) out.push(...[...spans.values()].filter((s) => !seen.has(s.spanId)).sort(byStart));
  return out;
}

export class TraceStore {
  readonly maxSpans: number;
  readonly maxBytes: number;
  readonly minAgeMs: number;
  /** In order of the last span received: the first is the one to evict. */
  private traces = new Map<string, Trace>();
  private spanCount = 0;
  private byteCount = 0;
  private evicted = 0;
  /** Per service: spans received in each of the last RATE_WINDOW_S seconds. */
  private rates = new Map<string, { second: number; counts: number[] }>();

  constructor(
    limits: StoreLimits = {},
    private readonly now: () => number = Date.now,
  ) {
    this.maxSpans = limits.maxSpans ?? 50_000;
    this.maxBytes = limits.maxBytes ?? 128 * 1024 * 1024;
    this.minAgeMs = limits.minAgeMs ?? 1000;
  }

  get stats(): { traces: number; spans: number; bytes: number; evicted: number } {
    return { traces: this.traces.size, spans: this.spanCount, bytes: this.byteCount, evicted: this.evicted };
  }

  /**
   * Seconds a sender should wait before retrying, or 0 when spans are welcome: the store is full and
   * even its oldest trace is younger than minAgeMs, so taking more would throw away what was just received.
   */
  saturation(): number {
    if (this.spanCount < this.maxSpans && this.byteCount < this.maxBytes) return 0;
    const oldest = this.traces.values().next().value;
    if (!oldest) return 0;
    const wait = oldest.receivedMs + this.minAgeMs - this.now();
    return wait > 0 ? Math.max(1, Math.ceil(wait / 1000)) : 0;
  }

  add(spans: TraceSpan[]): AddResult {
    const now = this.now();
    const changed = new Set<string>();
    let refused = 0;
    for (const span of spans) {
      let t = this.traces.get(span.traceId);
      if (t) {
        // the most recently updated trace goes last: it is evicted last
        this.traces.delete(t.id);
        this.traces.set(t.id, t);
      } else {
        t = { id: span.traceId, spans: new Map(), startMs: Infinity, endMs: -Infinity, errorCount: 0, bytes: 0, receivedMs: now };
        this.traces.set(t.id, t);
      }
      const previous = t.spans.get(span.spanId);
      if (previous) this.removeSpan(t, previous);
      else if (t.spans.size >= this.maxSpans) {
        refused++;
        continue;
      }
      this.addSpan(t, span, now);
      changed.add(t.id);
      this.count(span.service, now);
    }
    this.evict();
    return { changed: [...changed].filter((id) => this.traces.has(id)), refused };
  }

  private addSpan(t: Trace, span: TraceSpan, now: number): void {
    const bytes = sizeOfSpan(span);
    t.spans.set(span.spanId, span);
    t.bytes += bytes;
    t.receivedMs = now;
    this.spanCount++;
    this.byteCount += bytes;
    if (span.status.code === 'error') t.errorCount++;
    if (span.startMs < t.startMs) t.startMs = span.startMs;
    if (span.startMs + span.durationMs > t.endMs) t.endMs = span.startMs + span.durationMs;
    if (!span.parentSpanId && (!t.root || span.startMs < t.root.startMs)) t.root = span;
    if (!t.first || span.startMs < t.first.startMs) t.first = span;
  }

  /** Takes a span out (it is being replaced by a later copy with the same id). */
  private removeSpan(t: Trace, span: TraceSpan): void {
    const bytes = sizeOfSpan(span);
    t.spans.delete(span.spanId);
    t.bytes -= bytes;
    this.spanCount--;
    this.byteCount -= bytes;
    if (span.status.code === 'error') t.errorCount--;
    if (t.root === span || t.first === span) {
      t.root = undefined;
      t.first = undefined;
      t.startMs = Infinity;
      t.endMs = -Infinity;
      for (const s of t.spans.values()) {
        if (s.startMs < t.startMs) t.startMs = s.startMs;
        if (s.startMs + s.durationMs > t.endMs) t.endMs = s.startMs + s.durationMs;
        if (!s.parentSpanId && (!t.root || s.startMs < t.root.startMs)) t.root = s;
        if (!t.first || s.startMs < t.first.startMs) t.first = s;
      }
    }
  }

  private evict(): void {
    while ((this.spanCount > this.maxSpans || this.byteCount > this.maxBytes) && this.traces.size) {
      const oldest = this.traces.values().next().value as Trace;
      this.traces.delete(oldest.id);
      this.spanCount -= oldest.spans.size;
      this.byteCount -= oldest.bytes;
      this.evicted++;
    }
  }

  private count(service: string, now: number): void {
    const second = Math.floor(now / 1000);
    let r = this.rates.get(service);
    if (!r) this.rates.set(service, (r = { second, counts: new Array<number>(RATE_WINDOW_S).fill(0) }));
    this.advance(r, second);
    r.counts[second % RATE_WINDOW_S]++;
  }

  private advance(r: { second: number; counts: number[] }, second: number): void {
    if (second <= r.second) return;
    for (let s = Math.max(r.second + 1, second - RATE_WINDOW_S + 1); s <= second; s++) r.counts[s % RATE_WINDOW_S] = 0;
    r.second = second;
  }

  summary(id: string): TraceSummary | undefined {
    const t = this.traces.get(id);
    return t && this.summarise(t);
  }

  private summarise(t: Trace): TraceSummary {
    const named = t.root ?? t.first!;
    const services = new Set<string>([named.service]);
    for (const s of t.spans.values()) services.add(s.service);
    return {
      traceId: t.id,
      rootName: named.name,
      service: named.service,
      services: [...services],
      rootMissing: !t.root,
      startMs: t.startMs,
      durationMs: Math.max(0, t.endMs - t.startMs),
      spanCount: t.spans.size,
      errorCount: t.errorCount,
      receivedMs: t.receivedMs,
    };
  }

  get(id: string): TraceDetail | null {
    const t = this.traces.get(id.toLowerCase());
    if (!t) return null;
    return { summary: this.summarise(t), spans: treeOrder(t.spans) };
  }

  /** Traces matching the query, the most recently updated first. */
  list(q: TraceQuery = {}): TraceSummary[] {
    const limit = q.limit ?? 100;
    const operation = q.operation?.toLowerCase();
    const all = [...this.traces.values()];
    const out: TraceSummary[] = [];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      const t = all[i];
      // newest-updated first: the rest were received earlier still
      if (q.receivedAfterMs != null && t.receivedMs <= q.receivedAfterMs) break;
      const duration = Math.max(0, t.endMs - t.startMs);
      if (q.minDurationMs != null && duration < q.minDurationMs) continue;
      if (q.maxDurationMs != null && duration > q.maxDurationMs) continue;
      let service = !q.service;
      let op = !operation;
      let attr = !q.attribute;
      for (const s of t.spans.values()) {
        if (!service && s.service === q.service) service = true;
        if (!op && s.name.toLowerCase().includes(operation!)) op = true;
        if (!attr && Object.hasOwn(s.attributes, q.attribute!.key) && (q.attribute!.value == null || textOf(s.attributes[q.attribute!.key]) === q.attribute!.value)) attr = true;
        if (service && op && attr) break;
      }
      if (service && op && attr) out.push(this.summarise(t));
    }
    return out;
  }

  services(): ServiceSummary[] {
    const now = this.now();
    const by = new Map<string, { durations: number[]; traces: Set<string>; errors: number }>();
    for (const t of this.traces.values()) {
      for (const s of t.spans.values()) {
        let e = by.get(s.service);
        if (!e) by.set(s.service, (e = { durations: [], traces: new Set(), errors: 0 }));
        e.durations.push(s.durationMs);
        e.traces.add(t.id);
        if (s.status.code === 'error') e.errors++;
      }
    }
    const second = Math.floor(now / 1000);
    const out: ServiceSummary[] = [];
    for (const [service, e] of by) {
      const r = this.rates.get(service);
      if (r) this.advance(r, second);
      const recent = r ? r.counts.reduce((a, b) => a + b, 0) : 0;
      const sorted = e.durations.sort((a, b) => a - b);
      out.push({
        service,
        spanCount: sorted.length,
        traceCount: e.traces.size,
        errorCount: e.errors,
        ratePerSecond: recent / RATE_WINDOW_S,
        p50Ms: percentile(sorted, 50),
        p95Ms: percentile(sorted, 95),
        maxMs: sorted[sorted.length - 1] ?? 0,
      });
    }
    return out.sort((a, b) => a.service.localeCompare(b.service));
  }

  clear(): void {
    this.traces.clear();
    this.spanCount = 0;
    this.byteCount = 0;
  }
}
