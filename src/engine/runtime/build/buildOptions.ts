// `build.options` (extra `docker build` flags in devcontainer.json) parsed with runArgs.ts's flag
// parser into Engine API build parameters. A flag with no build parameter is an error that names
// it, except flags only BuildKit understands (--secret, --ssh, ...): those make HyperBox build
// through the docker CLI, which gets the options as written.
import { RuntimeError } from '../errors';
import { bad, bool, bytes, int, parseFlags, ulimit, type FlagSpec } from '../create/runArgs';

export interface BuildParts {
  args: Record<string, string>;
  labels: Record<string, string>;
  target?: string;
  cacheFrom: string[];
  noCache?: boolean;
  extraHosts: string[];
  ulimits: { Name: string; Soft: number; Hard: number }[];
  /** Other Engine API build parameters (networkmode, platform, pull, shmsize, memory, ...). */
  query: Record<string, string | number | boolean>;
  /** Flags only the BuildKit docker CLI understands, as written. */
  buildKitOnly: string[];
}

const q =
  (key: string, convert: (v: string, ctx: Parameters<FlagSpec<BuildParts>['apply']>[2]) => string | number | boolean = (v) => v): FlagSpec<BuildParts>['apply'] =>
  (p, v, ctx) => {
    p.query[key] = convert(v, ctx);
  };
const flag = (names: string[], value: boolean, apply: FlagSpec<BuildParts>['apply']): FlagSpec<BuildParts> => ({ names, value, apply });

const FLAGS: FlagSpec<BuildParts>[] = [
  flag(['--build-arg'], true, (p, v, ctx) => {
    const eq = v.indexOf('=');
    if (eq === 0) throw bad(ctx, v, 'NAME=VALUE or NAME');
    if (eq > 0) p.args[v.slice(0, eq)] = v.slice(eq + 1);
    else if (ctx.env[v] !== undefined) p.args[v] = ctx.env[v]!;
  }),
  flag(['--label'], true, (p, v) => {
    const eq = v.indexOf('=');
    p.labels[eq < 0 ? v : v.slice(0, eq)] = eq < 0 ? '' : v.slice(eq + 1);
  }),
  flag(['--target'], true, (p, v) => void (p.target = v)),
  flag(['--cache-from'], true, (p, v) => void p.cacheFrom.push(v)),
  flag(['--no-cache'], false, (p, v) => void (p.noCache = bool(v))),
  flag(['--add-host'], true, (p, v, ctx) => {
    if (v.indexOf(':') <= 0) throw bad(ctx, v, 'HOST:IP');
    p.extraHosts.push(v);
  }),
  flag(['--ulimit'], true, (p, v, ctx) => void p.ulimits.push(ulimit(v, ctx))),
  flag(['--network'], true, q('networkmode')),
  flag(['--platform'], true, q('platform')),
  flag(['--pull'], false, q('pull', bool)),
  flag(['--shm-size'], true, q('shmsize', bytes)),
  flag(['-m', '--memory'], true, q('memory', bytes)),
  flag(['--memory-swap'], true, q('memswap', (v, ctx) => (v === '-1' ? -1 : bytes(v, ctx)))),
  flag(['-c', '--cpu-shares'], true, q('cpushares', int)),
  flag(['--cpu-period'], true, q('cpuperiod', int)),
  flag(['--cpu-quota'], true, q('cpuquota', int)),
  flag(['--cpuset-cpus'], true, q('cpusetcpus')),
  flag(['--cpuset-mems'], true, q('cpusetmems')),
  flag(['--cgroup-parent'], true, q('cgroupparent')),
  flag(['--isolation'], true, q('isolation')),
  flag(['--squash'], false, q('squash', bool)),
  flag(['--rm'], false, q('rm', bool)),
  flag(['--force-rm'], false, q('forcerm', bool)),
  // they change only what the docker client prints
  flag(['--progress'], true, () => undefined),
  flag(['-q', '--quiet'], false, () => undefined),
];

/** BuildKit-only flags and whether they take a value. */
const BUILDKIT_ONLY: Record<string, boolean> = {
  '--secret': true,
  '--ssh': true,
  '--cache-to': true,
  '--build-context': true,
  '--allow': true,
  '--attest': true,
  '--sbom': true,
  '--provenance': true,
  '--output': true,
  '-o': true,
  '--builder': true,
  '--load': false,
  '--push': false,
};

/** Flags of `docker build` HyperBox refuses, and why. */
const REFUSED: Record<string, string> = {
  '-t': 'HyperBox tags the image itself (it finds the image by that name)',
  '--tag': 'HyperBox tags the image itself (it finds the image by that name)',
  '-f': 'the Dockerfile comes from build.dockerfile',
  '--file': 'the Dockerfile comes from build.dockerfile',
  '--iidfile': 'it makes the docker client write a file',
  '--disable-content-trust': 'it is a docker client image verification setting',
  '--compress': 'it changes only how the docker client sends the context',
};

const BY_NAME = new Map<string, FlagSpec<BuildParts>>();
for (const f of FLAGS) for (const n of f.names) BY_NAME.set(n, f);
for (const [name, value] of Object.entries(BUILDKIT_ONLY)) {
  BY_NAME.set(name, { names: [name], value, apply: (p, v) => void p.buildKitOnly.push(value ? `${name}=${v}` : name) });
}

/** Parses build.options; an error names a flag HyperBox cannot apply. */
export function parseBuildOptions(options: unknown, opts: { baseDir: string; env: NodeJS.ProcessEnv }): BuildParts {
  const parts: BuildParts = { args: {}, labels: {}, cacheFrom: [], extraHosts: [], ulimits: [], query: {}, buildKitOnly: [] };
  if (options === undefined) return parts;
  if (!Array.isArray(options) || options.some((a) => typeof a !== 'string')) {
    throw new RuntimeError('config', 'build.options must be an array of strings, one docker build flag or value per item, e.g. ["--network", "host"].');
  }
  return parseFlags(options as string[], BY_NAME, parts, {
    where: 'build.options',
    baseDir: opts.baseDir,
    env: opts.env,
    unknownFlag: (name) =>
      new RuntimeError(
        'unsupported',
        REFUSED[name]
          ? `build.options: ${name} cannot be applied: ${REFUSED[name]}. Remove it from build.options.`
          : `build.options: ${name} is not a docker build flag HyperBox can map to the Engine API's build parameters, so the image would not be what the config asks for. Remove it, or use build.args / build.target / build.cacheFrom.`,
      ),
    notAFlag: (arg, i) =>
      new RuntimeError(
        'config',
        `build.options: "${arg}" (item ${i + 1}) is not a flag. build.options holds docker build flags and their values only; the context and Dockerfile come from build.context and build.dockerfile.`,
      ),
  });
}
