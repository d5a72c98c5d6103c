// `up`: bring a folder's dev container up. Reuses the container the reference labels find
// (starting it when stopped), or makes one: image (local, else pulled) or Dockerfile build, the
// container per the spec, then the lifecycle commands. Every step is timed and reported.
import * as path from 'node:path';
import type { ContainerCreateOptions, ContainerInspectInfo, ImageInspectInfo } from 'dockerode';
import type { AppliedProfile, LiveSettings, Problem, StepTiming, TimelineStatus, TrustFinding, TrustPreview, UpResult } from '../../../protocol';
import { idLabels } from '../../devcontainer/id';
import { VERSION } from '../../version';
import { driftOf, findContainer, loadConfig, mergedForContainer, remoteUserOf, summarize } from '../container';
import { connectEngine, demuxText, engineError, warmEngine, type Engine } from '../engine/docker';
import { RuntimeError, throwIfCancelled } from '../errors';
import { buildImage, ensureImage, inspectImage } from '../build/image';
import { computeInputs, type Inputs } from '../build/inputs';
import { LABEL_IMAGE_FOLDER, LABEL_INPUTS, LABEL_METADATA, LABEL_VERSION } from '../create/labels';
import {
  batchable,
  CREATE_HOOKS,
  hookEnv,
  parseEnvList,
  probeUserEnv,
  readMarkers,
  runBatch,
  runHook,
  runInitializeCommand,
  type ContainerContext,
} from '../lifecycle/lifecycle';
import { acquireLock } from './lock';
import { configEntry, LIFECYCLE_HOOKS, mergeMetadata, parseMetadataLabel, type LifecycleHook, type MergedConfig, type MetadataEntry } from '../build/metadata';
import { parseMount, type ApiMount } from '../create/mounts';
import { createContainerVolumes } from '../create/volumes';
import type { Reporter } from '../report';
import { applyProfile, appliedProfileOf, chownProfileVolumes, removeProfileVolumes, volumesMadeFor, volumesToChown } from '../create/profile';
import { addPort, parseRunArgs } from '../create/runArgs';
import { forgetState, readState, writeState, type ContainerState } from './state';
import {
  buildFinding,
  commandFindings,
  fixedTrust,
  healthcheckFinding,
  normalise,
  ownCommandFinding,
  requestFindings,
  TrustGate,
  workspaceRoots,
  type RequestScope,
  type TrustDecider,
} from '../create/trust';
import { composeCreate, composeFindings, composeStart, LABEL_COMPOSE_PROJECT, readComposeConfig, type ComposeConfig } from '../create/compose';
import { featureEntry, featuresImage, isLocalFeature, readFeatures, wrapEntrypoint, type LocalFeature } from '../build/features';
import { applyHostSetup } from '../create/hostSetup';
import { applyContributions, type ContainerContributor } from '../../live/contributions';
import { usePrewarmed } from './prewarmed';
import { KEEP_ALIVE } from '../lifecycle/snippets';
import { ebpfTrustFinding } from '../../live/traces';
import { CONTAINER_SSH_AUTH_SOCK, copyGitConfig, hostGitConfig, reportGitConfig, sshAgentSocket, updateRemoteUserUid } from '../create/userFiles';
import { isLocalEngine } from '../engine/endpoint';
import { copyWorkspace, planRemoteWorkspace, type CopyPlan, type CopyResult } from '../create/workspaceCopy';
import { fixPodmanInspect } from '../engine/podman';
import { commandText, Timeline } from './timeline';
import { defaultConfigFile, saveTimeline } from './timelineStore';

export interface UpOptions {
  folder: string;
  configFile?: string;
  env: NodeJS.ProcessEnv;
  /**
   * Whether the folder is trusted for what its dev container reaches and runs (see trust.ts): a
   * boolean (the editor's Workspace Trust), or a decider asked only when there are findings (hb:
   * the trust store, --trust, a prompt; the editor's auto-start: the findings accepted before).
   */
  trusted: boolean | TrustDecider;
  report: Reporter;
  signal?: AbortSignal;
  /** Return once the waitFor command is done; `rest` in the outcome finishes the others. */
  waitFor?: boolean;
  /** Remove the existing container first (rebuild). */
  rebuild?: boolean;
  noCache?: boolean;
  /** Fail when devcontainer-lock.json is missing or differs from the Features resolved (hb up --frozen-lockfile). */
  frozenLockfile?: boolean;
  /** The local user whose UID/GID updateRemoteUserUID gives the remote user (default: this process's). */
  localUser?: { uid: number; gid: number };
  /** The OCI runtime to create the container with, over runArgs and the config's (hb up --runtime); see runtimes.ts. */
  runtime?: string;
  /** The runtime when neither runArgs nor the config names one (the editor's hyperbox.runtime setting). */
  defaultRuntime?: string;
  /** The editor's settings the capabilities' contributions follow (traces); hb has none. */
  settings?: LiveSettings;
  /** What capabilities add to a new container (default: every one in live/contributions.ts). */
  contributors?: readonly ContainerContributor[];
  /** Who runs the up, for the timeline: 'editor' or 'hb' (default). */
  client?: string;
  /**
   * Told of every change of the startup timeline (`final` once the up, or the commands it left
   * running, ended). The timeline is also saved in the cache folder (timelineStore.ts).
   */
  onTimeline?(timeline: Timeline, final: boolean): void;
  /**
   * Run these lifecycle commands now even when their markers say they ran (hb run-hooks, the
   * editor's Run Lifecycle Commands); the others run only when due, as at any up.
   */
  runHooks?: LifecycleHook[];
  /** Told of the config's warnings (a misspelled property, an unset variable) once it is read; errors stop the up instead. */
  onConfigWarnings?(warnings: Problem[]): void;
  /**
   * Prewarming (live/prewarm.ts): make the missing container of an image or Dockerfile config on
   * this machine's engine and leave it stopped. Nothing runs, in it or on the host (no lifecycle
   * command, initializeCommand included), and the timeline is not kept as the folder's last up.
   * The next up starts it and does what a new container needs (ContainerState.prewarmed).
   */
  createOnly?: boolean;
}

export interface UpOutcome {
  result: UpResult;
  /**
   * With `waitFor`, the lifecycle commands still to run. The lock on the dev container is held
   * until `rest` (or `release`) is called; exactly one of them must be.
   */
  rest?: () => Promise<void>;
  release?: () => Promise<void>;
}


