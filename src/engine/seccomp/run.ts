// Runs a dev container's workload in a temporary copy of the dev container (its image, settings and
// own command), exec'd into it, while strace, attached from the host to containerd (and so to the shim, the OCI runtime
// and everything they start), sees every syscall. parseTrace keeps the calls made under the
// container's own filter: from the runtime's filter load on, which covers the runtime's last steps
// (setting the user, capabilities, exec) as well as the workload.
import { hyperboxOf, type DevContainerConfig } from '../devcontainer/config';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { findContainer, loadConfig, mergedForContainer, remoteUserOf } from '../runtime/container';
import { detectProject } from '../project/detect';
import { cacheDir } from '../runtime/dirs';
import type { Engine } from '../runtime/engine/docker';
import { RuntimeError } from '../runtime/errors';
import type { Reporter } from '../runtime/report';
import { execIn } from '../runtime/lifecycle/exec';
import { batchable, hookEnv, parseEnvList, probeUserEnv, runBatch, runHook, type BatchItem } from '../runtime/lifecycle/lifecycle';
import { copyGitConfig, updateRemoteUserUid } from '../runtime/create/userFiles';
import type { MergedConfig } from '../runtime/build/metadata';
import type { ContainerInspectInfo } from 'dockerode';
import { CONTAINER_HOOKS } from '../../protocol';
import { fixedTrust, workloadFinding, type TrustDecider } from '../runtime/create/trust';
import { seccompLogCalls, startLogRecorder, type LogRecorder } from './seccompLog';
import { parseTrace, type ParsedTrace } from './strace';
import { which } from '../util/program';

export const LABEL_SECCOMP = 'hyperbox.seccomp';

/**
 * During recording a filter must be loaded (runc and crun load none for a profile that allows
 * everything, and the load is where recording starts). The recording profile allows every call
 * but clone3, which it answers with ENOSYS as the generated profile will: glibc then falls back to
 * clone, and the recording sees the calls the workload makes under the profile, not the ones it
 * would make without it.
 */
export const RECORDING_PROFILE = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }] };

/** errno the validation profile answers with: EHWPOISON, which no ordinary call in a container returns. */
export const VALIDATION_ERRNO = 133;
export const VALIDATION_ERRNO_NAME = 'EHWPOISON';

export interface WorkloadOptions {
  engine: Engine;
  folder: string;
  configFile?: string;
  env: NodeJS.ProcessEnv;
  /** The command; default customizations.hyperbox.devCommand, else the detected dev command. */
  command?: string[];
  /** Stop the workload after this many seconds (it may also end by itself). */
  durationS?: number;
  /** The profile to run under (default: the recording profile). */
  profile?: object;
  /** Whether to record (a plain run without it is used to tell if a workload fails on its own). */
  trace?: boolean;
  /** How to record: strace from the host (default), or the kernel's seccomp log (seccompLog.ts; with its recording profile). */
  mechanism?: 'strace' | 'seccomp-log';
  /** The editor's Workspace Trust (a boolean), or hb's decider (the trust store, --trust, a prompt). */
  trusted: boolean | TrustDecider;
  report: Reporter;
  signal?: AbortSignal;
  /** Called once the container runs, with its IP address; the workload is stopped when it resolves. */
  drive?: (ip: string) => Promise<void>;
  /** Errno name of a filter's denial, for validation. */
  deniedErrno?: string;
}

export interface WorkloadRun {
  command: string[];
  image: string;
  workspaceFolder: string;
  durationMs: number;
  exitCode: number | null;
  ended: 'exited' | 'stopped';
  trace?: ParsedTrace;
  /** The container's last output lines (for a failure's message). */
  logTail: string;
  /** The dev container's own entrypoint and command (they keep a container running). */
  keepAlive: { entrypoint: string[]; cmd: string[] };
  /** When the workload's process ended (ms since the epoch). */
  endedAt: number;
  /** The container's own process (keep-alive or image command), when it ended while the workload ran. */
  ownExit: { exitCode: number; logTail: string } | null;
}

