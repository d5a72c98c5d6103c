// Docker Compose configs (dockerComposeFile + service + runServices), through `docker compose`
// (the v2 plugin) or `docker-compose` (v1), whichever is installed. What the dev service needs
// from HyperBox — the reference implementation's labels and ours, containerEnv, mounts, the
// keep-alive when overrideCommand is true, security options — goes into an override file in the
// cache folder (never the workspace), passed after the user's files. The project name follows the
// reference implementation's rules, so a project started by either tool is found by the other.
// Local Features are installed in an image derived from the service's (the override names it), and
// what up adds to any new container (SSH agent, language profile) reaches the override too.
import type { ValidConfig } from '../../devcontainer/config';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ContainerCreateOptions } from 'dockerode';
import type { ResolvedConfig } from '../../../protocol';
import { idLabels } from '../../devcontainer/id';
import { VERSION } from '../../version';
import { cacheDir } from '../dirs';
import type { Engine } from '../engine/docker';
import { lastLines, RuntimeError, throwIfCancelled } from '../errors';
import { ensureImage, inspectImage } from '../build/image';
import { chooseBuildKitCli, findComposePlugin } from '../engine/dockerCli';
import { childProcess, findAllOnPath } from '../../util/program';
import { sha256 } from '../../util/sha256';
import { buildKitReason } from '../build/dockerfile';
import { LABEL_INPUTS, LABEL_METADATA, LABEL_VERSION } from './labels';
import { configEntry, mergeMetadata, parseMetadataLabel, type MergedConfig, type MetadataEntry } from '../build/metadata';
import { parseBytes, parseMount, type ApiMount } from './mounts';
import { featuresImage, type LocalFeature } from '../build/features';
import type { Reporter } from '../report';
import { KEEP_ALIVE } from '../lifecycle/snippets';
import { buildFinding, commandFindings, healthcheckFinding, ownCommandFinding, requestFindings, type CreateRequestLike, type RequestScope, type TrustFinding } from './trust';

/** Parses YAML with js-yaml, loaded on first use (lazy-compose.ts): an up of an image or Dockerfile config never needs it. */
function loadYaml(text: string): unknown {
  const { yaml } = require('../lazy-compose.js') as typeof import('../lazy-compose.js');
  return yaml.load(text);
}

export const LABEL_COMPOSE_PROJECT = 'com.docker.compose.project';
export const LABEL_COMPOSE_SERVICE = 'com.docker.compose.service';

/** The keep-alive of a compose dev service whose command is overridden ($ escaped for compose). */

export interface ComposeCli {
  /** The program and the arguments before compose's own: ["docker", "compose"] or ["docker-compose"]. */
  argv: string[];
  version: string;
  /** v2 (the plugin) or later. */
  v2: boolean;
}

function run(argv: string[], env: NodeJS.ProcessEnv, opts: { cwd?: string; signal?: AbortSignal; onOutput?: (s: string) => void } = {}): Promise<{ code: number; stdout: string; output: string; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    let stdout = '';
    let output = '';
    const child = childProcess().spawn(argv[0], argv.slice(1), { env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const onAbort = () => child.kill('SIGTERM');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => {
      const s = b.toString('utf8');
      stdout += s;
      output = (output + s).slice(-64_000);
      opts.onOutput?.(s);
    });
    child.stderr.on('data', (b: Buffer) => {
      const s = b.toString('utf8');
      output = (output + s).slice(-64_000);
      opts.onOutput?.(s);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ code: -1, stdout, output, error });
    });
    child.on('close', (code) => {
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ code: code ?? 1, stdout, output });
    });
  });
}

const cliCache = new Map<string, Promise<ComposeCli>>();

/**
 * `docker compose` when a docker CLI has the plugin, else `docker-compose`
 * (HB_DOCKER_COMPOSE_PATH overrides the latter); an error naming both when neither runs.
 */
export function findComposeCli(env: NodeJS.ProcessEnv): Promise<ComposeCli> {
  const docker = env.HB_DOCKER_PATH || 'docker';
  const v1 = env.HB_DOCKER_COMPOSE_PATH || 'docker-compose';
  const key = `${env.HB_DOCKER_PATH ?? ''}\0${env.PATH ?? ''}\0${v1}`;
  let found = cliCache.get(key);
  if (!found) {
    found = (async () => {
      // the plugin of any docker client here (dockerCli.ts: HB_DOCKER_PATH, each on PATH, Debian's)
      const plugin = await findComposePlugin(env);
      if (plugin) return { argv: [plugin.docker, 'compose'], version: plugin.version, v2: true };
      const old = await run([v1, 'version', '--short'], env);
      if (old.code === 0 && /^v?\d/.test(old.stdout.trim())) {
        const version = old.stdout.trim().replace(/^v/, '');
        return { argv: [v1], version, v2: +version.split('.')[0] >= 2 };
      }
      throw new RuntimeError(
        'unsupported',
        `This config uses Docker Compose (dockerComposeFile), but neither "${docker} compose" (the Compose v2 plugin) nor "${v1}" (Compose v1) is installed. ` +
          'Install one of them (Debian: apt-get install docker-compose), or set HB_DOCKER_COMPOSE_PATH to a docker-compose program.',
      );
    })();
    found.catch(() => cliCache.delete(key));
    cliCache.set(key, found);
  }
  return found;
}

/** Compose project names: lower case; Compose 1.21 and later also keep "-" and "_". */
export function sanitizeProjectName(name: string, modern = true): string {
  const lower = name.toLowerCase();
  return modern ? lower.replace(/[^-_a-z0-9]/g, '') : lower.replace(/[^a-z0-9]/g, '');
}

