// The other container operations: status, stop, down, list (ps), exec and logs.
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { Writable } from 'node:stream';
import type { ContainerSummary, DownResult, KeptVolume, ListedContainer } from '../../protocol';
import { appliedProfileOf } from './create/profile';
import { classifyVolumes, notOurs } from './create/volumes';
import { findContainer, loadConfig, mergedForContainer, remoteUserOf, summarize } from './container';
import { readFrames, warmEngine, withEngine, type Engine } from './engine/docker';
import { RuntimeError } from './errors';
import { describePorts } from './live/portsOps';
import { computeInputs } from './build/inputs';
import { composeDown, composeStop, LABEL_COMPOSE_PROJECT } from './create/compose';
import { LABEL_CONFIG_FILE, LABEL_INPUTS, LABEL_LOCAL_FOLDER } from './create/labels';
import { endWhenExited } from './lifecycle/exec';
import { execAttached, type TtyStdin } from './terminal/execTty';
import { hookEnv, parseEnvList, probeUserEnv } from './lifecycle/lifecycle';
import { fixPodmanInspect } from './engine/podman';
import type { Reporter } from './report';
import { forgetState, lifecycleLogFile, readState, writeState } from './up/state';

export interface TargetOptions {
  folder: string;
  configFile?: string;
  env: NodeJS.ProcessEnv;
}

export async function status(opts: TargetOptions): Promise<ContainerSummary> {
  // dockerode loads while the config's files are read
  warmEngine(opts.env);
  const resolved = await loadConfig(path.resolve(opts.folder), opts.configFile, opts.env);
  return withEngine(opts.env, async (engine) => {
    const [info, found] = await Promise.all([engine.info(), findContainer(engine, resolved.workspaceFolder, resolved.configFile!)]);
    const [inspect, inputs] = await Promise.all([
      found ? engine.docker.getContainer(found.Id).inspect() : Promise.resolve(undefined),
      found ? computeInputs(resolved, opts.env) : Promise.resolve(undefined),
    ]);
    await fixPodmanInspect(engine, inspect);
    const summary = summarize(resolved, inspect, { inputs, engine: info, host: engine.endpoint.host });
    if (inspect && summary.state === 'stopped' && inspect.State.Status === 'created' && (await readState(opts.env, inspect.Id, inspect.Created)).prewarmed) {
      summary.message = 'Prewarmed while the machine was calm: made, never started. The next start (hb up) only starts it and runs its lifecycle commands.';
    }
    // ports with their portsAttributes labels and who forwards them (portsOps.ts)
    if (inspect) summary.forwards = (await describePorts(opts.env, resolved, inspect)).ports;
    return summary;
  });
}

export async function stop(opts: TargetOptions & { report?: Reporter }): Promise<ContainerSummary> {
  const resolved = await loadConfig(path.resolve(opts.folder), opts.configFile, opts.env);
  return withEngine(opts.env, async (engine) => {
    const found = await findContainer(engine, resolved.workspaceFolder, resolved.configFile!);
    if (!found) return summarize(resolved, undefined);
    if (resolved.kind === 'compose') {
      // the whole project, as shutdownAction stopCompose does (compose.ts)
      await composeStop(engine, resolved, found.Labels?.[LABEL_COMPOSE_PROJECT], opts.env, opts.report);
    } else if (found.State === 'running') {
      opts.report?.step(`Stopping container ${found.Names[0]?.replace(/^\//, '') ?? found.Id.slice(0, 12)}`);
      try {
        await engine.docker.getContainer(found.Id).stop();
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 304) throw e;
      }
    }
    const inspect = await engine.docker.getContainer(found.Id).inspect();
    return summarize(resolved, inspect, { inputs: await computeInputs(resolved, opts.env) });
  });
}

export interface DownOptions extends TargetOptions {
  volumes?: boolean;
  report?: Reporter;
  /** Compose with `volumes`: whether the user agrees to delete these declared volumes (see composeDown). */
  confirmVolumes?: (volumes: string[]) => Promise<boolean>;
}

/**
 * Removes the folder's dev container. With `volumes`, also its anonymous volumes and the named
 * ones HyperBox made for it; a user's own volumes and the language profile's shared caches stay,
 * each named with why. For Compose, the project's declared volumes go only when confirmed.
 */