function slug(s: string): string {
  const out = s.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 40);
  return out || 'workspace';
}
export const containerName = (folder: string, id: string) => `hb-${slug(path.basename(folder))}-${id.slice(0, 10)}`;
export const imageTag = (folder: string, id: string) => `hb-${slug(path.basename(folder))}-${id.slice(0, 12)}`;

/** How a step that threw ended: cancelled (Ctrl-C, the editor's Cancel) or failed. */
function endedBy(e: unknown, signal?: AbortSignal): { status: TimelineStatus; exitCode?: number } {
  if (signal?.aborted || (e instanceof RuntimeError && e.code === 'cancelled')) return { status: 'cancelled' };
  return { status: 'failed', exitCode: e instanceof RuntimeError ? e.exitCode : undefined };
}

/** Times each step: `timings` for the result (hb up --json), and the startup timeline (timeline.ts). */
class Timer {
  readonly timings: StepTiming[] = [];
  readonly start = performance.now();
  constructor(
    readonly timeline: Timeline,
    private readonly signal?: AbortSignal,
  ) {}
  async time<T>(step: string, fn: () => Promise<T>, detail?: string, ok: { exitCode?: number } = {}): Promise<T> {
    const end = this.begin(step, detail);
    try {
      const value = await fn();
      end('ok', ok);
      return value;
    } catch (e) {
      const how = endedBy(e, this.signal);
      end(how.status, { exitCode: how.exitCode });
      throw e;
    }
  }
  /** A step starts now; the returned function ends it. */
  begin(step: string, detail?: string): (status: TimelineStatus, extra?: { exitCode?: number }) => void {
    const t = performance.now();
    const end = this.timeline.begin(step, detail);
    return (status, extra) => {
      this.timings.push({ step, ms: Math.round((performance.now() - t) * 10) / 10 });
      end(status, extra);
    };
  }
  /** A step that already ended, `ms` long; `startedAt` (performance.now()) when it did not end just now. */
  record(step: string, ms: number, startedAt?: number): void {
    this.timings.push({ step, ms: Math.round(ms * 10) / 10 });
    this.timeline.add(step, ms, 'ok', {}, startedAt);
  }
  total(): number {
    return Math.round((performance.now() - this.start) * 10) / 10;
  }
}

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

