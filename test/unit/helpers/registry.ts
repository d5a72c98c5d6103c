// A real OCI registry for tests: Debian's docker-registry (the distribution server) on
// 127.0.0.1 with its storage in a temp folder, optionally behind htpasswd (bcrypt) or a Bearer
// token issuer; and publishing Dev Container Features to it through the OCI push API, as the
// reference CLI's `features publish` lays them out (one tar layer, metadata annotation).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import bcrypt from 'bcryptjs';
import * as tarFs from 'tar-fs';

export const DOCKER_REGISTRY = '/usr/bin/docker-registry';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestRegistry {
  port: number;
  /** Its temp folder (config, and storage under data/). */
  dir: string;
  /** "localhost:<port>": the name features reference (plain http, as for the reference CLI). */
  host: string;
  /** The Authorization header to push with (undefined for an open registry). */
  pushAuth?: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** htpasswd users (bcrypt), as docker-registry's `auth.htpasswd`. */
  users?: Record<string, string>;
  /** Token auth: docker-registry's `auth.token` with this realm, issuer, service and cert bundle. */
  token?: { realm: string; issuer: string; service: string; rootCertBundle: string };
}

export async function startRegistry(o: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hb-registry-'));
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  let pushAuth: string | undefined;
  if (o.users) {
    const file = path.join(dir, 'htpasswd');
    writeFileSync(file, Object.entries(o.users).map(([u, p]) => `${u}:${bcrypt.hashSync(p, 5)}`).join('\n') + '\n');
    lines.push('auth:', '  htpasswd:', '    realm: hb-test', `    path: ${file}`);
    const [u, p] = Object.entries(o.users)[0];
    pushAuth = `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  }
  if (o.token) {
    lines.push('auth:', '  token:', `    realm: ${o.token.realm}`, `    service: ${o.token.service}`, `    issuer: ${o.token.issuer}`, `    rootcertbundle: ${o.token.rootCertBundle}`);
  }
  const config = path.join(dir, 'config.yml');
  writeFileSync(config, lines.join('\n') + '\n');
  const child: ChildProcess = spawn(DOCKER_REGISTRY, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${stderr}`);
    const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      () => true,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`docker-registry did not answer on 127.0.0.1:${port} within 15 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    dir,
    host: `localhost:${port}`,
    pushAuth,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A tar of a folder's files (relative names, as `features publish` makes them). */
export async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hb-feature-src-'));
  try {
    for (const [rel, text] of Object.entries(files)) writeFileSync(path.join(dir, rel), text, { mode: rel.endsWith('.sh') ? 0o755 : 0o644 });
    const chunks: Buffer[] = [];
    const pack = tarFs.pack(dir, { map: (h) => ({ ...h, mtime: new Date(0), uid: 0, gid: 0 }) });
    for await (const c of pack) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function send(url: string, init: RequestInit & { headers?: Record<string, string> }, auth?: string): Promise<Response> {
  const res = await fetch(url, { ...init, headers: { ...(init.headers ?? {}), ...(auth ? { authorization: auth } : {}) } });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

/** Where the registry keeps a blob's bytes (tests change them to serve content that does not match). */
export function blobFile(r: Pick<TestRegistry, 'dir'>, digest: string): string {
  const hex = digest.slice(7);
  return path.join(r.dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

/** Uploads a blob (monolithic POST then PUT); returns its digest. */
export async function pushBlob(r: Pick<TestRegistry, 'port' | 'pushAuth'>, repo: string, bytes: Buffer, auth = r.pushAuth): Promise<string> {
  const digest = digestOf(bytes);
  const base = `http://127.0.0.1:${r.port}`;
  const start = await send(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' }, auth);
  const loc = new URL(start.headers.get('location')!, base);
  loc.searchParams.set('digest', digest);
  await send(loc.toString(), { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(bytes) }, auth);
  return digest;
}

export async function pushManifest(r: Pick<TestRegistry, 'port' | 'pushAuth'>, repo: string, tag: string, manifest: object, auth = r.pushAuth): Promise<string> {
  const bytes = Buffer.from(JSON.stringify(manifest));
  await send(`http://127.0.0.1:${r.port}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: new Uint8Array(bytes) }, auth);
  return digestOf(bytes);
}

export interface PublishedFeature {
  manifestDigest: string;
  layerDigest: string;
}

/**
 * Publishes a Feature (its devcontainer-feature.json from `manifest`, install.sh from `install`)
 * as `<repo>:<tag>` for each tag; by default the tags a release gets: "1.2.3", "1.2", "1", "latest".
 */
export async function publishFeature(
  r: Pick<TestRegistry, 'port' | 'pushAuth'>,
  repo: string,
  manifest: Record<string, unknown> & { id: string; version: string },
  install: string,
  tags?: string[],
  auth = r.pushAuth,
): Promise<PublishedFeature> {
  const files = { 'devcontainer-feature.json': JSON.stringify(manifest, null, 2), 'install.sh': install };
  const layer = await tarOf(files);
  const layerDigest = await pushBlob(r, repo, layer, auth);
  const config = Buffer.from('{}');
  const configDigest = await pushBlob(r, repo, config, auth);
  const m = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.devcontainers', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.devcontainers.layer.v1+tar', digest: layerDigest, size: layer.length, annotations: { 'org.opencontainers.image.title': `devcontainer-feature-${manifest.id}.tgz` } }],
    annotations: { 'dev.containers.metadata': JSON.stringify(manifest), 'com.github.package.type': 'devcontainer_feature' },
  };
  const [maj, min] = manifest.version.split('.');
  let manifestDigest = '';
  for (const tag of tags ?? [manifest.version, `${maj}.${min}`, maj, 'latest']) manifestDigest = await pushManifest(r, repo, tag, m, auth);
  return { manifestDigest, layerDigest };
}
