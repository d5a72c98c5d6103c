// The OTLP/HTTP trace receiver: `POST /v1/traces` on 127.0.0.1 into a bounded TraceStore, and the
// query endpoints (`/hb/...`) that `hb traces list` and a second HyperBox process use.
//
// One receiver per user: when the port is taken by another HyperBox receiver of this user (it
// answers /hb/hello to our token), this one forwards to it instead of failing, and takes the port
// over when that one goes away. Everything is loopback only; the Host header must name loopback
// and the port (so a DNS-rebinding page cannot reach it by name), a request carrying an Origin
// header (a browser's) is refused, and no CORS header is ever sent: no web page can read the
// spans. The query endpoints need the user's token (token.ts).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { ServiceSummary, TraceDetail, TraceQuery, TracesStatus, TraceSummary } from '../../protocol';
import { VERSION } from '../version';
import { decodeJson, decodeProtobuf, encodeResponse, encodeStatus, OtlpDecodeError } from './otlp';
import { TraceStore, type StoreLimits } from './store';
import { loadToken, tokenMatches } from './token';

export const DEFAULT_TRACES_PORT = 4318;
export const HOST = '127.0.0.1';
const HELLO = 'hyperbox-traces';

export interface ReceiverOptions {
  /** Default 4318; 0 picks a free port. */
  port?: number;
  env?: NodeJS.ProcessEnv;
  limits?: StoreLimits;
  /** Largest body accepted, compressed and after gunzip (default 16 MiB). */
  maxBodyBytes?: number;
  /** Bytes of bodies being received at once before new ones get 503 (default 64 MiB). */
  maxInflightBytes?: number;
  /** While forwarding, how often to check whether the port came free (default 2 s). */
  takeoverMs?: number;
  /**
   * Traces that are new or got spans: batched every changedIntervalMs while listening; while
   * forwarding, the primary receiver is asked for them every second.
   */
  onChanged?(traces: TraceSummary[]): void;
  /** Default 200 ms. */
  changedIntervalMs?: number;
  /** Messages for the user: forwarding, taking over. */
  onMessage?(message: string): void;
}

/** The answer to one export request. */
export interface ExportAnswer {
  status: number;
  contentType: string;
  body: Uint8Array | string;
  retryAfter?: number;
}

interface Hello {
  receiver: string;
  pid: number;
  version: string;
  port: number;
}

type ContentKind = 'protobuf' | 'json';
const CONTENT_TYPES: Record<ContentKind, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

function kindOf(contentType: string | undefined): ContentKind | undefined {
  const media = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return media === 'application/x-protobuf' ? 'protobuf' : media === 'application/json' ? 'json' : undefined;
}

const gunzip = promisify(zlib.gunzip);

export class TraceReceiver {
  readonly store: TraceStore;
  private server?: http.Server;
  private primary?: Hello;
  private takeover?: NodeJS.Timeout;
  /** Changed traces waiting for the next onChanged (listening). */
  private pending = new Set<string>();
  private flushTimer?: NodeJS.Timeout;
  /** While forwarding: asks the primary for changed traces; the newest receivedMs seen so far. */
  private poll?: NodeJS.Timeout;
  private seenMs = 0;
  private inflight = 0;
  private closed = false;
  private readonly maxBody: number;
  private readonly maxInflight: number;

  private constructor(
    private readonly token: string,
    public port: number,
    private readonly options: ReceiverOptions,
  ) {
    this.store = new TraceStore(options.limits);
    this.maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
    this.maxInflight = options.maxInflightBytes ?? 64 * 1024 * 1024;
  }

  /** Listens on 127.0.0.1:port, or forwards to this user's receiver already there. */
  static async start(options: ReceiverOptions = {}): Promise<TraceReceiver> {
    const token = await loadToken(options.env);
    const r = new TraceReceiver(token, options.port ?? DEFAULT_TRACES_PORT, options);
    await r.listenOrForward();
    return r;
  }

  get state(): 'listening' | 'forwarding' {
    return this.server ? 'listening' : 'forwarding';
  }

  status(): TracesStatus {
    const s = this.store.stats;
    return {
      state: this.closed ? 'off' : this.state,
      host: HOST,
      port: this.port,
      receiverPid: this.server ? process.pid : this.primary?.pid,
      storedTraces: s.traces,
      storedSpans: s.spans,
      storedBytes: s.bytes,
      evictedTraces: s.evicted,
    };
  }

