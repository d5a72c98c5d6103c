// The up's container steps: the folder's container found (judged on what it was made with, and
// started when stopped), or a new one made, through Compose or from an image (pulled or built,
// with the Features), and started. Each returns the container the later steps work on.
import * as path from 'node:path';
import type { ContainerInspectInfo, ImageInspectInfo } from 'dockerode';
import type { TrustFinding } from '../../../protocol';
import { findContainer, mergedForContainer } from '../container';
import { demuxText, type Engine } from '../engine/docker';
import { RuntimeError, throwIfCancelled } from '../errors';
import { buildImage, ensureImage, inspectImage } from '../build/image';
import type { Inputs } from '../build/inputs';
import { LABEL_IMAGE_FOLDER, LABEL_METADATA } from '../create/labels';
import { configEntry, mergeMetadata, parseMetadataLabel } from '../build/metadata';
import type { ApiMount } from '../create/mounts';
import { createContainerVolumes } from '../create/volumes';
import { applyProfile, removeProfileVolumes, volumesMadeFor } from '../create/profile';
import { commandFindings, healthcheckFinding, ownCommandFinding, requestFindings } from '../create/trust';
import { composeCreate, composeStart, LABEL_COMPOSE_PROJECT, type ComposeConfig } from '../create/compose';
import { featuresImage, wrapEntrypoint } from '../build/features';
import { CONTAINER_SSH_AUTH_SOCK, sshAgentSocket } from '../create/userFiles';
import { isLocalEngine } from '../engine/endpoint';
import { planRemoteWorkspace, type CopyPlan } from '../create/workspaceCopy';
import { usePrewarmed } from './prewarmed';
import type { ContainerState } from './state';
import { createRequest, imageRequestFindings, imageTag } from './request';
import type { UpContainer, UpRun } from './context';