/**
 * The compose project name, by the reference implementation's rules: COMPOSE_PROJECT_NAME from
 * the environment, else from the workspace folder's .env, else a top-level `name` in the compose
 * files, else the folder of the first compose file — "<workspace>_devcontainer" when that is the
 * workspace's .devcontainer folder.
 */
export function projectName(o: { env: NodeJS.ProcessEnv; workspaceFolder: string; composeFiles: string[]; dotEnv?: string; composeName?: string; modern?: boolean }): string {
  const modern = o.modern ?? true;
  const fromEnv = sanitizeProjectName(o.env.COMPOSE_PROJECT_NAME ?? '', modern);
  if (fromEnv) return fromEnv;
  const m = o.dotEnv ? /^COMPOSE_PROJECT_NAME=(.+)$/m.exec(o.dotEnv) : null;
  const fromDotEnv = sanitizeProjectName(m?.[1].trim() ?? '', modern);
  if (fromDotEnv) return fromDotEnv;
  if (o.composeName) {
    const named = sanitizeProjectName(o.composeName, modern);
    if (named) return named;
  }
  const dir = o.composeFiles.length ? path.dirname(o.composeFiles[0]) : o.workspaceFolder;
  if (path.resolve(dir) === path.join(path.resolve(o.workspaceFolder), '.devcontainer')) return sanitizeProjectName(`${path.basename(o.workspaceFolder)}_devcontainer`, modern);
  return sanitizeProjectName(path.basename(dir), modern);
}

/** The image compose gives a service it builds without an `image` name. */
export function builtImageName(cli: ComposeCli, project: string, service: string): string {
  const [major, minor] = cli.version.split('.').map(Number);
  const dash = major > 2 || (major === 2 && minor >= 8);
  return `${project}${dash ? '-' : '_'}${service}`;
}

const dollar = (s: string) => s.replace(/\$/g, '$$$$');

/** Compose's short volume syntax for an API mount; tmpfs mounts are listed apart. */
function shortVolume(m: ApiMount): string {
  const ro = m.ReadOnly ? ':ro' : '';
  if (m.Type === 'volume' && !m.Source) return `${m.Target}${ro}`;
  return `${m.Source}:${m.Target}${ro}`;
}

export interface OverrideInput {
  service: string;
  /** The first compose file's `version`, repeated so Compose v1 merges the files. */
  version?: string;
  labels: Record<string, string>;
  merged: MergedConfig;
  mounts: ApiMount[];
}

/**
 * The override document for the dev service (JSON, which compose reads as YAML). Values are
 * escaped so compose does not interpolate the "$" in them.
 */
export function overrideDocument(o: OverrideInput): Record<string, unknown> {
  const { merged } = o;
  const svc: Record<string, unknown> = {};
  svc.labels = Object.fromEntries(Object.entries(o.labels).map(([k, v]) => [k, dollar(v)]));
  if (Object.keys(merged.containerEnv).length) svc.environment = Object.fromEntries(Object.entries(merged.containerEnv).map(([k, v]) => [k, dollar(String(v))]));
  const volumes = o.mounts.filter((m) => m.Type !== 'tmpfs');
  const tmpfs = o.mounts.filter((m) => m.Type === 'tmpfs');
  if (volumes.length) svc.volumes = volumes.map((m) => dollar(shortVolume(m)));
  if (tmpfs.length) svc.tmpfs = tmpfs.map((m) => dollar(m.Target));
  if (merged.containerUser) svc.user = merged.containerUser;
  if (merged.init) svc.init = true;
  if (merged.privileged) svc.privileged = true;
  if (merged.capAdd.length) svc.cap_add = merged.capAdd;
  if (merged.securityOpt.length) svc.security_opt = merged.securityOpt;
  if (merged.overrideCommand === true) {
    // the service's command still follows as arguments; the keep-alive ignores them
    svc.entrypoint = ['/bin/sh', '-c', dollar([...merged.entrypoints, KEEP_ALIVE].join('\n')), '-'];
  }
  const doc: Record<string, unknown> = {};
  if (o.version) doc.version = o.version;
  doc.services = { [o.service]: svc };
  const named = [...new Set(volumes.filter((m) => m.Type === 'volume' && m.Source).map((m) => m.Source!))];
  if (named.length) doc.volumes = Object.fromEntries(named.map((n) => [n, {}]));
  return doc;
}

/** Drift inputs: a hash of each compose file's contents. */
export async function composeInputs(resolved: ResolvedConfig): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const base = path.dirname(resolved.configFile ?? '.');
  for (const f of resolved.paths.composeFiles ?? []) {
    const text = await fs.readFile(f).catch(() => undefined);
    out[`compose ${path.relative(base, f).split(path.sep).join('/')}`] = text ? sha256(text).slice(0, 16) : 'missing';
  }
  return out;
}

/** Where the override file of a dev container lives (the user's cache folder). */
export function overrideFile(env: NodeJS.ProcessEnv, devcontainerId: string): string {
  return path.join(cacheDir(env), 'compose', `${devcontainerId}.json`);
}

interface Project {
  cli: ComposeCli;
  name: string;
  files: string[];
  service: string;
  runServices: string[];
  runEnv: NodeJS.ProcessEnv;
  cwd: string;
}

function childEnv(engine: Engine | undefined, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  // talk to the same engine as the rest of HyperBox
  if (engine && (engine.endpoint.source === 'default' || engine.endpoint.source === 'DOCKER_HOST')) out.DOCKER_HOST = engine.endpoint.host;
  return out;
}

async function composeName(files: string[]): Promise<string | undefined> {
  let name: string | undefined;
  for (const f of files) {
    try {
      const doc = loadYaml(await fs.readFile(f, 'utf8')) as { name?: unknown } | undefined;
      if (doc && typeof doc.name === 'string') name = doc.name;
    } catch {
      // compose itself says what is wrong with the file
    }
  }
  return name;
}