async function upWithEngine(
  engine: Engine,
  opts: UpOptions & { folder: string },
  resolved: Awaited<ReturnType<typeof loadConfig>>,
  timer: Timer,
): Promise<UpOutcome> {
  const { report, signal, env, folder } = opts;
  const config = resolved.config;
  // reads that change nothing, asked now and answered while the Features are read (or downloaded):
  // who the engine is (for the result), and an image config's image (its metadata label, for the
  // first trust gate; the image step uses it too when no initializeCommand ran in between)
  const engineInfo = engine.info();
  engineInfo.catch(() => undefined);
  const configImage = resolved.kind === 'image' ? inspectImage(engine, String(config.image)) : undefined;
  configImage?.catch(() => undefined);
  const featureSet = config.features === undefined ? [] : await timer.time('features fetch', () => readFeatures(resolved, { env, report, signal, frozenLockfile: opts.frozenLockfile }));
  const configFile = resolved.configFile!;
  const id = resolved.devcontainerId!;
  const release = await timer.time('lock', () =>
    acquireLock(id, `hb up ${folder}`, {
      env,
      signal,
      onWait: (h) => report.info(`Another up of this dev container is in progress (pid ${h.pid}); waiting for it to finish.`),
    }),
  );
  // the folder's container, looked up (under the lock) while the first trust gate is worked out
  const finding = timer.time('find container', () => findContainer(engine, folder, configFile));
  finding.catch(() => undefined);
  let keepLock = false;
  let createdId: string | undefined;
  let builtTag: string | undefined;
  // a Features image this up built (not found cached), and the profile's volumes made for the new container
  let builtFeatures: string | undefined;
  let profileVolumes: string[] = [];
  let madeVolumes: string[] = [];
  let createDone = false;
  // trust (trust.ts): what the folder reaches and runs, judged before anything runs and again on the final request
  const gate = new TrustGate(typeof opts.trusted === 'boolean' ? fixedTrust(opts.trusted) : opts.trusted, { folder, configFile });
  // mounts HyperBox adds on the user's own settings (the SSH agent): not the folder's doing
  const own = new Set<unknown>();
  const scope: RequestScope = { roots: await workspaceRoots(folder, resolved.workspace?.mountSource), baseDir: folder, own };
  // runtime, hostRequirements and GPU, SSH agent (hostSetup.ts), then the capabilities' container
  // contributions (live/contributions.ts): for a new container of either kind, before it is judged or made
  const hostSetup = async (body: ContainerCreateOptions, entries: MetadataEntry[]) => {
    const done = await applyHostSetup({
      engine,
      config,
      hostRequirements: Object.assign({}, ...entries.map((e) => (e.hostRequirements && typeof e.hostRequirements === 'object' ? e.hostRequirements : {}))),
      body: body,
      env,
      report,
      runtime: opts.runtime,
      defaultRuntime: opts.defaultRuntime,
      untrusted: opts.trusted === false,
    });
    if (done.sshAgent) for (const m of ((body.HostConfig as { Mounts?: ApiMount[] })?.Mounts ?? [])) if (m.Target === CONTAINER_SSH_AUTH_SOCK) own.add(m);
    // hb decides trust at the gate (asked there): what a contribution adds is judged with the rest
    await applyContributions(body, { resolved, engine, env, report, trusted: opts.trusted !== false, settings: opts.settings }, opts.contributors);
    return done;
  };
  try {
    // before anything runs (initializeCommand, builds, pulls, removing a container to rebuild): what the config shows
    const composeConfig = resolved.kind === 'compose' ? await timer.time('compose config', () => readComposeConfig(engine, resolved, env, report, signal)) : undefined;
    // (and the eBPF sidecar the user's settings would start beside it: privileged, so it asks too)
    const configFindings = [...preGateFindings(resolved, featureSet), ...[ebpfTrustFinding(config, opts.settings)].filter((f): f is TrustFinding => !!f)];
    await timer.time('trust', async () =>
      gate.pass([...configFindings, ...(await provisionalFindings(engine, resolved, featureSet, scope, env, composeConfig, { image: configImage && (await configImage) }))]),
    );

    const found = await finding;
    let existing = found;
    if (existing && opts.rebuild) {
      report.step(`Removing container ${existing.Id.slice(0, 12)} to rebuild`);
      await timer.time('remove old container', () => engine.docker.getContainer(existing!.Id).remove({ force: true }));
      await forgetState(env, existing.Id);
      existing = undefined;
    }

    if (opts.createOnly) {
      // prewarming asks only for what it may do; anything else is a mistake in its caller
      const why = existing
        ? 'the folder has a container already'
        : resolved.kind === 'compose'
          ? 'a Compose config starts its services as it makes them'
          : config.initializeCommand !== undefined
            ? 'the config has an initializeCommand, which runs on the host before every up'
            : !isLocalEngine(engine.endpoint, env)
              ? 'the engine is on another machine, where the workspace is copied in at the first start'
              : undefined;
      if (why) throw new RuntimeError('unsupported', `Prewarming makes no container for ${folder}: ${why}.`);
    }

    // initializeCommand: on the host, at every up, before anything else is made
    const initEntries = config.initializeCommand !== undefined ? [{ command: config.initializeCommand, origin: 'devcontainer.json' }] : [];
    if (initEntries.length) await timer.time('initializeCommand', () => runInitializeCommand(initEntries, folder, env, report, signal), commandText(initEntries));
    throwIfCancelled(signal, 'hb up');

    const inputsHash = timer.time('inputs hash', () => computeInputs(resolved, env));
    inputsHash.catch(() => undefined);
    // a container prewarming made stopped (never started): this up finishes making it, unless its
    // inputs changed since, when it is replaced (it never ran, and no one else used it)
    let prewarmed: ContainerState['prewarmed'];
    // (inspected here, the container is not inspected again below)
    let createdInspect: ContainerInspectInfo | undefined;
    if (existing && existing.State === 'created') {
      const made = await timer.time('inspect', () => engine.docker.getContainer(existing!.Id).inspect());
      createdInspect = made;
      prewarmed = (await readState(env, made.Id, made.Created)).prewarmed;
      const changed = prewarmed ? driftOf(made.Config.Labels, await inputsHash).changed : [];
      if (changed.length) {
        report.info(`The container prewarmed for this folder is out of date (${changed.join(', ')} changed since): making a new one.`);
        await timer.time('remove old container', () => engine.docker.getContainer(made.Id).remove({ force: true }));
        await forgetState(env, made.Id);
        existing = undefined;
        prewarmed = undefined;
        createdInspect = undefined;
      }
    }
    // a new image needs the drift hash only for the container's label, but it is awaited before the
    // build reads its context (below), so a file changed meanwhile shows as drift, never hides
    const buildsImage = !existing && resolved.kind === 'dockerfile';
    let inputs: Inputs = buildsImage ? {} : await inputsHash;

    let info: ContainerInspectInfo;
    let merged: MergedConfig;
    let created = false;
    let appliedProfile: AppliedProfile | null = null;
    let started = false;
    // an engine on another machine: the workspace is copied in instead of bind-mounted (workspaceCopy.ts)
    let copyPlan: CopyPlan | undefined;
    let copied: CopyResult | undefined;
    // the image build a prewarm did for this up (createOnly: part of what the container it makes saves)
    let prewarmedBuildMs = 0;
    if (existing) {
      info = createdInspect ?? (await timer.time('inspect', () => engine.docker.getContainer(existing.Id).inspect()));
      merged = mergedForContainer(info.Config.Labels, config);
      // what the container was made with, and the commands that run in it now
      const agent = await sshAgentSocket(env);
      for (const m of (info.HostConfig as { Mounts?: ApiMount[] }).Mounts ?? []) if (m.Target === CONTAINER_SSH_AUTH_SOCK && m.Source === agent) own.add(m);
      await gate.pass([
        ...configFindings,
        // (without CgroupnsMode: the engine fills in its default, host on cgroup v1, which no request asked for)
        ...(await requestFindings({ ...info.Config, HostConfig: { ...info.HostConfig, CgroupnsMode: undefined } }, scope)),
        ...commandFindings({ hooks: merged.hooks, entrypoints: merged.entrypoints }),
        ...[healthcheckFinding(info.Config.Healthcheck?.Test, 'the container')].filter((f): f is TrustFinding => !!f),
        ...(merged.overrideCommand === false ? [ownCommandFinding(info.Config.Entrypoint, info.Config.Cmd)] : []),
      ]);
      if (!info.State.Running) {
        report.step(`Starting container ${info.Name.replace(/^\//, '')}`);
        if (resolved.kind === 'compose') await timer.time('start', () => composeStart(engine, resolved, info.Config.Labels?.[LABEL_COMPOSE_PROJECT], env, report, signal));
        else await timer.time('start', () => engine.docker.getContainer(info.Id).start());
        info = await timer.time('inspect', () => engine.docker.getContainer(info.Id).inspect());
        started = true;
        if (!info.State.Running) throw await exitedError(engine, info);
        if (prewarmed) {
          // made by prewarming: new to this up, which does the rest of its making
          created = true;
          createdId = info.Id;
          timer.timeline.add('prewarmed container', 0, 'ok', { detail: `${info.Name.replace(/^\//, '')} was made stopped while the host was calm; it saved ${(prewarmed.savedMs / 1000).toFixed(1)} s (build and create)` });
          report.info(`Started the container prewarmed for this folder; it saved ${(prewarmed.savedMs / 1000).toFixed(1)} s.`);
        }
      }
    } else if (resolved.kind === 'compose') {
      if (!isLocalEngine(engine.endpoint, env)) {
        // the compose file's own bind mounts name paths on this machine; nothing is copied for them
        report.warn(
          `The engine at ${engine.endpoint.host} (from ${engine.endpoint.source}) is on another machine: the bind mounts in ${resolved.paths.composeFiles?.map((f) => path.basename(f)).join(', ') || 'the compose files'} name paths on this machine, which that engine cannot see, so the service gets empty folders there. HyperBox copies the workspace only for image and Dockerfile configs; for Compose, use volumes or run the engine on this machine.`,
        );
      }
      // compose.ts: the services, with an override file for the dev service
      const made = await timer.time('compose up', () =>
        composeCreate(engine, {
          resolved,
          inputs,
          composeConfig,
          trustScope: scope,
          gate: (found, soft) => gate.pass([...configFindings, ...found], soft),
          env,
          report,
          signal,
          noCache: opts.noCache,
          features: featureSet,
          // host setup and the language profile as for any new container, through the override file
          prepare: async (body, imageEnv, entries) => {
            await hostSetup(body, entries);
            appliedProfile = await applyProfile(body, { resolved, engine, env, imageEnv, report });
            profileVolumes = volumesMadeFor(appliedProfile);
          },
        }),
      );
      createdId = made.containerId;
      merged = made.merged;
      info = await timer.time('inspect', () => engine.docker.getContainer(made.containerId).inspect());
      if (!info.State.Running) throw await exitedError(engine, info);
      created = true;
      started = true;
    } else {
      // the image
      let image: ImageInspectInfo;
      let imageName: string;
      if (resolved.kind === 'image') {
        imageName = String(config.image);
        // (inspected at the start: again, or pulled, only when missing or when initializeCommand could have changed it)
        const seen = initEntries.length ? undefined : await configImage;
        image = await timer.time('image', async () => seen ?? ensureImage(engine, imageName, report, signal, env));
      } else {
        imageName = imageTag(folder, id);
        const build = config.build ?? {};
        // an image prewarmed for exactly these inputs while the host was calm (live/prewarm.ts)
        const t0 = performance.now();
        // the inputs are hashed before the context is packed: a file changed in between then shows as drift
        const hashed = await inputsHash;
        const pre = opts.noCache ? undefined : await usePrewarmed(engine, env, id, hashed, imageName);
        prewarmedBuildMs = pre?.savedMs ?? 0;
        if (pre) {
          const saved = pre.savedMs !== undefined ? `; it saved a ${(pre.savedMs / 1000).toFixed(1)} s build` : '';
          timer.timings.push({ step: 'prewarmed image', ms: Math.round((performance.now() - t0) * 10) / 10 });
          timer.timeline.add('prewarmed image', performance.now() - t0, 'ok', { detail: `${pre.tag} became ${imageName}${saved}` }, t0);
          report.info(`Using the image prewarmed as ${pre.tag}${saved}.`);
        } else {
          builtTag = imageName;
          report.step(`Building image ${imageName} from ${path.relative(folder, resolved.paths.dockerfile!) || resolved.paths.dockerfile}`);
        }
        if (!pre) await timer.time('build', () =>
          buildImage(
            engine,
            {
              dockerfile: resolved.paths.dockerfile!,
              context: resolved.paths.context!,
              tag: imageName,
              args: build.args,
              target: build.target,
              cacheFrom: typeof build.cacheFrom === 'string' ? [build.cacheFrom] : build.cacheFrom,
              noCache: opts.noCache,
              options: build.options,
              labels: { [LABEL_IMAGE_FOLDER]: folder },
              env,
            },
            report,
            signal,
          ),
        );
        const built = await inspectImage(engine, imageName);
        if (!built) throw new RuntimeError('build-failed', `The build of ${imageName} reported success, but the engine has no such image.`);
        image = built;
      }
      if (featureSet.length) {
        // features.ts: a derived image with the Features installed, cached by a content hash
        const baseName = imageName;
        const baseImage = image;
        const withFeatures = await timer.time('features image', () =>
          featuresImage(engine, { baseName, baseImage, features: featureSet, config, folder, noCache: opts.noCache, env }, report, signal),
        );
        imageName = withFeatures.tag;
        image = withFeatures.image;
        if (withFeatures.built) builtFeatures = withFeatures.tag;
      }
      throwIfCancelled(signal, 'hb up');

      const imageEntries = parseMetadataLabel(image.Config?.Labels?.[LABEL_METADATA]);
      const entries = [...imageEntries, configEntry(config)];
      merged = mergeMetadata(entries, [...imageEntries.map((e) => (typeof e.id === 'string' ? `Feature "${e.id}"` : 'image metadata')), 'devcontainer.json']);
      if (buildsImage) inputs = await inputsHash;
      const createOptions = createRequest(resolved, merged, entries, inputs, imageName, env);
      // Feature entrypoints when the image's own command runs (features.ts)
      if (merged.overrideCommand === false) wrapEntrypoint(createOptions._body, image, merged.entrypoints);
      await timer.time('host setup', () => hostSetup(createOptions._body, entries));
      // the language profile's automatic entries: cache volumes, environment presets (profile.ts)
      appliedProfile = await timer.time('language profile', () => applyProfile(createOptions._body, { resolved, engine, env, imageEnv: image.Config?.Env, report }));
      profileVolumes = volumesMadeFor(appliedProfile);
      // trust again on the final request: the image's metadata label and the Features are known now
      const body = createOptions._body;
      const imageHealth = body.Healthcheck ? undefined : healthcheckFinding(image.Config?.Healthcheck?.Test, `the image ${String(config.image ?? imageName)}`);
      const keepImageHealth = await timer.time('trust', async () =>
        gate.pass([...configFindings, ...(await imageRequestFindings(body, merged, image, scope, createOptions._filesRead))], imageHealth ? [imageHealth] : []),
      );
      if (imageHealth && !keepImageHealth) {
        body.Healthcheck = { Test: ['NONE'] };
        report.info(`The image's own health check is off (${imageHealth.text.replace(/^.*runs in the container: /, '')}): the folder is not trusted to run code. Trust it (hb up --trust) to keep it.`);
      }
      // the named volumes it needs that do not exist yet, made here (after trust) and marked as this
      // container's, so hb down --volumes removes these and never a user's own (volumes.ts)
      const shared = (appliedProfile?.entries ?? []).flatMap((e) => (e.kind === 'volume' && e.source ? [e.source] : []));
      madeVolumes = await createContainerVolumes(engine, createOptions._body.HostConfig as { Mounts?: ApiMount[]; Binds?: string[] }, resolved.devcontainerId!, shared);
      if (!isLocalEngine(engine.endpoint, env)) {
        copyPlan = planRemoteWorkspace(
          createOptions._body.HostConfig as { Mounts?: ApiMount[]; Binds?: string[] },
          resolved.workspace?.containerWorkspaceFolder,
          `at ${engine.endpoint.host} (from ${engine.endpoint.source})`,
          report,
        );
      }

      report.step('Creating container');
      let containerId: string;
      try {
        const c = await timer.time('create', () => engine.docker.createContainer(createOptions));
        containerId = c.id;
        createdId = containerId;
      } catch (e) {
        const err = e as { statusCode?: number; json?: { message?: string }; message?: string };
        if (err.statusCode === 409) {
          // made meanwhile by an up that did not take our lock (an older HyperBox, or a race): use it
          const other = await findContainer(engine, folder, configFile);
          if (!other) {
            throw new RuntimeError(
              'create-failed',
              `A container named ${createOptions._query.name} already exists but is not this folder's dev container. Remove or rename it (docker rm ${createOptions._query.name}), or name ours with "runArgs": ["--name", "..."].`,
            );
          }
          containerId = other.Id;
        } else {
          throw new RuntimeError('create-failed', `The engine could not create the container: ${err.json?.message ?? err.message}. Check the config's mounts, runArgs and ports.`);
        }
      }
      if (opts.createOnly) {
        // prewarming: made and left stopped; the next up starts it and does the rest (see prewarmed above)
        info = await timer.time('inspect', () => engine.docker.getContainer(containerId).inspect());
        await writeState(env, info.Id, { created: info.Created, prewarmed: { savedMs: Math.round(prewarmedBuildMs + timer.total()), chown: volumesToChown(appliedProfile) } });
        createDone = true;
        const result: UpResult = {
          ...summarize(resolved, info, { merged, inputs, engine: await engineInfo, host: engine.endpoint.host }),
          created: true,
          started: false,
          timings: timer.timings,
          totalMs: timer.total(),
          pendingHooks: [],
          profile: appliedProfileOf(info.Config.Labels),
          findings: gate.findings,
        };
        timer.timeline.finish('ok');
        return { result };
      }
      report.step('Starting container');
      try {
        await timer.time('start', () => engine.docker.getContainer(containerId).start());
      } catch (e) {
        const err = e as { statusCode?: number; json?: { message?: string }; message?: string };
        if (err.statusCode !== 304) {
          throw new RuntimeError('create-failed', `The container was created but could not start: ${err.json?.message ?? err.message}. Check the config's mounts, runArgs and ports; hb down removes it.`);
        }
      }
      info = await timer.time('inspect', () => engine.docker.getContainer(containerId).inspect());
      if (info.State.Running && merged.overrideCommand === false) {
        // the image's own command runs: one that exits at once (a shell without a terminal) would
        // otherwise look like a container that is up; give it a moment to show itself
        info = await timer.time('settle', async () => {
          let latest = info;
          for (let i = 0; i < 5 && latest.State.Running; i++) {
            await new Promise((r) => setTimeout(r, 50));
            latest = await engine.docker.getContainer(containerId).inspect();
          }
          return latest;
        });
      }
      if (!info.State.Running) throw await exitedError(engine, info);
      created = createdId === info.Id;
      started = true;
    }

    const remoteUser = remoteUserOf(merged, info.Config.User);
    const workdir = resolved.workspace?.containerWorkspaceFolder ?? '/';
    const containerEnv = parseEnvList(info.Config.Env);

    // (for a bind-mounted workspace: a copied one is owned by the remote user as it is)
    if (created && !copyPlan) await timer.time('updateRemoteUserUID', () => updateRemoteUserUid(engine, info.Id, remoteUser, merged, opts.localUser, report));
    const toChown = prewarmed ? prewarmed.chown : volumesToChown(appliedProfile);
    if (created && toChown.length) await timer.time('profile volumes', () => chownProfileVolumes(engine, info.Id, remoteUser, toChown, report));
    // your git config and SSH agent go only into containers of folders that are not explicitly untrusted;
    // the git config is written by the lifecycle exec when one runs now, else by an exec of its own (below)
    let gitConfig = created && opts.trusted !== false ? await hostGitConfig(env) : undefined;
    const takeGitConfig = (): { gitConfig?: string; onGitConfig?: (r: string) => void } => {
      const g = gitConfig;
      gitConfig = undefined;
      return g ? { gitConfig: g.text, onGitConfig: (r) => reportGitConfig(g, remoteUser, r, report) } : {};
    };
    if (created && copyPlan) {
      report.step(`Copying the workspace into the container (${copyPlan.target})`);
      copied = await timer.time('copy workspace', () => copyWorkspace(engine, info.Id, copyPlan, remoteUser, report));
    }

    // Which lifecycle commands are due. A container made now has run none, and one started now has
    // not run postStartCommand for this start. Otherwise our own records say, or else the markers
    // in the container (the reference implementation writes and reads the same ones).
    const state: ContainerState = created ? { created: info.Created } : await readState(env, info.Id, info.Created);
    const has = (h: LifecycleHook) => merged.hooks[h].length > 0;
    const createStatus = created ? 'pending' : state.createDone ? 'done' : 'unknown';
    const startStatus = started ? 'pending' : state.startDone === info.State.StartedAt ? 'done' : 'unknown';
    let marked = new Set<LifecycleHook>();
    if ((createStatus === 'unknown' && CREATE_HOOKS.some(has)) || (startStatus === 'unknown' && has('postStartCommand'))) {
      const probed = await userEnv(engine, info.Id, remoteUser, merged, state, report, timer, signal);
      marked = await timer.time('markers', () => readMarkers(engine, info.Id, remoteUser, probed, info.Created, info.State.StartedAt));
    }
    const forced = new Set(opts.runHooks ?? []);
    const due: { hook: LifecycleHook; marker?: string }[] = [];
    for (const h of CREATE_HOOKS) {
      if (forced.has(h) || createStatus === 'pending' || (createStatus === 'unknown' && !marked.has(h))) due.push({ hook: h, marker: info.Created });
    }
    if (forced.has('postStartCommand') || startStatus === 'pending' || (startStatus === 'unknown' && !marked.has('postStartCommand'))) due.push({ hook: 'postStartCommand', marker: info.State.StartedAt });
    due.push({ hook: 'postAttachCommand' });
    const toRun = due.filter((d) => has(d.hook));
    timer.timeline.containerId = info.Id;
    // the timeline shows the commands that did not run now, and why
    for (const h of LIFECYCLE_HOOKS) {
      if (!has(h) || toRun.some((d) => d.hook === h)) continue;
      timer.timeline.skip(h, `${commandText(merged.hooks[h])}\n${h === 'postStartCommand' ? 'Already ran for this start of the container.' : 'Already ran for this container (run once; hb rebuild runs it again).'}`);
    }
    const hookText = (h: LifecycleHook) => commandText(merged.hooks[h]);

    const ctxFor = async (): Promise<ContainerContext> => {
      const probed = await userEnv(engine, info.Id, remoteUser, merged, state, report, timer, signal);
      return { engine, containerId: info.Id, user: remoteUser, workdir, env: hookEnv(probed, merged.remoteEnv, containerEnv), report, signal };
    };
    const runDue = async (list: typeof toRun) => {
      try {
        await runDueNow(list);
      } catch (e) {
        // a hook that failed (or did not run) is due again at the next up: the markers decide
        // (a failed hook's marker is removed), not our record that they all ran
        const createHooks = list.some((d) => CREATE_HOOKS.includes(d.hook));
        const startHook = list.some((d) => d.hook === 'postStartCommand');
        if ((createHooks && state.createDone) || (startHook && state.startDone)) {
          if (createHooks) delete state.createDone;
          if (startHook) delete state.startDone;
          await writeState(env, info.Id, state).catch(() => undefined);
        }
        // the timeline shows the commands that did not run because of this
        const why = endedBy(e, signal).status === 'cancelled' ? 'Not run: the up was cancelled.' : 'Not run: an earlier command failed.';
        for (const d of list) if (!timer.timeline.has(d.hook)) timer.timeline.skip(d.hook, `${hookText(d.hook)}\n${why}`);
        throw e;
      }
    };
    const runDueNow = async (list: typeof toRun) => {
      if (!list.length) return;
      if (list.every((d) => batchable(merged.hooks[d.hook]))) {
        // one exec for all of them (see runBatch), started from the login shell unless the environment is known
        const cached = state.env && state.env.user === remoteUser && state.env.probe === merged.userEnvProbe ? state.env.values : undefined;
        const t0 = performance.now();
        let inHooks = 0;
        const ends = new Map<LifecycleHook, ReturnType<Timer['begin']>>();
        const probed = await runBatch(
          {
            engine,
            containerId: info.Id,
            user: remoteUser,
            workdir,
            probed: cached,
            probe: merged.userEnvProbe,
            remoteEnv: merged.remoteEnv,
            containerEnv,
            report,
            signal,
            onHookStart: (hook) => ends.set(hook, timer.begin(hook, hookText(hook))),
            ...takeGitConfig(),
            onHookDone: (hook, ms, exitCode) => {
              inHooks += ms;
              const end = ends.get(hook);
              if (end) end(exitCode === 0 ? 'ok' : 'failed', { exitCode });
              else timer.record(hook, ms);
            },
          },
          list.map((d) => ({ hook: d.hook, entries: merged.hooks[d.hook], marker: d.marker })),
        );
        // the exec itself, and the login shell that gives the commands the user's environment
        timer.record(cached || merged.userEnvProbe === 'none' ? 'lifecycle exec' : 'lifecycle exec + userEnvProbe', performance.now() - t0 - inHooks, t0);
        if (probed) state.env = { user: remoteUser, probe: merged.userEnvProbe, values: probed };
        throwIfCancelled(signal, 'hb up');
        return;
      }
      let ctx: ContainerContext | undefined;
      for (const d of list) {
        ctx ??= await ctxFor();
        await timer.time(d.hook, () => runHook(ctx!, d.hook, merged.hooks[d.hook], d.marker), hookText(d.hook), { exitCode: 0 });
        throwIfCancelled(signal, 'hb up');
      }
    };

    const waitIndex = LIFECYCLE_HOOKS.indexOf(merged.waitFor);
    const now = opts.waitFor ? toRun.filter((d) => LIFECYCLE_HOOKS.indexOf(d.hook) <= waitIndex) : toRun;
    const later = opts.waitFor ? toRun.filter((d) => LIFECYCLE_HOOKS.indexOf(d.hook) > waitIndex) : [];
    const before = JSON.stringify(state);
    if (gitConfig && !(now.length && now.every((d) => batchable(merged.hooks[d.hook])))) {
      takeGitConfig();
      await timer.time('gitconfig', () => copyGitConfig(engine, info.Id, remoteUser, env, report));
    }
    await runDue(now);
    const finish = async () => {
      state.createDone = true;
      state.startDone = info.State.StartedAt;
      // commands that ran at create time may change the login environment: probe again next time
      if (toRun.some((d) => CREATE_HOOKS.includes(d.hook))) delete state.env;
      if (JSON.stringify(state) !== before) await writeState(env, info.Id, state);
    };
    if (!later.some((d) => CREATE_HOOKS.includes(d.hook))) createDone = true;
    if (!later.length) await finish();

    await fixPodmanInspect(engine, info);
    const summary = summarize(resolved, info, { merged, inputs, engine: await engineInfo, host: engine.endpoint.host });
    const result: UpResult = {
      ...summary,
      created,
      started,
      timings: timer.timings,
      totalMs: timer.total(),
      pendingHooks: later.map((d) => d.hook),
      profile: appliedProfileOf(info.Config.Labels),
      findings: gate.findings,
      ...(copied ? { workspaceCopy: { files: copied.files, bytes: copied.bytes, target: copied.target } } : {}),
    };
    if (summary.state === 'stale') report.warn(summary.message!);
    if (!later.length) {
      timer.timeline.finish('ok');
      return { result };
    }
    keepLock = true;
    // the commands after waitFor: running until they end (here, or in the background hb up)
    for (const d of later) timer.timeline.pending(d.hook, hookText(d.hook));
    timer.timeline.finish('running');
    return {
      result,
      release: async () => {
        await release();
      },
      rest: async () => {
        try {
          await runDue(later);
          await finish();
          timer.timeline.finish('ok');
        } catch (e) {
          timer.timeline.finish(endedBy(e, signal).status === 'cancelled' ? 'cancelled' : 'failed', (e as Error)?.message ?? String(e));
          throw e;
        } finally {
          await release();
        }
      },
    };
  } catch (e) {
    // cancelled: remove what this up made and did not finish (the container, the images it built:
    // the Features image first, as it stands on the other)
    const removeImages = async () => {
      for (const tag of [builtFeatures, builtTag]) if (tag) await engine.docker.getImage(tag).remove().catch(() => undefined);
    };
    if (signal?.aborted && createdId && !createDone) {
      await engine.docker
        .getContainer(createdId)
        .remove({ force: true, v: true })
        .catch(() => undefined);
      await removeImages();
      report.info(`Cancelled: removed the half-made container ${createdId.slice(0, 12)}.`);
    } else if (signal?.aborted && !createdId) {
      await removeImages();
    }
    // the profile's cache volumes made for a container that is gone or never came to be (cancelled,
    // or failed before it was made); volumes that existed before, or are in use by now, stay
    if (profileVolumes.length && (!createdId || (signal?.aborted && !createDone))) {
      const removed = await removeProfileVolumes(engine, profileVolumes).catch(() => [] as string[]);
      if (removed.length) report.info(`Removed the cache volume${removed.length > 1 ? 's' : ''} ${removed.join(', ')} made for it.`);
    }
    if (madeVolumes.length && (!createdId || (signal?.aborted && !createDone))) {
      const removed = await removeProfileVolumes(engine, madeVolumes).catch(() => [] as string[]);
      if (removed.length) report.info(`Removed the volume${removed.length > 1 ? 's' : ''} ${removed.join(', ')} made for it.`);
    }
    throw e;
  } finally {
    if (!keepLock) await release();
  }
}

