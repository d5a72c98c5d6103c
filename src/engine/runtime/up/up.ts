// `up`: bring a folder's dev container up. Reuses the container the reference labels find
// (starting it when stopped), or makes one: image (local, else pulled) or Dockerfile build, the
// container per the spec, then the lifecycle commands. An up is a list of named steps (upWithEngine),
// each timed under the name the timeline shows; the longer ones live in make.ts (the container)
// and hooks.ts (the lifecycle commands), the request and its trust findings in request.ts, and
// what an up made is removed again through undo.ts when it is cancelled.
import * as path from 'node:path';
import type { ContainerCreateOptions, ContainerInfo, ContainerInspectInfo } from 'dockerode';
import type { TrustFinding, UpResult } from '../../../protocol';
import type { ValidConfig } from '../../devcontainer/config';
import { driftOf, findContainer, loadConfig, remoteUserOf, summarize } from '../container';
import { connectEngine, engineError, warmEngine, type Engine } from '../engine/docker';
import { RuntimeError, throwIfCancelled } from '../errors';
import { inspectImage } from '../build/image';
import { computeInputs, type Inputs } from '../build/inputs';
import { CREATE_HOOKS, runInitializeCommand } from '../lifecycle/lifecycle';
import { acquireLock } from './lock';
import type { MetadataEntry } from '../build/metadata';
import type { ApiMount } from '../create/mounts';
import type { Reporter } from '../report';
import { appliedProfileOf, chownProfileVolumes, volumesToChown } from '../create/profile';
import { forgetState, readState, writeState, type ContainerState } from './state';
import { fixedTrust, TrustGate, workspaceRoots, type RequestScope } from '../create/trust';
import { readComposeConfig, type ComposeConfig } from '../create/compose';
import { readFeatures } from '../build/features';
import { applyHostSetup } from '../create/hostSetup';
import { applyContributions } from '../../live/contributions';
import { ebpfTrustFinding } from '../../live/traces';
import { CONTAINER_SSH_AUTH_SOCK, hostGitConfig, updateRemoteUserUid } from '../create/userFiles';
import { isLocalEngine } from '../engine/endpoint';
import { copyWorkspace, type CopyResult } from '../create/workspaceCopy';
import { fixPodmanInspect } from '../engine/podman';
import { commandText, Timeline } from './timeline';
import { defaultConfigFile, saveTimeline } from './timelineStore';
import { endedBy, Timer, type UpContainer, type UpOptions, type UpOutcome, type UpRun } from './context';
import { MadeByUp } from './undo';
import { preGateFindings, provisionalFindings } from './request';
import { createCompose, createFromImage, startExisting, startNew, type NewContainer } from './make';
import { Hooks, planHooks } from './hooks';

export type { UpOptions, UpOutcome } from './context';
export { containerName, dockerfileFinding, imageTag, previewTrust } from './request';

/**
 * Brings the folder's dev container up, recording the startup timeline: saved in the cache
 * folder when the up ends (asynchronously, off the critical path), with the error when it fails.
 */
export async function up(opts: UpOptions): Promise<UpOutcome> {
  const folder = path.resolve(opts.folder);
  const timeline = new Timeline(
    { folder, configFile: opts.configFile ? path.resolve(folder, opts.configFile) : null, client: opts.client ?? 'hb' },
    (t, final) => {
      if (final && !opts.createOnly) void saveTimeline(opts.env, t.snapshot());
      opts.onTimeline?.(t, final);
    },
  );
  // output of builds and lifecycle commands also goes to the step that printed it
  const report: Reporter = {
    step: (m) => opts.report.step(m),
    info: (m) => opts.report.info(m),
    warn: (m) => opts.report.warn(m),
    output: (source, text) => {
      timeline.output(source, text);
      opts.report.output(source, text);
    },
  };
  try {
    return await upSteps({ ...opts, report }, new Timer(timeline, opts.signal));
  } catch (e) {
    const how = endedBy(e, opts.signal);
    // failed before the config was read: saved under the config it would have used
    if (!timeline.configFile) timeline.configFile = await defaultConfigFile(folder);
    timeline.finish(how.status === 'cancelled' ? 'cancelled' : 'failed', (e as Error)?.message ?? String(e));
    throw e;
  }
}

