// The engine as seen from the extension: spawns `dist/engine.js` with the editor's own runtime
// (`process.execPath` with ELECTRON_RUN_AS_NODE=1), speaks JSON-RPC over its stdio, and restarts it
// with capped backoff when it crashes. No run-time import of `vscode`: the logger is an interface
// that a LogOutputChannel satisfies, so tests drive the real engine under plain Node.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import {
  CancellationTokenSource,
  Emitter,
  Trace,
  type CancellationToken,
  type Disposable,
  type Event,
  type MessageConnection,
  type NotificationType,
  type RequestType,
  type RequestType0,
} from 'vscode-jsonrpc';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { Initialize, LogMessage, PROTOCOL_VERSION, Shutdown, type EngineCapabilities } from '../protocol';
import { RestartPolicy, describeDuration } from './backoff';
import type { TraceSetting } from './contributions';

/** What the client logs to; a vscode LogOutputChannel is one. */
export interface EngineLogger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * The logger, made unable to throw: at window close VS Code closes the log channel's IPC before
 * the engine has been shut down, and a log line then throws "Channel has been closed" out of
 * shutdown. A lost log line at that moment is fine; an exception out of deactivate is not.
 */
export function quietLogger(logger: EngineLogger): EngineLogger {
  const safe = (f: (m: string) => void) => (m: string) => {
    try {
      f.call(logger, m);
    } catch {
      /* the channel is gone (window closing) */
    }
  };
  return { trace: safe(logger.trace), debug: safe(logger.debug), info: safe(logger.info), warn: safe(logger.warn), error: safe(logger.error) };
}

export type EngineState =
  | { kind: 'stopped' }
  /** `attempt` 0 is the first start; n > 0 the n-th automatic restart after a crash. */
  | { kind: 'starting'; attempt: number; maxRestarts: number }
  /** `session` counts engine processes that completed the handshake, from 1. */
  | { kind: 'running'; info: EngineCapabilities; session: number }
  /** Not running and not coming back by itself; `gaveUp` when the restart cap was reached. */
  | { kind: 'failed'; message: string; gaveUp: boolean };

export interface EngineClientOptions {
  enginePath: string;
  /** Where the path came from ("the bundled engine", "the ... setting"), for messages. */
  engineOrigin: string;
  logger: EngineLogger;
  clientName: string;
  clientVersion: string;
  /** The runtime to run the engine with; defaults to the editor's own (process.execPath). */
  execPath?: string;
  /** Base environment for the engine; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  requestTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  /** How long a stopping engine gets after Shutdown and the end of its stdin before it is killed. */
  shutdownGraceMs?: number;
  restartPolicy?: RestartPolicy;
  trace?: TraceSetting;
  now?: () => number;
}

export interface RequestOptions {
  /** Overrides the client's default request timeout. */
  timeoutMs?: number;
  token?: CancellationToken;
}

const COMMAND_HINT = 'see "HyperBox: Show Logs", then run "HyperBox: Restart Engine"';

/** The engine is not running (yet or any more); the message says why and what to do. */
export class EngineUnavailableError extends Error {}
/** The request was cut off because the engine was stopped on purpose (stop, restart). */
export class EngineStoppedError extends EngineUnavailableError {}
/** The engine did not answer in time; the request was cancelled. */
export class EngineTimeoutError extends Error {}
/** The caller cancelled the request. */
export class RequestCancelledError extends Error {}

interface EngineProcess {
  child: ChildProcessWithoutNullStreams;
  conn: MessageConnection;
  pid: number | undefined;
  exited: boolean;
  stopping: boolean;
  whenExited: Promise<void>;
  handlerDisposables: Map<object, Disposable>;
}

interface NotificationHandlerEntry {
  type: NotificationType<unknown>;
  handler: (params: unknown) => void;
}

