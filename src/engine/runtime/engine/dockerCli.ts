// Which `docker` CLI HyperBox runs, chosen on purpose. A BuildKit build (a Dockerfile with
// `RUN --mount`, or build.options only BuildKit understands) needs a client that can build with
// BuildKit: one with the buildx plugin, or one older than 23.0, which has BuildKit built in
// (DOCKER_BUILDKIT=1). A machine may have several clients: e.g. Docker's CLI 28 without buildx
// first on PATH, beside Debian's 20.10 in /usr/bin. HB_DOCKER_PATH always wins; otherwise each
// `docker` on PATH is asked in turn, then /usr/bin/docker, and the first that can build is used,
// and said so. The Compose plugin is looked for the same way.
import { findAllOnPath, isExecutableFile, runProgram as run } from '../../util/program';
import { realpathSync } from 'node:fs';
import { RuntimeError } from '../errors';
import type { Reporter } from '../report';

/** Where Debian's docker.io puts its client (20.10, BuildKit built in). */
export const DEBIAN_DOCKER = '/usr/bin/docker';

export interface DockerClient {
  path: string;
  /** "28.2.2", or undefined when `--version` did not answer. */
  version?: string;
  buildx: boolean;
  /** Can build with BuildKit: buildx, or a client older than 23.0 with DOCKER_BUILDKIT=1. */
  buildKit: boolean;
  /** Why not, for messages. */
  why?: string;
}

/** Runs a program and gives its exit code and stdout (never throws). */
export type Runner = (file: string, args: string[], env: NodeJS.ProcessEnv) => Promise<{ code: number; stdout: string }>;

export const runProgram: Runner = async (file, args, env) => {
  const r = await run(file, args, { env, timeoutMs: 15_000 });
  return { code: r.code, stdout: r.stdout };
};

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The docker clients to consider, in order: each `docker` on PATH, then Debian's; one entry per real file. */
export function dockerCandidates(env: NodeJS.ProcessEnv, isExecutable: (p: string) => boolean = isExecutableFile, real: (p: string) => string = realOrSelf): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of [...findAllOnPath('docker', env, isExecutable), ...(isExecutable(DEBIAN_DOCKER) ? [DEBIAN_DOCKER] : [])]) {
    const r = real(p);
    if (seen.has(r)) continue;
    seen.add(r);
    out.push(p);
  }
  return out;
}

/** What one client can do: its version, and whether it builds with BuildKit. */
export async function probeClient(file: string, env: NodeJS.ProcessEnv, run: Runner = runProgram): Promise<DockerClient> {
  const v = await run(file, ['--version'], env);
  const version = v.code === 0 ? /(\d+\.\d+(?:\.\d+)?)/.exec(v.stdout)?.[1] : undefined;
  if (!version) return { path: file, buildx: false, buildKit: false, why: `"${file} --version" did not answer` };
  const bx = await run(file, ['buildx', 'version'], env);
  const buildx = bx.code === 0 && /buildx/i.test(bx.stdout);
  const major = Number(version.split('.')[0]);
  if (buildx) return { path: file, version, buildx, buildKit: true };
  if (major < 23) return { path: file, version, buildx, buildKit: true };
  return { path: file, version, buildx, buildKit: false, why: `${file} ${version} has no buildx plugin, which Docker CLI 23 and later need for BuildKit` };
}

function describe(c: DockerClient): string {
  return `${c.path}${c.version ? ` ${c.version}` : ''}${c.buildx ? ' with buildx' : c.buildKit ? ' (BuildKit built in)' : ''}`;
}

/**
 * The docker CLI to build with BuildKit: HB_DOCKER_PATH as given, else the first client that can
 * (see the top of this file). Says which one through report.info; an error naming every client
 * tried and why none fits, or that there is none.
 */
export async function chooseBuildKitCli(env: NodeJS.ProcessEnv, report: Pick<Reporter, 'info'>, o: { run?: Runner; candidates?: string[] } = {}): Promise<string> {
  if (env.HB_DOCKER_PATH) {
    report.info(`Building with the docker CLI HB_DOCKER_PATH names: ${env.HB_DOCKER_PATH}.`);
    return env.HB_DOCKER_PATH;
  }
  const candidates = o.candidates ?? dockerCandidates(env);
  if (!candidates.length) {
    throw new RuntimeError(
      'build-failed',
      `This build needs BuildKit, which HyperBox runs through the docker CLI, and no "docker" is on PATH (nor ${DEBIAN_DOCKER}). Install the docker CLI (Debian: apt-get install docker.io) or set HB_DOCKER_PATH to it.`,
    );
  }
  const tried: DockerClient[] = [];
  for (const file of candidates) {
    const c = await probeClient(file, env, o.run);
    if (c.buildKit) {
      const skipped = tried.length ? `, since ${tried.map((t) => t.why).join('; ')}` : '';
      report.info(`Building with the docker CLI ${describe(c)}${skipped}. Set HB_DOCKER_PATH to choose another.`);
      return c.path;
    }
    tried.push(c);
  }
  throw new RuntimeError(
    'build-failed',
    `This build needs BuildKit, and none of the docker CLIs here can build with it: ${tried.map((t) => t.why).join('; ')}. ` +
      `Install the buildx plugin (docker-buildx), or Debian's docker.io (${DEBIAN_DOCKER}, BuildKit built in), or set HB_DOCKER_PATH to a CLI that can.`,
  );
}

/** The first docker client with the Compose v2 plugin: HB_DOCKER_PATH only when set, else every candidate. */
export async function findComposePlugin(env: NodeJS.ProcessEnv, o: { run?: Runner; candidates?: string[] } = {}): Promise<{ docker: string; version: string } | undefined> {
  const run = o.run ?? runProgram;
  const candidates = env.HB_DOCKER_PATH ? [env.HB_DOCKER_PATH] : (o.candidates ?? dockerCandidates(env));
  for (const docker of candidates) {
    const r = await run(docker, ['compose', 'version', '--short'], env);
    if (r.code === 0 && /^v?\d/.test(r.stdout.trim())) return { docker, version: r.stdout.trim().replace(/^v/, '') };
  }
  return undefined;
}
