// The connection to the Docker engine (dockerode, loaded on first use), what the engine is, and
// the one message users get when there is no engine to talk to.
import type Dockerode from 'dockerode';
import { request, type Agent } from 'node:http';
import type { Readable } from 'node:stream';
import { RuntimeError } from '../errors';
import { connectionOptions, resolveEndpoint, type DockerEndpoint } from './endpoint';

export interface EngineInfo {
  /** `Docker Engine`, `Podman Engine`, ... */
  name: string;
  version: string;
  apiVersion: string;
  os: string;
  /** Empty when the engine was asked the quick way (/_ping). */
  arch: string;
  /** The builder the engine says it uses by default (/_ping's Builder-Version: "1" classic, "2" BuildKit); empty when it does not say. */
  builder?: string;
}

export interface Engine {
  docker: Dockerode;
  endpoint: DockerEndpoint;
  /** Asks the engine who it is once; later calls reuse the answer. */
  info(): Promise<EngineInfo>;
}

const engines = new Map<string, Promise<Engine>>();

/** A connection to the engine the environment selects; no request is made yet. Cached per address. */
export async function connectEngine(env: NodeJS.ProcessEnv = process.env): Promise<Engine> {
  const endpoint = await resolveEndpoint(env);
  const key = `${endpoint.source}|${endpoint.host}`;
  let engine = engines.get(key);
  if (!engine) {
    engine = (async () => {
      // require, not import(): a dynamic import would make Node scan the whole file for its exports
      const { Docker } = require('../lazy.js') as typeof import('../lazy.js');
      const options = await connectionOptions(endpoint, env);
      const docker = new Docker(options);
      limitCalls(docker, endpoint, callLimitMs(env));
      let info: Promise<EngineInfo> | undefined;
      return {
        docker,
        endpoint,
        info() {
          info ??= whoIs(docker, endpoint, options.agent as Agent | undefined, Math.min(callLimitMs(env), 10_000)).catch((e) => {
            info = undefined;
            throw engineError(e, endpoint);
          });
          return info;
        },
      };
    })();
    engines.set(key, engine);
    engine.catch(() => engines.delete(key));
  }
  return engine;
}

/**
 * Starts connecting to the engine the environment selects (which loads dockerode, several ms of
 * CPU) while the caller waits for its own reads, such as the config's files; the caller's
 * connectEngine then gets the same connection. A failure here is dropped, and the later
 * connectEngine tries again and throws it where it always did.
 */
export function warmEngine(env: NodeJS.ProcessEnv = process.env): void {
  connectEngine(env).catch(() => undefined);
}

/** How long an Engine API call may take (HB_ENGINE_TIMEOUT, in seconds; default 60). */
export function callLimitMs(env: NodeJS.ProcessEnv): number {
  const s = Number(env.HB_ENGINE_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 60_000;
}

/** A pull or build that shows no progress for this long has stalled (a build step may be silent for a while). */
const IDLE_LIMIT_MS = { pull: 5 * 60_000, build: 30 * 60_000 };

function timeoutError(endpoint: DockerEndpoint, what: string, ms: number, idle = false): RuntimeError {
  const secs = Math.round(ms / 1000);
  return new RuntimeError(
    'no-engine',
    `The Docker engine at ${endpoint.host} (from ${endpoint.source}) ${idle ? `stopped sending progress for ${secs} s during ${what}` : `accepted the connection but did not answer ${what} within ${secs} s`}. ` +
      'Check that this address is a Docker engine (not another service on that port) and that it is not stuck or overloaded ("docker info" against it), ' +
      'or unset DOCKER_HOST / run "docker context use default" to use the local engine. HB_ENGINE_TIMEOUT=<seconds> changes the limit.',
  );
}

/**
 * Every Engine API call gets a time limit, so an address that accepts connections and never
 * answers fails with a message instead of hanging hb (and the editor) for good. A stream (exec
 * output, logs -f, events, a build or pull) is limited only until the engine answers; after that
 * it may run as long as it runs, except that a pull or build must keep reporting progress.
 * Calls that wait by design (container wait) have no limit.
 */
function limitCalls(docker: Dockerode, endpoint: DockerEndpoint, limitMs: number): void {
  type DialOptions = { path?: string; method?: string; isStream?: boolean; hijack?: boolean; abortSignal?: AbortSignal; options?: { t?: number }; file?: unknown };
  type Callback = (err: unknown, result?: unknown) => void;
  const modem = docker.modem as unknown as { dial(options: DialOptions, callback: Callback): void };
  const dial = modem.dial.bind(modem);
  modem.dial = (options, callback) => {
    const route = String(options.path ?? '').split('?')[0];
    // waiting is what it is for; an upload (a build context, the workspace copy) takes as long as the link needs
    const unlimited = /\/containers\/[^/]+\/wait$/.test(route) || !!options.file;
    const what = `${options.method ?? 'GET'} ${route.replace(/^\/v[\d.]+/, '').replace(/[0-9a-f]{64}/g, (id) => id.slice(0, 12))}`;
    // a stop waits up to its grace period before the engine answers
    const ms = limitMs + (/\/(stop|restart)$/.test(route) ? (Number(options.options?.t) || 10) * 1000 : 0);
    const abort = new AbortController();
    const signals = options.abortSignal ? [options.abortSignal, abort.signal] : [abort.signal];
    let done = false;
    const timer = unlimited
      ? undefined
      : setTimeout(() => {
          if (done) return;
          done = true;
          abort.abort();
          callback(timeoutError(endpoint, what, ms));
        }, ms);
    const idle = /\/build$/.test(route) ? IDLE_LIMIT_MS.build : /\/images\/create$/.test(route) ? IDLE_LIMIT_MS.pull : 0;
    dial({ ...options, abortSignal: signals.length > 1 ? AbortSignal.any(signals) : signals[0] }, (err, result) => {
      clearTimeout(timer);
      if (done) return;
      done = true;
      if (!err && idle && result && typeof (result as NodeJS.ReadableStream).on === 'function') watchProgress(result as NodeJS.ReadableStream & { destroy(e?: Error): void }, idle, () => timeoutError(endpoint, what, idle, true));
      callback(err, result);
    });
  };
}

/** Ends a progress stream with `error()` when no data came for `ms`. */
function watchProgress(stream: NodeJS.ReadableStream & { destroy(e?: Error): void }, ms: number, error: () => Error): void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => stream.destroy(error()), ms);
  };
  const stop = () => timer && clearTimeout(timer);
  stream.on('data', arm);
  stream.on('end', stop);
  stream.on('close', stop);
  stream.on('error', stop);
  arm();
}

