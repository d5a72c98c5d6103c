// PSI-aware prewarming: when the host is calm, prepare what the next `up` of a trusted folder will
// need; under pressure, defer and say why. For a Dockerfile config whose container is missing or
// stale: its image, built under a temporary tag (hb-prewarm-<id>:<inputs hash>). For a missing
// container (never a second one beside a stale container): the container too, made stopped by
// up's own code (UpOptions.createOnly) from that image — nothing starts, no lifecycle command runs
// — unless the config has an initializeCommand (it runs on the host before anything is made) or
// the engine is on another machine. Never for an untrusted folder: the editor's Workspace Trust AND
// a trust record of the build itself (its RUN steps run on the engine: the finding up's first gate
// asks for) — hb's trust store, or the findings the user accepted for the folder in the editor; the
// container only when every finding of its final request is in that record too. hb never
// prewarms; only while the user's hyperbox.prewarm setting is on. The next up that would build the
// same inputs re-tags the prewarmed image instead (usePrewarmed) and its timeline shows a step
// "prewarmed image" with the build time saved; the next up of a prewarmed container starts it,
// and its timeline shows "prewarmed container" with the build and create time saved.
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import type { LiveSettings, PrewarmStatus } from '../../protocol';
import { parsePsi } from '../pressure/psi';
import { loadConfig } from '../runtime/container';
import type { Engine } from '../runtime/engine/docker';
import { buildImage, inspectImage } from '../runtime/build/image';
import { computeInputs } from '../runtime/build/inputs';
import { LABEL_IMAGE_FOLDER } from '../runtime/create/labels';
import { prewarmTag, readPrewarmBuildMs, recordPrewarmBuild } from '../runtime/up/prewarmed';
import { status } from '../runtime/ops';
import type { Reporter } from '../runtime/report';
import { RuntimeError } from '../runtime/errors';
import { acceptedTrust, trustedKeys } from '../runtime/create/trust';
import { dockerfileFinding, up } from '../runtime/up/up';

/** The host is calm when memory and IO "some" avg10 are below these (percent). */
export interface CalmThresholds {
  memory: number;
  io: number;
}
export const DEFAULT_CALM: CalmThresholds = { memory: 1, io: 5 };

/** Why the host is not calm now, or undefined when it is (memory and IO some avg10 from /proc/pressure). */
export function hostBusy(calm: CalmThresholds, root = '/'): string | undefined {
  const read = (r: 'memory' | 'io') => {
    try {
      return parsePsi(readFileSync(path.join(root, 'proc', 'pressure', r), 'latin1'));
    } catch (e) {
      return e as Error;
    }
  };
  for (const r of ['memory', 'io'] as const) {
    const psi = read(r);
    if (psi instanceof Error || !psi) return `the host's ${r} pressure cannot be read (${psi instanceof Error ? (psi as NodeJS.ErrnoException).code ?? psi.message : 'not PSI'}), so HyperBox cannot tell that it is calm`;
    if (psi.some.avg10 >= calm[r]) return `the host is under ${r} pressure (some avg10 ${psi.some.avg10} % ≥ ${calm[r]} %)`;
  }
  return undefined;
}

export interface PrewarmOptions {
  engine: () => Promise<Engine>;
  env: NodeJS.ProcessEnv;
  report: Reporter;
  calm?: CalmThresholds;
  /** Where /proc is (tests); default "/". */
  root?: string;
  /** Cancels the build (the request's cancellation). */
  signal?: AbortSignal;
  /** The editor's settings the container's contributions follow (traces), as its own up would pass them. */
  settings?: LiveSettings;
}

/**
 * Prewarms one folder if it should be: answers what it did or why not. `enabled` is the user's
 * hyperbox.prewarm setting, `trusted` the editor's Workspace Trust for the folder,
 * `acceptedFindings` the finding keys the user accepted for it in the editor.
 */