async function upSteps(opts: UpOptions, timer: Timer): Promise<UpOutcome> {
  const { env } = opts;
  const folder = path.resolve(opts.folder);
  // dockerode loads while the config's files are read
  warmEngine(env);
  const resolved = await timer.time('config', () => loadConfig(folder, opts.configFile, env));
  const warnings = resolved.problems.filter((p) => p.severity === 'warning');
  if (warnings.length) opts.onConfigWarnings?.(warnings);
  const config = resolved.config;
  const configFile = resolved.configFile!;
  timer.timeline.configFile = configFile;
  if (!resolved.kind) throw new RuntimeError('config', `${configFile} says neither "image" nor "build": add one so HyperBox knows what to run.`);
  // local Features checked here (features.ts; with Compose too); registry ones are downloaded in the up
  if (config.features !== undefined) await timer.time('features', () => readFeatures(resolved, { fetch: false }));

  const engine = await timer.time('engine', () => connectEngine(env));
  try {
    return await upWithEngine(engine, { ...opts, folder }, resolved, timer);
  } catch (e) {
    throw engineError(e, engine.endpoint);
  }
}

async function upWithEngine(engine: Engine, opts: UpOptions & { folder: string }, resolved: ValidConfig, timer: Timer): Promise<UpOutcome> {
  const { report, signal, env, folder } = opts;
  const config = resolved.config;
  // reads that change nothing, asked now and answered while the Features are read (or downloaded):
  // who the engine is (for the result), and an image config's image (its metadata label, for the
  // first trust gate; the image step uses it too when no initializeCommand ran in between)
  const engineInfo = engine.info();
  engineInfo.catch(() => undefined);
  const configImage = resolved.kind === 'image' ? inspectImage(engine, String(config.image)) : undefined;
  configImage?.catch(() => undefined);
  const features = config.features === undefined ? [] : await timer.time('features fetch', () => readFeatures(resolved, { env, report, signal, frozenLockfile: opts.frozenLockfile }));
  const release = await timer.time('lock', () =>
    acquireLock(resolved.devcontainerId!, `hb up ${folder}`, {
      env,
      signal,
      onWait: (h) => report.info(`Another up of this dev container is in progress (pid ${h.pid}); waiting for it to finish.`),
    }),
  );
  // the folder's container, looked up (under the lock) while the first trust gate is worked out
  const finding = timer.time('find container', () => findContainer(engine, folder, resolved.configFile!));
  finding.catch(() => undefined);
  const made = new MadeByUp();
  let done: Steps;
  try {
    const run = await runOf(engine, opts, resolved, timer, { features, made, engineInfo, configImage });
    done = await steps(run, finding);
  } catch (e) {
    // cancelled: what this up made and did not finish is removed; failed: what was made for a container that never came to be
    await made.undo(!!signal?.aborted, (m) => report.info(m));
    await release();
    throw e;
  }
  const { result, later } = done;
  if (!later) {
    await release();
    return { result };
  }
  // the lock is held until the commands after waitFor end
  return {
    result,
    release,
    rest: async () => {
      try {
        await later();
      } finally {
        await release();
      }
    },
  };
}

/** What the steps end with: the result, and with waitFor the commands still to run. */
interface Steps {
  result: UpResult;
  later?: () => Promise<void>;
}

/**
 * The up, step by step. Each step is timed under the name the timeline shows; the names in the
 * comments are those steps. Steps that do not depend on each other overlap (the container lookup
 * with the first gate, the drift hash with the image and the inspect, the host's git config with
 * the execs of a new container).
 */
