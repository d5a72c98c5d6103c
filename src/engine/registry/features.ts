// Features from registries and tarball URLs, downloaded once: an OCI Feature is a manifest whose
// layer (application/vnd.devcontainers.layer.v1+tar) is a tar of the Feature's folder. Each is
// unpacked into the cache folder under its manifest digest (a tarball under its own sha256), and
// an index maps each reference ("…/node:1") to the digest it last resolved to, so a registry that
// cannot be reached falls back to the copy it served before, with a warning.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { cacheDir, readJson, writeJson } from '../runtime/dirs';
import { RuntimeError } from '../runtime/errors';
import type { Reporter } from '../runtime/report';
import { describeNetworkError, MEDIA, RegistryClient, RegistryError, sha256, type Manifest } from './client';
import { formatRef, isPartialVersion, parseRef, registryScheme, resolveTag, type OciRef } from './reference';

export interface FetchedFeature {
  /** The unpacked folder (devcontainer-feature.json, install.sh, …), in the cache. */
  dir: string;
  /** For the lockfile: the version in its devcontainer-feature.json. */
  version?: string;
  /** For the lockfile: "registry/repository@sha256:…", or the tarball URL. */
  resolved: string;
  /** For the lockfile: the manifest's (or tarball's) digest. */
  integrity: string;
  /** The parsed reference (undefined for a tarball URL). */
  ref?: OciRef;
  /** Served from the cache because the registry could not be reached. */
  offline?: boolean;
}

export interface FetchOptions {
  client: RegistryClient;
  report: Reporter;
  env?: NodeJS.ProcessEnv;
  /** A lockfile's pin for this reference: fetched by digest instead of by tag. */
  locked?: { resolved?: string; integrity?: string };
}

export const isTarballFeature = (key: string) => /^https?:\/\//i.test(key);

export function featuresCache(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheDir(env), 'features');
}

const hex = (digest: string) => digest.replace(/^sha256:/, '');

interface IndexEntry {
  digest: string;
  resolved: string;
  at: string;
}

const indexFile = (env: NodeJS.ProcessEnv) => path.join(featuresCache(env), 'index.json');

async function remember(env: NodeJS.ProcessEnv, key: string, entry: IndexEntry): Promise<void> {
  const index = (await readJson<Record<string, IndexEntry>>(indexFile(env))) ?? {};
  index[key] = entry;
  await writeJson(indexFile(env), index);
}

async function recalled(env: NodeJS.ProcessEnv, key: string): Promise<IndexEntry | undefined> {
  return (await readJson<Record<string, IndexEntry>>(indexFile(env)))?.[key];
}

/** The unpacked folder of a digest, when the cache has it complete. */
async function cachedDir(env: NodeJS.ProcessEnv, digest: string): Promise<string | undefined> {
  const dir = path.join(featuresCache(env), hex(digest));
  return (await fs.stat(path.join(dir, 'devcontainer-feature.json')).catch(() => undefined)) ? dir : undefined;
}