export async function prewarm(
  target: { folder: string; configFile?: string; trusted: boolean; enabled: boolean; acceptedFindings?: string[]; runtime?: string; container?: boolean },
  o: PrewarmOptions,
): Promise<PrewarmStatus> {
  if (!target.enabled) return { state: 'off', reason: 'hyperbox.prewarm is off.' };
  if (!target.trusted) return { state: 'untrusted', reason: 'The folder is not trusted: HyperBox prepares nothing for it.' };
  const resolved = await loadConfig(path.resolve(target.folder), target.configFile, o.env);
  const dockerfile = resolved.kind === 'dockerfile' && !!resolved.paths.dockerfile && !!resolved.paths.context;
  if (!dockerfile && resolved.kind !== 'image') {
    return { state: 'not-needed', reason: `Only image and Dockerfile configs are prewarmed (this one is ${resolved.kind ?? 'incomplete'}).` };
  }
  // the build runs the Dockerfile's RUN steps: trusted before, by hb's trust store or the findings accepted in the editor
  // what the folder was trusted for before: the findings accepted in the editor, and hb's trust store
  const accepted = [...new Set([...(target.acceptedFindings ?? []), ...(await trustedKeys(o.env, resolved.workspaceFolder, resolved.configFile))])];
  const finding = dockerfile ? dockerfileFinding(resolved)! : undefined;
  if (finding && !accepted.includes(finding.key)) {
    return {
      state: 'untrusted',
      reason: `HyperBox has no record that you trusted this folder's build (${finding.text}). Start its dev container once (HyperBox: Start, or hb up) and prewarming takes over from then on.`,
    };
  }
  const summary = await status({ folder: resolved.workspaceFolder, configFile: resolved.configFile!, env: o.env });
  // an image config has no image of its own to build: only its missing container is prepared
  const removed = 'you removed its container in this window, and prewarming does not make it again (the next start does).';
  if (!dockerfile && target.container === false) return { state: 'not-needed', reason: `Nothing to prepare: ${removed}` };
  if (!dockerfile && summary.state !== 'missing') return { state: 'not-needed', reason: `The container is ${summary.state}: for an image config, only a missing container is prewarmed.` };
  if (summary.state !== 'missing' && summary.state !== 'stale') return { state: 'not-needed', reason: `The container is ${summary.state} and up to date.` };
  const busy = hostBusy(o.calm ?? DEFAULT_CALM, o.root);
  if (busy) {
    o.report.info(`Prewarming ${resolved.workspaceFolder} deferred: ${busy}.`);
    return { state: 'deferred', reason: `Deferred: ${busy}.` };
  }
  if (!dockerfile) return prewarmContainer(resolved, undefined, accepted, target, o);
  const engine = await o.engine();
  const inputs = await computeInputs(resolved, o.env);
  const tag = prewarmTag(resolved.devcontainerId!, inputs);
  const image = await prewarmImage(engine, resolved, tag, o);
  if (image.state !== 'ready' || summary.state !== 'missing') return image;
  if (target.container === false) return { ...image, reason: `${image.reason} No container was made: ${removed}` };
  return prewarmContainer(resolved, image, accepted, target, o);
}

/** The image, built under `tag` unless it is there already. */
async function prewarmImage(engine: Engine, resolved: Awaited<ReturnType<typeof loadConfig>>, tag: string, o: PrewarmOptions): Promise<PrewarmStatus> {
  const existing = await inspectImage(engine, tag);
  if (existing) return { state: 'ready', reason: `The image is prewarmed as ${tag}.`, tag, buildMs: (await readPrewarmBuildMs(o.env, tag)) };
  const build = resolved.config.build ?? {};
  const t0 = performance.now();
  o.report.info(`Prewarming ${resolved.workspaceFolder}: building its image as ${tag} while the host is calm.`);
  await buildImage(
    engine,
    {
      dockerfile: resolved.paths.dockerfile!,
      context: resolved.paths.context!,
      tag,
      args: build.args,
      target: build.target,
      cacheFrom: typeof build.cacheFrom === 'string' ? [build.cacheFrom] : build.cacheFrom,
      options: build.options,
      labels: { [LABEL_IMAGE_FOLDER]: resolved.workspaceFolder },
      env: o.env,
    },
    { ...o.report, output: () => undefined, step: () => undefined },
    o.signal,
  );
  const buildMs = Math.round(performance.now() - t0);
  if (!(await inspectImage(engine, tag))) return { state: 'failed', reason: `The build of ${tag} reported success, but the engine has no such image.` };
  await recordPrewarmBuild(o.env, tag, buildMs);
  return { state: 'ready', reason: `The image is prewarmed as ${tag}.`, tag, buildMs };
}

/**
 * The missing container, made stopped from the prewarmed image by up itself (createOnly), trusted
 * for exactly what the folder was trusted for before; when it cannot be, the image stays prewarmed
 * and the answer says why.
 */
async function prewarmContainer(
  resolved: Awaited<ReturnType<typeof loadConfig>>,
  image: PrewarmStatus | undefined,
  accepted: string[],
  target: { runtime?: string },
  o: PrewarmOptions,
): Promise<PrewarmStatus> {
  const folder = resolved.workspaceFolder;
  // (an image config: nothing was prepared when no container is made)
  const imageOnly = (why: string, state: PrewarmStatus['state']): PrewarmStatus =>
    image ? { ...image, reason: `${image.reason} No container was made: ${why}` } : { state, reason: `No container was made: ${why}` };
  if (resolved.config.initializeCommand !== undefined) return imageOnly('the config has an initializeCommand, which runs on the host before the container is made, so only a real up makes it.', 'not-needed');
  try {
    const { result } = await up({
      folder,
      configFile: resolved.configFile ?? undefined,
      env: o.env,
      trusted: acceptedTrust(accepted, 'Prewarming makes a container only from what you trusted before.'),
      report: { ...o.report, output: () => undefined, step: () => undefined },
      signal: o.signal,
      defaultRuntime: target.runtime,
      settings: o.settings,
      client: 'prewarm',
      createOnly: true,
    });
    o.report.info(`Prewarming ${folder}: made its container ${result.name} (stopped) while the host was calm.`);
    return {
      ...image,
      state: 'ready',
      containerId: result.containerId ?? undefined,
      reason: `The dev container is prewarmed: ${image ? 'its image is built and ' : ''}its container ${result.name} made (stopped); the next start only starts it.`,
    };
  } catch (e) {
    if (o.signal?.aborted) throw e;
    if (e instanceof RuntimeError && e.code === 'trust-required') {
      const fresh = (e.data?.findings ?? []).filter((f) => !accepted.includes(f.key)).map((f) => f.text);
      return imageOnly(`its container reaches or runs what you have not trusted before (${fresh.join('; ') || 'new findings'}); start it once yourself.`, 'untrusted');
    }
    return imageOnly(`${(e as Error).message}`, 'failed');
  }
}
