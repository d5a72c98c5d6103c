// The connection to an engine over ssh, loaded only for an ssh:// engine: esbuild builds this file
// as dist/docker-ssh.js and rewrites `require('./lazy-ssh.js')` to load it (see esbuild.mjs).
//
// Like the docker CLI, each HTTP connection is the stdin/stdout of `docker system dial-stdio` run
// on the remote machine; unlike a connection per request, one ssh session carries them all as
// channels (a second session is opened when the server limits channels per session), and HTTP
// keep-alive reuses them. The host key is checked against known_hosts; the keys offered are the
// ssh agent's (SSH_AUTH_SOCK), then ~/.ssh/id_ed25519, id_ecdsa, id_rsa when unencrypted.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { Client, utils, type AuthenticationType, type ClientChannel } from 'ssh2';
import {
  authFailedMessage,
  checkHostKey,
  defaultIdentityFiles,
  dialFailedMessage,
  hostKeyMessage,
  knownHostsFiles,
  unreachableMessage,
  type SshTarget,
} from './engine/sshHost';

const CONNECT_TIMEOUT_MS = 15_000;

interface Session {
  client: Client;
  sock: net.Socket;
  ready: Promise<void>;
  /** Channels that keep the process alive (in use, not idle in the keep-alive pool). */
  refs: number;
  closed: boolean;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

class Dialer {
  private sessions: Session[] = [];
  constructor(
    private readonly target: SshTarget,
    private readonly env: NodeJS.ProcessEnv,
    /** Makes the error the user sees (a RuntimeError of the engine's own copy of errors.ts). */
    private readonly error: (message: string) => Error,
  ) {}

  private open(): Session {
    const t = this.target;
    const sock = net.connect({ host: t.host, port: t.port });
    const client = new Client();
    const session: Session = { client, sock, refs: 0, closed: false, ready: Promise.resolve() };
    const offered: string[] = [];
    let hostKeyError: string | undefined;
    session.ready = new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        session.closed = true;
        sock.destroy();
        client.end();
        reject(this.error(message));
      };
      sock.setTimeout(CONNECT_TIMEOUT_MS, () => fail(unreachableMessage(t, 'ETIMEDOUT', 'timeout')));
      sock.once('error', (e: NodeJS.ErrnoException) => fail(unreachableMessage(t, e.code, e.message)));
      sock.once('connect', () => {
        sock.setTimeout(0);
        // what to offer, in ssh's order: the agent, then the default identity files
        const methods: { method: AuthenticationType; label: string }[] = [];
        const agent = this.env.SSH_AUTH_SOCK;
        if (agent) methods.push({ method: { type: 'agent', username: t.username, agent } as never, label: `the ssh agent at ${agent}` });
        for (const file of defaultIdentityFiles(this.env)) {
          const text = readText(file);
          if (!text) continue;
          const key = utils.parseKey(text);
          if (key instanceof Error || Array.isArray(key)) continue; // encrypted or unreadable: ssh would ask for a passphrase
          methods.push({ method: { type: 'publickey', username: t.username, key: text } as never, label: file });
        }
        client.connect({
          sock,
          username: t.username,
          readyTimeout: CONNECT_TIMEOUT_MS,
          hostVerifier: (key: Buffer) => {
            const files = knownHostsFiles(this.env);
            const texts = files.map(readText).filter((x): x is string => x !== undefined);
            const verdict = checkHostKey(texts, t.host, t.port, key);
            if (verdict === 'known') return true;
            const fingerprint = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
            hostKeyError = hostKeyMessage(t, verdict, fingerprint, files.slice(0, 1).map((f) => f.replace(this.env.HOME || '\0', '~')));
            return false;
          },
          authHandler: ((_methodsLeft, _partial, next) => {
            const m = methods.shift();
            if (!m) return next(false as never);
            offered.push(m.label);
            next(m.method);
          }),
        });
      });
      client.once('ready', () => {
        settled = true;
        resolve();
      });
      client.on('error', (e: Error & { level?: string; code?: string }) => {
        if (hostKeyError) return fail(hostKeyError);
        if (e.level === 'client-authentication') return fail(authFailedMessage(t, offered));
        if (e.level === 'client-timeout') return fail(unreachableMessage(t, 'ETIMEDOUT', e.message));
        fail(unreachableMessage(t, e.code, e.message));
      });
      client.once('close', () => {
        session.closed = true;
        if (!settled) fail(hostKeyError ?? unreachableMessage(t, undefined, 'the ssh server closed the connection'));
      });
    });
    session.ready.catch(() => undefined);
    this.sessions.push(session);
    return session;
  }

  private exec(session: Session): Promise<ClientChannel> {
    // the session's socket keeps the process alive while the channel is being opened
    session.refs++;
    session.sock.ref();
    return new Promise<ClientChannel>((resolve, reject) => session.client.exec('docker system dial-stdio', (err, ch) => (err ? reject(err) : resolve(ch)))).finally(() => {
      if (--session.refs === 0) session.sock.unref();
    });
  }

  /** A channel to the remote engine's socket, as a socket the HTTP client can use. */
  async connect(): Promise<Duplex> {
    this.sessions = this.sessions.filter((s) => !s.closed);
    let session = this.sessions[this.sessions.length - 1] ?? this.open();
    await session.ready;
    let ch: ClientChannel;
    try {
      ch = await this.exec(session);
    } catch {
      // the server's limit on channels per session (MaxSessions): another session
      session = this.open();
      await session.ready;
      ch = await this.exec(session);
    }
    return this.asSocket(session, ch);
  }

  private asSocket(session: Session, ch: ClientChannel): Duplex {
    const t = this.target;
    let stderr = '';
    ch.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 4096) stderr += b.toString('utf8');
    });
    ch.once('exit', (code: number | null) => {
      // dial-stdio failed (no docker CLI there, no engine behind it): say why, not "socket hang up"
      if (code !== 0) (ch as unknown as Duplex).destroy(this.error(dialFailedMessage(t, code, stderr)));
    });
    // http.Agent manages sockets with these; a channel has no TCP options of its own
    let reffed = true;
    session.refs++;
    session.sock.ref();
    const setRef = (on: boolean) => {
      if (on === reffed) return;
      reffed = on;
      session.refs += on ? 1 : -1;
      if (session.refs > 0) session.sock.ref();
      else session.sock.unref();
    };
    ch.once('close', () => setRef(false));
    const socket = ch as unknown as Duplex & Record<string, unknown>;
    socket.setKeepAlive = () => socket;
    socket.setNoDelay = () => socket;
    socket.setTimeout = (_ms: number, cb?: () => void) => {
      if (cb) socket.once('timeout', cb);
      return socket;
    };
    socket.ref = () => (setRef(true), socket);
    socket.unref = () => (setRef(false), socket);
    return socket;
  }
}

/** An HTTP agent whose connections go to the engine behind `ssh user@host docker system dial-stdio`. */
export function sshAgent(target: SshTarget, env: NodeJS.ProcessEnv, error: (message: string) => Error): http.Agent {
  const dialer = new Dialer(target, env, error);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  (agent as unknown as { createConnection: (o: unknown, cb: (err: Error | null, s?: Duplex) => void) => undefined }).createConnection = (_o, cb) => {
    dialer.connect().then(
      (s) => cb(null, s),
      (e: Error) => cb(e),
    );
    return undefined;
  };
  return agent;
}