/** containerd's process ids on this host (the engine's containers are started through it). */
export async function containerdPids(): Promise<number[]> {
  const out: number[] = [];
  for (const d of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const comm = await fs.readFile(`/proc/${d}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'containerd') out.push(Number(d));
  }
  return out;
}

const asList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v ? [v] : []);

export function folderKey(workspaceFolder: string): string {
  return createHash('sha256').update(workspaceFolder).digest('hex').slice(0, 16);
}

async function workloadCommand(o: WorkloadOptions, config: DevContainerConfig, workspaceFolder: string): Promise<string[]> {
  if (o.command?.length) return o.command;
  const devCommand = hyperboxOf(config).devCommand;
  if (devCommand?.trim()) return ['/bin/sh', '-c', devCommand];
  const det = await detectProject(workspaceFolder);
  if (det.devCommand) return ['/bin/sh', '-c', det.devCommand];
  throw new RuntimeError(
    'config',
    `No workload to run for ${workspaceFolder}: no command was given, customizations.hyperbox.devCommand is not set and no dev command was detected. Give one after --, e.g. hb seccomp record -- npm start.`,
  );
}

/** strace's options for a recording: every call of every process, numbers raw, strings short. */
// --pidns-translation: clone and fork return the child's pid in the container's PID namespace;
// strace then writes the host pid beside it, which is what its lines are prefixed with
const RECORD_OPTIONS = ['-f', '-X', 'raw', '--pidns-translation', '-s', '100', '-e', 'signal=none'];

/** Attaches strace to the pids (containerd), writing to `file`; resolves once it traces them. */
export function startStrace(pids: number[], file: string, signal?: AbortSignal, options: string[] = RECORD_OPTIONS): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const args = [...options, '-o', file, ...pids.flatMap((p) => ['-p', String(p)])];
    const child = spawn('strace', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let done = false;
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (!done && /attached/.test(err)) {
        done = true;
        // strace attaches to every thread first; a moment later it traces them all
        setTimeout(() => resolve(child), 300);
      }
      if (/Operation not permitted/.test(err)) {
        done = true;
        child.kill();
        reject(new RuntimeError('unsupported', `strace may not trace containerd (pid ${pids.join(', ')}): ${err.trim()}. Recording needs root (or CAP_SYS_PTRACE) on the Docker host: run hb seccomp as root, e.g. with sudo.`));
      }
    });
    child.on('error', (e) => reject(new RuntimeError('missing-tool', `strace could not run: ${e.message}. Install it with: apt-get install strace`)));
    child.on('exit', (code) => {
      if (!done) reject(new RuntimeError('command-failed', `strace exited (${code}) before it attached: ${err.trim()}`));
    });
    signal?.addEventListener('abort', () => child.kill('SIGINT'), { once: true });
  });
}

/**
 * Detaches strace: SIGINT (it flushes its output and detaches), then SIGKILL after 5 s — strace can
 * hang detaching from a process in some states, and containerd must not stay traced; when the
 * tracer dies the kernel detaches every tracee.
 */
export function stopStrace(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGINT');
  });
}

/** The last `n` lines of a text. */
const lastLines = (text: string, n = 20) => text.trimEnd().split('\n').slice(-n).join('\n');

/**
 * Runs the workload once in a temporary copy of the dev container; traced unless `trace` is false.
 * The copy runs what the dev container runs (its entrypoint and command: HyperBox's keep-alive or
 * the image's own command, with docker-init when the config asks for it), from its start, and the
 * workload is exec'd into it as HyperBox runs commands in the dev container, after the user
 * environment probe HyperBox runs before each such command: a profile made from the recording
 * covers the container's own processes, the runtime's exec, HyperBox's probe and the workload. The
 * workload is stopped with SIGTERM (then the copy, as `docker stop` would), so both stop paths are
 * seen too.
 */
/**
 * What HyperBox runs in a dev container besides the workload, and so under its profile too: the
 * remote user's UID update, the config's lifecycle commands through HyperBox's driver script (at create, and postStartCommand at
 * every start) and the copy of your git config. Run in the copy before the workload, so they are
 * recorded (or, under a profile, checked). A lifecycle command that fails there is a warning: what
 * it made until then is recorded.
 */
async function lifecycleInCopy(o: WorkloadOptions, id: string, info: ContainerInspectInfo, merged: MergedConfig, probed: Record<string, string>, workdir: string): Promise<void> {
  const user = remoteUserOf(merged, info.Config.User);
  const hooks = CONTAINER_HOOKS.filter((h) => merged.hooks[h].length);
  const marker = new Date().toISOString();
  const items: BatchItem[] = hooks.map((hook) => ({ hook, entries: merged.hooks[hook], marker: hook === 'postAttachCommand' ? undefined : marker }));
  const quiet: Reporter = { ...o.report, step: () => undefined, info: () => undefined, warn: () => undefined, output: () => undefined };
  // at create, before the lifecycle commands: the remote user given your UID (when you are not root)
  await updateRemoteUserUid(o.engine, id, user, merged, undefined, quiet).catch(() => undefined);
  if (items.length) {
    o.report.step(`Running the lifecycle commands (${hooks.join(', ')}) in it: they run under the profile too`);
    const containerEnv = parseEnvList(info.Config.Env);
    try {
      // as up runs them: one exec through the driver, or (named commands run side by side) one hook at a time
      if (hooks.every((h) => batchable(merged.hooks[h]))) {
        await runBatch({ engine: o.engine, containerId: id, user, workdir, probe: merged.userEnvProbe, remoteEnv: merged.remoteEnv, containerEnv, report: quiet, signal: o.signal }, items);
      } else {
        const ctx = { engine: o.engine, containerId: id, user, workdir, env: hookEnv(probed, merged.remoteEnv, containerEnv), report: quiet, signal: o.signal };
        for (const item of items) await runHook(ctx, item.hook, item.entries, item.marker);
      }
    } catch (e) {
      if (o.signal?.aborted) throw e;
      o.report.warn(`The lifecycle commands failed in the copy: ${(e as Error).message.split('\n')[0]}. The calls they made until then are in the record.`);
    }
  }
  await copyGitConfig(o.engine, id, user, o.env, quiet).catch(() => undefined);
}

export async function runWorkload(o: WorkloadOptions): Promise<WorkloadRun> {
  const resolved = await loadConfig(path.resolve(o.folder), o.configFile, o.env);
  const found = await findContainer(o.engine, resolved.workspaceFolder, resolved.configFile!);
  if (!found) throw new RuntimeError('not-found', `${resolved.workspaceFolder} has no dev container to take the image and settings from. Run hb up first.`);
  const info = await o.engine.docker.getContainer(found.Id).inspect();
  const command = await workloadCommand(o, resolved.config, resolved.workspaceFolder);
  // recording and validation run the folder's code: the same trust as hb up, plus the command
  // the container itself was judged by hb up's gate when it was made; this runs a command in a copy of it
  const findings = [workloadFinding('hb seccomp: the workload, recorded or replayed in a copy of the dev container,', command)];
  const decider = typeof o.trusted === 'boolean' ? fixedTrust(o.trusted, 'Pass --trust (or answer the prompt on a terminal), or trust the folder in the editor.') : o.trusted;
  const target = { folder: resolved.workspaceFolder, configFile: resolved.configFile! };
  if (!(await decider.check(findings, target))) await decider.ask(findings, target);

  const logging = o.trace !== false && o.mechanism === 'seccomp-log';
  const trace = o.trace !== false && !logging;
  let pids: number[] = [];
  if (trace) {
    if (!(which('strace', o.env))) throw new RuntimeError('missing-tool', 'strace is not installed: hb seccomp records and validates by tracing the container from the host. Install it with: apt-get install strace');
    const local = Boolean(o.engine.endpoint.options.socketPath);
    if (!local || process.getuid?.() !== 0) {
      if (!local) throw new RuntimeError('unsupported', `The Docker engine at ${o.engine.endpoint.host} is not on this machine: hb seccomp traces the container from the host, so it runs where the engine runs.`);
      throw new RuntimeError('unsupported', 'hb seccomp traces containerd and the containers it starts, which needs root (or CAP_SYS_PTRACE): run it as root, e.g. sudo hb seccomp record.');
    }
    pids = await containerdPids();
    if (!pids.length) throw new RuntimeError('unsupported', 'No containerd process was found on this machine: hb seccomp traces containers through containerd (Docker\'s default); a rootless or remote engine cannot be traced from here.');
  }
  const profile = o.profile ?? RECORDING_PROFILE;
  const hc = info.HostConfig;
  const keepAlive = { entrypoint: asList(info.Config.Entrypoint), cmd: asList(info.Config.Cmd) };
  const own = [...keepAlive.entrypoint, ...keepAlive.cmd].join(' ');
  const container = await o.engine.docker.createContainer({
    Image: info.Config.Image || info.Image,
    // the dev container's own process tree, as it runs it
    Entrypoint: keepAlive.entrypoint,
    Cmd: keepAlive.cmd,
    Env: info.Config.Env,
    User: info.Config.User,
    WorkingDir: info.Config.WorkingDir,
    Labels: { [LABEL_SECCOMP]: folderKey(resolved.workspaceFolder) },
    HostConfig: {
      Binds: hc.Binds ?? undefined,
      Mounts: hc.Mounts,
      CapAdd: hc.CapAdd ?? undefined,
      CapDrop: hc.CapDrop ?? undefined,
      Init: hc.Init ?? undefined,
      SecurityOpt: [`seccomp=${JSON.stringify(profile)}`, ...(hc.SecurityOpt ?? []).filter((s: string) => !s.startsWith('seccomp'))],
      Runtime: hc.Runtime,
    },
  });
  const file = path.join(cacheDir(o.env), 'seccomp', `trace-${randomBytes(6).toString('hex')}.txt`);
  let strace: ChildProcess | undefined;
  let kmsg: LogRecorder | undefined;
  const state: { ended: WorkloadRun['ended'] } = { ended: 'exited' };
  const started = Date.now();
  let removing: Promise<void> | undefined;
  let done = false;
  const blockedIn = async (): Promise<string> => {
    if (!strace || !o.deniedErrno) return '';
    await stopStrace(strace);
    strace = undefined;
    const t = parseTrace(await fs.readFile(file, 'utf8'), container.id, o.deniedErrno);
    return [...t.denied].map(([name, d]) => `${name} (by ${d.exes.join(', ')})`).join(', ');
  };
  try {
    if (trace) {
      await fs.mkdir(path.dirname(file), { recursive: true });
      o.report.step('Attaching strace to containerd');
      strace = await startStrace(pids, file, o.signal);
    }
    if (logging) {
      await fs.mkdir(path.dirname(file), { recursive: true });
      o.report.step("Reading the kernel's seccomp log");
      kmsg = await startLogRecorder(file, o.env);
    }
    o.report.step(`Starting a temporary copy of the dev container from ${info.Config.Image} (it runs ${own || "the image's command"})`);
    try {
      await container.start();
    } catch (e) {
      // under a profile that lacks a call the runtime needs after loading it, the container never starts
      const blocked = await blockedIn();
      throw new RuntimeError(
        'create-failed',
        `The container did not start under the profile: ${(e as Error).message.trim()}` +
          (blocked ? `\nThe profile blocked: ${blocked}. The runtime (${info.HostConfig.Runtime || 'runc'}) makes these after loading the filter: record again, or add them.` : ''),
      );
    }
    const first = await container.inspect();
    if (!first.State.Running) {
      const logs = await containerLogs(container);
      const blocked = await blockedIn();
      throw new RuntimeError(
        'command-failed',
        `The dev container's own command (${own || "the image's command"}) exited with ${first.State.ExitCode} at once in the copy${o.deniedErrno ? ' under the profile' : ''}, so the workload could not run in it.` +
          (blocked ? `\nThe profile blocked: ${blocked}.` : '') +
          (logs.trim() ? `\n${logs.trim()}` : ''),
      );
    }
    // what HyperBox itself runs in the dev container before each command it execs there (hb exec,
    // lifecycle commands, the dev command): the remote user's shell, printing its environment
    const merged = mergedForContainer(info.Config.Labels, resolved.config);
    const quiet = { ...o.report, warn: () => undefined };
    const probed = await probeUserEnv(o.engine, container.id, remoteUserOf(merged, info.Config.User), merged.userEnvProbe, quiet, o.signal);
    await lifecycleInCopy(o, container.id, info, merged, probed, resolved.workspace?.containerWorkspaceFolder ?? '/');
    o.report.step(`Running ${command.join(' ')} in it`);
    // the workload, exec'd as HyperBox runs commands in the dev container; stopped with SIGTERM
    // to its process (from the host), then SIGKILL after 5 s
    let pid: number | undefined;
    let exited = false;
    /** The copy was stopped to end the workload: its own process's end says nothing then. */
    let stoppedCopy = false;
    let stopping: Promise<void> | undefined;
    const workload = execIn(o.engine, container.id, { cmd: command, keep: 8000, onStart: (s) => (pid = s.pid) });
    const ended = workload.then(
      () => void (exited = true),
      () => void (exited = true),
    );
    const stopWorkload = (): Promise<void> =>
      (stopping ??= (async () => {
        const signal = (sig: NodeJS.Signals) => {
          try {
            if (pid) process.kill(pid, sig);
            return Boolean(pid);
          } catch {
            return false;
          }
        };
        // its pid comes a moment after the exec starts
        for (let i = 0; i < 500 && !pid && !exited; i++) await new Promise((r) => setTimeout(r, 10));
        if (exited) return;
        state.ended = 'stopped';
        if (!signal('SIGTERM')) {
          // its pid is not known (or not ours to signal): stop the copy, which ends it too
          stoppedCopy = true;
          await container.stop({ t: 5 }).catch(() => undefined);
          await ended;
          return;
        }
        const killed = setTimeout(() => signal('SIGKILL'), 5000);
        await ended;
        clearTimeout(killed);
      })());
    const onAbort = () => void stopWorkload();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = o.durationS ? setTimeout(() => void stopWorkload(), o.durationS * 1000) : undefined;
    let driveError: Error | undefined;
    if (o.drive) {
      driveError = await o.drive(first.NetworkSettings.IPAddress).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      await stopWorkload();
    }
    const result = await workload.catch((e: Error) => ({ exitCode: -1, output: e.message, stdout: '' }));
    const endedAt = Date.now();
    if (timer) clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
    const durationMs = Date.now() - started;
    // the container's own process must still run: under a profile that stops it, the dev container would stop too
    const after = await container.inspect();
    const ownExit = after.State.Running || stoppedCopy ? null : after.State.ExitCode;
    const ownLogs = ownExit === null ? '' : await containerLogs(container);
    // then stopped as docker stop does (its stop signal, SIGKILL after 5 s): its way out is recorded too.
    // A recording runs where the engine runs: the copy's own process is watched end on this host,
    // which is when its last call was made (the engine's clean-up after it takes as long again)
    if ((trace || logging) && first.State.Pid && ownExit === null) await stopWatching(container, first.State.Pid, (first.Config as { StopSignal?: string }).StopSignal || 'SIGTERM');
    else await container.stop({ t: 5 }).catch(() => undefined);
    // removed while the record is read and after (its processes are gone: it makes no more calls)
    removing = container.remove({ force: true }).then(
      () => undefined,
      () => undefined,
    );
    if (o.signal?.aborted) throw new RuntimeError('cancelled', 'Cancelled: the workload was stopped and nothing was saved.');
    const logs = lastLines(result.output);
    let parsed: ParsedTrace | undefined;
    if (strace) {
      await stopStrace(strace);
      strace = undefined;
      parsed = parseTrace(await fs.readFile(file, 'utf8'), container.id, o.deniedErrno);
      if (!parsed.sawFilter) {
        throw new RuntimeError('unsupported', `The container's seccomp filter was never loaded while strace watched, so nothing could be recorded. hb seccomp needs an engine that applies seccomp profiles with runc or crun (docker info shows "seccomp" under Security Options).`);
      }
    }
    if (kmsg) {
      const log = await kmsg.stop();
      kmsg = undefined;
      const got = await seccompLogCalls(log.text, log.since, container.id, o.env);
      const lost = log.lost ?? got.lost;
      if (lost) throw new RuntimeError('command-failed', `The kernel's seccomp log lost records while recording: ${lost}. Nothing was saved. Record again on a calmer machine, or with --strace (slower, but it cannot lose calls).`);
      if (!got.records) {
        throw new RuntimeError('unsupported', `The kernel's seccomp log showed no call of the container, so nothing could be recorded (the engine may not apply seccomp profiles, or the records went elsewhere). Record with --strace.`);
      }
      parsed = { calls: got.calls, denied: new Map(), sawFilter: true, filters: [] };
    }
    if (driveError) {
      const blocked = parsed ? [...parsed.denied].map(([name, d]) => `${name} (by ${d.exes.join(', ')})`).join(', ') : '';
      throw new RuntimeError('command-failed', `Driving the workload failed: ${driveError.message}${blocked ? `\nBlocked under the profile: ${blocked}` : ''}\n${logs}`);
    }
    done = true;
    return {
      command,
      image: info.Config.Image,
      workspaceFolder: resolved.workspaceFolder,
      durationMs,
      exitCode: state.ended === 'stopped' ? null : result.exitCode,
      ended: state.ended,
      trace: parsed,
      logTail: logs,
      keepAlive,
      endedAt,
      ownExit: ownExit === null ? null : { exitCode: ownExit, logTail: ownLogs },
    };
  } finally {
    if (strace) await stopStrace(strace);
    if (kmsg) await kmsg.stop().catch(() => undefined);
    // a run that ended well leaves the copy's removal to finish in the background (copiesRemoved)
    if (done && removing) {
      const r = removing.finally(() => removals.delete(r));
      removals.add(r);
    } else await (removing ?? container.remove({ force: true }).catch(() => undefined));
    await fs.rm(file, { force: true });
  }
}