export class EngineClient implements Disposable {
  private readonly options: Required<Omit<EngineClientOptions, 'env' | 'trace'>> & Pick<EngineClientOptions, 'env' | 'trace'>;
  private readonly stateEmitter = new Emitter<EngineState>();
  private _state: EngineState = { kind: 'stopped' };
  private proc: EngineProcess | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Bumped by stop(): continuations of an older launch see it changed and give up. */
  private generation = 0;
  private sessions = 0;
  private started = false;
  private readonly handlers = new Set<NotificationHandlerEntry>();

  readonly onDidChangeState: Event<EngineState> = this.stateEmitter.event;

  constructor(options: EngineClientOptions) {
    this.options = {
      execPath: process.execPath,
      requestTimeoutMs: 30_000,
      handshakeTimeoutMs: 10_000,
      shutdownGraceMs: 2_000,
      restartPolicy: new RestartPolicy(),
      now: Date.now,
      // options left undefined keep their defaults
      ...(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as EngineClientOptions),
    };
    this.options.logger = quietLogger(this.options.logger);
    this.onNotification(LogMessage, ({ level, message }) => logAt(this.options.logger, level, `engine: ${message}`));
  }

  get state(): EngineState {
    return this._state;
  }

  /** The pid of the engine process, while there is one. */
  get pid(): number | undefined {
    return this.proc?.exited ? undefined : this.proc?.pid;
  }

  /**
   * Starts the engine. Resolves with the first settled state: running, or failed/stopped when it
   * could not start (the state says why). Never rejects. A client starts once; make a new one to
   * start again.
   */
  start(): Promise<EngineState> {
    if (!this.started) {
      this.started = true;
      this.launchSafely(0);
    }
    return this.settled();
  }

  /** Shutdown request, end of stdin, then a kill after the grace period. Stops restarts. */
  async stop(): Promise<void> {
    this.generation++;
    this.started = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const proc = this.proc;
    this.proc = undefined;
    this.setState({ kind: 'stopped' });
    if (proc) await this.shutdown(proc);
  }

  dispose(): void {
    void this.stop();
  }

