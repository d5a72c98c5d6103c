// Registry credentials as the Docker CLI keeps them: ~/.docker/config.json (or $DOCKER_CONFIG/
// config.json) with `auths` (base64 "user:password" or an identity token), `credHelpers` (a
// docker-credential-<name> helper per registry) and `credsStore` (one helper for all). Helpers
// are asked with `docker-credential-<name> get`, the registry on stdin, JSON on stdout.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProgram } from '../util/program';

export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth refresh token (Docker's "identitytoken"), exchanged at the token endpoint. */
  identityToken?: string;
  /** Where they came from, for messages ("~/.docker/config.json auths", "docker-credential-pass"). */
  source: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export function dockerConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
  return path.join(dir, 'config.json');
}

/** The keys a registry may be stored under: "host", "https://host", "http://host", Hub's legacy URL. */
function keysFor(registry: string): string[] {
  if (registry === 'docker.io') return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

function findKey<T>(map: Record<string, T> | undefined, registry: string): [string, T] | undefined {
  if (!map) return undefined;
  for (const k of keysFor(registry)) if (map[k] !== undefined) return [k, map[k]];
  return undefined;
}

/** Runs `docker-credential-<helper> get` for a registry; undefined when it knows none. */
export async function askHelper(helper: string, serverUrl: string, env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<Credentials | undefined> {
  const bin = `docker-credential-${helper}`;
  const r = await runProgram(bin, ['get'], { env, timeoutMs, maxBuffer: 1 << 20, input: serverUrl });
  if (r.code !== 0) {
    const out = `${r.stdout}${r.stderr}`.trim();
    // helpers say "credentials not found in native keychain" when they have none
    if (/not found/i.test(out)) return undefined;
    const why = r.error?.code === 'ENOENT' ? `${bin} is not on the PATH` : out || r.error?.message || `exit code ${r.code}`;
    throw new Error(`The Docker credential helper ${bin} failed for ${serverUrl}: ${why}. Docker's config (${dockerConfigFile(env)}) names it; install it or remove it from "credHelpers"/"credsStore".`);
  }
  let o: { Username?: string; Secret?: string };
  try {
    o = JSON.parse(r.stdout) as { Username?: string; Secret?: string };
  } catch {
    throw new Error(`The Docker credential helper ${bin} answered something that is not JSON for ${serverUrl}.`);
  }
  if (!o.Secret) return undefined;
  // "<token>" as the user name means the secret is an identity token
  if (o.Username === '<token>') return { identityToken: o.Secret, source: bin };
  return { username: o.Username, password: o.Secret, source: bin };
}

/** The credentials Docker's config holds for a registry, or undefined (anonymous). */
export async function lookupCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  const file = dockerConfigFile(env);
  let config: DockerConfig;
  try {
    config = JSON.parse(await fs.readFile(file, 'utf8')) as DockerConfig;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`Docker's config ${file} could not be read (${(e as Error).message}), so no registry credentials were taken from it. Fix or remove the file.`);
  }
  const helper = findKey(config.credHelpers, registry);
  if (helper) return askHelper(helper[1], helper[0], env);
  const entry = findKey(config.auths, registry);
  if (entry) {
    const [key, a] = entry;
    const source = `${file} "auths" ("${key}")`;
    if (a.identitytoken) return { identityToken: a.identitytoken, source };
    if (a.auth) {
      const decoded = Buffer.from(a.auth, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1), source };
    }
    if (a.username && a.password) return { username: a.username, password: a.password, source };
  }
  if (config.credsStore) return askHelper(config.credsStore, entry?.[0] ?? (registry === 'docker.io' ? 'https://index.docker.io/v1/' : registry), env);
  return undefined;
}

/** The X-Registry-Auth / dockerode `authconfig` form of credentials, for image pulls. */
export function dockerAuthConfig(registry: string, c: Credentials | undefined): Record<string, string> | undefined {
  if (!c) return undefined;
  const serveraddress = registry === 'docker.io' ? 'https://index.docker.io/v1/' : registry;
  if (c.identityToken) return { identitytoken: c.identityToken, serveraddress };
  return { username: c.username ?? '', password: c.password ?? '', serveraddress };
}
