// Local Features ("./path" keys in `features`: a folder with devcontainer-feature.json and
// install.sh), installed as the Dev Container Features spec describes: options become environment
// variables (defaults from the manifest, names upper-cased), install.sh runs as root in a derived
// image, in the order dependsOn / installsAfter / overrideFeatureInstallOrder give. What a Feature
// contributes to the container (containerEnv, mounts, capAdd, privileged, init, securityOpt,
// entrypoint, lifecycle commands) goes into the image's devcontainer.metadata label, one entry per
// Feature before the config's, so metadata.ts merges it like any image metadata. The derived image
// is tagged by a hash of its base image and every Feature's files and options: a second `up`
// finds it and builds nothing. OCI Features ("ghcr.io/…/node:1") and tarball URLs are downloaded by
// registry/features.ts into the cache and then installed like local ones; their dependsOn are
// fetched too (recursively, with the options given there), options are checked against each
// Feature's manifest, and what was resolved goes into devcontainer-lock.json (lockfile.ts).
import type { DevContainerConfig } from '../../devcontainer/config';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImageInspectInfo } from 'dockerode';
import type { ResolvedConfig } from '../../../protocol';
import type { Engine } from '../engine/docker';
import { RuntimeError, throwIfCancelled } from '../errors';
import { buildImage, inspectImage } from './image';
import { canonical } from '../../util/canonical';
import { nodeCrypto } from '../../util/sha256';
import { LABEL_IMAGE_FOLDER, LABEL_METADATA } from '../create/labels';
import { configEntry, mergeMetadata, METADATA_PROPERTIES, parseMetadataLabel, type MetadataEntry } from './metadata';
import type { Reporter } from '../report';
import { parseTree, findNodeAtLocation } from 'jsonc-parser';
import { RegistryClient } from '../../registry/client';
import { fetchOciFeature, fetchTarballFeature, isTarballFeature, type FetchedFeature } from '../../registry/features';
import { parseRef } from '../../registry/reference';
import { didYouMean, LineIndex } from '../../util/text';
import { readLockfile, writeLockfile, lockEntries, type Lockfile } from '../../registry/lockfile';

/** Bumped when the way images are made changes, so old cached images are not reused. */
const RECIPE = '2';

export interface LocalFeature {
  /** The key in devcontainer.json ("./hello"). */
  key: string;
  /** The Feature's folder. */
  dir: string;
  /** The manifest's id (the key when it has none). */
  id: string;
  manifest: Record<string, unknown>;
  /** Option values: the config's, else the manifest's defaults. */
  options: Record<string, string | boolean>;
  /** For a Feature from a registry or a tarball URL: what it resolved to (lockfile, drift). */
  fetched?: FetchedFeature;
  /** Fetched because another Feature dependsOn it (not named in the config). */
  dependency?: boolean;
}

export const isLocalFeature = (key: string) => key.startsWith('./') || key.startsWith('../');

/**
 * The environment variable an option sets, as the spec says: characters other than letters,
 * digits and "_" become "_", leading digits and underscores become one "_", all upper case.
 */
export function optionEnvName(option: string): string {
  return option.replace(/[^\w]/g, '_').replace(/^[\d_]+/, '_').toUpperCase();
}

/** The Feature's option values: a string config value is its `version`, an object names options. */
export function featureOptions(manifest: Record<string, unknown>, value: unknown): Record<string, string | boolean> {
  const declared = (manifest.options && typeof manifest.options === 'object' ? manifest.options : {}) as Record<string, { default?: unknown }>;
  const given: Record<string, unknown> = typeof value === 'string' ? { version: value } : value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const out: Record<string, string | boolean> = {};
  for (const [name, spec] of Object.entries(declared)) {
    if (spec && spec.default !== undefined) out[name] = typeof spec.default === 'boolean' ? spec.default : String(spec.default);
  }
  for (const [name, v] of Object.entries(given)) if (v !== undefined && v !== null) out[name] = typeof v === 'boolean' ? v : String(v);
  return out;
}

/** The lines of devcontainer-features.env: NAME="value", quoted for a POSIX shell. */
export function optionsEnvFile(options: Record<string, string | boolean>): string {
  return Object.entries(options)
    .map(([k, v]) => `${optionEnvName(k)}="${String(v).replace(/(["\\$`])/g, '\\$1')}"`)
    .join('\n') + '\n';
}