async function userEnv(
  engine: Engine,
  containerId: string,
  user: string,
  merged: MergedConfig,
  state: ContainerState,
  report: Reporter,
  timer: Timer,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  if (state.env && state.env.user === user && state.env.probe === merged.userEnvProbe) return state.env.values;
  const values = await timer.time('userEnvProbe', () => probeUserEnv(engine, containerId, user, merged.userEnvProbe, report, signal));
  state.env = { user, probe: merged.userEnvProbe, values };
  return values;
}

async function exitedError(engine: Engine, info: ContainerInspectInfo): Promise<RuntimeError> {
  let logs = '';
  try {
    const buf = await engine.docker.getContainer(info.Id).logs({ stdout: true, stderr: true, tail: 20 });
    logs = demuxText(buf);
  } catch {
    // no logs
  }
  return new RuntimeError(
    'create-failed',
    `The container ${info.Name.replace(/^\//, '')} stopped right after it started (exit code ${info.State.ExitCode}${info.State.Error ? `, ${info.State.Error}` : ''}).` +
      (logs.trim() ? `\nIts last output:\n${logs.trim()}` : '') +
      '\nIf the image\'s command exits at once, leave "overrideCommand" at true so HyperBox keeps the container running.',
  );
}

/** The create request: labels, environment, user, mounts, ports, runArgs, security options. */
function createRequest(
  resolved: Awaited<ReturnType<typeof loadConfig>>,
  merged: MergedConfig,
  entries: Record<string, unknown>[],
  inputs: Inputs,
  imageName: string,
  env: NodeJS.ProcessEnv,
): ContainerCreateOptions & { _query: { name: string; platform?: string }; _body: ContainerCreateOptions; _filesRead: string[] } {
  const config = resolved.config;
  const folder = resolved.workspaceFolder;
  const parts = parseRunArgs(config.runArgs, { baseDir: folder, env });
  const appPorts = config.appPort === undefined ? [] : Array.isArray(config.appPort) ? config.appPort : [config.appPort];
  // a bare port N is published as N on the host, as the spec says (on 127.0.0.1 only)
  for (const p of appPorts) addPort(parts, /^\d+$/.test(String(p)) ? `${p}:${p}` : String(p), '127.0.0.1', 'appPort');

  const mounts: ApiMount[] = [];
  if (resolved.workspace?.workspaceMount) mounts.push(parseMount(resolved.workspace.workspaceMount, 'workspaceMount'));
  merged.mounts.forEach((m, i) => mounts.push(parseMount(m, `mounts[${i}]`)));
  mounts.push(...parts.mounts);

  const union = (a: string[], b: unknown) => [...new Set([...a, ...((b as string[]) ?? [])])];
  const hostConfig: Record<string, unknown> = {
    ...parts.hostConfig,
    Mounts: mounts,
    Binds: parts.binds.length ? parts.binds : undefined,
    PortBindings: Object.keys(parts.portBindings).length ? parts.portBindings : undefined,
    CapAdd: union(merged.capAdd, parts.hostConfig.CapAdd),
    SecurityOpt: union(merged.securityOpt, parts.hostConfig.SecurityOpt),
    Privileged: merged.privileged || parts.hostConfig.Privileged === true,
    Init: merged.init || parts.hostConfig.Init === true,
  };
  const overrideCommand = merged.overrideCommand ?? true;
  const labels: Record<string, string> = {
    ...parts.labels,
    ...idLabels(folder, resolved.configFile!),
    [LABEL_METADATA]: JSON.stringify(entries),
    [LABEL_INPUTS]: JSON.stringify(inputs),
    [LABEL_VERSION]: VERSION,
  };
  const body: ContainerCreateOptions = {
    ...(parts.config as ContainerCreateOptions),
    Image: imageName,
    Labels: labels,
    Env: [...Object.entries(merged.containerEnv).map(([k, v]) => `${k}=${v}`), ...parts.env],
    ExposedPorts: Object.keys(parts.exposedPorts).length ? parts.exposedPorts : undefined,
    HostConfig: hostConfig,
  };
  if (merged.containerUser) body.User = merged.containerUser;
  if (overrideCommand) {
    body.Entrypoint = ['/bin/sh'];
    // Feature entrypoints run first, then the keep-alive
    body.Cmd = ['-c', [...merged.entrypoints, KEEP_ALIVE].join('\n')];
  }
  if ((parts.endpoint.Aliases || parts.endpoint.IPAMConfig) && typeof hostConfig.NetworkMode === 'string') {
    body.NetworkingConfig = { EndpointsConfig: { [hostConfig.NetworkMode]: parts.endpoint } };
  }
  const name = parts.name ?? containerName(folder, resolved.devcontainerId!);
  return { ...body, _query: { name, ...(parts.platform ? { platform: parts.platform } : {}) }, _body: body, _filesRead: parts.filesRead };
}

