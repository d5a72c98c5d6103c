// Getting the image a dev container runs: an `image` config uses the local image or pulls it; a
// `build` config builds the Dockerfile — through the Engine API (the context sent as a tar that
// respects .dockerignore, to the engine's BuildKit where it has one, else its classic builder), or,
// when the Dockerfile or build.options need what only a BuildKit client session gives (secrets,
// ssh, cache mounts...), through a docker CLI that can build with it (dockerCli.ts chooses which)
// with DOCKER_BUILDKIT=1.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ImageInspectInfo } from 'dockerode';
import type { Engine, EngineInfo } from '../engine/docker';
import { parseBuildOptions, type BuildParts } from './buildOptions';
import { buildKitReason, parseDockerfile } from './dockerfile';
import { BuildKitProgress } from './buildkitProgress';
import { contextFilter, packContext } from './context';
import { chooseBuildKitCli } from '../engine/dockerCli';
import { lastLines, RuntimeError, throwIfCancelled } from '../errors';
import type { Reporter } from '../report';
import { dockerAuthConfig, lookupCredentials } from '../../registry/credentials';
import { RegistryClient } from '../../registry/client';
import { parseRef } from '../../registry/reference';
import { formatBytes } from '../../util/text';
import { childProcess } from '../../util/program';

/** The image if the engine has it, else undefined. */
export async function inspectImage(engine: Engine, name: string): Promise<ImageInspectInfo | undefined> {
  try {
    return await engine.docker.getImage(name).inspect();
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

function dockerMessage(e: unknown): string {
  const err = e as { json?: { message?: string }; message?: string };
  const text = err?.json?.message ?? err?.message ?? String(e);
  return text.replace(/^\(HTTP code \d+\)\s*[a-z ]*-\s*/i, '').trim();
}

/** The credentials for an image's registry from Docker's config, as dockerode's `authconfig`; none when it has none (or its helper fails: then a warning). */
export async function pullAuth(name: string, env: NodeJS.ProcessEnv, report: Reporter): Promise<Record<string, string> | undefined> {
  const ref = parseRef(name, 'docker.io');
  if (!ref) return undefined;
  try {
    return dockerAuthConfig(ref.registry, await lookupCredentials(ref.registry, env));
  } catch (e) {
    report.warn(`${(e as Error).message} Pulling ${name} without credentials.`);
    return undefined;
  }
}

interface PullEvent {
  status?: string;
  progress?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
}

/** Sums a pull's layer events into one line: "12.3 MB of 40.1 MB, 2 of 5 layers done". */
export class PullProgress {
  private readonly layers = new Map<string, { current: number; total: number; done: boolean }>();
  add(ev: PullEvent): void {
    if (!ev.id || !ev.status) return;
    const l = this.layers.get(ev.id) ?? { current: 0, total: 0, done: false };
    if (/^Downloading/.test(ev.status) && ev.progressDetail?.total) {
      l.current = ev.progressDetail.current ?? l.current;
      l.total = ev.progressDetail.total;
    }
    if (/^(Download complete|Pull complete|Already exists)/.test(ev.status)) {
      l.done = true;
      if (l.total) l.current = l.total;
    }
    if (/^(Pulling fs layer|Waiting|Downloading|Download complete|Verifying|Extracting|Pull complete|Already exists)/.test(ev.status)) this.layers.set(ev.id, l);
  }
  summary(): string | undefined {
    if (!this.layers.size) return undefined;
    const all = [...this.layers.values()];
    const current = all.reduce((n, l) => n + l.current, 0);
    const total = all.reduce((n, l) => n + l.total, 0);
    const done = all.filter((l) => l.done).length;
    return `${total ? `${formatBytes(current)} of ${formatBytes(total)}, ` : ''}${done} of ${all.length} layers done`;
  }
}

export type PullFailureKind = 'name-resolution' | 'connection' | 'timeout' | 'tls' | 'auth' | 'denied' | 'not-found' | 'other';

/**
 * What went wrong in a pull, in our words, from the text dockerd answers with (it does the
 * pulling, so its text is all there is): which step failed and what to do about it.
 */
export function classifyPullFailure(text: string): { kind: PullFailureKind; why: string } {
  const t = text.trim();
  if (/no such host|server misbehaving|name resolution|Temporary failure in name|lookup \S+ on \S+/i.test(t))
    return { kind: 'name-resolution', why: `the registry's host name could not be resolved (${t}): check the name, your DNS or proxy` };
  if (/connection refused/i.test(t)) return { kind: 'connection', why: `the connection to the registry was refused (${t}): nothing listens at that address` };
  if (/i\/o timeout|TLS handshake timeout|Client\.Timeout|context deadline exceeded|network is unreachable|no route to host/i.test(t))
    return { kind: 'timeout', why: `the registry did not answer in time or cannot be reached from the Docker engine (${t}): check the network and any proxy dockerd needs` };
  if (/x509|certificate|tls:|server gave HTTP response to HTTPS client/i.test(t))
    return { kind: 'tls', why: `the TLS connection to the registry failed (${t}): its certificate is not trusted by the Docker engine, or it speaks plain http (dockerd allows that only for localhost and "insecure-registries" in daemon.json)` };
  if (/unauthorized|authentication required|no basic auth credentials|incorrect username or password/i.test(t))
    return { kind: 'auth', why: `the registry asked for credentials and has none it accepts (${t})` };
  if (/denied|forbidden/i.test(t)) return { kind: 'denied', why: `the registry refused access (${t}): the account has no right to this repository, or it does not exist` };
  if (/manifest unknown|not found|does not exist|repository name not known/i.test(t)) return { kind: 'not-found', why: `the registry has no such image (${t})` };
  return { kind: 'other', why: t };
}

/** The tags the image's repository has, as a sentence, when the registry answers within a few seconds; '' otherwise. */
async function existingTags(name: string, env: NodeJS.ProcessEnv): Promise<string> {
  const ref = parseRef(name, 'docker.io');
  if (!ref) return '';
  const tags = await new RegistryClient({ env, timeoutMs: 5000 }).tags(ref).catch(() => undefined);
  if (tags === undefined) return '';
  return tags.length ? ` Tags of ${ref.resource} that exist: ${tags.slice(0, 20).join(', ')}${tags.length > 20 ? ` (and ${tags.length - 20} more)` : ''}.` : ` The repository ${ref.resource} has no tags (or does not exist).`;
}

/** Uses the local image, or pulls it (with the registry's credentials from Docker's config). A failure says exactly that the image is missing, what was tried, why the pull failed and what to do. */
export async function ensureImage(engine: Engine, name: string, report: Reporter, signal?: AbortSignal, env: NodeJS.ProcessEnv = process.env): Promise<ImageInspectInfo> {
  const local = await inspectImage(engine, name);
  if (local) return local;
  report.step(`Pulling ${name}`);
  const registry = parseRef(name, 'docker.io')?.registry ?? 'docker.io';
  let withCredentials = false;
  const fail = async (text: string) => {
    const { kind, why } = classifyPullFailure(text);
    const tried = `Tried: no local image ${name}, then a pull from ${registry} through the Docker engine ${withCredentials ? `with the credentials for ${registry} from Docker's config` : 'without credentials (Docker\'s config has none for it)'}.`;
    const next =
      kind === 'auth' || kind === 'denied'
        ? `Log in to it (docker login ${registry}) with an account that may read the image, or build or load the image locally.`
        : kind === 'not-found'
          ? 'Check the image name and tag, or build or load the image locally (docker build / docker load).'
          : kind === 'other'
            ? 'Check the name, build or load the image locally (docker build / docker load), or make its registry reachable.'
            : 'Make the registry reachable from the Docker engine, or build or load the image locally (docker build / docker load).';
    const tags = kind === 'not-found' ? await existingTags(name, env) : '';
    return new RuntimeError('image-missing', `image ${name} is not present and could not be pulled: ${why}.${tags} ${tried} ${next}`);
  };
  try {
    const authconfig = await pullAuth(name, env, report);
    withCredentials = authconfig !== undefined;
    const stream = (await engine.docker.pull(name, authconfig ? { authconfig } : {}));
    const progress = new PullProgress();
    let shown = 0;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        (stream as unknown as { destroy?: () => void }).destroy?.();
        reject(new RuntimeError('cancelled', `Pulling ${name} was cancelled.`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      engine.docker.modem.followProgress(
        stream,
        (err: Error | null, events: { error?: string }[]) => {
          signal?.removeEventListener('abort', onAbort);
          const failed = err?.message ?? events?.find((ev) => ev.error)?.error;
          if (failed) fail(failed).then(reject, reject);
          else resolve();
        },
        (ev: PullEvent) => {
          progress.add(ev);
          if (ev.status && !ev.progress) report.output('pull', `${ev.id ? `${ev.id}: ` : ''}${ev.status}\n`);
          // the layers' progress as the step's message, at most twice a second
          const now = Date.now();
          if (now - shown > 500) {
            const line = progress.summary();
            if (line) {
              shown = now;
              report.step(`Pulling ${name}: ${line}`);
            }
          }
        },
      );
    });
  } catch (e) {
    if (e instanceof RuntimeError) throw e;
    throw await fail(dockerMessage(e));
  }
  const pulled = await inspectImage(engine, name);
  if (!pulled) throw await fail('the engine reported success but has no such image afterwards');
  return pulled;
}

export interface BuildOptions {
  dockerfile: string;
  context: string;
  tag: string;
  args?: Record<string, string>;
  target?: string;
  cacheFrom?: string[];
  noCache?: boolean;
  labels?: Record<string, string>;
  /** build.options: extra docker build flags (buildOptions.ts). */
  options?: unknown;
  env: NodeJS.ProcessEnv;
}

/** Builds the image; returns how it was built. */
export async function buildImage(engine: Engine, opts: BuildOptions, report: Reporter, signal?: AbortSignal): Promise<{ via: 'engine' | 'cli' }> {
  let text: string;
  try {
    text = await fs.readFile(opts.dockerfile, 'utf8');
  } catch (e) {
    throw new RuntimeError('config', `Cannot read the Dockerfile ${opts.dockerfile} (${(e as NodeJS.ErrnoException).code}). Fix build.dockerfile in devcontainer.json.`);
  }
  const parts = parseBuildOptions(opts.options, { baseDir: opts.context, env: opts.env });
  const needs = buildKitReason(text);
  if (needs || parts.buildKitOnly.length) {
    report.info(
      needs
        ? `This Dockerfile needs BuildKit: ${needs}. Building it with the docker CLI (DOCKER_BUILDKIT=1) instead of the Engine API.`
        : `build.options has ${parts.buildKitOnly.join(' ')}, which only BuildKit understands. Building with the docker CLI (DOCKER_BUILDKIT=1) instead of the Engine API.`,
    );
    await buildWithCli(engine, opts, text, report, signal);
    return { via: 'cli' };
  }
  await buildWithApi(engine, opts, text, report, signal, parts);
  return { via: 'engine' };
}

function stepLine(instructions: ReturnType<typeof parseDockerfile>, step: string | undefined): string {
  if (!step) return '';
  const m = /^Step (\d+)\/(\d+) : (\S+)/.exec(step);
  if (!m) return '';
  const ins = instructions[+m[1] - 1];
  return ins && ins.keyword === m[3].toUpperCase() ? `, Dockerfile line ${ins.line}` : '';
}

/** Engine API build parameters (from build.options) that only the classic builder applies, by the flag that sets them. */
const CLASSIC_ONLY: Record<string, string> = {
  memory: '--memory',
  memswap: '--memory-swap',
  cpushares: '--cpu-shares',
  cpuperiod: '--cpu-period',
  cpuquota: '--cpu-quota',
  cpusetcpus: '--cpuset-cpus',
  cpusetmems: '--cpuset-mems',
  cgroupparent: '--cgroup-parent',
  isolation: '--isolation',
  squash: '--squash',
  shmsize: '--shm-size',
};

/**
 * Why a build through the Engine API goes to the engine's classic builder rather than its
 * BuildKit (undefined: BuildKit). BuildKit copies a large context much faster (the classic
 * builder extracts the context, then copies it into a container and commits that), so it is
 * used wherever the engine has it and the build asks for nothing only the classic builder does.
 */
export function classicBuilderReason(info: Pick<EngineInfo, 'name' | 'os' | 'apiVersion' | 'builder'> | undefined, env: NodeJS.ProcessEnv, dockerfile: string, parts?: BuildParts): string | undefined {
  const setting = env.DOCKER_BUILDKIT?.trim().toLowerCase();
  if (setting === '0' || setting === 'false') return `DOCKER_BUILDKIT=${env.DOCKER_BUILDKIT} asks for it`;
  if (!info) return 'the engine did not say what it is';
  if (/podman/i.test(info.name)) return `${info.name} builds with Buildah behind its Docker API`;
  if (info.os && info.os !== 'linux') return `the engine runs on ${info.os}, where it has no BuildKit`;
  if (info.builder === '1') return 'the engine is set to the classic builder (daemon.json "features": {"buildkit": false})';
  const [major, minor] = info.apiVersion.split('.').map(Number);
  if (!(major > 1 || (major === 1 && minor >= 39))) return `the engine's API ${info.apiVersion || '(unknown)'} is older than 1.39`;
  const byId = parseDockerfile(dockerfile).find((i) => i.keyword === 'FROM' && /^(sha256:)?[0-9a-f]{12,64}$/.test(i.args.split(/\s+/).find((a) => !a.startsWith('--')) ?? ''));
  if (byId) return `FROM names an image by its ID (line ${byId.line}), which BuildKit would look up in a registry`;
  const flags = Object.keys(parts?.query ?? {}).filter((k) => CLASSIC_ONLY[k]).map((k) => CLASSIC_ONLY[k]);
  if (parts?.ulimits.length) flags.push('--ulimit');
  if (flags.length) return `build.options has ${flags.join(', ')}, which only the classic builder applies`;
  const network = parts?.query.networkmode;
  if (network !== undefined && !['', 'default', 'host', 'none'].includes(String(network))) return `build.options has --network ${network}, which BuildKit does not build in`;
  return undefined;
}

/** Maps a BuildKit step name ("[3/4] RUN make", "[dev 2/3] COPY . /ctx") to its Dockerfile line, by its text. */
function kitStepLine(instructions: ReturnType<typeof parseDockerfile>, name: string | undefined): string {
  const m = name ? /^\[[^\]]*\d+\/\d+\] (\S+)\s+(.*)$/s.exec(name) : null;
  if (!m) return '';
  const flat = (t: string) => t.replace(/\s+/g, ' ').trim();
  const found = instructions.filter((i) => i.keyword === m[1].toUpperCase() && flat(i.args) === flat(m[2]));
  return found.length === 1 ? `, Dockerfile line ${found[0].line}` : '';
}

async function buildWithApi(engine: Engine, opts: BuildOptions, text: string, report: Reporter, signal?: AbortSignal, parts?: BuildParts): Promise<void> {
  const info = await engine.info().catch(() => undefined);
  const classic = classicBuilderReason(info, opts.env, text, parts);
  if (!classic) {
    try {
      await buildThroughApi(engine, opts, text, report, signal, parts, true);
      return;
    } catch (e) {
      // an engine that has no BuildKit (or has it turned off) says so before it builds anything
      if (!(e instanceof BuildKitRefused)) throw e;
      report.info(`The engine did not build with BuildKit (${e.message}); building with its classic builder.`);
    }
  } else if (/^FROM names/.test(classic)) report.output('build', `Building with the engine's classic builder: ${classic}.\n`);
  else if (!/^DOCKER_BUILDKIT/.test(classic)) report.info(`Building with the engine's classic builder: ${classic}.`);
  await buildThroughApi(engine, opts, text, report, signal, parts, false);
}

class BuildKitRefused extends Error {}

/** One build through the Engine API: the context as a tar, to BuildKit (`version=2`, no session: the tar is the context) or to the classic builder. */
async function buildThroughApi(engine: Engine, opts: BuildOptions, text: string, report: Reporter, signal: AbortSignal | undefined, parts: BuildParts | undefined, buildKit: boolean): Promise<void> {
  const rel = path.relative(opts.context, opts.dockerfile).split(path.sep).join('/');
  const outside = rel.startsWith('..') || path.isAbsolute(rel);
  const dockerfileInTar = outside ? `.hyperbox-Dockerfile-${process.pid}` : rel;
  const filter = await contextFilter(opts.context, outside ? [] : [rel]);
  const tar = await packContext(opts.context, filter, outside ? [{ name: dockerfileInTar, content: Buffer.from(text) }] : []);
  throwIfCancelled(signal, 'The build');
  const instructions = parseDockerfile(text);
  let output = '';
  let step: string | undefined;
  const kit = buildKit ? new BuildKitProgress() : undefined;
  let stream: NodeJS.ReadableStream;
  try {
    // build.options come after the config's args and target, as on a docker build command line
    const cacheFrom = [...(opts.cacheFrom ?? []), ...(parts?.cacheFrom ?? [])];
    const params: Record<string, unknown> = {
      rm: true,
      forcerm: true,
      ...parts?.query,
      t: opts.tag,
      dockerfile: dockerfileInTar,
      buildargs: { ...opts.args, ...parts?.args },
      target: parts?.target ?? opts.target,
      cachefrom: cacheFrom.length ? JSON.stringify(cacheFrom) : undefined,
      nocache: opts.noCache || parts?.noCache,
      labels: { ...parts?.labels, ...opts.labels },
      extrahosts: parts?.extraHosts.length ? parts.extraHosts.join(',') : undefined,
      ulimits: parts?.ulimits.length ? JSON.stringify(parts.ulimits) : undefined,
      version: buildKit ? '2' : undefined,
    };
    // a parameter left undefined would reach the engine as an empty value
    for (const k of Object.keys(params)) if (params[k] === undefined) delete params[k];
    // the request dockerode's buildImage makes, without the gRPC session it opens for version=2
    // (the session serves local folders, secrets and registry credentials; the tar is the context)
    stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      (engine.docker.modem as unknown as { dial(o: object, cb: (err: unknown, res: unknown) => void): void }).dial(
        { path: '/build?', method: 'POST', file: tar, options: params, isStream: true, abortSignal: signal, statusCodes: { 200: true, 500: 'server error' } },
        (err, res) => (err ? reject(err) : resolve(res as NodeJS.ReadableStream)),
      ),
    );
  } catch (e) {
    tar.destroy();
    if (buildKit && /buildkit/i.test(dockerMessage(e))) throw new BuildKitRefused(dockerMessage(e));
    throw new RuntimeError('build-failed', `The engine refused to build ${opts.dockerfile}: ${dockerMessage(e)}.`);
  }
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      (stream as unknown as { destroy?: () => void }).destroy?.();
      reject(new RuntimeError('cancelled', 'The build was cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const show = (t: string) => {
      output += t;
      if (output.length > 64_000) output = output.slice(-32_000);
      report.output('build', t);
    };
    engine.docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      },
      (ev: { stream?: string; id?: string; aux?: unknown; error?: string; errorDetail?: { message?: string } }) => {
        if (kit && ev.id === 'moby.buildkit.trace' && typeof ev.aux === 'string') {
          let lines = '';
          try {
            lines = kit.add(ev.aux);
          } catch (e) {
            lines = `(a BuildKit progress message could not be read: ${(e as Error).message})\n`;
          }
          if (lines) show(lines);
        }
        if (ev.stream) {
          show(ev.stream);
          for (const l of ev.stream.split('\n')) if (l.startsWith('Step ')) step = l.trim();
        }
        if (ev.error) {
          signal?.removeEventListener('abort', onAbort);
          const at = kit ? (kit.failed ? ` at ${kit.failed}${kitStepLine(instructions, kit.failed)}` : '') : step ? ` at ${step}${stepLine(instructions, step)}` : '';
          reject(
            new RuntimeError(
              'build-failed',
              `Building ${opts.dockerfile} failed${at}: ${ev.errorDetail?.message ?? ev.error}\n` +
                `Last output:\n${lastLines(output)}\nFix the Dockerfile (or what it runs), then run hb up again.`,
            ),
          );
        }
      },
    );
  });
}

