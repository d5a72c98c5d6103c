// The app under HyperBox's supervision in a dev container (hot reload's restart strategy): one
// long-lived exec of supervise.sh whose stdin takes the engine's commands and whose output is the
// app's, with the supervisor's own lines picked out (see supervisor-scripts.ts). A reload costs a
// kill, a wait for the old process group and, for Node, the opening of a gate in front of a
// standby process that has already started; for Python, a fork of a warm parent that imported
// Flask once (the child loads the app fresh), so not a cold start however fast saves come.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { demux, type Engine } from '../runtime/engine/docker';
import { RuntimeError, lastLines } from '../runtime/errors';
import { CONTROL_PREFIX, GATE_CJS, SITECUSTOMIZE_PY, SUPERVISE_SH } from './supervisor-scripts';

/** Where the scripts go in the container (world-readable; each session's gates in a folder below). */
export const SUPERVISOR_DIR = '/tmp/.hyperbox-reload';
/** How long an app may take to end after SIGTERM before it is killed (seconds). */
export const GRACE_SECONDS = 1;
/**
 * How long after a (re)start a standby is started, so it does not compete with the app's own start
 * (when nobody calls prepare() first: the session does as soon as the app serves).
 */
const STANDBY_DELAY_MS = 150;
/** Time limits: the scripts' transfer, the exec's creation, a restart's acknowledgement. */
const INSTALL_MS = 10_000;
const START_MS = 10_000;
const RESTART_MS = (GRACE_SECONDS + 5) * 1000;
const FORK_MS = 30_000;
/** Output kept for crash reports. */
const KEEP = 16_384;

export type StandbyKind = 'node' | 'python';

