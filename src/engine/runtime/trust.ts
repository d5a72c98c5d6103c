// Trust: anything in a config that runs code or reaches into the host — initializeCommand, image
// builds, lifecycle commands, privileged containers, mounts of / or the Docker socket — runs only
// for a trusted folder. In the editor that is Workspace Trust; hb asks once per folder and
// remembers the answer in the user's config folder, keyed by the folder and a hash of exactly
// those settings, so it asks again when they change.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { configDir, readJson, writeJson } from './dirs';
import { canonical } from './inputs';
import { LIFECYCLE_HOOKS } from './metadata';

export interface TrustNeeds {
  /** Why trust is needed, one line each; empty when the config needs none. */
  reasons: string[];
  /** Hash of the trust-relevant settings. */
  hash: string;
}

const SOCKETS = ['/var/run/docker.sock', '/run/docker.sock', '/run/podman/podman.sock'];

function short(v: unknown): string {
  const s = typeof v === 'string' ? v : Array.isArray(v) ? v.join(' ') : JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function mountSources(config: Record<string, unknown>, workspaceMount: string | null): string[] {
  const out: string[] = [];
  const fromString = (m: string) => {
    for (const part of m.split(',')) {
      const [k, v] = part.split('=');
      if ((k === 'source' || k === 'src') && v) out.push(v);
    }
  };
  for (const m of (config.mounts as unknown[]) ?? []) {
    if (typeof m === 'string') fromString(m);
    else if (m && typeof m === 'object' && typeof (m as { source?: unknown }).source === 'string') out.push((m as { source: string }).source);
  }
  if (workspaceMount) fromString(workspaceMount);
  const args = (config.runArgs as unknown[]) ?? [];
  for (let i = 0; i < args.length; i++) {
    const a = String(args[i]);
    const val = (flag: string) => (a === flag ? String(args[i + 1] ?? '') : a.startsWith(`${flag}=`) ? a.slice(flag.length + 1) : undefined);
    const v = val('-v') ?? val('--volume');
    if (v !== undefined) out.push(v.split(':')[0]);
    const m = val('--mount');
    if (m !== undefined) fromString(m);
  }
  return out;
}

export function trustNeeds(config: Record<string, unknown>, kind: string | null, workspaceMount: string | null = null): TrustNeeds {
  const reasons: string[] = [];
  const relevant: Record<string, unknown> = {};
  if (config.initializeCommand !== undefined) {
    reasons.push(`initializeCommand runs on this machine: ${short(config.initializeCommand)}`);
    relevant.initializeCommand = config.initializeCommand;
  }
  if (kind === 'dockerfile') {
    const build = config.build as Record<string, unknown> | undefined;
    reasons.push(`it builds an image from ${short(build?.dockerfile ?? config.dockerFile)} (its RUN steps run on the Docker engine)`);
    relevant.build = build ?? { dockerFile: config.dockerFile, context: config.context };
  }
  if (kind === 'compose') {
    reasons.push('it starts Docker Compose services');
    relevant.dockerComposeFile = config.dockerComposeFile;
  }
  for (const hook of LIFECYCLE_HOOKS) {
    if (config[hook] !== undefined) {
      reasons.push(`${hook} runs in the container: ${short(config[hook])}`);
      relevant[hook] = config[hook];
    }
  }
  const runArgs = ((config.runArgs as unknown[]) ?? []).map(String);
  if (config.privileged === true || runArgs.some((a) => a === '--privileged' || a === '--privileged=true')) {
    reasons.push('the container runs privileged (it can reach the host\'s devices and kernel)');
    relevant.privileged = true;
  }
  const sources = mountSources(config, workspaceMount).map((s) => path.posix.normalize(s));
  if (sources.includes('/')) {
    reasons.push('it mounts the host\'s root folder /');
    relevant.mountsRoot = true;
  }
  const socket = sources.find((s) => SOCKETS.includes(s) || /docker\.sock$|podman\.sock$/.test(s));
  if (socket) {
    reasons.push(`it mounts the Docker socket ${socket} (full control of the Docker engine, and so of this machine)`);
    relevant.socket = socket;
  }
  if (Array.isArray(config.features) ? config.features.length : config.features && Object.keys(config.features).length) {
    reasons.push('it installs Features (their install scripts run in the image build)');
    relevant.features = config.features;
  }
  return { reasons, hash: createHash('sha256').update(canonical(relevant)).digest('hex') };
}

type TrustStore = Record<string, { hash: string; trustedAt: string }>;

const storeFile = (env: NodeJS.ProcessEnv) => path.join(configDir(env), 'trust.json');

/** Whether the folder was trusted with exactly these settings. */
export async function isTrusted(env: NodeJS.ProcessEnv, folder: string, needs: TrustNeeds): Promise<boolean> {
  if (!needs.reasons.length) return true;
  const store = (await readJson<TrustStore>(storeFile(env))) ?? {};
  return store[folder]?.hash === needs.hash;
}

export async function rememberTrust(env: NodeJS.ProcessEnv, folder: string, needs: TrustNeeds): Promise<void> {
  const store = (await readJson<TrustStore>(storeFile(env))) ?? {};
  store[folder] = { hash: needs.hash, trustedAt: new Date().toISOString() };
  await writeJson(storeFile(env), store);
}
