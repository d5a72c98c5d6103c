// The connection to the Docker engine (dockerode, loaded on first use), what the engine is, and
// the one message users get when there is no engine to talk to.
import type Dockerode from 'dockerode';
import { request } from 'node:http';
import type { Readable } from 'node:stream';
import { RuntimeError } from './errors';
import { connectionOptions, resolveEndpoint, type DockerEndpoint } from './endpoint';

export interface EngineInfo {
  /** `Docker Engine`, `Podman Engine`, ... */
  name: string;
  version: string;
  apiVersion: string;
  os: string;
  /** Empty when the engine was asked the quick way (/_ping). */
  arch: string;
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
      const { Docker } = require('./lazy.js') as typeof import('./lazy.js');
      const docker = new Docker(await connectionOptions(endpoint, env));
      let info: Promise<EngineInfo> | undefined;
      return {
        docker,
        endpoint,
        info() {
          info ??= whoIs(docker, endpoint).catch((e) => {
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
 * Who the engine is. `/_ping` answers in about a millisecond and names the engine in its Server
 * header ("Docker/20.10.24 (linux)", "Libpod/4.3.1 (linux)"); `/version` (which asks containerd
 * and runc, several milliseconds) is the fallback when it does not.
 */
async function whoIs(docker: Dockerode, endpoint: DockerEndpoint): Promise<EngineInfo> {
  if (endpoint.options.socketPath) {
    const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
      const req = request({ socketPath: endpoint.options.socketPath, path: '/_ping', method: 'GET' }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.headers));
      });
      req.on('error', reject);
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
  if (e instanceof RuntimeError || !isConnectionError(e)) return e;
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
 * Reads a multiplexed exec/attach stream (no TTY): frames of an 8-byte header (stream type,
 * length) and a payload. Calls `onData` in the order the frames came, stdout and stderr alike.
 */
export function demux(stream: Readable, onData: (data: Buffer, from: 'stdout' | 'stderr') => void): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 8) {
      const len = pending.readUInt32BE(4);
      if (pending.length < 8 + len) break;
      const payload = pending.subarray(8, 8 + len);
      onData(payload, pending[0] === 2 ? 'stderr' : 'stdout');
      pending = pending.subarray(8 + len);
    }
  });
  return new Promise((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
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
