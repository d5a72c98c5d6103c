// Which Docker engine to talk to, decided the way the docker CLI decides it: DOCKER_CONTEXT, then
// DOCKER_HOST, then the current context of ~/.docker/config.json (DOCKER_CONFIG moves that folder),
// then the default socket. Contexts live in <config>/contexts/meta/<sha256(name)>/meta.json, their
// TLS material in <config>/contexts/tls/<sha256(name)>/docker/.
import { promises as fs } from 'node:fs';
import { Agent, type AgentOptions } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { RuntimeError } from '../errors';
import { sha256 } from '../../util/sha256';

export const DEFAULT_SOCKET = '/var/run/docker.sock';

export interface DockerEndpoint {
  /** The address as written, e.g. `unix:///var/run/docker.sock`, `tcp://127.0.0.1:2375`. */
  host: string;
  /** Where it came from, for messages: `DOCKER_HOST`, `context "name"`, `default`. */
  source: string;
  /** Options for dockerode. */
  options: {
    socketPath?: string;
    host?: string;
    port?: number | string;
    protocol?: 'http' | 'https' | 'ssh';
    username?: string;
    ca?: string;
    cert?: string;
    key?: string;
    /** The HTTP agent that carries the connections (ssh: see lazy-ssh.ts). */
    agent?: unknown;
  };
  /** TLS files to read before connecting (tcp with TLS). */
  tlsDir?: string;
  tlsVerify?: boolean;
}

function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
}

/** Parses a DOCKER_HOST-style address. */
export function parseDockerHost(host: string, source: string): DockerEndpoint {
  const bad = (why: string) =>
    new RuntimeError(
      'no-engine',
      `The Docker address ${JSON.stringify(host)} (from ${source}) ${why}. Use unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://USER@HOST.`,
    );
  if (host.startsWith('/')) return { host: `unix://${host}`, source, options: { socketPath: host } };
  const m = /^([a-z]+):\/\/(.*)$/.exec(host);
  if (!m) throw bad('has no scheme');
  const [, scheme, rest] = m;
  switch (scheme) {
    case 'unix':
      if (!rest) throw bad('names no socket');
      return { host, source, options: { socketPath: rest.startsWith('/') ? rest : `/${rest}` } };
    case 'tcp':
    case 'http':
    case 'https': {
      const url = new URL(`http://${rest}`);
      if (!url.hostname) throw bad('names no host');
      const tls = scheme === 'https';
      return {
        host,
        source,
        options: { host: url.hostname, port: url.port || (tls ? 2376 : 2375), protocol: tls ? 'https' : 'http' },
      };
    }
    case 'ssh': {
      const url = new URL(`ssh://${rest}`);
      if (!url.hostname) throw bad('names no host');
      return {
        host,
        source,
        options: {
          host: url.hostname,
          port: url.port || 22,
          protocol: 'ssh',
          username: decodeURIComponent(url.username) || undefined,
        },
      };
    }
    case 'npipe':
      throw bad('is a Windows named pipe, which HyperBox does not support on this platform');
    default:
      throw bad(`has an unknown scheme "${scheme}"`);
  }
}

async function readContext(configDir: string, name: string): Promise<DockerEndpoint> {
  const id = sha256(name);
  const metaFile = path.join(configDir, 'contexts', 'meta', id, 'meta.json');
  let meta: { Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } } };
  try {
    meta = JSON.parse(await fs.readFile(metaFile, 'utf8'));
  } catch (e) {
    throw new RuntimeError(
      'no-engine',
      `The docker context "${name}" is selected but cannot be read (${metaFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). ` +
        `Select another one with "docker context use default", or set DOCKER_HOST.`,
    );
  }
  const host = meta.Endpoints?.docker?.Host;
  if (!host) throw new RuntimeError('no-engine', `The docker context "${name}" (${metaFile}) has no Docker endpoint. Select another one with "docker context use".`);
  const endpoint = parseDockerHost(host, `docker context "${name}"`);
  const tlsDir = path.join(configDir, 'contexts', 'tls', id, 'docker');
  if (endpoint.options.protocol === 'http' || endpoint.options.protocol === 'https') {
    // TLS when the context has TLS material, or says SkipTLSVerify (TLS without checking the
    // server's certificate), as the docker CLI decides
    const skipVerify = meta.Endpoints?.docker?.SkipTLSVerify === true;
    const has = (f: string) =>
      fs.access(path.join(tlsDir, f)).then(
        () => true,
        () => false,
      );
    if ((await has('ca.pem')) || (await has('cert.pem')) || skipVerify) {
      endpoint.options.protocol = 'https';
      endpoint.tlsDir = tlsDir;
      endpoint.tlsVerify = !skipVerify;
    }
  }
  return endpoint;
}