export async function composeProject(engine: Engine | undefined, resolved: ResolvedConfig, env: NodeJS.ProcessEnv): Promise<Project> {
  const config = resolved.config ?? {};
  const where = resolved.configFile ?? resolved.workspaceFolder;
  if (typeof config.service !== 'string' || !config.service) {
    throw new RuntimeError('config', `${where} uses Docker Compose but names no "service": add "service": "<the compose service to develop in>".`);
  }
  const runServices = Array.isArray(config.runServices) ? config.runServices.map(String) : [];
  const cli = await findComposeCli(env);
  const files = resolved.paths.composeFiles ?? [];
  const dotEnv = await fs.readFile(path.join(resolved.workspaceFolder, '.env'), 'utf8').catch(() => undefined);
  const [major, minor] = cli.version.split('.').map(Number);
  const name = projectName({ env, workspaceFolder: resolved.workspaceFolder, composeFiles: files, dotEnv, composeName: await composeName(files), modern: major > 1 || (major === 1 && minor >= 21) });
  return { cli, name, files, service: config.service, runServices, runEnv: childEnv(engine, env), cwd: resolved.workspaceFolder };
}

async function compose(p: Project, args: string[], what: string, report?: Reporter, signal?: AbortSignal, extraFiles: string[] = []): Promise<string> {
  const argv = [...p.cli.argv, '-p', p.name, ...p.files.flatMap((f) => ['-f', f]), ...extraFiles.flatMap((f) => ['-f', f]), ...args];
  const res = await run(argv, p.runEnv, { cwd: p.cwd, signal, onOutput: report ? (s) => report.output('compose', s) : undefined });
  throwIfCancelled(signal, what);
  if (res.error) throw new RuntimeError('unsupported', `${what}: could not run ${argv[0]} (${res.error.code ?? res.error.message}). Install Docker Compose, or set HB_DOCKER_COMPOSE_PATH.`);
  if (res.code !== 0) {
    throw new RuntimeError(
      'create-failed',
      `${what} failed (${p.cli.argv.join(' ')} ${args[0]} exited with ${res.code}).\nLast output:\n${lastLines(res.output)}\nFix the compose files (${p.files.map((f) => path.basename(f)).join(', ')}) or the service, then run hb up again.`,
    );
  }
  return res.stdout;
}

/**
 * The project to build a service with: as it is, unless Compose v1 builds a Dockerfile that needs
 * BuildKit. v1 builds through the Engine API's classic builder, which refuses `RUN --mount`; with
 * COMPOSE_DOCKER_CLI_BUILD=1 and DOCKER_BUILDKIT=1 it runs `docker build` from PATH instead, so
 * the docker CLI that can build with BuildKit (dockerCli.ts) goes first on PATH, as a link in
 * HyperBox's cache folder.
 */
async function buildKitProject(p: Project, build: unknown, report: Reporter): Promise<Project> {
  if (p.cli.v2) return p;
  const b = typeof build === 'string' ? { context: build } : ((build ?? {}) as { context?: unknown; dockerfile?: unknown });
  if (typeof b.context !== 'string') return p;
  const file = path.resolve(p.cwd, b.context, typeof b.dockerfile === 'string' ? b.dockerfile : 'Dockerfile');
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  const needs = text === undefined ? undefined : buildKitReason(text);
  if (!needs) return p;
  report.info(`The Dockerfile of service ${p.service} needs BuildKit: ${needs}. Compose v1 builds it with the docker CLI (COMPOSE_DOCKER_CLI_BUILD=1, DOCKER_BUILDKIT=1).`);
  const chosen = await chooseBuildKitCli(p.runEnv, report);
  const cli = path.isAbsolute(chosen) ? chosen : path.resolve(findAllOnPath(chosen, p.runEnv)[0] ?? chosen);
  const dir = path.join(cacheDir(p.runEnv), 'docker-cli', sha256(cli).slice(0, 12));
  const link = path.join(dir, 'docker');
  await fs.mkdir(dir, { recursive: true });
  if ((await fs.readlink(link).catch(() => undefined)) !== cli) {
    await fs.rm(link, { force: true });
    await fs.symlink(cli, link);
  }
  return { ...p, runEnv: { ...p.runEnv, COMPOSE_DOCKER_CLI_BUILD: '1', DOCKER_BUILDKIT: '1', PATH: [dir, p.runEnv.PATH].filter(Boolean).join(path.delimiter) } };
}