async function steps(run: UpRun, finding: Promise<ContainerInfo | undefined>): Promise<Steps> {
  const { opts, timer, resolved } = run;
  // the drift hash reads the config's files: from the start when no initializeCommand can change them
  const hash = () => {
    const p = timer.time('inputs hash', () => computeInputs(resolved, opts.env));
    p.catch(() => undefined);
    return p;
  };
  const early = resolved.config.initializeCommand === undefined ? hash() : undefined;
  const composeConfig = await firstGate(run); // compose config, trust
  const existing = await removeToRebuild(run, await finding); // find container, remove old container
  if (opts.createOnly) refuseToPrewarm(run, existing);
  const initRan = await initializeCommand(run); // initializeCommand
  const inputsHash = early ?? hash();
  const found = existing && (await inspectExisting(run, existing, inputsHash)); // inspect (prewarmed: remove old container)

  let c: UpContainer;
  if (found) c = await startExisting(run, found, await inputsHash); // trust, start, inspect
  else if (resolved.kind === 'compose') c = await createCompose(run, composeConfig, await inputsHash); // compose up, inspect
  else {
    const made = await createFromImage(run, inputsHash, initRan); // image or build, features image, host setup, language profile, trust, create
    if (opts.createOnly) return { result: await prewarmedResult(run, made) }; // inspect
    c = await startNew(run, made); // start, inspect, settle
  }

  const remoteUser = remoteUserOf(c.merged, c.info.Config.User);
  const { gitConfig, copied } = await userFiles(run, c, remoteUser); // updateRemoteUserUID, profile volumes, copy workspace
  const plan = await planHooks(run, c, remoteUser); // userEnvProbe, markers
  const hooks = new Hooks(run, c, plan, remoteUser, gitConfig);
  await hooks.runNow(); // gitconfig, lifecycle exec (+ userEnvProbe), the commands
  if (!plan.later.some((d) => CREATE_HOOKS.includes(d.hook))) run.made.finish();
  if (!plan.later.length) await hooks.finish();

  await fixPodmanInspect(run.engine, c.info);
  const result = await resultOf(run, c, plan.later.map((d) => d.hook), copied);
  if (result.state === 'stale') opts.report.warn(result.message!);
  if (!plan.later.length) {
    timer.timeline.finish('ok');
    return { result };
  }
  // the commands after waitFor: running until they end (here, or in the background hb up)
  for (const d of plan.later) timer.timeline.pending(d.hook, commandText(c.merged.hooks[d.hook]));
  timer.timeline.finish('running');
  const later = async () => {
    try {
      await hooks.runLater();
      await hooks.finish();
      timer.timeline.finish('ok');
    } catch (e) {
      timer.timeline.finish(endedBy(e, opts.signal).status === 'cancelled' ? 'cancelled' : 'failed', (e as Error)?.message ?? String(e));
      throw e;
    }
  };
  return { result, later };
}

/** What every step shares: the trust gate and its scope, the config's own findings, host setup. */
async function runOf(
  engine: Engine,
  opts: UpOptions & { folder: string },
  resolved: ValidConfig,
  timer: Timer,
  o: Pick<UpRun, 'features' | 'made' | 'engineInfo' | 'configImage'>,
): Promise<UpRun> {
  const { folder, env, report } = opts;
  const config = resolved.config;
  const gate = new TrustGate(typeof opts.trusted === 'boolean' ? fixedTrust(opts.trusted) : opts.trusted, { folder, configFile: resolved.configFile! });
  // mounts HyperBox adds on the user's own settings (the SSH agent): not the folder's doing
  const own = new Set<unknown>();
  const scope: RequestScope = { roots: await workspaceRoots(folder, resolved.workspace?.mountSource), baseDir: folder, own };
  // before anything runs (initializeCommand, builds, pulls, removing a container to rebuild): what
  // the config shows (and the eBPF sidecar the user's settings would start beside it: privileged, so it asks too)
  const configFindings = [...preGateFindings(resolved, o.features), ...[ebpfTrustFinding(config, opts.settings)].filter((f): f is TrustFinding => !!f)];
  // runtime, hostRequirements and GPU, SSH agent (hostSetup.ts), then the capabilities' container
  // contributions (live/contributions.ts): for a new container of either kind, before it is judged or made
  const hostSetup = async (body: ContainerCreateOptions, entries: MetadataEntry[]) => {
    const done = await applyHostSetup({
      engine,
      config,
      hostRequirements: Object.assign({}, ...entries.map((e) => (e.hostRequirements && typeof e.hostRequirements === 'object' ? e.hostRequirements : {}))),
      body,
      env,
      report,
      runtime: opts.runtime,
      defaultRuntime: opts.defaultRuntime,
      untrusted: opts.trusted === false,
    });
    if (done.sshAgent) for (const m of (body.HostConfig as { Mounts?: ApiMount[] })?.Mounts ?? []) if (m.Target === CONTAINER_SSH_AUTH_SOCK) own.add(m);
    // hb decides trust at the gate (asked there): what a contribution adds is judged with the rest
    await applyContributions(body, { resolved, engine, env, report, trusted: opts.trusted !== false, settings: opts.settings }, opts.contributors);
    return done;
  };
  return { opts, engine, resolved, timer, gate, scope, own, configFindings, hostSetup, ...o };
}