export async function resolveEndpoint(env: NodeJS.ProcessEnv = process.env): Promise<DockerEndpoint> {
  const configDir = dockerConfigDir(env);
  const contextName = env.DOCKER_CONTEXT;
  if (contextName && contextName !== 'default') return readContext(configDir, contextName);
  if (env.DOCKER_HOST && !contextName) {
    const endpoint = parseDockerHost(env.DOCKER_HOST, 'DOCKER_HOST');
    if ((endpoint.options.protocol === 'http' || endpoint.options.protocol === 'https') && env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== '0') {
      endpoint.options.protocol = 'https';
      endpoint.tlsDir = env.DOCKER_CERT_PATH || configDir;
      endpoint.tlsVerify = true;
    }
    return endpoint;
  }
  if (!contextName) {
    let current: string | undefined;
    try {
      current = JSON.parse(await fs.readFile(path.join(configDir, 'config.json'), 'utf8'))?.currentContext;
    } catch {
      // no config: default
    }
    if (current && current !== 'default') return readContext(configDir, current);
  }
  return { host: `unix://${DEFAULT_SOCKET}`, source: 'default', options: { socketPath: DEFAULT_SOCKET } };
}

/** Reads TLS files and fills in ssh agent options: what dockerode needs to connect. */
export async function connectionOptions(endpoint: DockerEndpoint, env: NodeJS.ProcessEnv): Promise<DockerEndpoint['options']> {
  const options = { ...endpoint.options };
  if (endpoint.tlsDir) {
    const read = async (f: string) => {
      try {
        return await fs.readFile(path.join(endpoint.tlsDir!, f), 'utf8');
      } catch {
        return undefined;
      }
    };
    options.ca = await read('ca.pem');
    options.cert = await read('cert.pem');
    options.key = await read('key.pem');
    if (endpoint.tlsVerify === false) {
      // SkipTLSVerify: encrypted, but any certificate is accepted (the agent's options win over the request's)
      const { Agent } = require('node:https') as typeof import('node:https');
      options.agent = new Agent({ ca: options.ca, cert: options.cert, key: options.key, rejectUnauthorized: false, checkServerIdentity: () => undefined });
    }
  }
  if (options.protocol === 'ssh') {
    // our own ssh transport (lazy-ssh.ts): known_hosts checked, one ssh session for all requests
    const { sshAgent } = require('../lazy-ssh.js') as typeof import('../lazy-ssh.js');
    const port = Number(options.port) || 22;
    const username = options.username || env.USER || env.LOGNAME || os.userInfo().username;
    const target = { host: options.host!, port, username, address: endpoint.host, source: endpoint.source };
    return { host: options.host, port, protocol: 'http', agent: sshAgent(target, env, (message) => new RuntimeError('no-engine', message)) };
  }
  if (!options.agent && options.protocol !== 'https') options.agent = plainAgent();
  return options;
}

/**
 * The agent for an engine spoken to in plain HTTP (a unix socket, tcp without TLS): Node's global
 * agent's settings, and no TLS server name. Without one, Node works the name out for every request
 * (_http_agent.js calculateServerName: is "localhost" an IP address?), and the first two answers
 * of its IPv6 pattern cost about 10 ms of CPU in every hb run; plain HTTP never sends the name.
 */
export function plainAgent(): Agent {
  return new Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5000, servername: '' } as AgentOptions);
}

/**
 * Whether the engine runs on this machine, so that this machine's paths mean the same to it (bind
 * mounts of the workspace and other host folders, the SSH agent socket, nsenter, GPU checks).
 * A unix socket is on this machine, and so is tcp to a loopback address. ssh never counts as
 * local, even to 127.0.0.1: ssh is how one reaches another machine (or another user's engine),
 * and the workspace is copied in instead of bind-mounted. HB_ENGINE_REMOTE says otherwise when
 * the address misleads: 1 for a loopback port forwarded from another machine, 0 for a remote
 * engine that sees this folder at the same path (a shared file system).
 */
export function isLocalEngine(endpoint: DockerEndpoint, env: NodeJS.ProcessEnv = process.env): boolean {
  const forced = env.HB_ENGINE_REMOTE;
  if (forced === '1' || forced === 'true') return false;
  if (forced === '0' || forced === 'false') return true;
  const o = endpoint.options;
  if (o.socketPath) return true;
  if (o.protocol === 'ssh') return false;
  return isLoopback(o.host);
}

export function isLoopback(host: string | undefined): boolean {
  if (!host) return false;
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