/** A Dockerfile config's build: its RUN steps run on the engine (up's first gate, and what prewarming needs trusted). */
export function dockerfileFinding(resolved: Pick<Awaited<ReturnType<typeof loadConfig>>, 'kind' | 'paths' | 'workspaceFolder'>): TrustFinding | undefined {
  if (resolved.kind !== 'dockerfile' || !resolved.paths.dockerfile) return undefined;
  const rel = path.relative(resolved.workspaceFolder, resolved.paths.dockerfile) || resolved.paths.dockerfile;
  return buildFinding(`dockerfile:${rel}`, `it builds an image from ${rel} (its RUN steps run on the engine)`);
}

/** What the config shows before anything runs: initializeCommand, the builds (Dockerfile, Features). */
function preGateFindings(resolved: Awaited<ReturnType<typeof loadConfig>>, features: LocalFeature[]): TrustFinding[] {
  const out = commandFindings({ initializeCommand: resolved.config.initializeCommand });
  const build = dockerfileFinding(resolved);
  if (build) out.push(build);
  for (const f of features) out.push(buildFinding(`feature:${f.key}`, `it installs the Feature ${f.key} (its install.sh runs in an image build)`));
  return out;
}

/** What the container's create request reaches and the commands that run in it (image and Dockerfile configs). */
async function imageRequestFindings(
  body: ContainerCreateOptions,
  merged: MergedConfig,
  image: Pick<ImageInspectInfo, 'Config'> | undefined,
  scope: RequestScope,
  filesRead: string[],
): Promise<TrustFinding[]> {
  const out = await requestFindings(body, { ...scope, filesRead });
  out.push(...commandFindings({ hooks: merged.hooks, entrypoints: merged.entrypoints }));
  const hc = healthcheckFinding(body.Healthcheck?.Test, 'runArgs');
  if (hc) out.push(hc);
  if (merged.overrideCommand === false) out.push(ownCommandFinding(body.Entrypoint ?? image?.Config?.Entrypoint, body.Cmd ?? image?.Config?.Cmd));
  return out;
}