const removals = new Set<Promise<void>>();

/**
 * Resolves once the copies of finished runs are removed: a run returns while its copy's removal
 * (the engine's clean-up, hundreds of milliseconds) goes on, so a profile can be written first.
 * A process that exits after a run awaits this, so no copy is left behind.
 */
export async function copiesRemoved(): Promise<void> {
  await Promise.all([...removals]);
}

/** Whether a host process still runs (not gone, not a zombie waiting to be reaped). */
async function running(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const state = /\) (\S)/.exec(stat)?.[1];
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/**
 * Stops a container as docker stop does (`signal`, SIGKILL after `graceMs`), returning once its own
 * process (host pid `pid`) has ended: every process of the container ends with it.
 */
export async function stopWatching(container: { kill(o: { signal: string }): Promise<unknown> }, pid: number, signal: string, graceMs = 5000): Promise<void> {
  const ended = async (ms: number) => {
    for (const until = Date.now() + ms; Date.now() < until; ) {
      if (!(await running(pid))) return true;
      await new Promise((r) => setTimeout(r, 5));
    }
    return !(await running(pid));
  };
  await container.kill({ signal }).catch(() => undefined);
  if (await ended(graceMs)) return;
  await container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
  await ended(5000);
}

async function containerLogs(container: { logs(o: { stdout: boolean; stderr: boolean; tail: number }): Promise<Buffer> }): Promise<string> {
  const raw = await container.logs({ stdout: true, stderr: true, tail: 20 }).catch(() => Buffer.alloc(0));
  return raw.toString('utf8').replace(/[\x00-\x08]/g, ''); // eslint-disable-line no-control-regex -- the stream headers' bytes
}