/**
 * Who the engine is. `/_ping` answers in about a millisecond and names the engine in its Server
 * header ("Docker/20.10.24 (linux)", "Libpod/4.3.1 (linux)"); `/version` (which asks containerd
 * and runc, several milliseconds) is the fallback when it does not.
 */
async function whoIs(docker: Dockerode, endpoint: DockerEndpoint, agent: Agent | undefined, pingLimitMs: number): Promise<EngineInfo> {
  if (endpoint.options.socketPath) {
    const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
      // the engine's own agent (connectionOptions): its connection is then reused by the next call
      const req = request({ socketPath: endpoint.options.socketPath, path: '/_ping', method: 'GET', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.headers));
      });
      req.on('error', reject);
      // a socket that accepts and never answers (see limitCalls)
      req.setTimeout(pingLimitMs, () => req.destroy(timeoutError(endpoint, 'GET /_ping', pingLimitMs)));
      req.end();
    });
    const m = /^(Docker|Libpod)\/(\S+)/.exec(String(headers.server ?? ''));
    if (m) {
      return {
        name: m[1] === 'Libpod' ? 'Podman Engine' : 'Docker Engine',
        version: m[2],
        apiVersion: String(headers['api-version'] ?? ''),
        os: String(headers.ostype ?? ''),
        arch: '',
        builder: String(headers['builder-version'] ?? ''),
      };
    }
  }
  const v = await docker.version();
  return {
    // Podman names itself in Components; Docker's Platform.Name is e.g. "Docker Engine - Community" (empty in Debian's build)
    name: v.Components?.find((c) => /podman/i.test(c.Name))?.Name ?? ((v as { Platform?: { Name?: string } }).Platform?.Name || 'Docker Engine'),
    version: v.Version,
    apiVersion: v.ApiVersion,
    os: v.Os,
    arch: v.Arch,
  };
}

const CONNECT_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN']);

/** True for errors that mean the engine could not be reached at all. */
export function isConnectionError(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException & { syscall?: string; address?: string };
  return !!err && typeof err.code === 'string' && CONNECT_CODES.has(err.code) && (err.syscall === 'connect' || err.syscall === 'getaddrinfo' || !!err.address);
}

/**
 * The one message for "no engine": what address was tried (and why that one), what went wrong,
 * and the fix. Other errors pass through unchanged.
 */