/** The first trust gate, before anything runs: what the config shows, and the request as far as it is known. */
async function firstGate(run: UpRun): Promise<ComposeConfig | undefined> {
  const { engine, resolved, timer, opts } = run;
  const composeConfig = resolved.kind === 'compose' ? await timer.time('compose config', () => readComposeConfig(engine, resolved, opts.env, opts.report, opts.signal)) : undefined;
  await timer.time('trust', async () =>
    run.gate.pass([
      ...run.configFindings,
      ...(await provisionalFindings(engine, resolved, run.features, run.scope, opts.env, composeConfig, { image: run.configImage && (await run.configImage) })),
    ]),
  );
  return composeConfig;
}

/** hb rebuild: the folder's container is removed first. */
async function removeToRebuild(run: UpRun, existing: ContainerInfo | undefined): Promise<ContainerInfo | undefined> {
  if (!existing || !run.opts.rebuild) return existing;
  run.opts.report.step(`Removing container ${existing.Id.slice(0, 12)} to rebuild`);
  await run.timer.time('remove old container', () => run.engine.docker.getContainer(existing.Id).remove({ force: true }));
  await forgetState(run.opts.env, existing.Id);
  return undefined;
}

/** Prewarming asks only for what it may do; anything else is a mistake in its caller. */
function refuseToPrewarm(run: UpRun, existing: ContainerInfo | undefined): void {
  const { resolved, engine, opts } = run;
  const why = existing
    ? 'the folder has a container already'
    : resolved.kind === 'compose'
      ? 'a Compose config starts its services as it makes them'
      : resolved.config.initializeCommand !== undefined
        ? 'the config has an initializeCommand, which runs on the host before every up'
        : !isLocalEngine(engine.endpoint, opts.env)
          ? 'the engine is on another machine, where the workspace is copied in at the first start'
          : undefined;
  if (why) throw new RuntimeError('unsupported', `Prewarming makes no container for ${opts.folder}: ${why}.`);
}

/** initializeCommand: on the host, at every up, before anything else is made. Whether it ran. */
async function initializeCommand(run: UpRun): Promise<boolean> {
  const { opts, timer } = run;
  const command = run.resolved.config.initializeCommand;
  if (command !== undefined) {
    const entries = [{ command, origin: 'devcontainer.json' }];
    await timer.time('initializeCommand', () => runInitializeCommand(entries, opts.folder, opts.env, opts.report, opts.signal), commandText(entries));
  }
  throwIfCancelled(opts.signal, 'hb up');
  return command !== undefined;
}

/**
 * The folder's container, inspected. One prewarming made stopped (never started) is finished by
 * this up, unless its inputs changed since: then it is replaced (it never ran, and no one used it).
 */