  private async listenOrForward(): Promise<void> {
    try {
      await this.listen();
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw new Error(`Cannot listen for traces on ${HOST}:${this.port}: ${(e as Error).message}`);
    }
    const hello = await probe(this.port, this.token);
    if (hello === 'free') return this.listenOrForward(); // it went away in between
    if (hello === 'foreign') {
      throw new Error(
        `${HOST}:${this.port} is taken by a program that is not your HyperBox trace receiver, so traces cannot be received there. ` +
          `Stop that program, or choose another port (hb traces serve --port P, or the traces port setting).`,
      );
    }
    this.primary = hello;
    this.options.onMessage?.(`Your HyperBox trace receiver (pid ${hello.pid}) already listens on ${HOST}:${this.port}; forwarding to it.`);
    this.watchPrimary();
    this.pollPrimary();
  }

  private listen(): Promise<void> {
    const server = http.createServer({ requestTimeout: 60_000, headersTimeout: 10_000 }, (req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: `The trace receiver failed: ${(e as Error).message}` }));
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 5000;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, HOST, () => {
        server.off('error', reject);
        this.port = (server.address() as AddressInfo).port;
        this.server = server;
        this.primary = undefined;
        resolve();
      });
    });
  }

  private flush(): void {
    this.flushTimer = undefined;
    const traces = [...this.pending].map((id) => this.store.summary(id)).filter((t): t is TraceSummary => !!t);
    this.pending.clear();
    if (traces.length && !this.closed) this.options.onChanged?.(traces);
  }

  /** While forwarding: the traces the primary received since the last look go to onChanged. */
  private pollPrimary(): void {
    if (!this.options.onChanged) return;
    this.seenMs = Date.now();
    const tick = async () => {
      if (this.closed || this.server) return;
      try {
        const traces = await this.list({ receivedAfterMs: this.seenMs, limit: 1000 });
        if (traces.length && !this.closed && !this.server) {
          this.seenMs = Math.max(this.seenMs, ...traces.map((t) => t.receivedMs));
          this.options.onChanged?.(traces);
        }
      } catch {
        // the primary is going away: watchPrimary takes the port over
      }
      if (!this.closed && !this.server) this.poll = setTimeout(() => void tick(), 1000);
    };
    this.poll = setTimeout(() => void tick(), 1000);
  }

  /** While forwarding: when the primary receiver goes away, take its port over. */
  private watchPrimary(): void {
    const every = this.options.takeoverMs ?? 2000;
    const tick = async () => {
      if (this.closed || this.server) return;
      const hello = await probe(this.port, this.token).catch(() => 'foreign' as const);
      if (this.closed) return;
      if (hello === 'free') {
        try {
          await this.listen();
          this.options.onMessage?.(`The HyperBox trace receiver that held ${HOST}:${this.port} is gone; this one listens there now.`);
          return;
        } catch {
          // someone else took it first: look again
        }
      } else if (hello !== 'foreign') this.primary = hello;
      this.takeover = setTimeout(() => void tick(), every);
    };
    // not unref'd: a forwarding `hb traces serve` has nothing else keeping it alive until Ctrl-C
    this.takeover = setTimeout(() => void tick(), every);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.takeover) clearTimeout(this.takeover);
    if (this.poll) clearTimeout(this.poll);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.pending.clear();
    const server = this.server;
    this.server = undefined;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    this.store.clear();
  }

  // ----- export ---------------------------------------------------------------------------------

  /**
   * One export request's body, from HTTP or from elsewhere in the engine (a relay): stored here, or
   * passed to the primary receiver while forwarding.
   */
  async export(body: Uint8Array, contentType: string | undefined, contentEncoding?: string): Promise<ExportAnswer> {
    if (!this.server) return this.forwardExport(body, contentType, contentEncoding);
    const kind = kindOf(contentType);
    if (!kind) return plain(415, `Content-Type ${contentType ?? '(none)'} is not supported: send application/x-protobuf or application/json.`);
    const encoding = (contentEncoding ?? '').trim().toLowerCase();
    if (encoding && encoding !== 'identity' && encoding !== 'gzip') return status(kind, 415, `Content-Encoding ${encoding} is not supported: send gzip or no encoding.`);
    if (body.byteLength > this.maxBody) return status(kind, 413, `The body has ${body.byteLength} bytes; the limit is ${this.maxBody}. Send smaller batches.`);
    const retry = this.store.saturation();
    if (retry) return { ...status(kind, 429, 'The trace store is full of traces received in the last moment; retry later.'), retryAfter: retry };
    let raw = body;
    if (encoding === 'gzip') {
      try {
        raw = await gunzip(body, { maxOutputLength: this.maxBody });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
          return status(kind, 413, `The body is over ${this.maxBody} bytes once decompressed. Send smaller batches.`);
        }
        return status(kind, 400, `The gzip body could not be decompressed: ${(e as Error).message}`);
      }
    }
    let batch;
    try {
      batch = kind === 'protobuf' ? decodeProtobuf(raw) : decodeJson(raw);
    } catch (e) {
      if (e instanceof OtlpDecodeError) return status(kind, 400, `Cannot decode the export request: ${e.message}`);
      throw e;
    }
    const added = this.store.add(batch.spans);
    if (added.changed.length && this.options.onChanged) {
      for (const id of added.changed) this.pending.add(id);
      this.flushTimer ??= setTimeout(() => this.flush(), this.options.changedIntervalMs ?? 200);
    }
    const rejected = batch.rejected + added.refused;
    const reasons = [batch.rejectReason, added.refused ? `${added.refused} spans were refused: their trace alone has more spans than the store holds (${this.store.maxSpans})` : undefined].filter(Boolean);
    return { status: 200, contentType: CONTENT_TYPES[kind], body: encodeResponse(kind, rejected, reasons.join('; ') || undefined) };
  }

  private async forwardExport(body: Uint8Array, contentType: string | undefined, contentEncoding?: string): Promise<ExportAnswer> {
    const headers: http.OutgoingHttpHeaders = { 'content-type': contentType ?? '', 'content-length': body.byteLength };
    if (contentEncoding) headers['content-encoding'] = contentEncoding;
    try {
      const r = await request(this.port, 'POST', '/v1/traces', headers, body);
      const retry = Number(r.headers['retry-after']);
      return { status: r.status, contentType: String(r.headers['content-type'] ?? 'text/plain'), body: r.body, ...(retry ? { retryAfter: retry } : {}) };
    } catch (e) {
      return { ...plain(503, `The HyperBox trace receiver on ${HOST}:${this.port} did not answer (${(e as Error).message}); retry shortly.`), retryAfter: 1 };
    }
  }

  // ----- queries: the local store, or the primary's query endpoint ------------------------------

  async list(q: TraceQuery = {}): Promise<TraceSummary[]> {
    if (this.server) return this.store.list(q);
    return (await queryJson<{ traces: TraceSummary[] }>(this.port, this.token, `/hb/traces${queryString(q)}`)).traces;
  }

  async get(traceId: string): Promise<TraceDetail | null> {
    if (this.server) return this.store.get(traceId);
    if (!/^[0-9a-fA-F]{32}$/.test(traceId)) return null;
    try {
      return await queryJson<TraceDetail>(this.port, this.token, `/hb/traces/${traceId.toLowerCase()}`);
    } catch (e) {
      if ((e as { status?: number }).status === 404) return null;
      throw e;
    }
  }

  async services(): Promise<ServiceSummary[]> {
    if (this.server) return this.store.services();
    return (await queryJson<{ services: ServiceSummary[] }>(this.port, this.token, '/hb/services')).services;
  }

  // ----- HTTP -----------------------------------------------------------------------------------

  private hostAllowed(host: string | undefined): boolean {
    return host === `${HOST}:${this.port}` || host === `localhost:${this.port}`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.headers.origin !== undefined) {
      return refuse(req, res, 403, 'The HyperBox trace receiver does not answer web pages (the request has an Origin header).');
    }
    if (!this.hostAllowed(req.headers.host)) {
      return refuse(req, res, 403, `Host ${req.headers.host ?? '(none)'} is not ${HOST}:${this.port} or localhost:${this.port}.`);
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    if (pathname === '/v1/traces') {
      if (req.method !== 'POST') return refuse(req, res, 405, 'Send export requests with POST.', { Allow: 'POST' });
      return this.receive(req, res);
    }
    if (pathname.startsWith('/hb/')) {
      if (req.method !== 'GET') return refuse(req, res, 405, 'The query endpoints answer GET only.', { Allow: 'GET' });
      if (!tokenMatches(req.headers.authorization, this.token)) {
        return refuse(req, res, 401, 'This endpoint needs the token from your HyperBox config folder (traces.token).', { 'WWW-Authenticate': 'Bearer' });
      }
      return this.query(pathname, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)), res);
    }
    return refuse(req, res, 404, `Nothing at ${pathname}: send traces to POST /v1/traces.`);
  }

  private query(pathname: string, params: URLSearchParams, res: http.ServerResponse): void {
    const json = (code: number, value: unknown) => send(res, code, 'application/json', JSON.stringify(value));
    if (pathname === '/hb/hello') return json(200, { receiver: HELLO, pid: process.pid, version: VERSION, port: this.port } satisfies Hello);
    if (pathname === '/hb/status') return json(200, this.status());
    if (pathname === '/hb/services') return json(200, { services: this.store.services() });
    if (pathname === '/hb/traces') {
      let query: TraceQuery;
      try {
        query = parseQuery(params);
      } catch (e) {
        return json(400, { error: (e as Error).message });
      }
      return json(200, { traces: this.store.list(query) });
    }
    const m = /^\/hb\/traces\/([0-9a-fA-F]{32})$/.exec(pathname);
    if (m) {
      const detail = this.store.get(m[1]);
      return detail ? json(200, detail) : json(404, { error: `Trace ${m[1]} is not stored (it may have been evicted).` });
    }
    return json(404, { error: `Nothing at ${pathname}.` });
  }

  private async receive(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const kind = kindOf(req.headers['content-type']);
    const length = Number(req.headers['content-length'] ?? NaN);
    if (kind && length > this.maxBody) {
      return refuse(req, res, 413, `The body has ${length} bytes; the limit is ${this.maxBody}. Send smaller batches.`, {}, kind);
    }
    // a body of unknown length (chunked) is counted as it arrives
    const expected = Number.isFinite(length) ? length : 0;
    if (this.inflight + expected > this.maxInflight) {
      return refuse(req, res, 503, 'The trace receiver is busy with other requests; retry shortly.', { 'Retry-After': '1' }, kind);
    }
    this.inflight += expected;
    let counted = expected;
    let body: Buffer | undefined;
    try {
      body = await readBody(req, this.maxBody, (n) => {
        if (n > counted) {
          this.inflight += n - counted;
          counted = n;
        }
      });
    } finally {
      this.inflight -= counted;
    }
    if (!body) return refuse(req, res, 413, `The body is over ${this.maxBody} bytes. Send smaller batches.`, {}, kind);
    const a = await this.export(body, req.headers['content-type'], req.headers['content-encoding']);
    send(res, a.status, a.contentType, a.body, a.retryAfter ? { 'Retry-After': String(a.retryAfter) } : {});
  }
}

