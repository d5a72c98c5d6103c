// One hot-reload session: a running dev container's app under supervision, the workspace watched,
// changes batched, and each batch given exactly one action — nothing (the dev command reloads by
// itself), a restart of the app, a dependency install then a restart (a manifest or lockfile
// changed), a rebuild offered (the dev container's config changed), with the batch copied in first
// when the workspace is not bind-mounted. Used by `hb watch` and by the engine's live capability.
// When the container stops, the session can be suspended instead of closed: the watcher keeps
// running, changes queue up in the batcher (bounded), and resume() with the started container
// copies the workspace in again (copy-sync), starts the app and replays what was queued (deleted
// files removed, a changed lockfile reinstalled, a changed config offered for rebuild).
import type { DevContainerConfig } from '../devcontainer/config';
import { promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { ContainerInspectInfo } from 'dockerode';
import type { Engine } from '../runtime/engine/docker';
import { mergedForContainer, remoteUserOf } from '../runtime/container';
import { execIn } from '../runtime/lifecycle/exec';
import { hookEnv, parseEnvList, probeUserEnv } from '../runtime/lifecycle/lifecycle';
import { readState, writeState } from '../runtime/up/state';
import { lstatMany } from '../util/readMany';
import { Batcher, MAX_PATHS, type Batch, type Stamp } from './batch';
import { loadIgnore, type IgnoreMatcher } from './ignore';
import { containerAddress, waitServing } from './ready';
import { Supervisor, standbyKind, withTimeout, type StandbyKind } from './supervisor';
import { closeSyncAgent, copyAhead, syncBatch, syncAll } from './sync';
import { watchWorkspace, type WorkspaceWatch } from './watch';

export type ReloadAction = 'nothing' | 'restarted' | 'synced' | 'reinstalled' | 'rebuild-offered' | 'started';

export type ReloadStrategyName = 'framework-native' | 'restart';

export interface ReloadRecord {
  at: string;
  action: ReloadAction;
  /** Changed files (at most a few named) and how many in all. */
  files: string[];
  count: number;
  /** From the first change seen to the app serving again (its port answered), else to the app restarted or the files in place. */
  ms: number;
  /** Where the time went (ms): waiting for the batch to settle, copying, installing, restarting, until the port answered. */
  phases?: ReloadPhases;
  error?: string;
}

export interface ReloadPhases {
  wait: number;
  sync?: number;
  install?: number;
  restart?: number;
  serve?: number;
}

export interface ReloadEvents {
  output?(text: string, from: 'stdout' | 'stderr'): void;
  /** A batch was acted on. */
  reloaded?(r: ReloadRecord): void;
  /** The app ended by itself: its exit code and last output. HyperBox starts it again on the next change. */
  crashed?(code: number, lastOutput: string): void;
  /** devcontainer.json or the Dockerfile changed: offer a rebuild. */
  rebuildOffered?(files: string[]): void;
  warn?(message: string): void;
  /** The session ended (container stopped, or closed). */
  ended?(): void;
  /** The container stopped and the session waits for it (followRestarts): changes are queued. */
  suspended?(): void;
}

export interface SessionOptions {
  engine: Engine;
  info: ContainerInspectInfo;
  /** The resolved config's object. */
  config: DevContainerConfig;
  /** The workspace on this machine. */
  root: string;
  /** The workspace folder in the container. */
  containerWorkspace: string;
  command: string;
  strategy: ReloadStrategyName;
  /** Globs (relative to root) whose change needs a dependency install or a rebuild. */
  rebuildOn: string[];
  /** Python modules the warm parent imports once (framework modules: flask, ...). */
  preload?: string[];
  /** reload.ignore globs. */
  ignore?: string[];
  env: NodeJS.ProcessEnv;
  /** Ports the app serves: a reload is done when one answers (and the next standby starts then). */
  ports?: number[];
  /**
   * When the container stops: true suspends the session (changes queue until resume()), false
   * (default) closes it.
   */
  followRestarts?: boolean;
  debounceMs?: number;
  events: ReloadEvents;
}

/** How long a restarted app may take to answer on its port before the reload is reported without it. */
const SERVE_LIMIT_MS = 5_000;
/**
 * How long the app's first start may take to answer before its port is taken as not reachable
 * from here (a cold Flask start on a busy machine takes more than SERVE_LIMIT_MS).
 */
const FIRST_SERVE_LIMIT_MS = 30_000;

/** A file's state as the batcher compares it: size, mtime and inode, or null when it is gone. */
const stampOf = (st: Stats | null): Stamp => (st ? `${st.size}:${st.mtimeMs}:${st.ino}` : null);

/** How many folders a burst's probe for its latest write reads at most. */
const QUIET_DIRS = 200;

/** How a dependency manifest's change is acted on, by file name. */
function installCommand(file: string): string | null {
  const name = path.posix.basename(file);
  if (name === 'package-lock.json') return 'npm ci';
  if (name === 'package.json') return 'npm install';
  if (name === 'pnpm-lock.yaml') return 'pnpm install --frozen-lockfile';
  if (name === 'yarn.lock') return 'yarn install --frozen-lockfile';
  if (/^requirements.*\.txt$/.test(name)) return `pip install -r ${JSON.stringify(file)}`;
  return null;
}

/** A glob of the profile's rebuildOn list as a test on a relative path. */
export function globTest(glob: string): (rel: string) => boolean {
  const re = glob
    .split('**')
    .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'))
    .join('.*');
  const r = new RegExp(`^${re}$`);
  return (rel) => r.test(rel);
}

const CONFIG_FILES = /(^|\/)(\.devcontainer(\/|\.json$)|Dockerfile$|[^/]*\.Dockerfile$|docker-compose[^/]*\.ya?ml$|compose\.ya?ml$)/;

/** Whether the workspace reaches the container through a bind mount (else it is copied in and synced). */
export function isBindMounted(info: ContainerInspectInfo, root: string, containerWorkspace: string): boolean {
  return (info.Mounts ?? []).some((m) => m.Type === 'bind' && (containerWorkspace === m.Destination || containerWorkspace.startsWith(`${m.Destination}/`)) && path.resolve(root).startsWith(path.resolve(m.Source)));
}

/** What the app runs as and with: the remote user, its probed environment and remoteEnv. */
async function appEnvironment(engine: Engine, info: ContainerInspectInfo, config: DevContainerConfig, env: NodeJS.ProcessEnv): Promise<{ user: string; env: Record<string, string> }> {
  const merged = mergedForContainer(info.Config.Labels, config);
  const user = remoteUserOf(merged, info.Config.User);
  const state = await readState(env, info.Id, info.Created);
  let probed = state.env && state.env.user === user && state.env.probe === merged.userEnvProbe ? state.env.values : undefined;
  if (!probed) {
    const quiet = { step() {}, output() {}, info() {}, warn() {} };
    probed = await withTimeout(probeUserEnv(engine, info.Id, user, merged.userEnvProbe, quiet), 15_000, "Reading the container user's environment took too long");
    state.env = { user, probe: merged.userEnvProbe, values: probed };
    await writeState(env, info.Id, state);
  }
  return { user, env: hookEnv(probed, merged.remoteEnv, parseEnvList(info.Config.Env)) };
}

export class ReloadSession {
  supervisor: Supervisor | undefined;
  readonly history: ReloadRecord[] = [];
  copy: boolean;
  /** The container as last (re)started. */
  info: ContainerInspectInfo;
  private watch: WorkspaceWatch | undefined;
  private ignore: IgnoreMatcher = () => false;
  private batcher: Batcher;
  private crashed = false;
  private syncFailures = 0;
  private closed = false;
  /** Resolved while the app's supervisor runs; a pending promise while suspended. */
  private attached: Promise<void> = Promise.resolve();
  private release: () => void = () => {};
  /** Where the app is probed for readiness; undefined when it cannot be reached from here. */
  private probe: string | undefined;
  /** The probe was answered once in this container: a later slow start is slow, not unreachable. */
  private probeAnswered = false;
  private appEnded = new AbortController();
  /** What the last burst's folders held as read at its flush: the copy uses it instead of reading each file's state again. */
  private scanned: Map<string, Stats> | undefined;
  /** A burst's files waiting to be copied in ahead of its batch (copy-sync), and the copy running. */
  private aheadQueue: string[] = [];
  /** The burst's files queued to be copied ahead, and those its folders showed unchanged (each bounded by MAX_PATHS). */
  private aheadHanded = new Set<string>();
  private aheadListed = new Set<string>();
  private aheadRun: Promise<void> | undefined;
  /** A batch is being acted on: nothing more is copied ahead until it ended. */
  private acting = false;
  /** Files copied in ahead of the batch being gathered, with the state they were copied in. */
  private inPlace = new Map<string, Stamp>();
  private readonly rebuildTests: ((rel: string) => boolean)[];
  readonly standby: StandbyKind | null;

  constructor(readonly opts: SessionOptions) {
    this.info = opts.info;
    this.copy = !isBindMounted(opts.info, opts.root, opts.containerWorkspace);
    this.rebuildTests = opts.rebuildOn.map(globTest);
    this.standby = opts.strategy === 'restart' ? standbyKind(opts.command) : null;
    this.batcher = new Batcher({
      debounceMs: opts.debounceMs,
      stamp: async (rel) => stampOf(await fs.lstat(path.join(opts.root, rel)).catch(() => null)),
      act: (b) => this.act(b),
      rescan: (dirs, since) => this.changedIn(dirs, since),
      lastWrite: (dirs, recent, since) => this.lastWrite(dirs, recent, since),
      ahead: (paths) => this.copyAhead(paths),
    });
  }

  /** Whether a burst's files may be copied in ahead of its batch now (copy-sync, the app running, no batch acted on). */
  private get ahead(): boolean {
    return this.copy && !!this.supervisor && !this.closed && !this.acting;
  }

  /**
   * Copy-sync: a burst's files, as the watcher reports them and as its folders show them, go into
   * the container while it still arrives (each once, one copy at a time, none while a batch is
   * acted on); its batch then leaves out what is there in the state it finds. Bounded as a batch
   * is (MAX_PATHS).
   */
  private copyAhead(paths: string[]): void {
    if (!this.ahead) return;
    for (const p of paths) {
      if (this.aheadHanded.size >= MAX_PATHS) break;
      if (this.aheadHanded.has(p)) continue;
      this.aheadHanded.add(p);
      this.aheadQueue.push(p);
    }
    if (this.aheadRun || !this.aheadQueue.length) return;
    const o = this.opts;
    const id = this.info.Id;
    const stop = () => this.acting || this.closed;
    this.aheadRun = (async () => {
      while (this.aheadQueue.length && !stop()) {
        await copyAhead(o.engine, id, o.root, o.containerWorkspace, (max) => this.aheadQueue.splice(0, max), (rel, st) => this.inPlace.set(rel, stampOf(st)), stop, (rel, st) => this.batcher.actedOn(rel, stampOf(st)));
      }
    })()
      .catch(() => undefined)
      .finally(() => (this.aheadRun = undefined));
  }

  /**
   * The latest time an entry was added to or removed from these folders and the folders under
   * them (not ignored; at most QUIET_DIRS folders, else null: not known), or one of `recent` was
   * written. Copy-sync: the files found there that changed since `since` are copied ahead of the
   * burst's batch (the watcher reports a burst seconds behind its writer on a busy machine).
   */
  private async lastWrite(dirs: string[], recent: string[], since: number): Promise<number | null> {
    const files: string[] = [];
    let last = 0;
    const note = (st: Stats | null) => st && (last = Math.max(last, st.mtimeMs, st.ctimeMs));
    for (const st of await lstatMany(recent.map((rel) => path.join(this.opts.root, rel)))) note(st);
    const queue = [...new Set(dirs)];
    const seen = new Set(queue);
    for (let i = 0; i < queue.length; i++) {
      if (i >= QUIET_DIRS) return null;
      const abs = path.join(this.opts.root, queue[i]);
      const st = await fs.lstat(abs).catch(() => null);
      note(st);
      if (!st?.isDirectory()) continue;
      for (const e of await fs.readdir(abs, { withFileTypes: true }).catch(() => [])) {
        const rel = queue[i] ? `${queue[i]}/${e.name}` : e.name;
        if (e.isDirectory() && !seen.has(rel) && !this.ignore(rel, true)) {
          seen.add(rel);
          queue.push(rel);
        } else if ((e.isFile() || e.isSymbolicLink()) && this.ahead && !this.aheadHanded.has(rel) && !this.aheadListed.has(rel)) files.push(rel);
      }
    }
    if (files.length) void this.aheadFrom(files, since);
    return last;
  }

  /** Of these files in a burst's folders, those changed since `since` (and not ignored) are copied ahead; the others are not read again in this burst. */
  private async aheadFrom(files: string[], since: number): Promise<void> {
    const room = Math.max(0, MAX_PATHS - this.aheadListed.size);
    const sts = await lstatMany(files.slice(0, room).map((rel) => path.join(this.opts.root, rel)));
    if (!this.ahead) return; // (its batch is acted on meanwhile)
    const changed: string[] = [];
    sts.forEach((st, i) => {
      const rel = files[i];
      if (st && st.ctimeMs >= since && !this.ignore(rel, false)) changed.push(rel);
      else this.aheadListed.add(rel);
    });
    this.copyAhead(changed);
  }

  /** What in these folders (not ignored) changed since `since` (each entry's ctime, read now), with its stamp. */
  private async changedIn(dirs: string[], since: number): Promise<Map<string, Stamp>> {
    const found = new Map<string, Stamp>();
    const scanned = new Map<string, Stats>();
    this.scanned = scanned;
    for (const dir of dirs) {
      const names = await fs.readdir(path.join(this.opts.root, dir)).catch(() => [] as string[]);
      const sts = await lstatMany(names.map((name) => path.join(this.opts.root, dir, name)));
      names.forEach((name, i) => {
        const rel = dir ? `${dir}/${name}` : name;
        const st = sts[i];
        if (!st || st.ctimeMs < since || this.ignore(rel, st.isDirectory())) return;
        found.set(rel, stampOf(st));
        scanned.set(rel, st);
      });
    }
    return found;
  }

  /** Starts watching and the app; resolves once both run. */
  async start(): Promise<void> {
    const o = this.opts;
    const ignore = await loadIgnore(o.root, o.ignore);
    this.ignore = ignore;
    this.watch = watchWorkspace(o.root, o.ignore ?? [], ignore, (rel, dir, entry) => this.batcher.add(rel, dir, entry), (m) => o.events.warn?.(m), o.env);
    await Promise.all([this.watch.ready, this.attach()]);
  }

  /** Whether the container stopped and the session waits for it (changes queue meanwhile). */
  get suspended(): boolean {
    return !this.supervisor && !this.closed;
  }

  /**
   * The container runs again (or a new one was made): copy the workspace in (copy-sync), start the
   * app, then act on what changed meanwhile as one batch.
   */
  async resume(info: ContainerInspectInfo): Promise<void> {
    if (this.closed) return;
    if (this.supervisor) {
      // the container restarted before its old exec was seen to end: let that one go first
      const old = this.supervisor;
      this.supervisor = undefined;
      this.attached = new Promise((r) => (this.release = r));
      await old.stop();
    }
    this.info = info;
    this.copy = !isBindMounted(info, this.opts.root, this.opts.containerWorkspace);
    // (what was copied ahead went into the container before; the new one gets the whole workspace)
    await this.aheadRun;
    this.inPlace.clear();
    await this.attach();
    this.release();
  }

  /** The full copy (copy-sync) and the app under supervision, in the container `this.info`. */
  private async attach(): Promise<void> {
    const o = this.opts;
    const info = this.info;
    if (this.copy) await syncAll(o.engine, info.Id, o.root, o.containerWorkspace, this.ignore, o.events.warn);
    const app = await appEnvironment(o.engine, info, o.config, o.env);
    // bind-mounted means the engine is on this machine: the container's address answers here
    this.probe = !this.copy && o.ports?.length ? containerAddress(info) : undefined;
    this.probeAnswered = false;
    this.appEnded = new AbortController();
    this.crashed = false;
    // (onEnd may run before start() returns: the supervisor failed to start)
    let sup: Supervisor | undefined = undefined;
    sup = await Supervisor.start(o.engine, info.Id, {
      command: o.command,
      workdir: o.containerWorkspace,
      user: app.user,
      env: app.env,
      standby: this.standby,
      preload: o.preload,
      // Node's next standby starts once the app serves, or after the supervisor's short delay if
      // that comes first; Python's warm parent outlives each app (a new one only if it died)
      onOutput: o.events.output,
      onExit: (code, out) => {
        this.crashed = true;
        this.appEnded.abort();
        o.events.crashed?.(code, out);
      },
      onEnd: () => {
        if (!sup || this.supervisor !== sup || this.closed) return;
        this.appEnded.abort();
        if (!o.followRestarts) return void this.close();
        this.supervisor = undefined;
        this.attached = new Promise((r) => (this.release = r));
        o.events.suspended?.();
      },
    });
    this.supervisor = sup;
    if (this.probe) void this.serving(FIRST_SERVE_LIMIT_MS).then(() => sup.prepare());
  }

  /** Waits (at most SERVE_LIMIT_MS, or `limitMs`) for the app's port to answer; the ms it took, or undefined when not known. */
  private async serving(limitMs = SERVE_LIMIT_MS): Promise<number | undefined> {
    const host = this.probe;
    if (!host || !this.opts.ports?.length) return undefined;
    const t0 = Date.now();
    const port = await waitServing(host, this.opts.ports, limitMs, this.appEnded.signal);
    if (port !== null) {
      this.probeAnswered = true;
      return Date.now() - t0;
    }
    // never reachable from here (or the app listens elsewhere): stop probing, unless it crashed or
    // answered before (a start slower than the limit on a busy machine)
    if (!this.appEnded.signal.aborted && !this.probeAnswered) this.probe = undefined;
    return undefined;
  }

  /** Paths the editor saved (relative to the root or absolute): the fast path beside the watcher, acted on without a quiet period. */
  saved(paths: string | string[]): void {
    const rels = (Array.isArray(paths) ? paths : [paths])
      .map((p) => (path.isAbsolute(p) ? path.relative(this.opts.root, p).split(path.sep).join('/') : p))
      .filter((rel) => rel && !rel.startsWith('..') && !this.ignore(rel, false));
    this.batcher.saved(rels);
  }

  /** One reload now, whatever changed (hb reload). */
  force(): Promise<void> {
    return this.batcher.force();
  }

  /** Resolves when no change waits or is being acted on. */
  idle(): Promise<void> {
    return this.batcher.idle();
  }

  get last(): ReloadRecord | undefined {
    return this.history[this.history.length - 1];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release();
    await this.watch?.close();
    await this.batcher.close();
    await this.supervisor?.stop();
    if (this.copy) await closeSyncAgent(this.info.Id, this.opts.containerWorkspace);
    this.opts.events.ended?.();
  }

  private async act(b: Batch): Promise<void> {
    const o = this.opts;
    // the container is stopped: the batch waits (and grows) until it runs again
    await this.attached;
    if (this.closed) return;
    const phases: ReloadPhases = { wait: Date.now() - b.firstAt };
    const timed = async <T>(phase: Exclude<keyof ReloadPhases, 'wait'>, work: () => Promise<T>): Promise<T> => {
      const t = Date.now();
      try {
        return await work();
      } finally {
        phases[phase] = (phases[phase] ?? 0) + Date.now() - t;
      }
    };
    const id = this.info.Id;
    // (read at this batch's flush, just before this)
    const scanned = b.rescanned ? this.scanned : undefined;
    this.scanned = undefined;
    // nothing more is copied ahead of this batch; what was, is left out of its copy
    this.acting = true;
    this.aheadQueue = [];
    this.aheadHanded.clear();
    this.aheadListed.clear();
    const config = b.paths.filter((p) => CONFIG_FILES.test(p));
    const manifests = b.paths.filter((p) => this.rebuildTests.some((t) => t(p)) && !config.includes(p));
    let action: ReloadAction = 'nothing';
    let error: string | undefined;
    try {
      if (this.copy) {
        try {
          // past the batch's path limit not every path is named: everything is copied
          await timed('sync', async () => {
            // (a frame copied ahead and still unpacking ends first: frames go in order)
            await this.aheadRun;
            const inPlace = this.inPlace;
            this.inPlace = new Map();
            if (b.overflow) return syncAll(o.engine, id, o.root, o.containerWorkspace, this.ignore);
            // a folder the batch names is walked: what is under it, acted on before in the same
            // state (a folder reported again while its files did not change), is not sent again
            return syncBatch(o.engine, id, o.root, o.containerWorkspace, b, this.ignore, scanned, (rel, st, named) => inPlace.get(rel) === stampOf(st) || (!named && this.batcher.actedOn(rel, stampOf(st))));
          });
          this.syncFailures = 0;
        } catch (e) {
          // copied again shortly (the container may be busy); after 3 failures in a row, left to the next change
          if (++this.syncFailures <= 3 && !b.overflow) setTimeout(() => this.batcher.retry(b.paths), 500).unref();
          throw e;
        }
        action = 'synced';
      }
      if (config.length) {
        o.events.rebuildOffered?.(config);
        action = 'rebuild-offered';
      }
      const installs = [...new Set(manifests.filter((p) => !b.deleted.includes(p)).map(installCommand).filter((c): c is string => !!c))];
      for (const cmd of installs) {
        const app = await appEnvironment(o.engine, this.info, o.config, o.env);
        const r = await timed('install', () => withTimeout(
          execIn(o.engine, id, { cmd: ['sh', '-c', cmd], user: app.user, env: app.env, workdir: o.containerWorkspace, onOutput: o.events.output }),
          600_000,
          `${cmd} took longer than 10 minutes`,
        ));
        if (r.exitCode !== 0) throw new Error(`${cmd} failed (exit ${r.exitCode}); the app was not restarted. Fix the manifest and save again.\n${r.output.slice(-2000)}`);
        action = 'reinstalled';
      }
      const codeChanged = b.overflow || b.paths.some((p) => !config.includes(p));
      if (this.supervisor && (o.strategy === 'restart' || installs.length || this.crashed) && (codeChanged || !b.paths.length)) {
        const sup = this.supervisor;
        this.crashed = false;
        this.appEnded = new AbortController();
        // reinstalled dependencies: a standby or warm parent started before would run the old ones
        await timed('restart', () => sup.reload(installs.length > 0));
        if (action !== 'reinstalled') action = 'restarted';
        if (this.probe) {
          const serve = await this.serving();
          if (serve !== undefined) phases.serve = serve;
          sup.prepare();
        }
      }
    } catch (e) {
      error = (e as Error).message;
    }
    this.acting = false;
    const record: ReloadRecord = { at: new Date().toISOString(), action, files: b.paths.slice(0, 5), count: b.count, ms: Date.now() - b.firstAt, phases, ...(error ? { error } : {}) };
    this.history.push(record);
    if (this.history.length > 50) this.history.shift();
    o.events.reloaded?.(record);
  }
}
