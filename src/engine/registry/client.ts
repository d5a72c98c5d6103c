// A client of the OCI distribution API (what ghcr.io, Docker Hub and Debian's docker-registry
// speak): manifests, tag lists and blobs, every request with a time limit, every download checked
// against its digest. Authentication follows the registry's 401 challenge: Bearer (a token from
// the realm it names, anonymous or with the user's credentials) or Basic (the user's credentials).
// Failures say what was asked of which host and why it failed (name resolution, connection, TLS,
// 401/403, 404 with the tags that exist), and carry a `kind` so callers can fall back to a cache
// only when the registry could not be reached.
import { RuntimeError } from '../runtime/errors';
import { nodeCrypto } from '../util/sha256';
import { lookupCredentials, type Credentials } from './credentials';
import { apiHost, registryScheme, type OciRef } from './reference';

export type RegistryFailure = 'unreachable' | 'auth' | 'not-found' | 'integrity' | 'protocol';

export class RegistryError extends RuntimeError {
  constructor(
    readonly kind: RegistryFailure,
    message: string,
  ) {
    super(kind === 'not-found' ? 'not-found' : 'registry', message);
  }
}

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  featureLayer: 'application/vnd.devcontainers.layer.v1+tar',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface Manifest {
  schemaVersion: number;
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ClientOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Per request (headers and body), default 30 s. */
  timeoutMs?: number;
}

export const sha256 = (b: Uint8Array) => `sha256:${nodeCrypto().createHash('sha256').update(b).digest('hex')}`;

/** Why a request never got an answer, in words, from the error fetch throws. */
export function describeNetworkError(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  const code = err?.cause?.code ?? (err as { code?: string })?.code;
  const detail = err?.cause?.message ?? err?.message ?? String(e);
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `the host name could not be resolved (${code}): check the name and your DNS or proxy`;
    case 'ECONNREFUSED':
      return 'the connection was refused (ECONNREFUSED): nothing listens there';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return `the connection was closed (${code})`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `no answer in time (${code})`;
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return `the network cannot reach the host (${code})`;
  }
  if (code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i.test(code)) {
    return `the TLS handshake failed (${code}: ${detail}): the registry's certificate is not trusted here (NODE_EXTRA_CA_CERTS can add a CA)`;
  }
  if (/wrong version number|packet length too long/i.test(detail)) return `the TLS handshake failed (${detail}): the registry may speak plain http, which HyperBox uses only for localhost`;
  return code ? `${detail} (${code})` : detail;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (or `Basic realm="…"`). */
export function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2]))) params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  return { scheme: m[1].toLowerCase(), params };
}

export class RegistryClient {
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;
  private readonly signal?: AbortSignal;
  /** Authorization header per registry and scope, once a challenge was answered. */
  private readonly authorization = new Map<string, string>();
  private readonly credentials = new Map<string, Promise<Credentials | undefined>>();

  constructor(o: ClientOptions = {}) {
    this.env = o.env ?? process.env;
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.signal = o.signal;
  }

  baseUrl(registry: string): string {
    return `${registryScheme(registry)}://${apiHost(registry)}/v2/`;
  }

  credentialsFor(registry: string): Promise<Credentials | undefined> {
    let c = this.credentials.get(registry);
    if (!c) {
      c = lookupCredentials(registry, this.env).catch((e: Error) => {
        throw new RegistryError('auth', e.message);
      });
      this.credentials.set(registry, c);
    }
    return c;
  }

  private timeout(): AbortSignal {
    const t = AbortSignal.timeout(this.timeoutMs);
    return this.signal ? AbortSignal.any([this.signal, t]) : t;
  }

  private async fetchOnce(url: string, init: RequestInit, what: string, registry: string): Promise<Response> {
    if (this.signal?.aborted) throw new RuntimeError('cancelled', `${what} was cancelled.`);
    try {
      return await fetch(url, { ...init, signal: this.timeout(), redirect: 'follow' });
    } catch (e) {
      if (this.signal?.aborted) throw new RuntimeError('cancelled', `${what} was cancelled.`);
      throw new RegistryError('unreachable', `${what} failed: ${url} could not be reached: ${describeNetworkError(e, this.timeoutMs)}. Registry ${registry} was asked over ${registryScheme(registry)}.`);
    }
  }

