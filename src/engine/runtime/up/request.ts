// The container an up asks for, and what it is judged on: the Engine API create request of an
// image or Dockerfile config (the Compose override is compose.ts's), the findings of each trust
// gate, and the preview of them that runs nothing (previewTrust).
import * as path from 'node:path';
import type { ContainerCreateOptions, ImageInspectInfo } from 'dockerode';
import type { TrustFinding, TrustPreview } from '../../../protocol';
import type { ValidConfig } from '../../devcontainer/config';
import { idLabels } from '../../devcontainer/id';
import { VERSION } from '../../version';
import { loadConfig } from '../container';
import { connectEngine, type Engine } from '../engine/docker';
import { RuntimeError } from '../errors';
import { inspectImage } from '../build/image';
import type { Inputs } from '../build/inputs';
import { LABEL_INPUTS, LABEL_METADATA, LABEL_VERSION } from '../create/labels';
import { configEntry, mergeMetadata, parseMetadataLabel, type MergedConfig } from '../build/metadata';
import { parseMount, type ApiMount } from '../create/mounts';
import { addPort, parseRunArgs } from '../create/runArgs';
import { buildFinding, commandFindings, healthcheckFinding, normalise, ownCommandFinding, requestFindings, workspaceRoots, type RequestScope } from '../create/trust';
import { composeFindings, readComposeConfig, type ComposeConfig } from '../create/compose';
import { featureEntry, isLocalFeature, readFeatures, wrapEntrypoint, type LocalFeature } from '../build/features';
import { KEEP_ALIVE } from '../lifecycle/snippets';
import type { Reporter } from '../report';

function slug(s: string): string {
  const out = s.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 40);
  return out || 'workspace';
}
export const containerName = (folder: string, id: string) => `hb-${slug(path.basename(folder))}-${id.slice(0, 10)}`;
export const imageTag = (folder: string, id: string) => `hb-${slug(path.basename(folder))}-${id.slice(0, 12)}`;

/** The create request: labels, environment, user, mounts, ports, runArgs, security options. */
export function createRequest(
  resolved: ValidConfig,
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
export function dockerfileFinding(resolved: Pick<ValidConfig, 'kind' | 'paths' | 'workspaceFolder'>): TrustFinding | undefined {
  if (resolved.kind !== 'dockerfile' || !resolved.paths.dockerfile) return undefined;
  const rel = path.relative(resolved.workspaceFolder, resolved.paths.dockerfile) || resolved.paths.dockerfile;
  return buildFinding(`dockerfile:${rel}`, `it builds an image from ${rel} (its RUN steps run on the engine)`);
}

/** What the config shows before anything runs: initializeCommand, the builds (Dockerfile, Features). */
export function preGateFindings(resolved: ValidConfig, features: LocalFeature[]): TrustFinding[] {
  const out = commandFindings({ initializeCommand: resolved.config.initializeCommand });
  const build = dockerfileFinding(resolved);
  if (build) out.push(build);
  for (const f of features) out.push(buildFinding(`feature:${f.key}`, `it installs the Feature ${f.key} (its install.sh runs in an image build)`));
  return out;
}

/** What the container's create request reaches and the commands that run in it (image and Dockerfile configs). */
export async function imageRequestFindings(
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
export async function provisionalFindings(
  engine: Engine | undefined,
  resolved: ValidConfig,
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

