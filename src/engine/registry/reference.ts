// References to things in an OCI registry ("ghcr.io/devcontainers/features/node:1",
// "localhost:5000/team/tool@sha256:…", "debian:12"), parsed without I/O. Feature references always
// name their registry; image references without one are Docker Hub's ("docker.io/library/debian").

// semver, required on first use: only a registry's tag list needs it, and building its ranges and
// patterns costs every up a few ms otherwise (esbuild runs a required package at its first require)
const semverLib = (): typeof import('semver') => require('semver') as typeof import('semver');

export interface OciRef {
  /** The registry host (and port): "ghcr.io", "localhost:5000". */
  registry: string;
  /** The repository path in the registry: "devcontainers/features/node". */
  repository: string;
  /** The tag, when the reference has one ("latest" when it names neither tag nor digest). */
  tag?: string;
  /** "sha256:…" when the reference pins a digest. */
  digest?: string;
  /** registry/repository, no tag or digest: the key the lockfile and `dependsOn` compare. */
  resource: string;
  /** The last path segment: a Feature's id. */
  id: string;
  /** What the user wrote. */
  input: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

const HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d+)?$|^\[[0-9a-f:]+\](?::\d+)?$/i;

function isHost(segment: string): boolean {
  return (segment.includes('.') || segment.includes(':') || segment === 'localhost') && HOST.test(segment);
}

/**
 * Parses a reference; undefined when it is not one (the caller says what is wrong with it).
 * `defaultRegistry` (images: "docker.io") is used when the first segment is not a host.
 */
export function parseRef(input: string, defaultRegistry?: string): OciRef | undefined {
  let rest = input.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  const segments = rest.split('/');
  let registry: string;
  if (segments.length > 1 && isHost(segments[0])) registry = segments.shift()!;
  else if (defaultRegistry) registry = defaultRegistry;
  else return undefined;
  if (registry === 'docker.io' || registry === 'index.docker.io') {
    registry = 'docker.io';
    if (segments.length === 1) segments.unshift('library');
  }
  if (!segments.length || !segments.every((s) => PATH_COMPONENT.test(s))) return undefined;
  const repository = segments.join('/');
  if (!tag && !digest) tag = 'latest';
  return { registry, repository, tag, digest, resource: `${registry}/${repository}`, id: segments[segments.length - 1], input };
}

/** The reference written back: resource, then :tag or @digest. */
export function formatRef(ref: Pick<OciRef, 'resource' | 'tag' | 'digest'>): string {
  return ref.digest ? `${ref.resource}@${ref.digest}` : `${ref.resource}:${ref.tag ?? 'latest'}`;
}

/** The host the registry API answers on (Docker Hub's API is not at docker.io). */
export function apiHost(registry: string): string {
  return registry === 'docker.io' ? 'registry-1.docker.io' : registry;
}

/**
 * Plain http only for "localhost" and "localhost:<port>", as the reference implementation does
 * (it uses https for 127.0.0.1 too); https for every other registry.
 */
export function registryScheme(registry: string): 'http' | 'https' {
  return /^localhost(:\d+)?$/.test(registry) ? 'http' : 'https';
}

/** Whether a tag is a partial version ("1", "1.2") that stands for the newest release it covers. */
export function isPartialVersion(tag: string): boolean {
  return /^\d+(\.\d+)?$/.test(tag);
}

/**
 * The tag a reference's tag stands for among the tags that exist: itself when it exists, else for
 * "1" / "1.2" the highest full version ("1.4.2") within it. Undefined when none matches.
 */
export function resolveTag(tag: string, tags: readonly string[]): string | undefined {
  if (tags.includes(tag)) return tag;
  if (!isPartialVersion(tag)) return undefined;
  const semver = semverLib();
  const versions = tags.filter((t) => semver.valid(t) && !semver.prerelease(t));
  return semver.maxSatisfying(versions, `${tag}.x`) ?? undefined;
}

/** The highest release among the tags (for `hb features outdated`), optionally within a major. */
export function latestVersion(tags: readonly string[], major?: number): string | undefined {
  const semver = semverLib();
  const versions = tags.filter((t) => semver.valid(t) && !semver.prerelease(t));
  return semver.maxSatisfying(versions, major === undefined ? '*' : `${major}.x`) ?? undefined;
}