  /** Registers a handler for an engine notification, on this and every later engine process. */
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): Disposable {
    const entry: NotificationHandlerEntry = { type: type, handler: handler as (p: unknown) => void };
    this.handlers.add(entry);
    if (this.proc && !this.proc.exited) this.attach(this.proc, entry);
    return {
      dispose: () => {
        this.handlers.delete(entry);
        this.proc?.handlerDisposables.get(entry)?.dispose();
        this.proc?.handlerDisposables.delete(entry);
      },
    };
  }

  /**
   * Sends a notification to the running engine; false when no engine is running to receive it
   * (a notification is not queued: it belongs to the engine process it was meant for).
   */
  notify<P>(type: NotificationType<P>, params: P): boolean {
    const proc = this.proc;
    if (this._state.kind !== 'running' || !proc || proc.exited) return false;
    void proc.conn.sendNotification(type, params).catch(() => undefined);
    return true;
  }

  /** Turns logging of the JSON-RPC traffic on or off, now and for later engine processes. */
  setTrace(value: TraceSetting): void {
    this.options.trace = value;
    if (this.proc && !this.proc.exited) this.applyTrace(this.proc.conn);
  }

  /**
   * Sends a request once the engine is running. Rejects with EngineUnavailableError when it is not
   * (and does not come up within the timeout), EngineTimeoutError when it does not answer in time
   * (the request is then cancelled), RequestCancelledError when the token fires.
   */
  request<R>(type: RequestType0<R, void>, options?: RequestOptions): Promise<R>;
  request<P, R>(type: RequestType<P, R, void>, params: P, options?: RequestOptions): Promise<R>;
  async request(type: RequestType0<unknown, void> | RequestType<unknown, unknown, void>, ...rest: unknown[]): Promise<unknown> {
    const hasParams = type.numberOfParams > 0;
    const params = hasParams ? rest[0] : undefined;
    const options = ((hasParams ? rest[1] : rest[0]) ?? {}) as RequestOptions;
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    const method = type.method;
    if (options.token?.isCancellationRequested) throw new RequestCancelledError(`"${method}" was cancelled.`);

    // One promise that rejects at the deadline or on the caller's cancellation; either one also
    // cancels the request on the wire.
    const cts = new CancellationTokenSource();
    let timer: NodeJS.Timeout | undefined;
    let onCancel: Disposable | undefined;
    const abort = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        cts.cancel();
        reject(
          new EngineTimeoutError(
            `The HyperBox engine did not answer "${method}" within ${describeDuration(timeoutMs)}, so the request was cancelled. The engine may be stuck or overloaded: ${COMMAND_HINT} if this keeps happening.`,
          ),
        );
      }, timeoutMs);
      onCancel = options.token?.onCancellationRequested(() => {
        cts.cancel();
        reject(new RequestCancelledError(`"${method}" was cancelled.`));
      });
    });
    abort.catch(() => undefined);
    try {
      const proc = await Promise.race([this.whenRunning(), abort]);
      const sent = hasParams
        ? proc.conn.sendRequest(type as RequestType<unknown, unknown, void>, params, cts.token)
        : proc.conn.sendRequest(type as RequestType0<unknown, void>, cts.token);
      sent.catch(() => undefined);
      try {
        return await Promise.race([sent, abort]);
      } catch (e) {
        if (e instanceof RequestCancelledError || e instanceof EngineTimeoutError) throw e;
        if (proc.stopping) throw new EngineStoppedError(`The HyperBox engine was stopped while it was answering "${method}".`);
        if (proc.exited || this.proc !== proc) {
          throw new EngineUnavailableError(`The HyperBox engine stopped while it was answering "${method}"; ${COMMAND_HINT} if it does not come back.`);
        }
        throw e;
      }
    } finally {
      clearTimeout(timer);
      onCancel?.dispose();
      cts.dispose();
    }
  }

  // -------------------------------------------------------------------------------------------

  private setState(state: EngineState): void {
    this._state = state;
    this.stateEmitter.fire(state);
  }

  /** Resolves at the next running, failed or stopped state (now, if already there). */
  private settled(): Promise<EngineState> {
    if (this._state.kind !== 'starting') return Promise.resolve(this._state);
    return new Promise((resolve) => {
      const sub = this.onDidChangeState((s) => {
        if (s.kind === 'starting') return;
        sub.dispose();
        resolve(s);
      });
    });
  }

  private async whenRunning(): Promise<EngineProcess> {
    const state = await this.settled();
    if (state.kind === 'running' && this.proc && !this.proc.exited) return this.proc;
    if (state.kind === 'failed') throw new EngineUnavailableError(`The HyperBox engine is not running: ${state.message}`);
    if (!this.started) throw new EngineUnavailableError('The HyperBox engine has not been started yet.');
    throw new EngineUnavailableError(`The HyperBox engine is stopped; run "HyperBox: Restart Engine" to start it.`);
  }

  private fail(message: string, gaveUp: boolean): void {
    this.options.logger.error(message);
    this.setState({ kind: 'failed', message, gaveUp });
  }

  /** launch(), with a bug in it reported as a failure instead of lost in a floating promise. */
  private launchSafely(attempt: number): void {
    this.launch(attempt).catch((e: Error) => {
      this.proc?.child.kill('SIGKILL');
      this.proc = undefined;
      this.fail(`Could not start the HyperBox engine: ${e?.stack ?? e}. This is a bug in HyperBox; ${COMMAND_HINT}.`, false);
    });
  }

  private async launch(attempt: number): Promise<void> {
    const generation = this.generation;
    const { enginePath, engineOrigin, execPath, logger } = this.options;
    const maxRestarts = this.options.restartPolicy.options.maxRestarts;
    if (this._state.kind !== 'starting' || this._state.attempt !== attempt) this.setState({ kind: 'starting', attempt, maxRestarts });

    // A missing engine will not appear by retrying: report it once, naming where the path came from.
    try {
      const stat = await fs.stat(enginePath);
      if (!stat.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    } catch (e) {
      if (generation !== this.generation) return;
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is not a file' : `cannot be read (${(e as Error).message})`;
      const fix =
        engineOrigin.includes('bundled')
          ? 'Reinstall the HyperBox extension (or, in a development checkout, run "npm run build").'
          : `Correct or remove ${engineOrigin}, then run "HyperBox: Restart Engine".`;
      this.fail(`The HyperBox engine ${enginePath} (from ${engineOrigin}) ${why}. ${fix}`, false);
      return;
    }
    if (generation !== this.generation) return;

    const t0 = performance.now();
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(execPath, [enginePath], {
        stdio: 'pipe',
        env: { ...(this.options.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' },
        cwd: path.dirname(enginePath),
        windowsHide: true,
      });
    } catch (e) {
      this.fail(`Could not start the HyperBox engine with ${execPath}: ${(e as Error).message}. ${COMMAND_HINT}.`, false);
      return;
    }
    let markExited!: () => void;
    const proc: EngineProcess = {
      child,
      conn: createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin), {
        error: (m) => logger.error(`engine connection: ${m}`),
        warn: (m) => logger.warn(`engine connection: ${m}`),
        info: (m) => logger.info(`engine connection: ${m}`),
        log: (m) => logger.debug(`engine connection: ${m}`),
      }),
      pid: child.pid,
      exited: false,
      stopping: false,
      whenExited: new Promise<void>((resolve) => (markExited = resolve)),
      handlerDisposables: new Map(),
    };
    this.proc = proc;

    child.on('error', (e) => {
      if (proc.pid === undefined && !proc.exited) {
        // The runtime itself could not be started: no 'exit' follows.
        proc.exited = true;
        markExited();
        proc.conn.dispose();
        if (this.proc !== proc) return;
        this.proc = undefined;
        this.fail(`Could not start the HyperBox engine: running ${execPath} failed (${e.message}). ${COMMAND_HINT}.`, false);
      } else {
        logger.warn(`engine process: ${e.message}`);
      }
    });
    child.on('exit', (code, signal) => {
      if (proc.exited) return;
      proc.exited = true;
      markExited();
      this.onExit(proc, code, signal);
    });
    // Writes to a dead engine fail with EPIPE; the exit handler reports the real cause.
    child.stdin.on('error', (e) => logger.debug(`engine stdin: ${e.message}`));
    readline.createInterface({ input: child.stderr }).on('line', (line) => logStderr(logger, line));

    proc.conn.onError(([error]) => logger.debug(`engine connection error: ${error.message}`));
    for (const entry of this.handlers) this.attach(proc, entry);
    this.applyTrace(proc.conn);
    proc.conn.listen();

    let info: EngineCapabilities;
    try {
      info = await withTimeout(
        proc.conn.sendRequest(Initialize, { clientName: this.options.clientName, clientVersion: this.options.clientVersion }),
        this.options.handshakeTimeoutMs,
        () => `no handshake answer within ${describeDuration(this.options.handshakeTimeoutMs)}`,
      );
    } catch (e) {
      if (this.proc !== proc || proc.exited) return; // the exit handler reports it
      logger.error(`The HyperBox engine (pid ${proc.pid}) did not complete the handshake: ${(e as Error).message}. Killing it.`);
      child.kill('SIGKILL'); // the exit that follows counts as a crash
      return;
    }
    if (this.proc !== proc || proc.exited) return;
    const ms = performance.now() - t0;
    this.sessions++;
    logger.info(
      `Engine ${info.version} ready in ${ms.toFixed(0)} ms: pid ${info.pid}, Node ${info.node}, protocol ${info.protocolVersion}, capabilities: ${info.capabilities.join(', ') || 'none'}; ${enginePath} (from ${engineOrigin})`,
    );
    if (info.protocolVersion !== PROTOCOL_VERSION) {
      logger.warn(
        `The engine speaks protocol ${info.protocolVersion} and this extension ${PROTOCOL_VERSION}; some features may fail. Use the engine that comes with this extension version (remove the engine path override).`,
      );
    }
    this.setState({ kind: 'running', info, session: this.sessions });
  }

  private onExit(proc: EngineProcess, code: number | null, signal: NodeJS.Signals | null): void {
    for (const d of proc.handlerDisposables.values()) d.dispose();
    proc.conn.dispose();
    if (proc.stopping || this.proc !== proc) return;
    this.proc = undefined;
    const how = signal ? `was killed by signal ${signal}` : `exited with code ${code}`;
    this.options.logger.error(`The HyperBox engine (pid ${proc.pid}) ${how} unexpectedly.`);
    const decision = this.options.restartPolicy.onCrash(this.options.now());
    if (!decision.restart) {
      this.fail(
        `The HyperBox engine stopped ${decision.crashes} time${decision.crashes === 1 ? '' : 's'} within ${describeDuration(decision.windowMs)} (last time it ${how}), so HyperBox stopped restarting it. Its output is in the HyperBox log: ${COMMAND_HINT} once the cause is fixed.`,
        true,
      );
      return;
    }
    this.options.logger.warn(`Restarting the engine in ${decision.delayMs} ms (attempt ${decision.attempt} of ${decision.maxRestarts}).`);
    this.setState({ kind: 'starting', attempt: decision.attempt, maxRestarts: decision.maxRestarts });
    const generation = this.generation;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (generation === this.generation) this.launchSafely(decision.attempt);
    }, decision.delayMs);
  }

  private async shutdown(proc: EngineProcess): Promise<void> {
    proc.stopping = true;
    const { logger, shutdownGraceMs } = this.options;
    if (!proc.exited) {
      try {
        await withTimeout(proc.conn.sendRequest(Shutdown), Math.min(1_000, shutdownGraceMs), () => 'no answer');
      } catch {
        // it may be gone or stuck; the end of stdin and the kill below settle it
      }
      proc.child.stdin.end();
      const exited = await Promise.race([proc.whenExited.then(() => true), delay(shutdownGraceMs).then(() => false)]);
      if (!exited) {
        logger.warn(`The HyperBox engine (pid ${proc.pid}) did not exit within ${describeDuration(shutdownGraceMs)} of being asked to; killing it.`);
        proc.child.kill('SIGKILL');
        await Promise.race([proc.whenExited, delay(2_000)]);
      }
    }
    for (const d of proc.handlerDisposables.values()) d.dispose();
    proc.conn.dispose();
    logger.info(`Engine stopped (pid ${proc.pid}).`);
  }

  private attach(proc: EngineProcess, entry: NotificationHandlerEntry): void {
    proc.handlerDisposables.set(entry, proc.conn.onNotification(entry.type, entry.handler));
  }

  private applyTrace(conn: MessageConnection): void {
    const value = this.options.trace ?? 'off';
    const logger = this.options.logger;
    void conn
      .trace(Trace.fromString(value), { log: (message: string, data?: string) => logger.info(`[rpc] ${message}${data ? `\n${data}` : ''}`) }, { sendNotification: false })
      .catch(() => undefined);
  }
}

function logAt(logger: EngineLogger, level: string, message: string): void {
  switch (level) {
    case 'trace':
      return logger.trace(message);
    case 'debug':
      return logger.debug(message);
    case 'warn':
      return logger.warn(message);
    case 'error':
      return logger.error(message);
    default:
      return logger.info(message);
  }
}

const STDERR_LEVEL = /^\[(trace|debug|info|warn|error)\] /;

/**
 * The engine logs to stderr as `[level] message` until the client has said hello (after that, as
 * LogMessage notifications only): those lines are shown at their level. Anything else on stderr (a
 * crash's stack trace, a runtime warning) is shown as a warning.
 */
export function logStderr(logger: EngineLogger, line: string): void {
  if (!line.trim()) return;
  const m = STDERR_LEVEL.exec(line);
  if (m) logAt(logger, m[1], `engine: ${line.slice(m[0].length)}`);
  else logger.warn(`engine stderr: ${line}`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(what())), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