/** Whether a reference (from dependsOn, installsAfter or overrideFeatureInstallOrder) names this Feature. */
function names(ref: string, f: Pick<LocalFeature, 'key' | 'id'>): boolean {
  if (ref === f.key || ref === f.id) return true;
  const norm = (s: string) => s.replace(/\/+$/, '');
  if (isLocalFeature(ref)) return norm(ref) === norm(f.key);
  const a = parseRef(ref);
  const b = parseRef(f.key);
  if (a && b) return a.resource === b.resource;
  if (isTarballFeature(ref)) return ref === f.key;
  // an OCI reference ("ghcr.io/owner/features/node:1") matches a local copy with that id
  const last = ref.split('/').pop()!.replace(/[:@].*$/, '');
  return last === f.id;
}

/**
 * The install order: a Feature comes after those it dependsOn (hard: they must be present) and
 * after those in its installsAfter that are present (soft). Among Features that may go next,
 * those in overrideFeatureInstallOrder go first, in its order, then the config's order.
 */
export function orderFeatures<T extends Pick<LocalFeature, 'key' | 'id' | 'manifest'>>(features: T[], override: string[] = []): T[] {
  const deps = new Map<T, Set<T>>();
  for (const f of features) {
    const set = new Set<T>();
    const dependsOn = f.manifest.dependsOn && typeof f.manifest.dependsOn === 'object' ? Object.keys(f.manifest.dependsOn) : [];
    for (const ref of dependsOn) {
      const d = features.find((o) => o !== f && names(ref, o));
      if (!d) {
        throw new RuntimeError(
          'config',
          `Feature "${f.key}" dependsOn "${ref}", which is not among the Features to install. Add it to "features" (a registry reference, a tarball URL or a local "./<folder>").`,
        );
      }
      set.add(d);
    }
    const after = Array.isArray(f.manifest.installsAfter) ? (f.manifest.installsAfter as unknown[]).map(String) : [];
    for (const ref of after) {
      const d = features.find((o) => o !== f && names(ref, o));
      if (d) set.add(d);
    }
    deps.set(f, set);
  }
  const rank = (f: T) => {
    const i = override.findIndex((ref) => names(ref, f));
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const done: T[] = [];
  const left = [...features];
  while (left.length) {
    const ready = left.filter((f) => [...deps.get(f)!].every((d) => done.includes(d)));
    if (!ready.length) {
      throw new RuntimeError(
        'config',
        `The Features ${left.map((f) => `"${f.key}"`).join(', ')} depend on each other in a cycle (dependsOn / installsAfter), so no install order exists. Remove one of the dependencies.`,
      );
    }
    ready.sort((a, b) => rank(a) - rank(b) || features.indexOf(a) - features.indexOf(b));
    done.push(ready[0]);
    left.splice(left.indexOf(ready[0]), 1);
  }
  return done;
}

export interface ReadFeaturesOptions {
  env?: NodeJS.ProcessEnv;
  report?: Reporter;
  signal?: AbortSignal;
  /** false: check local Features only and download nothing (before the folder is trusted). */
  fetch?: boolean;
  /** Fail when devcontainer-lock.json is missing or differs from what was resolved. */
  frozenLockfile?: boolean;
  /** Do not read or write devcontainer-lock.json. */
  noLockfile?: boolean;
  /** Resolve every reference afresh, ignoring the lockfile's pins, and write what was found (hb features upgrade). */
  upgradeLockfile?: boolean;
}

const quietReport: Reporter = { step: () => undefined, output: () => undefined, info: () => undefined, warn: () => undefined };

/** Where an option of a Feature is written in devcontainer.json (" (line N)"), when it can be found. */
async function lineOf(file: string | null, pathTo: (string | number)[]): Promise<string> {
  if (!file) return '';
  try {
    const text = await fs.readFile(file, 'utf8');
    const node = findNodeAtLocation(parseTree(text)!, pathTo);
    return node ? ` (${path.basename(file)} line ${new LineIndex(text).position(node.offset).line})` : '';
  } catch {
    return '';
  }
}

/**
 * Checks the options a config (or a dependsOn) gives a Feature against its manifest: unknown
 * names (with did-you-mean), booleans for string options and the reverse, values outside an enum.
 */
export async function checkOptions(key: string, manifest: Record<string, unknown>, value: unknown, file: string | null, where: string[] | undefined): Promise<void> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return;
  const declared = (manifest.options && typeof manifest.options === 'object' ? manifest.options : {}) as Record<string, { type?: string; enum?: unknown[]; proposals?: unknown[] }>;
  const names = Object.keys(declared);
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    const at = where ? await lineOf(file, [...where, name]) : '';
    const spec = declared[name];
    if (!spec) {
      const guess = didYouMean(name, names);
      throw new RuntimeError(
        'config',
        `Feature "${key}" has no option "${name}"${at}.${guess ? ` Did you mean "${guess}"?` : ''} ${names.length ? `Its options: ${names.join(', ')}.` : 'It takes no options.'}`,
      );
    }
    if (spec.type === 'boolean' && typeof v !== 'boolean' && v !== 'true' && v !== 'false') {
      throw new RuntimeError('config', `Feature "${key}" option "${name}"${at} is a boolean, but the config gives ${JSON.stringify(v)}. Write true or false.`);
    }
    if (spec.type === 'string' && typeof v !== 'string') {
      throw new RuntimeError('config', `Feature "${key}" option "${name}"${at} is a string, but the config gives ${JSON.stringify(v)}. Quote it: "${String(v)}".`);
    }
    if (Array.isArray(spec.enum) && !spec.enum.map(String).includes(String(v))) {
      const guess = didYouMean(String(v), spec.enum.map(String));
      throw new RuntimeError('config', `Feature "${key}" option "${name}"${at} is ${JSON.stringify(v)}, which is not one of ${spec.enum.map((e) => JSON.stringify(e)).join(', ')}.${guess ? ` Did you mean "${guess}"?` : ''}`);
    }
  }
}