export async function down(opts: DownOptions): Promise<DownResult> {
  const resolved = await loadConfig(path.resolve(opts.folder), opts.configFile, opts.env);
  return withEngine(opts.env, async (engine) => {
    const result: DownResult = { containerId: null, removed: false, volumesRemoved: [], volumesKept: [], kept: [] };
    const found = await findContainer(engine, resolved.workspaceFolder, resolved.configFile!);
    if (!found) return result;
    result.containerId = found.Id;
    const inspect = await engine.docker.getContainer(found.Id).inspect();
    const shared = (appliedProfileOf(inspect.Config.Labels)?.entries ?? []).flatMap((e) => (e.kind === 'volume' && e.source ? [e.source] : []));
    const { ours, shared: cached, others } = await classifyVolumes(engine, inspect, resolved.devcontainerId!, shared);
    const volumes = !!opts.volumes;
    if (resolved.kind === 'compose') {
      // the whole project (compose.ts); a container compose left behind goes too
      const declared = await composeDown(engine, resolved, found.Labels?.[LABEL_COMPOSE_PROJECT], opts.env, volumes, opts.report, opts.confirmVolumes);
      result.volumesRemoved.push(...declared);
      await engine.docker.getContainer(found.Id).remove({ force: true, v: volumes }).catch(() => undefined);
    } else {
      opts.report?.step(`Removing container ${inspect.Name.replace(/^\//, '')}`);
      // anonymous volumes go with the container only when asked
      await engine.docker.getContainer(found.Id).remove({ force: true, v: volumes });
    }
    result.removed = true;
    await forgetState(opts.env, found.Id);
    await fs.unlink(lifecycleLogFile(opts.env, found.Id)).catch(() => undefined);
    const gone = async (name: string) => engine.docker.getVolume(name).inspect().then(() => false, (e: { statusCode?: number }) => e.statusCode === 404);
    const keep = (k: KeptVolume) => {
      if (result.volumesRemoved.includes(k.name) || result.kept.some((x) => x.name === k.name)) return;
      result.kept.push(k);
    };
    if (volumes) {
      for (const name of ours) {
        try {
          await engine.docker.getVolume(name).remove();
          result.volumesRemoved.push(name);
        } catch (e) {
          const status = (e as { statusCode?: number }).statusCode;
          if (status === 404) result.volumesRemoved.push(name);
          else keep({ name, reason: status === 409 ? 'in use by another container' : `the engine would not remove it: ${(e as Error).message}` });
        }
      }
      // anonymous ones went with the container; what is still there is someone's own
      for (const name of others) {
        if (await gone(name)) {
          if (!result.volumesRemoved.includes(name)) result.volumesRemoved.push(name);
        } else keep(notOurs(name));
      }
    } else {
      for (const name of [...ours, ...others]) keep({ name, reason: 'hb down --volumes removes it, if HyperBox made it for this container or it is anonymous' });
    }
    cached.forEach(keep);
    result.volumesKept = result.kept.map((k) => k.name);
    return result;
  });
}

export async function list(env: NodeJS.ProcessEnv): Promise<ListedContainer[]> {
  return withEngine(env, async (engine) => {
    const all = await engine.docker.listContainers({ all: true, filters: JSON.stringify({ label: [LABEL_LOCAL_FOLDER] }) });
    return all
      .map((c) => ({
        containerId: c.Id,
        name: c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12),
        state: c.State === 'running' ? ('running' as const) : ('stopped' as const),
        status: c.Status,
        image: c.Image,
        folder: c.Labels[LABEL_LOCAL_FOLDER],
        configFile: c.Labels[LABEL_CONFIG_FILE] ?? null,
        madeBy: c.Labels[LABEL_INPUTS] ? ('hyperbox' as const) : ('other' as const),
        created: new Date(c.Created * 1000).toISOString(),
      }))
      .sort((a, b) => a.folder.localeCompare(b.folder) || b.created.localeCompare(a.created));
  });
}

/** The running dev container of a folder, or an error saying how to get one. */
async function runningContainer(engine: Engine, resolved: Awaited<ReturnType<typeof loadConfig>>) {
  const found = await findContainer(engine, resolved.workspaceFolder, resolved.configFile!);
  if (!found) throw new RuntimeError('not-found', `${resolved.workspaceFolder} has no dev container. Run hb up first.`);
  const info = await engine.docker.getContainer(found.Id).inspect();
  if (!info.State.Running) throw new RuntimeError('not-running', `The dev container of ${resolved.workspaceFolder} (${info.Name.replace(/^\//, '')}) is stopped. Run hb up to start it.`);
  return info;
}

export interface ExecOptions extends TargetOptions {
  cmd: string[];
  user?: string;
  workdir?: string;
  stdout: Writable;
  stderr: Writable;
  report: Reporter;
  signal?: AbortSignal;
  /** hb exec -i / -t: forward stdin, allocate a TTY (see execTty.ts). */
  interactive?: boolean;
  tty?: boolean;
  stdin?: TtyStdin;
}