/** The dev service's container of a project, if there is one. */
export async function findServiceContainer(engine: Engine, project: string, service: string): Promise<string | undefined> {
  const list = await engine.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_COMPOSE_PROJECT}=${project}`, `${LABEL_COMPOSE_SERVICE}=${service}`] }) });
  list.sort((a, b) => Number(b.State === 'running') - Number(a.State === 'running') || b.Created - a.Created);
  return list[0]?.Id;
}

export interface ComposeUpOptions {
  resolved: ValidConfig;
  /** The drift inputs (build/inputs.ts computes them, with this file's composeInputs): the container's label. */
  inputs: Record<string, string>;
  env: NodeJS.ProcessEnv;
  report: Reporter;
  signal?: AbortSignal;
  noCache?: boolean;
  /** Local Features (features.ts): installed in an image derived from the service's, which the service then runs. */
  features?: LocalFeature[];
  /**
   * What `up` adds to a new container (host setup, language profile), given a create request for
   * the dev service (Env, HostConfig.Mounts, Labels; changed in place) and the environment the
   * service's image and compose file set. What it adds goes into the override file.
   */
  prepare?: (body: ContainerCreateOptions, imageEnv: string[], entries: MetadataEntry[]) => Promise<void>;
  /** The compose configuration, when the caller read it already (readComposeConfig). */
  composeConfig?: ComposeConfig;
  /**
   * Trust, once the dev service's request is final (after the builds, before anything is created
   * or started): given the findings of every service compose up starts, and `soft` ones (the
   * dev image's own health check) that never ask by themselves; throws to stop, and answers
   * false when the soft ones must be turned off (the folder is not trusted for them).
   */
  gate?: (findings: TrustFinding[], soft: TrustFinding[]) => Promise<boolean>;
  /** Where trust looks for what lies in the workspace (workspaceRoots). */
  trustScope?: RequestScope;
}

/** Compose's string form of a command or entrypoint, split as a shell would (quotes, backslashes), without expansion. */
export function splitCommand(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) cur += text[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      cur += text[++i];
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += ch;
  }
  if (has || cur) out.push(cur);
  return out;
}

/**
 * What `prepare` added to the dev service's create request, as compose override entries:
 * variables, labels, mounts (named volumes made here and declared external, so compose neither
 * prefixes their names nor removes them with the project), security options and capabilities,
 * the OCI runtime and devices — everything a container contribution (live/contributions.ts) can
 * add, so a Compose service gets what an image container gets. Compose reads a seccomp option as
 * a file name: a profile given as JSON is written beside the override file and named there.
 */
async function addPrepared(
  engine: Engine,
  doc: Record<string, unknown>,
  service: { name: string; def: Record<string, unknown>; overrideFile: string },
  before: { env: string[]; mounts: number; securityOpt: string[]; capAdd: string[] },
  body: ContainerCreateOptions,
  report: Reporter,
): Promise<void> {
  const svc = (doc.services as Record<string, Record<string, unknown>>)[service.name];
  const env = (body.Env ?? []).filter((kv) => !before.env.includes(kv));
  if (env.length) {
    const environment = (svc.environment ??= {}) as Record<string, string>;
    for (const kv of env) {
      const eq = kv.indexOf('=');
      if (eq > 0) environment[kv.slice(0, eq)] = dollar(kv.slice(eq + 1));
    }
  }
  const labels = (svc.labels ??= {}) as Record<string, string>;
  for (const [k, v] of Object.entries(body.Labels ?? {})) labels[k] = dollar(v);
  const host = (body.HostConfig ?? {}) as Record<string, unknown>;
  const mounts = ((host.Mounts as ApiMount[] | undefined) ?? []).slice(before.mounts);
  for (const m of mounts) {
    if (m.Type === 'tmpfs') ((svc.tmpfs ??= []) as string[]).push(dollar(m.Target));
    else ((svc.volumes ??= []) as string[]).push(dollar(shortVolume(m)));
    if (m.Type === 'volume' && m.Source) {
      await engine.docker.createVolume({ Name: m.Source });
      doc.volumes = { ...(doc.volumes as object), [m.Source]: { external: true } };
    }
  }
  const securityOpt = (host.SecurityOpt as string[] | undefined) ?? [];
  if (JSON.stringify(securityOpt) !== JSON.stringify(before.securityOpt)) {
    const list: string[] = [];
    for (const o of securityOpt) {
      if (/^seccomp[=:]/.test(o) && !/^seccomp[=:](unconfined|builtin)$/.test(o)) {
        const file = service.overrideFile.replace(/\.json$/, '.seccomp.json');
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.writeFile(file, o.slice('seccomp='.length));
        list.push(dollar(`seccomp=${file}`));
        const own = ((service.def.security_opt as unknown[] | undefined) ?? []).map(String).filter((x) => /^seccomp[=:]/.test(x));
        if (own.length) {
          report.warn(`Compose service ${service.name} sets its own seccomp option in the compose file (security_opt: ${own.map((x) => (x.length > 60 ? `${x.slice(0, 60)}…` : x)).join(', ')}), which Compose keeps beside HyperBox's. Remove it there so only one profile applies.`);
        }
      } else list.push(dollar(o));
    }
    svc.security_opt = list;
  }
  const capAdd = (host.CapAdd as string[] | undefined) ?? [];
  if (JSON.stringify(capAdd) !== JSON.stringify(before.capAdd)) svc.cap_add = capAdd;
  if (typeof host.Runtime === 'string' && host.Runtime) svc.runtime = host.Runtime;
  const devices = (host.Devices as { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[] | undefined) ?? [];
  if (devices.length) svc.devices = devices.map((d) => `${d.PathOnHost}:${d.PathInContainer}:${d.CgroupPermissions}`);
  if ((host.DeviceRequests as unknown[] | undefined)?.length) {
    report.warn('hostRequirements.gpu: HyperBox cannot give a Compose service an NVIDIA GPU through its override file. Add the GPU to the service in the compose file (deploy.resources.reservations.devices with capabilities: [gpu]).');
  }
}

/** The resolved compose configuration (`compose config`): the project and its services, checked against the config's names. */
export interface ComposeConfig {
  project: Project;
  doc: ComposeDoc;
  /**
   * Each service's env_file paths (absolute): files on this machine compose copies into the
   * container's environment. `compose config` folds them into `environment` and drops them, so
   * they are read from the compose files themselves.
   */
  envFiles: Record<string, string[]>;
}

/** ${VAR}, ${VAR:-default}, ${VAR-default} and $VAR as compose interpolates them, from `env` (unset: empty, or the default). */
function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\$|\$\{(\w+)(?:(:?-)([^}]*))?\}|\$(\w+)/g, (all, braced?: string, op?: string, dflt?: string, bare?: string) => {
    if (all === '$$') return '$';
    const name = braced ?? bare!;
    const v = env[name];
    if (op === ':-') return v ? v : (dflt ?? '');
    if (op === '-') return v !== undefined ? v : (dflt ?? '');
    return v ?? '';
  });
}