async function readManifest(key: string, dir: string, hint: string): Promise<Record<string, unknown>> {
  const manifestFile = path.join(dir, 'devcontainer-feature.json');
  try {
    return JSON.parse(await fs.readFile(manifestFile, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RuntimeError(
      'config',
      `Feature "${key}" has ${code ? `no readable ${manifestFile} (${code})` : `a devcontainer-feature.json that is not valid JSON (${(e as Error).message})`}. ${hint}`,
    );
  }
}

/**
 * The config's Features, read (local ones from their folders, others downloaded or taken from the
 * cache), their dependsOn added recursively, options checked, and ordered for installation.
 */
export async function readFeatures(resolved: ResolvedConfig, o: ReadFeaturesOptions = {}): Promise<LocalFeature[]> {
  const config = resolved.config ?? {};
  const value = config.features;
  if (!value || typeof value !== 'object' || Array.isArray(value) || !Object.keys(value).length) return [];
  const file = resolved.configFile ?? 'devcontainer.json';
  const keys = Object.keys(value);
  const fetchRemote = o.fetch !== false;
  const env = o.env ?? process.env;
  const report = o.report ?? quietReport;
  const lock: Lockfile | undefined = fetchRemote && !o.noLockfile && resolved.configFile ? await readLockfile(resolved.configFile) : undefined;
  let client: RegistryClient | undefined;
  // ends the downloads still running once one Feature failed (the caller's cancel ends them too)
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  const fetchOne = async (key: string): Promise<FetchedFeature> => {
    client ??= new RegistryClient({ env, signal });
    const locked = o.upgradeLockfile ? undefined : lock?.features?.[key];
    return isTarballFeature(key) ? fetchTarballFeature(key, { client, report, env, locked, signal }) : fetchOciFeature(key, { client, report, env, locked });
  };
  const base = path.dirname(file);
  const out: LocalFeature[] = [];
  // the config's registry and tarball Features, fetched side by side; taken in the config's order
  // below (so the first that fails, in that order, is the error)
  const fetching = new Map(fetchRemote ? keys.filter((k) => !isLocalFeature(k)).map((k) => [k, fetchOne(k)] as const) : []);
  for (const p of fetching.values()) p.catch(() => undefined);
  try {
    await collect();
  } catch (e) {
    stop.abort();
    throw e;
  }
  const override = Array.isArray(config.overrideFeatureInstallOrder) ? config.overrideFeatureInstallOrder.map(String) : [];
  return orderFeatures(out, override);

  // the Features in the config's order, then what their dependsOn add; the lockfile written
  async function collect(): Promise<void> {
    for (const key of keys) {
      const given = (value as Record<string, unknown>)[key];
      if (!isLocalFeature(key)) {
        if (!fetchRemote) continue;
        const fetched = await fetching.get(key)!;
        const manifest = await readManifest(key, fetched.dir, 'The Feature as published is broken: tell its publisher.');
        await checkOptions(key, manifest, given, resolved.configFile, ['features', key]);
        out.push({ key, dir: fetched.dir, id: typeof manifest.id === 'string' ? manifest.id : parseRef(key)?.id ?? key, manifest, options: featureOptions(manifest, given), fetched });
        continue;
      }
      const dir = path.resolve(base, key);
      const manifest = await readManifest(key, dir, 'A local Feature is a folder with devcontainer-feature.json and install.sh, relative to the folder of devcontainer.json.');
      if (!(await fs.stat(path.join(dir, 'install.sh')).catch(() => undefined))?.isFile()) {
        throw new RuntimeError('config', `Feature "${key}" has no install.sh (looked at ${path.join(dir, 'install.sh')}). Add the script that installs it.`);
      }
      await checkOptions(key, manifest, given, resolved.configFile, ['features', key]);
      out.push({ key, dir, id: typeof manifest.id === 'string' ? manifest.id : key, manifest, options: featureOptions(manifest, given) });
    }
    if (fetchRemote) {
      // dependsOn: fetched (from registries too) with the options given there, until none is missing
      for (let i = 0; i < out.length; i++) {
        const deps = out[i].manifest.dependsOn && typeof out[i].manifest.dependsOn === 'object' ? (out[i].manifest.dependsOn as Record<string, unknown>) : {};
        for (const [ref, opts] of Object.entries(deps)) {
          if (out.some((f) => f !== out[i] && names(ref, f))) continue;
          if (isLocalFeature(ref)) continue; // orderFeatures says it is missing
          if (out.length > 100) throw new RuntimeError('config', `The Features' dependsOn chains add more than 100 Features; one of them is probably circular (last: "${out[i].key}" dependsOn "${ref}").`);
          const fetched = await fetchOne(ref);
          const manifest = await readManifest(ref, fetched.dir, `It is a dependency of Feature "${out[i].key}"; the Feature as published is broken.`);
          await checkOptions(`${ref}" (dependsOn of "${out[i].key}`, manifest, opts, null, undefined);
          out.push({ key: ref, dir: fetched.dir, id: typeof manifest.id === 'string' ? manifest.id : parseRef(ref)?.id ?? ref, manifest, options: featureOptions(manifest, opts), fetched, dependency: true });
        }
      }
      if (resolved.configFile && !o.noLockfile && out.some((f) => f.fetched)) {
        await writeLockfile(resolved.configFile, lockEntries(out), { frozen: o.frozenLockfile, previous: lock });
      }
    }
  }
}

/** The metadata entry a Feature contributes (its id and the spec's container properties). */
export function featureEntry(f: LocalFeature): MetadataEntry {
  const entry: MetadataEntry = { id: f.id };
  for (const key of METADATA_PROPERTIES) if (key !== 'id' && f.manifest[key] !== undefined) entry[key] = f.manifest[key];
  return entry;
}

async function filesOf(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await filesOf(dir, r)));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/** A hash of a Feature folder's files (names and contents). */
export async function hashFolder(dir: string): Promise<string> {
  const h = nodeCrypto().createHash('sha256');
  for (const rel of await filesOf(dir).catch(() => [] as string[])) {
    h.update(`${rel}\0`);
    h.update(await fs.readFile(path.join(dir, rel)).catch(() => Buffer.alloc(0)));
    h.update('\0');
  }
  return h.digest('hex');
}

/** Drift inputs: one per local Feature, a hash of its folder. */
export async function featureInputs(resolved: ResolvedConfig): Promise<Record<string, string>> {
  const value = resolved.config?.features;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const base = path.dirname(resolved.configFile ?? '.');
  const out: Record<string, string> = {};
  for (const key of Object.keys(value)) {
    // a registry Feature's input is its reference (and its options, via the config itself)
    out[`Feature ${key}`] = isLocalFeature(key) ? (await hashFolder(path.resolve(base, key))).slice(0, 16) : key;
  }
  return out;
}

const RUN_SCRIPT = `#!/bin/sh
# Runs one Feature's install.sh as the spec says: in its folder, as root, with its options and
# the _REMOTE_USER / _CONTAINER_USER variables (and their homes) in the environment.
set -e
cd "$1"
home_of() {
  while IFS=: read -r n _ _ _ _ d _; do
    if [ "$n" = "$1" ]; then echo "$d"; return 0; fi
  done < /etc/passwd
  echo /root
}
_REMOTE_USER="$2"; _CONTAINER_USER="$3"
_REMOTE_USER_HOME="$(home_of "$2")"; _CONTAINER_USER_HOME="$(home_of "$3")"
export _REMOTE_USER _CONTAINER_USER _REMOTE_USER_HOME _CONTAINER_USER_HOME
set -a
. ./devcontainer-features.env
set +a
chmod +x ./install.sh
./install.sh
`;

export interface FeaturesImageOptions {
  baseName: string;
  baseImage: ImageInspectInfo;
  features: LocalFeature[];
  config: DevContainerConfig;
  folder: string;
  noCache?: boolean;
  env: NodeJS.ProcessEnv;
}

/** A value in double quotes for a POSIX shell, with $ left to expand as Dockerfile ENV expands it. */
const shellEnvValue = (v: string) => `"${v.replace(/(["\\`])/g, '\\$1')}"`;