async function inspectExisting(
  run: UpRun,
  existing: ContainerInfo,
  inputsHash: Promise<Inputs>,
): Promise<{ info: ContainerInspectInfo; prewarmed?: ContainerState['prewarmed'] } | undefined> {
  const { engine, timer, opts } = run;
  const info = await timer.time('inspect', () => engine.docker.getContainer(existing.Id).inspect());
  if (existing.State !== 'created') return { info };
  const prewarmed = (await readState(opts.env, info.Id, info.Created)).prewarmed;
  const changed = prewarmed ? driftOf(info.Config.Labels, await inputsHash).changed : [];
  if (!changed.length) return { info, prewarmed };
  opts.report.info(`The container prewarmed for this folder is out of date (${changed.join(', ')} changed since): making a new one.`);
  await timer.time('remove old container', () => engine.docker.getContainer(info.Id).remove({ force: true }));
  await forgetState(opts.env, info.Id);
  return undefined;
}

/** Prewarming: the container is made and left stopped; the next up starts it and does the rest. */
async function prewarmedResult(run: UpRun, made: NewContainer): Promise<UpResult> {
  const { engine, timer, opts } = run;
  const info = await timer.time('inspect', () => engine.docker.getContainer(made.id).inspect());
  await writeState(opts.env, info.Id, { created: info.Created, prewarmed: { savedMs: Math.round(made.prewarmedBuildMs + timer.total()), chown: volumesToChown(made.container.profile) } });
  run.made.finish();
  const result = await resultOf(run, { ...made.container, info, created: true, started: false }, []);
  timer.timeline.finish('ok');
  return result;
}

/**
 * What a container made now gets from the user's side before anything runs in it: the remote
 * user's UID (bind-mounted workspace), the profile's cache volumes owned by that user, the
 * workspace copied in (an engine on another machine), and the host's git config to copy (by the
 * first exec that runs; not for a folder that is explicitly untrusted).
 */
async function userFiles(run: UpRun, c: UpContainer, remoteUser: string): Promise<{ gitConfig?: { file: string; text: string }; copied?: CopyResult }> {
  if (!c.created) return {};
  const { engine, timer, opts } = run;
  const { report } = opts;
  const gitConfig = opts.trusted !== false ? hostGitConfig(opts.env) : Promise.resolve(undefined);
  gitConfig.catch(() => undefined);
  // (for a bind-mounted workspace: a copied one is owned by the remote user as it is)
  if (!c.copyPlan) await timer.time('updateRemoteUserUID', () => updateRemoteUserUid(engine, c.info.Id, remoteUser, c.merged, opts.localUser, report));
  const toChown = c.prewarmed ? c.prewarmed.chown : volumesToChown(c.profile);
  if (toChown.length) await timer.time('profile volumes', () => chownProfileVolumes(engine, c.info.Id, remoteUser, toChown, report));
  let copied: CopyResult | undefined;
  if (c.copyPlan) {
    const plan = c.copyPlan;
    report.step(`Copying the workspace into the container (${plan.target})`);
    copied = await timer.time('copy workspace', () => copyWorkspace(engine, c.info.Id, plan, remoteUser, report));
  }
  return { gitConfig: await gitConfig, copied };
}

/** The up's result: the container's summary (state, drift, ports), how it went, and the findings judged. */
async function resultOf(run: UpRun, c: UpContainer, pendingHooks: UpResult['pendingHooks'], copied?: CopyResult): Promise<UpResult> {
  const { engine, timer, resolved } = run;
  const summary = summarize(resolved, c.info, { merged: c.merged, inputs: c.inputs, engine: await run.engineInfo, host: engine.endpoint.host });
  return {
    ...summary,
    created: c.created,
    started: c.started,
    timings: timer.timings,
    totalMs: timer.total(),
    pendingHooks,
    profile: appliedProfileOf(c.info.Config.Labels),
    findings: run.gate.findings,
    ...(copied ? { workspaceCopy: { files: copied.files, bytes: copied.bytes, target: copied.target } } : {}),
  };
}