/** Runs a command in the dev container as remoteUser, in the workspace folder, with the user's environment. Returns its exit code. */
export async function exec(opts: ExecOptions): Promise<number> {
  const resolved = await loadConfig(path.resolve(opts.folder), opts.configFile, opts.env);
  return withEngine(opts.env, async (engine) => {
    const info = await runningContainer(engine, resolved);
    const merged = mergedForContainer(info.Config.Labels, resolved.config);
    const user = opts.user ?? remoteUserOf(merged, info.Config.User);
    const state = await readState(opts.env, info.Id, info.Created);
    let probed = state.env && state.env.user === user && state.env.probe === merged.userEnvProbe ? state.env.values : undefined;
    if (!probed) {
      probed = await probeUserEnv(engine, info.Id, user, merged.userEnvProbe, opts.report, opts.signal);
      state.env = { user, probe: merged.userEnvProbe, values: probed };
      await writeState(opts.env, info.Id, state);
    }
    const env = hookEnv(probed, merged.remoteEnv, parseEnvList(info.Config.Env));
    const container = engine.docker.getContainer(info.Id);
    if (opts.interactive || opts.tty) {
      return execAttached(engine, container, {
        cmd: opts.cmd,
        user,
        workdir: opts.workdir ?? resolved.workspace?.containerWorkspaceFolder ?? undefined,
        env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        interactive: !!opts.interactive,
        tty: !!opts.tty,
        stdin: opts.stdin ?? process.stdin,
        stdout: opts.stdout,
        stderr: opts.stderr,
        signal: opts.signal,
      });
    }
    const e = await container.exec({
      Cmd: opts.cmd,
      User: user,
      WorkingDir: opts.workdir ?? resolved.workspace?.containerWorkspaceFolder ?? undefined,
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    const stream = await e.start({ hijack: true, stdin: false });
    const onAbort = () => stream.destroy();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    engine.docker.modem.demuxStream(stream, opts.stdout, opts.stderr);
    const unwatch = endWhenExited(e, stream);
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    }).finally(unwatch);
    opts.signal?.removeEventListener('abort', onAbort);
    for (let i = 0; ; i++) {
      const r = await e.inspect();
      if (!r.Running || i > 200) return r.ExitCode ?? 1;
      await new Promise((res) => setTimeout(res, 10));
    }
  });
}

export interface LogsOptions extends TargetOptions {
  follow?: boolean;
  stdout: Writable;
  stderr: Writable;
  signal?: AbortSignal;
}

/** The container's output, then (or, following, as it grows) the lifecycle commands `up --wait-for` left running. */
export async function logs(opts: LogsOptions): Promise<void> {
  const resolved = await loadConfig(path.resolve(opts.folder), opts.configFile, opts.env);
  await withEngine(opts.env, async (engine) => {
    const found = await findContainer(engine, resolved.workspaceFolder, resolved.configFile!);
    if (!found) throw new RuntimeError('not-found', `${resolved.workspaceFolder} has no dev container. Run hb up first.`);
    const container = engine.docker.getContainer(found.Id);
    const info = await container.inspect();
    const logFile = lifecycleLogFile(opts.env, found.Id);
    if (!opts.follow) {
      const buf = await container.logs({ stdout: true, stderr: true, follow: false });
      writeDemuxed(buf, info.Config.Tty, opts.stdout, opts.stderr);
      const text = await fs.readFile(logFile, 'utf8').catch(() => '');
      if (text) opts.stdout.write(`--- lifecycle commands (hb up --wait-for) ---\n${text}`);
      return;
    }
    const stream = (await container.logs({ stdout: true, stderr: true, follow: true })) as unknown as NodeJS.ReadableStream & { destroy(): void };
    if (info.Config.Tty) stream.pipe(opts.stdout, { end: false });
    else engine.docker.modem.demuxStream(stream, opts.stdout, opts.stderr);
    let offset = 0;
    const tail = async () => {
      const fh = await fs.open(logFile, 'r').catch(() => undefined);
      if (!fh) return;
      try {
        const { size } = await fh.stat();
        if (size > offset) {
          const buf = Buffer.alloc(size - offset);
          await fh.read(buf, 0, buf.length, offset);
          if (offset === 0) opts.stdout.write('--- lifecycle commands (hb up --wait-for) ---\n');
          offset = size;
          opts.stdout.write(buf);
        }
      } finally {
        await fh.close();
      }
    };
    const timer = setInterval(() => void tail(), 500);
    await tail();
    await new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      opts.signal?.addEventListener('abort', () => {
        stream.destroy();
        resolve();
      });
    });
    clearInterval(timer);
    await tail();
  });
}

function writeDemuxed(buf: Buffer, tty: boolean, out: Writable, err: Writable): void {
  if (!Buffer.isBuffer(buf)) {
    out.write(String(buf ?? ''));
    return;
  }
  if (tty) {
    out.write(buf);
    return;
  }
  readFrames(buf, (data, from) => (from === 'stderr' ? err : out).write(data));
}