// ----- helpers ---------------------------------------------------------------------------------

function status(kind: ContentKind, code: number, message: string): ExportAnswer {
  // google.rpc.Code for the HTTP status: INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE, ...
  const rpc = code === 400 ? 3 : code === 413 || code === 429 ? 8 : code === 503 ? 14 : code === 415 ? 3 : 2;
  return { status: code, contentType: CONTENT_TYPES[kind], body: encodeStatus(kind, rpc, message) };
}

function plain(code: number, message: string): ExportAnswer {
  return { status: code, contentType: 'text/plain; charset=utf-8', body: message };
}

function send(res: http.ServerResponse, code: number, contentType: string, body: Uint8Array | string, headers: Record<string, string> = {}): void {
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

/** Answers an error without reading (much of) the body, then closes the connection. */
function refuse(req: http.IncomingMessage, res: http.ServerResponse, code: number, message: string, headers: Record<string, string> = {}, kind?: ContentKind): void {
  const a = kind ? status(kind, code, message) : plain(code, message);
  if (!req.complete) {
    headers = { ...headers, Connection: 'close' };
    // let the sender finish writing (so it reads the answer rather than a reset), up to a bound
    let drained = 0;
    req.on('data', (c: Buffer) => {
      drained += c.length;
      if (drained > 64 * 1024 * 1024) req.destroy();
    });
    req.on('error', () => undefined);
  }
  send(res, code, a.contentType, a.body, headers);
}

/** The body, or undefined once it passes `limit` bytes; `progress` gets the bytes read so far. */
function readBody(req: http.IncomingMessage, limit: number, progress: (bytes: number) => void): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      progress(size);
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!over) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on('error', reject);
  });
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(port: number, method: string, path: string, headers: http.OutgoingHttpHeaders, body?: Uint8Array, timeoutMs = 10_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port, method, path, headers, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Who holds the port: nobody, this user's HyperBox receiver, or something else. */
export async function probe(port: number, token: string): Promise<'free' | 'foreign' | Hello> {
  try {
    const r = await request(port, 'GET', '/hb/hello', { authorization: `Bearer ${token}` }, undefined, 3000);
    if (r.status !== 200) return 'foreign';
    const hello = JSON.parse(r.body.toString('utf8')) as Hello;
    return hello?.receiver === HELLO ? hello : 'foreign';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? 'free' : 'foreign';
  }
}

/** A GET on a receiver's query endpoint; errors say what to do. */
export async function queryJson<T>(port: number, token: string, path: string): Promise<T> {
  let r: Reply;
  try {
    r = await request(port, 'GET', path, { authorization: `Bearer ${token}`, accept: 'application/json' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
      throw new Error(`No HyperBox trace receiver listens on ${HOST}:${port}. Start one with hb traces serve${port === DEFAULT_TRACES_PORT ? '' : ` --port ${port}`}, or turn traces on in the editor.`);
    }
    throw new Error(`The trace receiver on ${HOST}:${port} did not answer: ${(e as Error).message}`);
  }
  if (r.status === 401) {
    throw Object.assign(new Error(`The program on ${HOST}:${port} refused your HyperBox token: it is not your HyperBox trace receiver (another user's, or another program).`), { status: 401 });
  }
  let value: unknown;
  try {
    value = JSON.parse(r.body.toString('utf8'));
  } catch {
    throw new Error(`The program on ${HOST}:${port} is not a HyperBox trace receiver (it answered ${r.status} with something that is not JSON).`);
  }
  if (r.status !== 200) throw Object.assign(new Error((value as { error?: string })?.error ?? `The trace receiver answered ${r.status}.`), { status: r.status });
  return value as T;
}

export function queryString(q: TraceQuery): string {
  const p = new URLSearchParams();
  if (q.service) p.set('service', q.service);
  if (q.operation) p.set('operation', q.operation);
  if (q.attribute) p.set('attribute', q.attribute.value == null ? q.attribute.key : `${q.attribute.key}=${q.attribute.value}`);
  if (q.minDurationMs != null) p.set('minMs', String(q.minDurationMs));
  if (q.maxDurationMs != null) p.set('maxMs', String(q.maxDurationMs));
  if (q.limit != null) p.set('limit', String(q.limit));
  if (q.receivedAfterMs != null) p.set('receivedAfterMs', String(q.receivedAfterMs));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function parseQuery(p: URLSearchParams): TraceQuery {
  const q: TraceQuery = {};
  const num = (name: string): number | undefined => {
    const v = p.get(name);
    if (v == null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${v} is not a number of milliseconds (or a count) ≥ 0.`);
    return n;
  };
  const service = p.get('service');
  if (service) q.service = service;
  const operation = p.get('operation');
  if (operation) q.operation = operation;
  const attribute = p.get('attribute');
  if (attribute) {
    const eq = attribute.indexOf('=');
    q.attribute = eq < 0 ? { key: attribute } : { key: attribute.slice(0, eq), value: attribute.slice(eq + 1) };
  }
  const min = num('minMs');
  if (min != null) q.minDurationMs = min;
  const max = num('maxMs');
  if (max != null) q.maxDurationMs = max;
  const after = num('receivedAfterMs');
  if (after != null) q.receivedAfterMs = after;
  const limit = num('limit');
  if (limit != null) q.limit = Math.min(10_000, Math.floor(limit));
  return q;
}