/** Whether a dev command runs Node or Python, so a standby can wait ready in front of it. */
export function standbyKind(command: string): StandbyKind | null {
  if (/(^|[\s/;&|(])(node|nodejs|npm|npx|pnpm|yarn|tsx|ts-node|bun)(\s|$)/.test(command)) return /(^|\s)bun(\s|$)/.test(command) ? null : 'node';
  if (/(^|[\s/;&|(])(python[0-9.]*|flask|gunicorn|uvicorn|hypercorn|waitress-serve|pipenv run|poetry run|uv run)(\s|$)/.test(command)) return 'python';
  return null;
}

export interface SupervisorOptions {
  command: string;
  workdir: string;
  user?: string;
  /** The container user's environment (remoteEnv, probed); the supervisor's variables are added. */
  env: Record<string, string>;
  /** Start a standby (Node or Python) ahead of each reload; null: every start is cold. */
  standby: StandbyKind | null;
  /** Python modules the warm parent imports once (framework modules only, e.g. flask; never the workspace's). */
  preload?: string[];
  /** How long after each start the next standby starts unless prepare() comes first (default 150 ms). */
  standbyDelayMs?: number;
  /** The app's output as it comes. */
  onOutput?(text: string, from: 'stdout' | 'stderr'): void;
  /** The app ended by itself (not stopped by a reload): its exit code and last output. */
  onExit?(code: number, lastOutput: string): void;
  /** The supervisor itself ended (the container stopped, or stop()). */
  onEnd?(): void;
}

/** Copies the supervisor's scripts into the container (one small tar, time-limited). */
async function install(engine: Engine, containerId: string): Promise<void> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'hb-reload-'));
  try {
    const root = path.join(tmp, path.basename(SUPERVISOR_DIR));
    await fs.mkdir(path.join(root, 'py'), { recursive: true, mode: 0o755 });
    await fs.writeFile(path.join(root, 'supervise.sh'), SUPERVISE_SH, { mode: 0o755 });
    await fs.writeFile(path.join(root, 'gate.cjs'), GATE_CJS, { mode: 0o644 });
    await fs.writeFile(path.join(root, 'py', 'sitecustomize.py'), SITECUSTOMIZE_PY, { mode: 0o644 });
    await fs.chmod(root, 0o1777);
    const { tarFs } = require('../runtime/lazy-build.js') as typeof import('../runtime/lazy-build.js');
    const tar = tarFs.pack(tmp, {
      map: (h) => {
        h.uid = 0;
        h.gid = 0;
        return h;
      },
    });
    await withTimeout(
      engine.docker.getContainer(containerId).putArchive(tar, { path: path.posix.dirname(SUPERVISOR_DIR) }),
      INSTALL_MS,
      `Copying HyperBox's app supervisor into the container took longer than ${INSTALL_MS / 1000} s`,
    );
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RuntimeError('command-failed', `${what}; is the Docker engine busy? Try again, or run hb doctor.`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export class Supervisor {
  /** The running app's process group (its pid in the container), or null between runs. */
  pid: number | null = null;
  readonly startedAt = Date.now();
  restarts = 0;
  private stream: Duplex | undefined;
  private output = '';
  private stopping = new Set<number>();
  private waiting: ((pid: number) => void)[] = [];
  private standbyTimer: NodeJS.Timeout | undefined;
  private ended = false;
  private readonly done: Promise<void>;
  private endDone!: () => void;

  private constructor(readonly opts: SupervisorOptions) {
    this.done = new Promise((r) => (this.endDone = r));
  }

  /** Installs the scripts, starts the app under supervision and resolves once it was started. */
  static async start(engine: Engine, containerId: string, opts: SupervisorOptions): Promise<Supervisor> {
    await install(engine, containerId);
    const s = new Supervisor(opts);
    // a simple command replaces its shell, so no shell stands between the signal and the app (nor
    // prints "Terminated" after each restart)
    const simple = /^[\w\s./:=@%+,-]+$/.test(opts.command);
    const env: Record<string, string> = { ...opts.env, HB_CMD: simple ? `exec ${opts.command}` : opts.command, HB_GRACE: String(GRACE_SECONDS) };
    if (opts.standby === 'node') {
      env.HB_STANDBY = '1';
      env.NODE_OPTIONS = `${env.NODE_OPTIONS ? `${env.NODE_OPTIONS} ` : ''}--require ${SUPERVISOR_DIR}/gate.cjs`;
    } else if (opts.standby === 'python') {
      env.HB_STANDBY = 'fork';
      env.PYTHONPATH = `${SUPERVISOR_DIR}/py${env.PYTHONPATH ? `:${env.PYTHONPATH}` : ''}`;
      env.PYTHONUNBUFFERED ??= '1';
      if (opts.preload?.length) env.HB_PRELOAD = opts.preload.join(',');
    }
    const session = `${SUPERVISOR_DIR}/s-${process.pid}-${Date.now().toString(36)}`;
    const exec = await withTimeout(
      engine.docker.getContainer(containerId).exec({
        Cmd: ['sh', `${SUPERVISOR_DIR}/supervise.sh`, session],
        User: opts.user || undefined,
        WorkingDir: opts.workdir,
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
      }),
      START_MS,
      'Starting the app in the container took too long',
    );
    const stream = await withTimeout<Duplex>(exec.start({ hijack: true, stdin: true }), START_MS, 'Starting the app in the container took too long');
    s.stream = stream;
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    let pending = '';
    demux(stream, (data, from) => {
      const text = decoders[from].write(data);
      if (from === 'stderr') return s.out(text, from);
      pending += text;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl + 1);
        pending = pending.slice(nl + 1);
        if (line.startsWith(CONTROL_PREFIX)) s.control(line.slice(CONTROL_PREFIX.length).trim());
        else s.out(line, from);
      }
      // a partial line that cannot be a control line goes out now (no waiting for its end)
      if (pending && !CONTROL_PREFIX.startsWith(pending.slice(0, CONTROL_PREFIX.length))) {
        s.out(pending, from);
        pending = '';
      }
    })
      .catch(() => undefined)
      .finally(() => s.end());
    const first = s.nextStart();
    await withTimeout(first, START_MS, `The app's supervisor did not start in the container (${opts.command})`).catch((e) => {
      s.kill();
      throw e;
    });
    return s;
  }

  /**
   * Restarts the app (from the standby or the warm parent when one waits); resolves with the new
   * process's pid. `fresh`: dependencies changed, so nothing prepared before them is used.
   */
  async reload(fresh = false): Promise<number> {
    if (this.ended) throw new RuntimeError('not-running', 'The app supervisor has ended (the container stopped); start it again with hb watch.');
    const started = this.nextStart();
    this.send(fresh ? 'fresh' : 'reload');
    // Python's warm parent answers once it imported Flask: on a busy machine, as long as a cold start
    const limit = this.opts.standby === 'python' ? FORK_MS : RESTART_MS;
    const pid = await withTimeout(started, limit, `Restarting "${this.opts.command}" in the container took longer than ${limit / 1000} s`);
    this.restarts++;
    return pid;
  }

  /** Starts the next standby now (the app serves: it no longer competes with the app's start). */
  prepare(): void {
    if (!this.opts.standby || !this.standbyTimer) return;
    clearTimeout(this.standbyTimer);
    this.standbyTimer = undefined;
    this.send('prepare');
  }

  /** The app's last output (for a crash report). */
  lastOutput(lines = 20): string {
    return lastLines(this.output, lines);
  }

  get running(): boolean {
    return !this.ended;
  }

  /** Stops the app and the supervisor; resolves when its exec has ended (at most a few seconds). */
  async stop(): Promise<void> {
    if (this.ended) return;
    this.send('stop');
    this.stream?.end();
    const t = setTimeout(() => this.kill(), (GRACE_SECONDS + 2) * 1000);
    await this.done;
    clearTimeout(t);
  }

  private kill(): void {
    this.stream?.destroy();
    this.end();
  }

  private send(cmd: string): void {
    if (!this.ended) this.stream?.write(`${cmd}\n`);
  }

  private nextStart(): Promise<number> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private out(text: string, from: 'stdout' | 'stderr'): void {
    this.output += text;
    if (this.output.length > KEEP * 2) this.output = this.output.slice(-KEEP);
    this.opts.onOutput?.(text, from);
  }

  private control(line: string): void {
    const [what, a, b] = line.split(/\s+/);
    const pid = Number(a);
    if (what === 'started') {
      this.pid = pid;
      this.output = '';
      for (const w of this.waiting.splice(0)) w(pid);
      clearTimeout(this.standbyTimer);
      if (this.opts.standby) this.standbyTimer = setTimeout(() => this.prepare(), this.opts.standbyDelayMs ?? STANDBY_DELAY_MS);
    } else if (what === 'stopping') this.stopping.add(pid);
    else if (what === 'exit') {
      if (this.stopping.delete(pid)) return;
      if (pid === this.pid) {
        this.pid = null;
        this.opts.onExit?.(Number(b), this.lastOutput());
      }
    }
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.pid = null;
    clearTimeout(this.standbyTimer);
    this.endDone();
    this.opts.onEnd?.();
  }
}