/**
 * Before anything runs, the request as far as it is known: for an image config with the image's
 * metadata label when the image is here already (nothing is pulled), the Features' own metadata;
 * for Compose, every service compose up would start.
 */
async function provisionalFindings(
  engine: Engine | undefined,
  resolved: Awaited<ReturnType<typeof loadConfig>>,
  features: LocalFeature[],
  scope: RequestScope,
  env: NodeJS.ProcessEnv,
  composeConfig: ComposeConfig | undefined,
  o: { onImage?: (image: ImageInspectInfo | undefined) => void; image?: ImageInspectInfo } = {},
): Promise<TrustFinding[]> {
  const config = resolved.config;
  const featureEntries = features.map(featureEntry);
  if (composeConfig) {
    const entries = [...featureEntries, configEntry(config)];
    const merged = mergeMetadata(entries, [...featureEntries.map((e) => `Feature "${e.id}"`), 'devcontainer.json']);
    return composeFindings(composeConfig.doc, composeConfig.project, scope, { merged }, composeConfig.envFiles);
  }
  const image = resolved.kind === 'image' && engine ? (o.image ?? (await inspectImage(engine, String(config.image)))) : undefined;
  o.onImage?.(image);
  const imageEntries = parseMetadataLabel(image?.Config?.Labels?.[LABEL_METADATA]);
  const entries = [...imageEntries, ...featureEntries, configEntry(config)];
  const merged = mergeMetadata(entries, [...imageEntries.map(() => 'image metadata'), ...featureEntries.map((e) => `Feature "${e.id}"`), 'devcontainer.json']);
  const request = createRequest(resolved, merged, entries, {}, String(config.image ?? 'image'), env);
  if (merged.overrideCommand === false && image) wrapEntrypoint(request._body, image, merged.entrypoints);
  return imageRequestFindings(request._body, merged, image, scope, request._filesRead);
}