export function engineError(e: unknown, endpoint: DockerEndpoint): unknown {
  if (e instanceof RuntimeError) return e;
  const gone = goneError(e);
  if (gone) return gone;
  if (!isConnectionError(e)) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const where = `${endpoint.host} (from ${endpoint.source})`;
  const socket = endpoint.options.socketPath;
  let why: string;
  let fix: string;
  switch (code) {
    case 'ENOENT':
      why = `the socket ${socket} does not exist: no Docker engine is running there`;
      fix =
        'Start Docker (Docker Desktop on macOS and Windows; on Linux e.g. "sudo systemctl start docker"), ' +
        'or point DOCKER_HOST at a running engine (Podman: "podman system service" and DOCKER_HOST=unix://$XDG_RUNTIME_DIR/podman/podman.sock).';
      break;
    case 'EACCES':
    case 'EPERM':
      why = `permission denied on ${socket}`;
      fix = 'Add your user to the docker group ("sudo usermod -aG docker $USER", then log out and in again), or run as a user that may use the socket.';
      break;
    case 'ECONNREFUSED':
      why = socket ? `the socket ${socket} exists but nothing answers: the Docker daemon is not running` : 'the connection was refused: nothing listens there';
      fix = socket
        ? 'Start the daemon (e.g. "sudo systemctl start docker" or "sudo dockerd &"), or remove the stale socket and start it.'
        : 'Check that the engine listens on that address, or unset DOCKER_HOST to use the local socket.';
      break;
    default:
      why = `it could not be reached (${code})`;
      fix = 'Check the address and that the engine is running, or unset DOCKER_HOST / run "docker context use default".';
  }
  return new RuntimeError('no-engine', `Cannot talk to the Docker engine at ${where}: ${why}. ${fix}`);
}

/**
 * The engine's answer when a container (or an exec in it) went away while HyperBox worked with it
 * — removed by `docker rm`, another `hb down` or another tool — in HyperBox's words, naming the
 * container and what to do, instead of "(HTTP code 404) no such container".
 */
export function goneError(e: unknown): RuntimeError | undefined {
  const err = e as { statusCode?: number; json?: { message?: string } | null; message?: string };
  if (!err || typeof err !== 'object' || (err.statusCode !== 404 && err.statusCode !== 409)) return undefined;
  const text = String(err.json?.message ?? err.message ?? '');
  const short = (id: string) => (/^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id);
  let m = /no such container:?\s*(\S*)/i.exec(text);
  if (m && err.statusCode === 404) {
    const which = m[1] ? `The container ${short(m[1])}` : 'The dev container';
    return new RuntimeError(
      'not-found',
      `${which} is gone: it was removed (by docker rm, hb down or another tool) while HyperBox was working with it. Run hb up to make it again; hb status shows what is there now.`,
    );
  }
  m = /no such exec(?: instance)?:?\s*(\S*)/i.exec(text);
  if (m && err.statusCode === 404) {
    return new RuntimeError(
      'not-found',
      'The command HyperBox was running in the container is gone: the container was removed or restarted while it ran (by docker rm, hb down or another tool). Run hb status to see the container, and hb up to start it again.',
    );
  }
  m = /container (\S+) is not running/i.exec(text);
  if (m && err.statusCode === 409) {
    return new RuntimeError('not-running', `The container ${short(m[1])} stopped while HyperBox was working with it (by docker stop, hb stop or another tool). Run hb up to start it again.`);
  }
  return undefined;
}

/**
 * Reads a multiplexed exec/attach stream (no TTY): frames of an 8-byte header (stream type,
 * length) and a payload. Calls `onData` in the order the frames came, stdout and stderr alike.
 */
export function demux(stream: Readable, onData: (data: Buffer, from: 'stdout' | 'stderr') => void): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    pending = readFrames(pending.length ? Buffer.concat([pending, chunk]) : chunk, onData);
  });
  return new Promise((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
}

/**
 * The whole frames at the start of a multiplexed buffer, each given to `onData` in order; answers
 * what is left (an incomplete last frame) for the next chunk. The one frame reader: streams
 * (demux), and whole buffers such as a non-TTY container's logs (demuxText, ops' logs).
 */
export function readFrames(buf: Buffer, onData: (data: Buffer, from: 'stdout' | 'stderr') => void): Buffer {
  let i = 0;
  while (buf.length - i >= 8) {
    const len = buf.readUInt32BE(i + 4);
    if (buf.length - i < 8 + len) break;
    onData(buf.subarray(i + 8, i + 8 + len), buf[i] === 2 ? 'stderr' : 'stdout');
    i += 8 + len;
  }
  return buf.subarray(i);
}

/** Whether a buffer starts with a frame header (stream 0, 1 or 2, three zero bytes), not plain text. */
export function isMultiplexed(buf: Buffer): boolean {
  return buf.length >= 8 && buf[0] <= 2 && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
}

/** A container's logs as text: the frames' payloads joined when multiplexed (no TTY), else the text as it is. */
export function demuxText(buf: Buffer | string | undefined): string {
  if (!Buffer.isBuffer(buf)) return String(buf ?? '');
  if (!isMultiplexed(buf)) return buf.toString('utf8');
  const parts: Buffer[] = [];
  readFrames(buf, (data) => parts.push(data));
  return Buffer.concat(parts).toString('utf8');
}

/** Runs `fn` with a connection to the engine; its errors become messages that name the engine. */
export async function withEngine<T>(env: NodeJS.ProcessEnv, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await connectEngine(env);
  try {
    return await fn(engine);
  } catch (e) {
    throw engineError(e, engine.endpoint);
  }
}