type EnvFileDoc = { services?: Record<string, { env_file?: unknown; extends?: unknown } | null> };

/**
 * The env_file entries of each service in the project's compose files, as paths on this machine,
 * with those of the services it `extends` (in the same file or another, followed to the end): all
 * of them are read on this machine into the container's environment. Read from the files, since
 * `compose config` folds them into `environment` and drops the paths.
 */
async function envFilesOf(p: Project): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const base = path.dirname(p.files[0] ?? path.join(p.cwd, 'docker-compose.yml'));
  const dotEnv: Record<string, string> = {};
  const dotText = await fs.readFile(path.join(base, '.env'), 'utf8').catch(() => '');
  for (const line of dotText.split('\n')) {
    const m = /^\s*(?:export\s+)?([\w.]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && !line.trimStart().startsWith('#')) dotEnv[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  const env = { ...dotEnv, ...p.runEnv };
  const docs = new Map<string, EnvFileDoc | undefined>();
  const load = async (f: string): Promise<EnvFileDoc | undefined> => {
    if (!docs.has(f)) {
      let doc: EnvFileDoc | undefined;
      try {
        doc = loadYaml(await fs.readFile(f, 'utf8')) as EnvFileDoc;
      } catch {
        doc = undefined; // compose config already said what is wrong with it
      }
      docs.set(f, doc);
    }
    return docs.get(f);
  };
  const paths = (given: unknown, dir: string): string[] =>
    (given === undefined || given === null ? [] : Array.isArray(given) ? given : [given])
      .map((e: unknown) => (typeof e === 'string' ? e : e && typeof e === 'object' && typeof (e as { path?: unknown }).path === 'string' ? (e as { path: string }).path : undefined))
      .filter((e): e is string => !!e)
      .map((e) => path.resolve(dir, interpolate(e, env).replace(/^~(?=\/|$)/, env.HOME ?? '~')));
  // what a service `extends` brings, from its file (relative paths there are relative to that file)
  const inherited = async (file: string, dir: string, ext: unknown, seen: Set<string>): Promise<string[]> => {
    const e = typeof ext === 'string' ? { service: ext } : ext && typeof ext === 'object' ? (ext as { file?: unknown; service?: unknown }) : {};
    if (typeof e.service !== 'string') return [];
    const other = typeof e.file === 'string' ? path.resolve(path.dirname(file), interpolate(e.file, env)) : file;
    const key = `${other}\0${e.service}`;
    if (seen.has(key)) return [];
    seen.add(key);
    const svc = (await load(other))?.services?.[e.service];
    if (!svc) return [];
    const otherDir = other === file ? dir : path.dirname(other);
    return [...paths(svc.env_file, otherDir), ...(await inherited(other, otherDir, svc.extends, seen))];
  };
  for (const f of p.files) {
    const doc = await load(f);
    for (const [name, svc] of Object.entries(doc?.services ?? {})) {
      if (!svc || (svc.env_file === undefined && svc.extends === undefined)) continue;
      const fromExtends = await inherited(f, base, svc.extends, new Set([`${f}\0${name}`]));
      // a later file's env_file replaces an earlier one's (compose merges it so); what a service
      // extends counts too (a superset is the safe side of a trust check)
      out[name] = [...new Set([...(svc.env_file !== undefined ? paths(svc.env_file, base) : (out[name] ?? [])), ...fromExtends])];
    }
  }
  return out;
}
export interface ComposeDoc {
  services?: Record<string, Record<string, unknown>>;
  volumes?: Record<string, Record<string, unknown> | null>;
  secrets?: Record<string, Record<string, unknown> | null>;
  configs?: Record<string, Record<string, unknown> | null>;
}

export async function readComposeConfig(engine: Engine | undefined, resolved: ResolvedConfig, env: NodeJS.ProcessEnv, report: Reporter, signal?: AbortSignal): Promise<ComposeConfig> {
  const p = await composeProject(engine, resolved, env);
  report.step(`Reading the compose files (${p.cli.argv.join(' ')} ${p.cli.version}, project ${p.name})`);
  const text = await compose(p, ['config'], 'Reading the compose configuration', undefined, signal);
  let doc: ComposeDoc;
  try {
    doc = (loadYaml(text) as ComposeDoc) ?? {};
  } catch (e) {
    throw new RuntimeError('config', `The compose configuration could not be read: ${(e as Error).message}.`);
  }
  const services = doc.services ?? {};
  const known = Object.keys(services);
  for (const s of [p.service, ...p.runServices]) {
    if (!services[s]) {
      throw new RuntimeError(
        'config',
        `Service "${s}" (${s === p.service ? '"service"' : '"runServices"'} in ${path.basename(resolved.configFile ?? '')}) is not in the compose files ${p.files.join(', ')}; they define ${known.length ? known.join(', ') : 'no services'}. Fix the name in devcontainer.json.`,
      );
    }
  }
  return { project: p, doc, envFiles: await envFilesOf(p) };
}

/** The services `compose up SERVICE...` starts: those named and, transitively, what they depend on. */
export function startedServices(doc: ComposeDoc, names: string[]): string[] {
  const services = doc.services ?? {};
  const out: string[] = [];
  const visit = (name: string) => {
    if (out.includes(name) || !services[name]) return;
    out.push(name);
    const svc = services[name];
    const deps = svc.depends_on;
    const list = Array.isArray(deps) ? deps.map(String) : deps && typeof deps === 'object' ? Object.keys(deps) : [];
    // network_mode: service:x and volumes_from x also start x
    if (typeof svc.network_mode === 'string' && svc.network_mode.startsWith('service:')) list.push(svc.network_mode.slice(8));
    for (const v of (svc.volumes_from as string[] | undefined) ?? []) if (!String(v).startsWith('container:')) list.push(String(v).split(':')[0]);
    list.forEach(visit);
  };
  names.forEach(visit);
  return out;
}

/** A compose service as the parts of an Engine API create request that trust reads. */
export function serviceRequest(svc: Record<string, unknown>, doc: ComposeDoc): CreateRequestLike {
  const mounts: ApiMount[] = [];
  const binds: string[] = [];
  for (const v of (svc.volumes as unknown[] | undefined) ?? []) {
    if (typeof v === 'string') binds.push(v);
    else if (v && typeof v === 'object') {
      const o = v as { type?: string; source?: string; target?: string; read_only?: boolean };
      if (o.type === 'bind' && o.source) mounts.push({ Type: 'bind', Source: o.source, Target: String(o.target ?? ''), ReadOnly: o.read_only === true });
      else if (o.type === 'volume' && o.source) {
        const top = doc.volumes?.[o.source] ?? {};
        const driverOpts = (top?.driver_opts as Record<string, string> | undefined) ?? undefined;
        const driver = typeof top?.driver === 'string' ? top.driver : undefined;
        mounts.push({ Type: 'volume', Source: o.source, Target: String(o.target ?? ''), ...(driverOpts || driver ? { VolumeOptions: { DriverConfig: { Name: driver, Options: driverOpts } } } : {}) });
      }
    }
  }
  // secrets and configs from files are bind mounts of those files
  for (const kind of ['secrets', 'configs'] as const) {
    for (const ref of (svc[kind] as unknown[] | undefined) ?? []) {
      const name = typeof ref === 'string' ? ref : String((ref as { source?: unknown })?.source ?? '');
      const file = doc[kind]?.[name]?.file;
      if (typeof file === 'string') mounts.push({ Type: 'bind', Source: file, Target: `${kind}/${name}`, ReadOnly: true });
    }
  }
  const devices = ((svc.devices as unknown[] | undefined) ?? []).map((d) =>
    typeof d === 'string' ? { PathOnHost: d.split(':')[0] } : { PathOnHost: String((d as { source?: unknown }).source ?? '') },
  );
  const deviceRequests = (((svc.deploy as { resources?: { reservations?: { devices?: Record<string, unknown>[] } } } | undefined)?.resources?.reservations?.devices) ?? []).map((d) => ({
    Driver: typeof d.driver === 'string' ? d.driver : '',
    Count: d.count === 'all' ? -1 : Number(d.count ?? 0),
    DeviceIDs: Array.isArray(d.device_ids) ? d.device_ids.map(String) : null,
    Capabilities: [Array.isArray(d.capabilities) ? d.capabilities.map(String) : []],
  }));
  const strings = (v: unknown) => (Array.isArray(v) ? v.map(String) : undefined);
  const hc = svc.healthcheck as { test?: unknown; disable?: boolean } | undefined;
  const test = hc && !hc.disable ? (Array.isArray(hc.test) ? hc.test.map(String) : typeof hc.test === 'string' ? ['CMD-SHELL', hc.test] : undefined) : undefined;
  return {
    Entrypoint: svc.entrypoint as string[] | undefined,
    Cmd: svc.command as string[] | undefined,
    Healthcheck: test ? { Test: test } : undefined,
    HostConfig: {
      Mounts: mounts,
      Binds: binds,
      VolumesFrom: strings(svc.volumes_from)?.filter((v) => v.startsWith('container:')).map((v) => v.slice(10)),
      Devices: devices,
      DeviceRequests: deviceRequests,
      DeviceCgroupRules: strings(svc.device_cgroup_rules),
      Privileged: svc.privileged === true,
      CapAdd: strings(svc.cap_add),
      SecurityOpt: strings(svc.security_opt),
      PidMode: svc.pid,
      IpcMode: svc.ipc,
      UTSMode: svc.uts,
      NetworkMode: svc.network_mode,
      CgroupnsMode: svc.cgroup,
      UsernsMode: svc.userns_mode,
    },
  };
}

/**
 * What the services `compose up` starts reach and run, each judged like a dev container: for
 * every started service its mounts, devices, privileges, namespaces, security options, health
 * check, build and command; for the dev service also what HyperBox adds (`dev`: the merged
 * metadata and the request prepared for it) and whether its own command runs.
 */
export async function composeFindings(
  doc: ComposeDoc,
  project: Pick<Project, 'service' | 'runServices'>,
  scope: RequestScope,
  dev?: { merged: MergedConfig; body?: CreateRequestLike },
  envFiles: Record<string, string[]> = {},
): Promise<TrustFinding[]> {
  const out: TrustFinding[] = [];
  for (const name of startedServices(doc, [project.service, ...project.runServices])) {
    const svc = (doc.services ?? {})[name];
    const who = `compose service ${name}: `;
    const req = serviceRequest(svc, doc);
    // env_file: read on this machine into the container's environment (outside the workspace: a finding)
    out.push(...(await requestFindings(req, { ...scope, who, filesRead: envFiles[name] ?? [] })));
    const hc = healthcheckFinding(req.Healthcheck?.Test, 'the compose file', who);
    if (hc) out.push(hc);
    if (svc.build) {
      const b = svc.build as { context?: string; dockerfile?: string } | string;
      const where = typeof b === 'string' ? b : `${b.context ?? '.'}${b.dockerfile ? ` (${b.dockerfile})` : ''}`;
      out.push(buildFinding(`compose:${name}:${where}`, `compose service ${name} is built from ${where} (its RUN steps run on the engine)`));
    }
    const isDev = name === project.service;
    if (!isDev || dev?.merged.overrideCommand !== true) out.push(ownCommandFinding(svc.entrypoint, svc.command, who));
  }
  if (dev) {
    if (dev.body) out.push(...(await requestFindings(dev.body, scope)));
    else out.push(...(await requestFindings({ HostConfig: { Privileged: dev.merged.privileged, CapAdd: dev.merged.capAdd, SecurityOpt: dev.merged.securityOpt, Mounts: dev.merged.mounts.map((m, i) => parseMount(m, `mounts[${i}]`)) } }, scope)));
    out.push(...commandFindings({ hooks: dev.merged.hooks, entrypoints: dev.merged.entrypoints }));
  }
  return out;
}

/** Creates and starts the project's services (the dev service with the override). */
export async function composeCreate(engine: Engine, o: ComposeUpOptions): Promise<{ containerId: string; merged: MergedConfig; entries: MetadataEntry[]; project: string; builtImage?: string; featuresTag?: string }> {
  const { resolved, report, signal } = o;
  const config = resolved.config;
  const { project: p, doc, envFiles } = o.composeConfig ?? (await readComposeConfig(engine, resolved, o.env, report, signal));
  const services = doc.services ?? {};
  const svc = services[p.service];
  let imageName: string;
  let builtImage: string | undefined;
  if (svc.build) {
    imageName = typeof svc.image === 'string' ? svc.image : builtImageName(p.cli, p.name, p.service);
    report.step(`Building service ${p.service}`);
    const builder = await buildKitProject(p, svc.build, report);
    await compose(builder, ['build', ...(o.noCache ? ['--no-cache'] : []), p.service], `Building compose service ${p.service}`, report, signal);
    builtImage = imageName;
  } else if (typeof svc.image === 'string') {
    imageName = svc.image;
  } else {
    throw new RuntimeError('config', `Compose service "${p.service}" has neither "image" nor "build": give it one so there is something to run.`);
  }
  let image = svc.build ? await inspectImage(engine, imageName) : await ensureImage(engine, imageName, report, signal, o.env);
  if (!image) throw new RuntimeError('build-failed', `Compose built service ${p.service}, but the engine has no image ${imageName} afterwards.`);
  let featuresTag: string | undefined;
  if (o.features?.length) {
    // the Features go into an image derived from the service's; the override points the service at it
    // the service's `user` is the container user the Features' scripts are told about, unless the config names one
    const users = typeof svc.user === 'string' && svc.user && !config.containerUser ? { ...config, containerUser: svc.user } : config;
    const made = await featuresImage(engine, { baseName: imageName, baseImage: image, features: o.features, config: users, folder: resolved.workspaceFolder, noCache: o.noCache, env: o.env }, report, signal);
    featuresTag = made.tag;
    image = made.image;
  }

  const imageEntries = parseMetadataLabel(image.Config?.Labels?.[LABEL_METADATA]);
  const entries = [...imageEntries, configEntry(config)];
  const merged = mergeMetadata(entries, [...imageEntries.map((e) => (typeof e.id === 'string' ? `Feature "${e.id}"` : 'image metadata')), 'devcontainer.json']);
  const mounts = merged.mounts.map((m, i) => parseMount(m, `mounts[${i}]`));
  const firstText = p.files.length ? await fs.readFile(p.files[0], 'utf8').catch(() => '') : '';
  const version = /^version:\s*["']?([^"'\s#]+)/m.exec(firstText)?.[1];
  const override = overrideDocument({
    service: p.service,
    version,
    labels: {
      ...idLabels(resolved.workspaceFolder, resolved.configFile!),
      [LABEL_METADATA]: JSON.stringify(entries),
      [LABEL_INPUTS]: JSON.stringify(o.inputs),
      [LABEL_VERSION]: VERSION,
    },
    merged,
    mounts,
  });
  const dev = (override.services as Record<string, Record<string, unknown>>)[p.service];
  if (featuresTag) {
    dev.image = featuresTag;
    if (merged.overrideCommand !== true && merged.entrypoints.length) {
      // the Features' entrypoints first, then the service's own entrypoint and command
      const list = (v: unknown) => (v === undefined || v === null ? undefined : Array.isArray(v) ? v.map(String) : splitCommand(String(v)));
      const own = list(svc.entrypoint) ?? list(image.Config?.Entrypoint) ?? [];
      const cmd = list(svc.command) ?? (svc.entrypoint !== undefined ? [] : list(image.Config?.Cmd)) ?? [];
      dev.entrypoint = ['/bin/sh', '-c', `${merged.entrypoints.join('\n')}\nexec "$@"`, '-', ...own].map(dollar);
      dev.command = cmd.map(dollar);
    }
  }
  // trust on what compose up will start: every service's request, and the dev image's own health
  // check (the compose file's is judged with the service): a soft finding, turned off in the
  // override when the folder is not trusted for it; needed (and so asked) when a service waits for it
  const trustScope = o.trustScope ?? { roots: [resolved.workspaceFolder], baseDir: resolved.workspaceFolder };
  const imageHealth = serviceRequest(svc, doc).Healthcheck ? undefined : healthcheckFinding(image.Config?.Healthcheck?.Test, `the image ${imageName}`, `compose service ${p.service}: `);
  const awaited = startedServices(doc, [p.service, ...p.runServices]).some((name) => {
    const deps = services[name]?.depends_on;
    return !!deps && !Array.isArray(deps) && typeof deps === 'object' && (deps as Record<string, { condition?: string }>)[p.service]?.condition === 'service_healthy';
  });
  const judge = async (dev: { merged: MergedConfig; body?: CreateRequestLike }) => {
    if (!o.gate) return;
    const found = await composeFindings(doc, p, trustScope, dev, envFiles);
    const keep = await o.gate(imageHealth && awaited ? [...found, imageHealth] : found, imageHealth && !awaited ? [imageHealth] : []);
    if (imageHealth && !keep) {
      (override.services as Record<string, Record<string, unknown>>)[p.service].healthcheck = { disable: true };
      report.info(`The image's own health check of compose service ${p.service} is off (${imageHealth.text.replace(/^.*runs in the container: /, '')}): the folder is not trusted to run code. Trust it (hb up --trust) to keep it.`);
    }
  };
  if (o.prepare) {
    const body: ContainerCreateOptions = {
      Env: Object.entries(merged.containerEnv).map(([k, v]) => `${k}=${v}`),
      HostConfig: { Mounts: [...mounts] as never, Memory: memoryOf(svc.mem_limit), SecurityOpt: [...merged.securityOpt], CapAdd: [...merged.capAdd] },
      Labels: {},
    };
    const before = { env: [...body.Env!], mounts: mounts.length, securityOpt: [...merged.securityOpt], capAdd: [...merged.capAdd] };
    const composeEnv = Object.entries((svc.environment as Record<string, unknown> | undefined) ?? {}).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}=${v}`);
    await o.prepare(body, [...(image.Config?.Env ?? []), ...composeEnv], entries);
    await judge({ merged, body: devRequest(merged, body) });
    await addPrepared(engine, override, { name: p.service, def: svc, overrideFile: overrideFile(o.env, resolved.devcontainerId!) }, before, body, report);
  } else {
    await judge({ merged });
  }
  const file = overrideFile(o.env, resolved.devcontainerId!);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify(override, null, 2));
  report.step(`Starting compose services ${[p.service, ...p.runServices.filter((s) => s !== p.service)].join(', ')}`);
  await compose(p, ['up', '-d', ...new Set([p.service, ...p.runServices])], 'Starting the compose services', report, signal, [file]);
  const containerId = await findServiceContainer(engine, p.name, p.service);
  if (!containerId) throw new RuntimeError('create-failed', `Compose started project ${p.name}, but it has no container for service ${p.service}. See ${p.cli.argv.join(' ')} -p ${p.name} logs.`);
  return { containerId, merged, entries, project: p.name, builtImage, featuresTag };
}

/** What the override gives the dev service, with what `prepare` added, as a create request (for trust). */
function devRequest(merged: MergedConfig, body: ContainerCreateOptions): CreateRequestLike {
  const host = (body.HostConfig ?? {}) as Record<string, unknown>;
  return { HostConfig: { ...host, Privileged: merged.privileged || host.Privileged === true, CapAdd: [...merged.capAdd, ...((host.CapAdd as string[]) ?? [])], SecurityOpt: [...merged.securityOpt, ...((host.SecurityOpt as string[]) ?? [])] } };
}

/** A compose mem_limit (bytes, or a size such as 1g) in bytes; 0 when none or unreadable. */
function memoryOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return 0;
  try {
    return parseBytes(v, 'mem_limit');
  } catch {
    return 0;
  }
}

/** Starts a stopped project again, as it was made (no container is recreated). */
export async function composeStart(engine: Engine, resolved: ResolvedConfig, projectLabel: string | undefined, env: NodeJS.ProcessEnv, report: Reporter, signal?: AbortSignal): Promise<void> {
  const p = await composeProject(engine, resolved, env);
  if (projectLabel) p.name = projectLabel;
  const file = overrideFile(env, resolved.devcontainerId!);
  const extra = (await fs.stat(file).catch(() => undefined)) ? [file] : [];
  report.step(`Starting compose project ${p.name}`);
  await compose(p, ['up', '-d', '--no-recreate', ...new Set([p.service, ...p.runServices])], 'Starting the compose services', report, signal, extra);
}

/** `hb stop` on a compose config: stops every service of the project. */
export async function composeStop(engine: Engine, resolved: ResolvedConfig, projectLabel: string | undefined, env: NodeJS.ProcessEnv, report?: Reporter): Promise<void> {
  const p = await composeProject(engine, resolved, env);
  if (projectLabel) p.name = projectLabel;
  report?.step(`Stopping compose project ${p.name}`);
  await compose(p, ['stop'], `Stopping compose project ${p.name}`, report);
}

/**
 * `hb down` on a compose config: removes the project's containers, and with `volumes` its
 * declared volumes too (`compose down --volumes`: a database's data among them), but only once
 * `confirm` agrees to the list; otherwise nothing is removed and the error lists them.
 * Returns the volumes removed.
 */
export async function composeDown(
  engine: Engine,
  resolved: ResolvedConfig,
  projectLabel: string | undefined,
  env: NodeJS.ProcessEnv,
  volumes: boolean,
  report?: Reporter,
  confirm?: (volumes: string[]) => Promise<boolean>,
): Promise<string[]> {
  const p = await composeProject(engine, resolved, env);
  if (projectLabel) p.name = projectLabel;
  let declared: string[] = [];
  if (volumes) {
    // the volumes compose made for the project (external ones are not its to remove)
    const list = await engine.docker.listVolumes({ filters: JSON.stringify({ label: [`com.docker.compose.project=${p.name}`] }) });
    declared = (list.Volumes ?? []).map((v) => v.Name).sort();
    if (declared.length && !(confirm && (await confirm(declared)))) {
      throw new RuntimeError(
        'confirm-required',
        `Removing the Compose project ${p.name} with its volumes would delete the data in ${declared.join(', ')}. Nothing was removed. ` +
          `To delete them, name them: hb down --volumes ${declared.map((v) => `--volume ${v}`).join(' ')} (or --yes), or answer the question on a terminal; hb down without --volumes keeps them.`,
      );
    }
  }
  report?.step(`Removing compose project ${p.name}`);
  await compose(p, ['down', ...(volumes ? ['--volumes'] : [])], `Removing compose project ${p.name}`, report);
  return declared;
}