/**
 * What an up of the folder would be asked to trust, found as the up's first gate finds it (the
 * config, local Features, Compose services, the image's metadata label when the image is here),
 * without running anything: no initializeCommand, no build, no pull, no Feature download, no
 * container. `pending` says what the up can find only later (after a build or a pull).
 */
export async function previewTrust(o: { folder: string; configFile?: string; env: NodeJS.ProcessEnv; report?: Reporter; signal?: AbortSignal }): Promise<TrustPreview> {
  const report: Reporter = o.report ?? { step: () => undefined, output: () => undefined, info: () => undefined, warn: () => undefined };
  const folder = path.resolve(o.folder);
  const resolved = await loadConfig(folder, o.configFile, o.env);
  const config = resolved.config;
  const configFile = resolved.configFile!;
  if (!resolved.kind) throw new RuntimeError('config', `${configFile} says neither "image" nor "build": add one so HyperBox knows what to run.`);
  const pending: string[] = [];
  // local Features only: a registry's are downloaded at the up, and named here as builds
  const features = config.features !== undefined ? await readFeatures(resolved, { fetch: false }) : [];
  const remote = config.features && typeof config.features === 'object' ? Object.keys(config.features).filter((k) => !isLocalFeature(k)) : [];
  let engine: Engine | undefined;
  try {
    engine = await connectEngine(o.env);
    await engine.docker.ping();
  } catch (e) {
    engine = undefined;
    pending.push(`the container engine did not answer (${(e as Error).message.split('\n')[0]}): what the image's own metadata adds is not known`);
  }
  const scope: RequestScope = { roots: await workspaceRoots(folder, resolved.workspace?.mountSource), baseDir: folder };
  const composeConfig = resolved.kind === 'compose' ? await readComposeConfig(engine, resolved, o.env, report, o.signal) : undefined;
  let image: ImageInspectInfo | undefined;
  const findings = [
    ...preGateFindings(resolved, features),
    ...remote.map((k) => buildFinding(`feature:${k}`, `it installs the Feature ${k} (its install.sh runs in an image build)`)),
    ...(await provisionalFindings(engine, resolved, features, scope, o.env, composeConfig, { onImage: (i) => (image = i) })),
  ];
  if (resolved.kind === 'image') {
    const hc = image ? healthcheckFinding(image.Config?.Healthcheck?.Test, `the image ${String(config.image)}`) : undefined;
    if (hc && !findings.some((f) => f.key.startsWith('healthcheck:'))) findings.push(hc);
    if (!image && engine) pending.push(`the image ${String(config.image)} is not on this machine yet: what its metadata label adds is known once it is pulled`);
  }
  if (resolved.kind === 'dockerfile') pending.push(`the image is built from ${path.relative(folder, resolved.paths.dockerfile ?? '') || 'the Dockerfile'} at the up: what its metadata label adds is known once it is built`);
  if (composeConfig) {
    const svc = composeConfig.doc.services?.[composeConfig.project.service] ?? {};
    if (svc.build) pending.push(`compose service ${composeConfig.project.service} is built at the up: what its image's metadata label adds is known once it is built`);
  }
  for (const k of remote) pending.push(`the Feature ${k} is downloaded at the up: what its own metadata adds (mounts, capabilities, an entrypoint) is known then`);
  return { folder, configFile, findings: normalise(findings), pending };
}