const nameOf = (info: ContainerInspectInfo) => info.Name.replace(/^\//, '');

/** The error for a container that stopped right after it started, with its last output. */
export async function exitedError(engine: Engine, info: ContainerInspectInfo): Promise<RuntimeError> {
  let logs = '';
  try {
    const buf = await engine.docker.getContainer(info.Id).logs({ stdout: true, stderr: true, tail: 20 });
    logs = demuxText(buf);
  } catch {
    // no logs
  }
  return new RuntimeError(
    'create-failed',
    `The container ${nameOf(info)} stopped right after it started (exit code ${info.State.ExitCode}${info.State.Error ? `, ${info.State.Error}` : ''}).` +
      (logs.trim() ? `\nIts last output:\n${logs.trim()}` : '') +
      '\nIf the image\'s command exits at once, leave "overrideCommand" at true so HyperBox keeps the container running.',
  );
}

/**
 * Volumes made for a container (`kind`: the profile's cache volumes, or the named volumes its
 * request needs): removed again if that container never comes to be.
 */
function madeVolumes(run: UpRun, names: string[], kind: 'cache volume' | 'volume'): void {
  if (!names.length) return;
  run.made.add({
    what: `${kind}s`,
    beforeContainer: true,
    remove: async () => {
      const removed = await removeProfileVolumes(run.engine, names);
      return removed.length ? `Removed the ${kind}${removed.length > 1 ? 's' : ''} ${removed.join(', ')} made for it.` : undefined;
    },
  });
}

/** A container this up made (or finished making): removed again if the up is cancelled before it is made. */
function madeContainer(run: UpRun, id: string): void {
  run.made.add({
    what: 'container',
    remove: async () => {
      await run.engine.docker.getContainer(id).remove({ force: true, v: true });
      return `Cancelled: removed the half-made container ${id.slice(0, 12)}.`;
    },
  });
  run.made.containerMade();
}

/**
 * The folder's container, found: judged on what it was made with and the commands that run in it
 * now, and started when it is stopped. One prewarming made (`prewarmed`) is new to this up.
 */
export async function startExisting(
  run: UpRun,
  existing: { info: ContainerInspectInfo; prewarmed?: ContainerState['prewarmed'] },
  inputs: Inputs,
): Promise<UpContainer> {
  const { engine, timer, resolved, opts } = run;
  const { report, env, signal } = opts;
  let info = existing.info;
  const merged = mergedForContainer(info.Config.Labels, resolved.config);
  const agent = await sshAgentSocket(env);
  for (const m of (info.HostConfig as { Mounts?: ApiMount[] }).Mounts ?? []) if (m.Target === CONTAINER_SSH_AUTH_SOCK && m.Source === agent) run.own.add(m);
  await run.gate.pass([
    ...run.configFindings,
    // (without CgroupnsMode: the engine fills in its default, host on cgroup v1, which no request asked for)
    ...(await requestFindings({ ...info.Config, HostConfig: { ...info.HostConfig, CgroupnsMode: undefined } }, run.scope)),
    ...commandFindings({ hooks: merged.hooks, entrypoints: merged.entrypoints }),
    ...[healthcheckFinding(info.Config.Healthcheck?.Test, 'the container')].filter((f): f is TrustFinding => !!f),
    ...(merged.overrideCommand === false ? [ownCommandFinding(info.Config.Entrypoint, info.Config.Cmd)] : []),
  ]);
  const c: UpContainer = { info, merged, inputs, created: false, started: false, profile: null };
  if (info.State.Running) return c;
  report.step(`Starting container ${nameOf(info)}`);
  if (resolved.kind === 'compose') await timer.time('start', () => composeStart(engine, resolved, info.Config.Labels?.[LABEL_COMPOSE_PROJECT], env, report, signal));
  else await timer.time('start', () => engine.docker.getContainer(info.Id).start());
  info = await timer.time('inspect', () => engine.docker.getContainer(info.Id).inspect());
  if (!info.State.Running) throw await exitedError(engine, info);
  const { prewarmed } = existing;
  if (prewarmed) {
    // made by prewarming: new to this up, which does the rest of its making
    madeContainer(run, info.Id);
    timer.timeline.add('prewarmed container', 0, 'ok', { detail: `${nameOf(info)} was made stopped while the host was calm; it saved ${(prewarmed.savedMs / 1000).toFixed(1)} s (build and create)` });
    report.info(`Started the container prewarmed for this folder; it saved ${(prewarmed.savedMs / 1000).toFixed(1)} s.`);
  }
  return { ...c, info, started: true, created: !!prewarmed, prewarmed };
}

/** A Compose config's services, made and started by compose.ts (with an override file for the dev service). */
export async function createCompose(run: UpRun, composeConfig: ComposeConfig | undefined, inputs: Inputs): Promise<UpContainer> {
  const { engine, timer, resolved, opts } = run;
  const { report, env, signal } = opts;
  if (!isLocalEngine(engine.endpoint, env)) {
    // the compose file's own bind mounts name paths on this machine; nothing is copied for them
    report.warn(
      `The engine at ${engine.endpoint.host} (from ${engine.endpoint.source}) is on another machine: the bind mounts in ${resolved.paths.composeFiles?.map((f) => path.basename(f)).join(', ') || 'the compose files'} name paths on this machine, which that engine cannot see, so the service gets empty folders there. HyperBox copies the workspace only for image and Dockerfile configs; for Compose, use volumes or run the engine on this machine.`,
    );
  }
  let profile: UpContainer['profile'] = null;
  const made = await timer.time('compose up', () =>
    composeCreate(engine, {
      resolved,
      inputs,
      composeConfig,
      trustScope: run.scope,
      gate: (found, soft) => run.gate.pass([...run.configFindings, ...found], soft),
      env,
      report,
      signal,
      noCache: opts.noCache,
      features: run.features,
      // host setup and the language profile as for any new container, through the override file
      prepare: async (body, imageEnv, entries) => {
        await run.hostSetup(body, entries);
        profile = await applyProfile(body, { resolved, engine, env, imageEnv, report });
        madeVolumes(run, volumesMadeFor(profile), 'cache volume');
      },
    }),
  );
  madeContainer(run, made.containerId);
  const info = await timer.time('inspect', () => engine.docker.getContainer(made.containerId).inspect());
  if (!info.State.Running) throw await exitedError(engine, info);
  return { info, merged: made.merged, inputs, created: true, started: true, profile };
}

/** A new container of an image or Dockerfile config, made (not started yet): see `startNew`. */
export interface NewContainer {
  id: string;
  /** Made by this up (not found made meanwhile by another). */
  ours: boolean;
  container: Omit<UpContainer, 'info' | 'created' | 'started'>;
  /** The image build a prewarm did for this up (part of what a prewarmed container saves). */
  prewarmedBuildMs: number;
}

/**
 * The image (pulled, built, or prewarmed) with the Features, the create request with host setup,
 * contributions and the language profile, judged at the last trust gate, its volumes, and the
 * container made from it. `inputsHash` is awaited before a build reads its context, so a file
 * changed meanwhile shows as drift, never hides.
 */
export async function createFromImage(run: UpRun, inputsHash: Promise<Inputs>, initRan: boolean): Promise<NewContainer> {
  const { engine, timer, resolved, opts } = run;
  const { report, env, signal, folder } = opts;
  const config = resolved.config;
  let image: ImageInspectInfo;
  let imageName: string;
  let prewarmedBuildMs = 0;
  if (resolved.kind === 'image') {
    imageName = String(config.image);
    // (inspected at the start: again, or pulled, only when missing or when initializeCommand could have changed it)
    const seen = initRan ? undefined : await run.configImage;
    image = await timer.time('image', async () => seen ?? ensureImage(engine, imageName, report, signal, env));
  } else {
    imageName = imageTag(folder, resolved.devcontainerId!);
    const build = config.build ?? {};
    // an image prewarmed for exactly these inputs while the host was calm (live/prewarm.ts)
    const t0 = performance.now();
    // the inputs are hashed before the context is packed: a file changed in between then shows as drift
    const hashed = await inputsHash;
    const pre = opts.noCache ? undefined : await usePrewarmed(engine, env, resolved.devcontainerId!, hashed, imageName);
    prewarmedBuildMs = pre?.savedMs ?? 0;
    if (pre) {
      const saved = pre.savedMs !== undefined ? `; it saved a ${(pre.savedMs / 1000).toFixed(1)} s build` : '';
      timer.timings.push({ step: 'prewarmed image', ms: Math.round((performance.now() - t0) * 10) / 10 });
      timer.timeline.add('prewarmed image', performance.now() - t0, 'ok', { detail: `${pre.tag} became ${imageName}${saved}` }, t0);
      report.info(`Using the image prewarmed as ${pre.tag}${saved}.`);
    } else {
      const tag = imageName;
      run.made.add({ what: 'image', remove: async () => void (await engine.docker.getImage(tag).remove()) });
      report.step(`Building image ${imageName} from ${path.relative(folder, resolved.paths.dockerfile!) || resolved.paths.dockerfile}`);
      await timer.time('build', () =>
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
    }
    const built = await inspectImage(engine, imageName);
    if (!built) throw new RuntimeError('build-failed', `The build of ${imageName} reported success, but the engine has no such image.`);
    image = built;
  }
  if (run.features.length) {
    // features.ts: a derived image with the Features installed, cached by a content hash
    const baseName = imageName;
    const baseImage = image;
    const withFeatures = await timer.time('features image', () =>
      featuresImage(engine, { baseName, baseImage, features: run.features, config, folder, noCache: opts.noCache, env }, report, signal),
    );
    imageName = withFeatures.tag;
    image = withFeatures.image;
    if (withFeatures.built) {
      const tag = withFeatures.tag;
      run.made.add({ what: 'Features image', remove: async () => void (await engine.docker.getImage(tag).remove()) });
    }
  }
  throwIfCancelled(signal, 'hb up');

  const imageEntries = parseMetadataLabel(image.Config?.Labels?.[LABEL_METADATA]);
  const entries = [...imageEntries, configEntry(config)];
  const merged = mergeMetadata(entries, [...imageEntries.map((e) => (typeof e.id === 'string' ? `Feature "${e.id}"` : 'image metadata')), 'devcontainer.json']);
  const inputs = await inputsHash;
  const createOptions = createRequest(resolved, merged, entries, inputs, imageName, env);
  const body = createOptions._body;
  // Feature entrypoints when the image's own command runs (features.ts)
  if (merged.overrideCommand === false) wrapEntrypoint(body, image, merged.entrypoints);
  await timer.time('host setup', () => run.hostSetup(body, entries));
  // the language profile's automatic entries: cache volumes, environment presets (profile.ts)
  const profile = await timer.time('language profile', () => applyProfile(body, { resolved, engine, env, imageEnv: image.Config?.Env, report }));
  madeVolumes(run, volumesMadeFor(profile), 'cache volume');
  // trust again on the final request: the image's metadata label and the Features are known now
  const imageHealth = body.Healthcheck ? undefined : healthcheckFinding(image.Config?.Healthcheck?.Test, `the image ${String(config.image ?? imageName)}`);
  const keepImageHealth = await timer.time('trust', async () =>
    run.gate.pass([...run.configFindings, ...(await imageRequestFindings(body, merged, image, run.scope, createOptions._filesRead))], imageHealth ? [imageHealth] : []),
  );
  if (imageHealth && !keepImageHealth) {
    body.Healthcheck = { Test: ['NONE'] };
    report.info(`The image's own health check is off (${imageHealth.text.replace(/^.*runs in the container: /, '')}): the folder is not trusted to run code. Trust it (hb up --trust) to keep it.`);
  }
  // the named volumes it needs that do not exist yet, made here (after trust) and marked as this
  // container's, so hb down --volumes removes these and never a user's own (volumes.ts)
  const shared = (profile?.entries ?? []).flatMap((e) => (e.kind === 'volume' && e.source ? [e.source] : []));
  const volumes = await createContainerVolumes(engine, body.HostConfig as { Mounts?: ApiMount[]; Binds?: string[] }, resolved.devcontainerId!, shared);
  madeVolumes(run, volumes, 'volume');
  let copyPlan: CopyPlan | undefined;
  if (!isLocalEngine(engine.endpoint, env)) {
    copyPlan = planRemoteWorkspace(
      body.HostConfig as { Mounts?: ApiMount[]; Binds?: string[] },
      resolved.workspace?.containerWorkspaceFolder,
      `at ${engine.endpoint.host} (from ${engine.endpoint.source})`,
      report,
    );
  }

  report.step('Creating container');
  const container = { merged, inputs, profile, copyPlan };
  try {
    const c = await timer.time('create', () => engine.docker.createContainer(createOptions));
    madeContainer(run, c.id);
    return { id: c.id, ours: true, container, prewarmedBuildMs };
  } catch (e) {
    const err = e as { statusCode?: number; json?: { message?: string }; message?: string };
    if (err.statusCode !== 409) {
      throw new RuntimeError('create-failed', `The engine could not create the container: ${err.json?.message ?? err.message}. Check the config's mounts, runArgs and ports.`);
    }
    // made meanwhile by an up that did not take our lock (an older HyperBox, or a race): use it
    const other = await findContainer(engine, folder, resolved.configFile!);
    if (!other) {
      throw new RuntimeError(
        'create-failed',
        `A container named ${createOptions._query.name} already exists but is not this folder's dev container. Remove or rename it (docker rm ${createOptions._query.name}), or name ours with "runArgs": ["--name", "..."].`,
      );
    }
    return { id: other.Id, ours: false, container, prewarmedBuildMs };
  }
}

/** Starts a container `createFromImage` made, and waits a moment for an image's own command that exits at once. */
export async function startNew(run: UpRun, made: NewContainer): Promise<UpContainer> {
  const { engine, timer, opts } = run;
  opts.report.step('Starting container');
  try {
    await timer.time('start', () => engine.docker.getContainer(made.id).start());
  } catch (e) {
    const err = e as { statusCode?: number; json?: { message?: string }; message?: string };
    if (err.statusCode !== 304) {
      throw new RuntimeError('create-failed', `The container was created but could not start: ${err.json?.message ?? err.message}. Check the config's mounts, runArgs and ports; hb down removes it.`);
    }
  }
  let info = await timer.time('inspect', () => engine.docker.getContainer(made.id).inspect());
  if (info.State.Running && made.container.merged.overrideCommand === false) {
    // the image's own command runs: one that exits at once (a shell without a terminal) would
    // otherwise look like a container that is up; give it a moment to show itself
    info = await timer.time('settle', async () => {
      let latest = info;
      for (let i = 0; i < 5 && latest.State.Running; i++) {
        await new Promise((r) => setTimeout(r, 50));
        latest = await engine.docker.getContainer(made.id).inspect();
      }
      return latest;
    });
  }
  if (!info.State.Running) throw await exitedError(engine, info);
  return { ...made.container, info, created: made.ours, started: true };
}