  /** Answers a 401 challenge: a token from the Bearer realm, or Basic credentials. Returns the header. */
  private async answerChallenge(res: Response, ref: OciRef, scope: string, what: string): Promise<string> {
    const challenge = parseChallenge(res.headers.get('www-authenticate'));
    const creds = await this.credentialsFor(ref.registry);
    const basic = creds?.username !== undefined ? `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}` : undefined;
    if (!challenge) throw new RegistryError('auth', `${what}: registry ${ref.registry} answered 401 without saying how to authenticate (no WWW-Authenticate header).`);
    if (challenge.scheme === 'basic') {
      if (!basic) throw this.noCredentials(ref, what);
      return basic;
    }
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) {
      throw new RegistryError('auth', `${what}: registry ${ref.registry} asks for "${challenge.scheme}" authentication, which HyperBox does not speak (it speaks Bearer tokens and Basic).`);
    }
    const realm = new URL(challenge.params.realm);
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    realm.searchParams.set('scope', challenge.params.scope ?? scope);
    const headers: Record<string, string> = { accept: 'application/json' };
    let tokenRes: Response;
    if (creds?.identityToken) {
      const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, service: challenge.params.service ?? '', scope: challenge.params.scope ?? scope, client_id: 'hyperbox' });
      tokenRes = await this.fetchOnce(challenge.params.realm, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body }, `${what} (token from ${realm.host})`, ref.registry);
    } else {
      if (basic) headers.authorization = basic;
      tokenRes = await this.fetchOnce(realm.toString(), { headers }, `${what} (token from ${realm.host})`, ref.registry);
    }
    if (tokenRes.status === 401 || tokenRes.status === 403) {
      throw new RegistryError(
        'auth',
        `${what}: the token service ${realm.origin}${realm.pathname} refused ${creds ? `the credentials from ${creds.source}` : 'an anonymous token'} (HTTP ${tokenRes.status}).` +
          (creds ? ' Log in again (docker login) or check the credentials.' : ` The repository is private: log in with \`docker login ${ref.registry}\`.`),
      );
    }
    if (!tokenRes.ok) throw new RegistryError('auth', `${what}: the token service ${realm.origin}${realm.pathname} answered HTTP ${tokenRes.status}.`);
    let token: string | undefined;
    try {
      const o = (await tokenRes.json()) as { token?: string; access_token?: string };
      token = o.token ?? o.access_token;
    } catch {
      /* below */
    }
    if (!token) throw new RegistryError('auth', `${what}: the token service ${realm.origin}${realm.pathname} answered without a token.`);
    return `Bearer ${token}`;
  }

  private noCredentials(ref: OciRef, what: string): RegistryError {
    return new RegistryError('auth', `${what}: registry ${ref.registry} needs credentials and Docker's config (~/.docker/config.json) has none for it. Log in with \`docker login ${ref.registry}\`.`);
  }

  /** A GET in a repository, authenticated as the registry asks; throws on anything but 2xx. */
  async get(ref: OciRef, apiPath: string, accept: string, what: string): Promise<Response> {
    const url = this.baseUrl(ref.registry) + apiPath;
    const scope = `repository:${ref.repository}:pull`;
    const key = `${ref.registry}\0${scope}`;
    const send = (auth?: string) => this.fetchOnce(url, { headers: { accept, ...(auth ? { authorization: auth } : {}) } }, what, ref.registry);
    let res = await send(this.authorization.get(key));
    if (res.status === 401) {
      await res.body?.cancel().catch(() => undefined);
      const auth = await this.answerChallenge(res, ref, scope, what);
      this.authorization.set(key, auth);
      res = await send(auth);
      if (res.status === 401) {
        const creds = await this.credentialsFor(ref.registry);
        throw new RegistryError('auth', `${what}: registry ${ref.registry} refused ${creds ? `the credentials from ${creds.source}` : 'anonymous access'} (HTTP 401).${creds ? ' Log in again with `docker login`.' : ` Log in with \`docker login ${ref.registry}\`.`}`);
      }
    }
    if (res.status === 403) {
      const creds = await this.credentialsFor(ref.registry);
      throw new RegistryError('auth', `${what}: registry ${ref.registry} denied access to ${ref.repository} (HTTP 403)${creds ? ` for the credentials from ${creds.source}` : ''}. Check that this account may pull it.`);
    }
    if (!res.ok && res.status !== 404) {
      const text = (await res.text().catch(() => '')).slice(0, 300);
      throw new RegistryError(res.status >= 500 || res.status === 429 ? 'unreachable' : 'protocol', `${what}: ${url} answered HTTP ${res.status}${text ? `: ${text}` : ''}.`);
    }
    return res;
  }

  /** The repository's tags (empty when it does not exist). */
  async tags(ref: OciRef): Promise<string[]> {
    const what = `Listing the tags of ${ref.resource}`;
    const out: string[] = [];
    let next: string | undefined = `${ref.repository}/tags/list?n=1000`;
    for (let page = 0; next && page < 50; page++) {
      const res = await this.get(ref, next, 'application/json', what);
      if (res.status === 404) return out;
      const body = (await res.json().catch(() => ({}))) as { tags?: string[] | null };
      out.push(...(body.tags ?? []));
      const link = /<([^>]+)>;\s*rel="?next"?/.exec(res.headers.get('link') ?? '')?.[1];
      next = link ? link.replace(/^\/v2\//, '') : undefined;
    }
    return out;
  }

  /** A manifest by tag or digest, its bytes checked against the digest. */
  async manifest(ref: OciRef, reference: string = ref.digest ?? ref.tag ?? 'latest'): Promise<{ digest: string; manifest: Manifest; bytes: Buffer }> {
    const what = `Fetching ${ref.resource}:${reference}`.replace(/:sha256:/, '@sha256:');
    const res = await this.get(ref, `${ref.repository}/manifests/${reference}`, [MEDIA.ociManifest, MEDIA.dockerManifest, MEDIA.ociIndex, MEDIA.dockerList].join(', '), what);
    if (res.status === 404) {
      await res.body?.cancel().catch(() => undefined);
      const tags = await this.tags(ref).catch(() => undefined);
      const exists = tags === undefined ? '' : tags.length ? ` Tags that exist: ${tags.slice(0, 20).join(', ')}${tags.length > 20 ? ` (and ${tags.length - 20} more)` : ''}.` : ` The repository ${ref.resource} has no tags (or does not exist).`;
      throw new RegistryError('not-found', `${ref.input}: registry ${ref.registry} has no ${reference.startsWith('sha256:') ? `manifest ${reference}` : `tag "${reference}"`} for ${ref.repository} (HTTP 404).${exists}`);
    }
    const bytes = Buffer.from(await this.readBody(res, what, 4 << 20));
    const digest = sha256(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new RegistryError('integrity', `${what}: the manifest served has digest ${digest}, not the ${reference} asked for. The registry (or something between) served other content: nothing was used.`);
    }
    const header = res.headers.get('docker-content-digest');
    if (header && header !== digest && /^sha256:/.test(header)) {
      throw new RegistryError('integrity', `${what}: the manifest's content has digest ${digest}, but the registry says ${header}. Nothing was used.`);
    }
    let manifest: Manifest;
    try {
      manifest = JSON.parse(bytes.toString('utf8')) as Manifest;
    } catch {
      throw new RegistryError('protocol', `${what}: the registry answered something that is not a JSON manifest.`);
    }
    return { digest, manifest, bytes };
  }

  /** A blob's bytes, checked against its digest. */
  async blob(ref: OciRef, digest: string, maxBytes = 512 << 20): Promise<Buffer> {
    const what = `Downloading ${digest.slice(0, 19)} of ${ref.resource}`;
    const res = await this.get(ref, `${ref.repository}/blobs/${digest}`, '*/*', what);
    if (res.status === 404) throw new RegistryError('not-found', `${what}: registry ${ref.registry} has no blob ${digest} in ${ref.repository} (HTTP 404), although the manifest names it.`);
    const bytes = Buffer.from(await this.readBody(res, what, maxBytes));
    const got = sha256(bytes);
    if (got !== digest) {
      throw new RegistryError('integrity', `${what}: the content downloaded has digest ${got}, not ${digest} as the manifest says. The download was discarded; nothing was installed.`);
    }
    return bytes;
  }

  private async readBody(res: Response, what: string, max: number): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let n = 0;
    try {
      for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
        n += c.length;
        if (n > max) throw new RegistryError('protocol', `${what}: more than ${max} bytes; stopped.`);
        chunks.push(c);
      }
    } catch (e) {
      if (e instanceof RegistryError) throw e;
      if (this.signal?.aborted) throw new RuntimeError('cancelled', `${what} was cancelled.`);
      throw new RegistryError('unreachable', `${what}: the download broke off after ${n} bytes: ${describeNetworkError(e, this.timeoutMs)}.`);
    }
    return Buffer.concat(chunks);
  }
}