async function buildWithCli(engine: Engine, opts: BuildOptions, text: string, report: Reporter, signal?: AbortSignal): Promise<void> {
  const cli = await chooseBuildKitCli(opts.env, report);
  throwIfCancelled(signal, 'The build');
  const args = ['build', '--progress=plain', '-f', opts.dockerfile, '-t', opts.tag];
  for (const [k, v] of Object.entries(opts.args ?? {})) args.push('--build-arg', `${k}=${v}`);
  if (opts.target) args.push('--target', opts.target);
  for (const c of opts.cacheFrom ?? []) args.push('--cache-from', c);
  for (const [k, v] of Object.entries(opts.labels ?? {})) args.push('--label', `${k}=${v}`);
  if (opts.noCache) args.push('--no-cache');
  // build.options as written (parseBuildOptions checked them)
  if (Array.isArray(opts.options)) args.push(...(opts.options as string[]));
  args.push(opts.context);
  const env: NodeJS.ProcessEnv = { ...opts.env, DOCKER_BUILDKIT: '1' };
  // talk to the same engine as the rest of HyperBox
  if (engine.endpoint.source === 'default' || engine.endpoint.source === 'DOCKER_HOST') env.DOCKER_HOST = engine.endpoint.host;
  let output = '';
  const code = await new Promise<number>((resolve, reject) => {
    const child = childProcess().spawn(cli, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (b: Buffer) => {
      const s = b.toString('utf8');
      output += s;
      if (output.length > 64_000) output = output.slice(-32_000);
      report.output('build', s);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const onAbort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      reject(
        e.code === 'ENOENT'
          ? new RuntimeError(
              'build-failed',
              `This Dockerfile needs BuildKit, which HyperBox runs through the docker CLI, but "${cli}" was not found. Install the docker CLI (Debian: apt-get install docker.io) or set HB_DOCKER_PATH to it.`,
            )
          : e,
      );
    });
    child.on('close', (c) => {
      signal?.removeEventListener('abort', onAbort);
      resolve(c ?? 1);
    });
  });
  throwIfCancelled(signal, 'The build');
  if (code !== 0) {
    const hint = /buildx component is missing|buildx.*not found/i.test(output)
      ? ' This docker CLI needs the buildx plugin for BuildKit: install it (docker-buildx) or point HB_DOCKER_PATH at a CLI with built-in BuildKit.'
      : ' Fix the Dockerfile (or what it runs), then run hb up again.';
    const failing = [...output.matchAll(/^#\d+ \[[^\]]*\] (.*)$/gm)].pop()?.[1];
    throw new RuntimeError(
      'build-failed',
      `Building ${opts.dockerfile} with BuildKit failed (${cli} exited with ${code})${failing ? ` at ${failing}` : ''}.\nLast output:\n${lastLines(output)}\n${hint.trim()}`,
    );
  }
}