/**
 * The script that installs every Feature in one RUN (one container instead of one per Feature:
 * the Engine API's builder commits each step, which costs about a second apiece). Each Feature's
 * containerEnv is exported before the next one installs, as separate ENV steps would have it; a
 * failing install.sh is named by its index and keeps its exit code.
 */
export function installAllScript(features: LocalFeature[], users: { remote: string; container: string }): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = ['#!/bin/sh', 'set -e'];
  features.forEach((f, i) => {
    lines.push(`# Feature ${f.key} (${f.id})`);
    lines.push(`/bin/sh /tmp/hb-features/run.sh /tmp/hb-features/f${i} ${q(users.remote)} ${q(users.container)} || { s=$?; echo "hb-features: f${i} failed with exit code $s" >&2; exit $s; }`);
    const env = f.manifest.containerEnv && typeof f.manifest.containerEnv === 'object' ? (f.manifest.containerEnv as Record<string, unknown>) : {};
    for (const [k, v] of Object.entries(env)) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) lines.push(`export ${k}=${shellEnvValue(String(v))}`);
  });
  lines.push('rm -rf /tmp/hb-features');
  return lines.join('\n') + '\n';
}

/** The Dockerfile of the derived image (pure: the build context holds f0, f1, ..., run.sh and install-all.sh). */
export function featuresDockerfile(base: string, features: LocalFeature[], users: { remote: string; container: string; image: string }): string {
  const lines = [`FROM ${base}`, 'USER root', 'COPY . /tmp/hb-features/', `RUN ["/bin/sh", "/tmp/hb-features/install-all.sh"]`];
  const env: string[] = [];
  for (const f of features) {
    const e = f.manifest.containerEnv && typeof f.manifest.containerEnv === 'object' ? (f.manifest.containerEnv as Record<string, unknown>) : {};
    for (const [k, v] of Object.entries(e)) env.push(`${k}=${JSON.stringify(String(v))}`);
  }
  if (env.length) lines.push(`ENV ${env.join(' ')}`);
  lines.push(`USER ${users.image}`);
  return lines.join('\n') + '\n';
}