/** Unpacks a (possibly gzipped) tar into the cache under its digest; atomic (temp folder + rename). */
export async function unpack(env: NodeJS.ProcessEnv, digest: string, bytes: Buffer, what: string): Promise<string> {
  const root = featuresCache(env);
  const dir = path.join(root, hex(digest));
  await fs.mkdir(root, { recursive: true });
  const tmp = await fs.mkdtemp(path.join(root, '.unpack-'));
  try {
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b;
    // only files and folders, inside the target: a Feature has no business with links or devices
    const { tarFs } = require('../runtime/lazy-build.js') as typeof import('../runtime/lazy-build.js');
    const extract = tarFs.extract(tmp, { ignore: (_name, header) => !!header && header.type !== 'file' && header.type !== 'directory', dmode: 0o755, fmode: 0o644 });
    // zlib loaded here, not with the module: every hb up loads this file, few unpack a Feature
    const { createGunzip } = require('node:zlib') as typeof import('node:zlib');
    if (gz) await pipeline(Readable.from([bytes]), createGunzip(), extract);
    else await pipeline(Readable.from([bytes]), extract);
    // some publishers put the files in a folder: use the one that holds the manifest
    let src = tmp;
    if (!(await fs.stat(path.join(tmp, 'devcontainer-feature.json')).catch(() => undefined))) {
      const subs = (await fs.readdir(tmp, { withFileTypes: true })).filter((d) => d.isDirectory());
      const inner = subs.length === 1 ? path.join(tmp, subs[0].name) : undefined;
      if (!inner || !(await fs.stat(path.join(inner, 'devcontainer-feature.json')).catch(() => undefined))) {
        throw new RegistryError('protocol', `${what}: the Feature's archive has no devcontainer-feature.json at its top level, so it is not a Feature.`);
      }
      src = inner;
    }
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(src, dir);
    return dir;
  } catch (e) {
    if (e instanceof RuntimeError) throw e;
    throw new RegistryError('protocol', `${what}: the Feature's archive could not be unpacked (${(e as Error).message}).`);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function versionOf(dir: string): Promise<string | undefined> {
  const m = await readJson<{ version?: unknown }>(path.join(dir, 'devcontainer-feature.json'));
  return typeof m?.version === 'string' ? m.version : undefined;
}

/** The Feature's tar layer in its manifest. */
function featureLayer(m: Manifest, what: string) {
  const layers = m.layers ?? [];
  const layer = layers.find((l) => l.mediaType === MEDIA.featureLayer) ?? (layers.length === 1 ? layers[0] : undefined);
  if (!layer) {
    throw new RegistryError(
      'protocol',
      m.manifests
        ? `${what}: this is an image index (a multi-platform image), not a Feature.`
        : `${what}: the manifest has no layer of type ${MEDIA.featureLayer}, so it is not a Dev Container Feature.`,
    );
  }
  return layer;
}

/** Fetches an OCI Feature (by digest, tag, or "1"/"1.2" resolved to the newest matching version). */
export async function fetchOciFeature(input: string, o: FetchOptions): Promise<FetchedFeature> {
  const env = o.env ?? process.env;
  const ref = parseRef(input);
  if (!ref) {
    throw new RuntimeError('config', `Feature "${input}" is not a valid reference: write "<registry>/<path>/<id>:<version>" (e.g. "ghcr.io/devcontainers/features/node:1"), "…@sha256:<digest>", or "./<folder>" for a local Feature.`);
  }
  const pinned = ref.digest ?? (o.locked?.integrity && /^sha256:[a-f0-9]{64}$/.test(o.locked.integrity) ? o.locked.integrity : undefined);
  // a digest needs no registry once its folder is cached
  if (pinned) {
    const dir = await cachedDir(env, pinned);
    if (dir) return { dir, version: await versionOf(dir), resolved: `${ref.resource}@${pinned}`, integrity: pinned, ref };
  }
  const what = `Feature "${input}"`;
  try {
    let got: Awaited<ReturnType<RegistryClient['manifest']>>;
    if (pinned) got = await o.client.manifest(ref, pinned);
    else {
      try {
        got = await o.client.manifest(ref, ref.tag);
      } catch (e) {
        // "1" / "1.2" when the registry has only full versions: the newest that matches
        if (!(e instanceof RegistryError) || e.kind !== 'not-found' || !isPartialVersion(ref.tag!)) throw e;
        const tags = await o.client.tags(ref);
        const tag = resolveTag(ref.tag!, tags);
        if (!tag) throw e;
        got = await o.client.manifest(ref, tag);
      }
    }
    const dir =
      (await cachedDir(env, got.digest)) ??
      (await (async () => {
        const layer = featureLayer(got.manifest, what);
        o.report.step(`Downloading Feature ${formatRef(ref)} (${layer.size} bytes)`);
        const bytes = await o.client.blob(ref, layer.digest);
        return unpack(env, got.digest, bytes, what);
      })());
    const resolved = `${ref.resource}@${got.digest}`;
    if (!ref.digest) await remember(env, formatRef(ref), { digest: got.digest, resolved, at: new Date().toISOString() });
    return { dir, version: await versionOf(dir), resolved, integrity: got.digest, ref };
  } catch (e) {
    if (!(e instanceof RegistryError) || e.kind !== 'unreachable') throw e;
    const last = await recalled(env, formatRef(ref));
    const dir = last && (await cachedDir(env, last.digest));
    if (!last || !dir) throw new RegistryError('unreachable', `${e.message} No copy of ${formatRef(ref)} is cached either, so the Feature cannot be installed. Check the network (or proxy) and try again.`);
    o.report.warn(`${e.message} Using the copy of ${formatRef(ref)} cached on ${last.at.slice(0, 10)} (${last.digest.slice(0, 19)}).`);
    return { dir, version: await versionOf(dir), resolved: last.resolved, integrity: last.digest, ref, offline: true };
  }
}

/** Fetches a Feature from an https tarball URL (http only for localhost), cached by the tarball's sha256. */
export async function fetchTarballFeature(url: string, o: FetchOptions & { timeoutMs?: number; signal?: AbortSignal }): Promise<FetchedFeature> {
  const env = o.env ?? process.env;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RuntimeError('config', `Feature "${url}" is not a valid URL.`);
  }
  if (u.protocol === 'http:' && registryScheme(u.host) !== 'http') {
    throw new RuntimeError('config', `Feature "${url}" is fetched over plain http, which HyperBox allows only for localhost. Use an https URL.`);
  }
  const pinned = o.locked?.integrity;
  if (pinned) {
    const dir = await cachedDir(env, pinned);
    if (dir) return { dir, version: await versionOf(dir), resolved: url, integrity: pinned };
  }
  const timeoutMs = o.timeoutMs ?? 60_000;
  const what = `Downloading Feature ${url}`;
  let bytes: Buffer;
  try {
    const signal = o.signal ? AbortSignal.any([o.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, { signal, redirect: 'follow' });
    } catch (e) {
      throw new RegistryError('unreachable', `${what} failed: ${describeNetworkError(e, timeoutMs)}.`);
    }
    if (res.status === 404) throw new RegistryError('not-found', `${what}: HTTP 404, there is no file at that URL.`);
    if (res.status === 401 || res.status === 403) throw new RegistryError('auth', `${what}: HTTP ${res.status}, the server refuses to serve it without credentials (HyperBox sends none for tarball URLs).`);
    if (!res.ok) throw new RegistryError(res.status >= 500 ? 'unreachable' : 'protocol', `${what}: HTTP ${res.status}.`);
    o.report.step(`Downloading Feature ${url}`);
    bytes = Buffer.from(await res.arrayBuffer());
  } catch (e) {
    if (!(e instanceof RegistryError) || e.kind !== 'unreachable') throw e;
    const last = await recalled(env, url);
    const dir = last && (await cachedDir(env, last.digest));
    if (!last || !dir) throw new RegistryError('unreachable', `${e.message} No copy of it is cached either. Check the network and try again.`);
    o.report.warn(`${e.message} Using the copy cached on ${last.at.slice(0, 10)}.`);
    return { dir, version: await versionOf(dir), resolved: url, integrity: last.digest, offline: true };
  }
  const digest = sha256(bytes);
  if (pinned && pinned !== digest) {
    throw new RegistryError('integrity', `${what}: the file has digest ${digest}, but devcontainer-lock.json pins ${pinned}. The file changed since the lockfile was written; nothing was installed. Run \`hb features upgrade\` if the change is expected.`);
  }
  const dir = (await cachedDir(env, digest)) ?? (await unpack(env, digest, bytes, what));
  await remember(env, url, { digest, resolved: url, at: new Date().toISOString() });
  return { dir, version: await versionOf(dir), resolved: url, integrity: digest };
}