/** Builds (or finds, by its content hash) the image with the Features installed. */
export async function featuresImage(engine: Engine, o: FeaturesImageOptions, report: Reporter, signal?: AbortSignal): Promise<{ tag: string; image: ImageInspectInfo; built?: boolean }> {
  const baseEntries = parseMetadataLabel(o.baseImage.Config?.Labels?.[LABEL_METADATA]);
  const merged = mergeMetadata([...baseEntries, configEntry(o.config)], []);
  const imageUser = o.baseImage.Config?.User || 'root';
  const container = merged.containerUser || imageUser;
  const users = { remote: merged.remoteUser || container, container, image: imageUser };
  const h = nodeCrypto().createHash('sha256').update(`${RECIPE}\0${o.baseImage.Id}\0${canonical(users)}`);
  for (const f of o.features) h.update(`\0${f.key}\0${canonical(f.options)}\0${await hashFolder(f.dir)}`);
  const tag = `hb-features-${h.digest('hex').slice(0, 20)}`;
  if (!o.noCache) {
    const cached = await inspectImage(engine, tag);
    if (cached) {
      report.info(`Features ${o.features.map((f) => f.key).join(', ')} are already installed in image ${tag}.`);
      return { tag, image: cached };
    }
  }
  const ctx = await fs.mkdtemp(path.join(os.tmpdir(), 'hb-features-'));
  let baseRef: string | undefined;
  try {
    await fs.writeFile(path.join(ctx, 'run.sh'), RUN_SCRIPT);
    await fs.writeFile(path.join(ctx, 'install-all.sh'), installAllScript(o.features, users));
    for (const [i, f] of o.features.entries()) {
      const dest = path.join(ctx, `f${i}`);
      await fs.cp(f.dir, dest, { recursive: true, dereference: true });
      await fs.writeFile(path.join(dest, 'devcontainer-features.env'), optionsEnvFile(f.options));
    }
    // FROM a name, not the ID: the engine's BuildKit (2 to 3 times faster here than its classic
    // builder) would look an ID up in a registry. The name is made from the ID and points at it
    // for the build only, so the base is exactly the image inspected above.
    const baseTag = { repo: 'hb-features-base', tag: o.baseImage.Id.replace(/^sha256:/, '').slice(0, 32) };
    baseRef = `${baseTag.repo}:${baseTag.tag}`;
    await engine.docker.getImage(o.baseImage.Id).tag(baseTag);
    const dockerfile = path.join(ctx, 'Dockerfile');
    await fs.writeFile(dockerfile, featuresDockerfile(baseRef, o.features, users));
    throwIfCancelled(signal, 'Installing Features');
    report.step(`Installing Features ${o.features.map((f) => f.key).join(', ')} (image ${tag})`);
    const entries = [...baseEntries, ...o.features.map(featureEntry)];
    try {
      await buildImage(
        engine,
        { dockerfile, context: ctx, tag, noCache: o.noCache, labels: { [LABEL_METADATA]: JSON.stringify(entries), [LABEL_IMAGE_FOLDER]: o.folder }, env: o.env },
        report,
        signal,
      );
    } catch (e) {
      if (!(e instanceof RuntimeError) || e.code !== 'build-failed') throw e;
      // the failing step is a Feature's install.sh when it is the RUN of its folder
      const m = /hb-features: f(\d+) failed with exit code/.exec(e.message);
      const failing = m ? o.features[+m[1]] : undefined;
      const detail = e.message.replace(/^Building \S+ failed/, 'The build failed').replace(/^.*hb-features: f\d+ failed with exit code.*\n?/m, '');
      throw new RuntimeError(
        'build-failed',
        failing
          ? `Installing Feature "${failing.key}" failed: its install.sh exited with an error.\n${detail.replace(/Fix the Dockerfile \(or what it runs\)/, `Fix ${failing.key}/install.sh`)}`
          : `Installing the Features ${o.features.map((f) => f.key).join(', ')} failed.\n${detail.replace(/Fix the Dockerfile \(or what it runs\)/, 'Check the Features and the engine')}`,
      );
    }
  } finally {
    await fs.rm(ctx, { recursive: true, force: true }).catch(() => undefined);
    // only the name goes, when the base image has a name of its own (else removing the name
    // would remove the image)
    if (baseRef && (o.baseImage.RepoTags ?? []).some((t) => t !== baseRef && t !== '<none>:<none>')) {
      await engine.docker.getImage(baseRef).remove({ noprune: true }).catch(() => undefined);
    }
  }
  const image = await inspectImage(engine, tag);
  if (!image) throw new RuntimeError('build-failed', `The Features image ${tag} was built, but the engine has no such image afterwards.`);
  return { tag, image, built: true };
}

/**
 * With overrideCommand false, the entrypoints Features (or image metadata) contribute run first,
 * then the container's own entrypoint and command, as the reference implementation does.
 */
export function wrapEntrypoint(
  body: { Entrypoint?: string | string[]; Cmd?: string | string[] },
  image: Pick<ImageInspectInfo, 'Config'>,
  entrypoints: string[],
): void {
  if (!entrypoints.length) return;
  const list = (v: string | string[] | undefined | null) => (v === undefined || v === null ? undefined : Array.isArray(v) ? v : [v]);
  const own = list(body.Entrypoint) ?? list(image.Config?.Entrypoint) ?? [];
  const cmd = list(body.Cmd) ?? list(image.Config?.Cmd) ?? [];
  body.Entrypoint = ['/bin/sh', '-c', `${entrypoints.join('\n')}\nexec "$@"`, '-', ...own];
  body.Cmd = cmd;
}
