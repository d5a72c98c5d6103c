// `runArgs` (docker run flags in devcontainer.json) parsed into Engine API fields. Nothing goes
// through a shell. A flag we cannot map is an error that names it: dropping it silently would
// make a container that is not what the config asks for.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { RuntimeError } from '../errors';
import { parseBytes, parseMount, type ApiMount } from './mounts';

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

/** The parts of a container create request that runArgs (and appPort) contribute. */
export interface CreateParts {
  name?: string;
  platform?: string;
  labels: Record<string, string>;
  env: string[];
  exposedPorts: Record<string, Record<string, never>>;
  portBindings: Record<string, PortBinding[]>;
  mounts: ApiMount[];
  binds: string[];
  /** Config fields: User, WorkingDir, Hostname, Domainname, Entrypoint, StopSignal, StopTimeout, Tty, OpenStdin, MacAddress, Healthcheck. */
  config: Record<string, unknown>;
  /** HostConfig fields. */
  hostConfig: Record<string, unknown>;
  /** Aliases and addresses on the network. */
  endpoint: { Aliases?: string[]; IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } };
  /** Files on this machine read into the request (--env-file, --label-file), absolute: trust judges them. */
  filesRead: string[];
}

export function emptyCreateParts(): CreateParts {
  return { labels: {}, env: [], exposedPorts: {}, portBindings: {}, mounts: [], binds: [], config: {}, hostConfig: {}, endpoint: {}, filesRead: [] };
}

type Apply = (parts: CreateParts, value: string, ctx: ParseContext) => void;
/** A command-line flag and what it does to the parts being built (`P`). */
export interface FlagSpec<P> {
  names: string[];
  /** Takes a value (`--flag value` / `--flag=value`); otherwise a boolean (`--flag[=true|false]`). */
  value: boolean;
  apply: (parts: P, value: string, ctx: ParseContext) => void;
}
type Flag = FlagSpec<CreateParts>;
export interface ParseContext {
  /** Where the flags come from, for messages: "runArgs", "build.options". */
  where: string;
  flag: string;
  /** Folder relative paths (--env-file, --label-file) are read from. */
  baseDir: string;
  env: NodeJS.ProcessEnv;
}

export const bad = (ctx: ParseContext, value: string, expected: string) =>
  new RuntimeError('config', `${ctx.where}: ${ctx.flag} "${value}" is not valid; expected ${expected}.`);

const push = (parts: CreateParts, key: string, value: unknown) => {
  const list = (parts.hostConfig[key] as unknown[]) ?? [];
  list.push(value);
  parts.hostConfig[key] = list;
};
const hc = (key: string, convert: (v: string, ctx: ParseContext) => unknown = (v) => v): Apply => (parts, v, ctx) => {
  parts.hostConfig[key] = convert(v, ctx);
};
const cfg = (key: string, convert: (v: string, ctx: ParseContext) => unknown = (v) => v): Apply => (parts, v, ctx) => {
  parts.config[key] = convert(v, ctx);
};
const list = (key: string, convert: (v: string, ctx: ParseContext) => unknown = (v) => v): Apply => (parts, v, ctx) => push(parts, key, convert(v, ctx));
export const bool = (v: string) => v === '' || v === 'true' || v === '1';
export const int = (v: string, ctx: ParseContext) => {
  if (!/^-?\d+$/.test(v)) throw bad(ctx, v, 'a whole number');
  return parseInt(v, 10);
};
export const bytes = (v: string, ctx: ParseContext) => parseBytes(v, `${ctx.where}: ${ctx.flag}`);

/** Go-style durations: 30s, 1m30s, 500ms, 2h. Returns nanoseconds. */
export function parseDuration(v: string, ctx: ParseContext): number {
  // \u00b5 (µ) escaped: esbuild keeps a regular expression's characters as written, and one
  // non-ASCII character makes Node decode the whole CLI bundle as UTF-16 (slower to read and compile)
  const re = /(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/g;
  const unit: Record<string, number> = { ns: 1, us: 1e3, '\u00b5s': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let consumed = 0;
  for (const m of v.matchAll(re)) {
    total += parseFloat(m[1]) * unit[m[2]];
    consumed += m[0].length;
  }
  if (!v || consumed !== v.length) throw bad(ctx, v, 'a duration such as 30s or 1m30s');
  return Math.round(total);
}

export function keyValue(v: string, ctx: ParseContext): [string, string] {
  const eq = v.indexOf('=');
  if (eq <= 0) throw bad(ctx, v, 'KEY=VALUE');
  return [v.slice(0, eq), v.slice(eq + 1)];
}

function readLines(parts: CreateParts, file: string, ctx: ParseContext): string[] {
  const abs = path.resolve(ctx.baseDir, file);
  parts.filesRead.push(abs);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new RuntimeError('config', `${ctx.where}: ${ctx.flag} names ${abs}, which cannot be read (${(e as NodeJS.ErrnoException).code}). Fix the path (relative paths start at ${ctx.baseDir}).`);
  }
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

function addEnv(parts: CreateParts, v: string, ctx: ParseContext): void {
  const eq = v.indexOf('=');
  if (eq === 0) throw bad(ctx, v, 'NAME=VALUE or NAME');
  if (eq > 0) parts.env.push(v);
  else if (ctx.env[v] !== undefined) parts.env.push(`${v}=${ctx.env[v]}`);
}

/**
 * A port spec: `[ip:][hostPort:]containerPort[/proto]`, ranges `8000-8001:8000-8001` allowed.
 * `defaultIp` is used when none is given (127.0.0.1 for appPort; all interfaces for -p, as docker does).
 */
export function addPort(parts: CreateParts, spec: string, defaultIp: string, where: string): void {
  const fail = () => new RuntimeError('config', `${where}: "${spec}" is not a port; write CONTAINER, HOST:CONTAINER or IP:HOST:CONTAINER (optionally /tcp or /udp).`);
  let rest = spec.trim();
  let proto = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    proto = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!['tcp', 'udp', 'sctp'].includes(proto)) throw fail();
  }
  let ip = defaultIp;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  let fields: string[];
  if (v6) {
    ip = v6[1];
    fields = v6[2].split(':');
  } else {
    fields = rest.split(':');
    if (fields.length === 3) ip = fields.shift()!;
  }
  if (fields.length > 2 || fields.length === 0) throw fail();
  const containerPart = fields[fields.length - 1];
  const hostPart = fields.length === 2 ? fields[0] : '';
  const range = (s: string): [number, number] | undefined => {
    if (s === '') return undefined;
    const m = /^(\d+)(?:-(\d+))?$/.exec(s);
    if (!m) throw fail();
    const a = +m[1];
    const b = m[2] ? +m[2] : a;
    if (a < 1 || b > 65535 || b < a) throw fail();
    return [a, b];
  };
  const c = range(containerPart);
  if (!c) throw fail();
  const h = range(hostPart);
  if (h && h[1] - h[0] !== c[1] - c[0]) throw fail();
  for (let i = 0; i <= c[1] - c[0]; i++) {
    const key = `${c[0] + i}/${proto}`;
    parts.exposedPorts[key] = {};
    (parts.portBindings[key] ??= []).push({ HostIp: ip, HostPort: h ? String(h[0] + i) : '' });
  }
}

/** `--ulimit NAME=SOFT[:HARD]` as the Engine API's Ulimit. */
export function ulimit(v: string, ctx: ParseContext): { Name: string; Soft: number; Hard: number } {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(v);
  if (!m) throw bad(ctx, v, 'NAME=SOFT[:HARD], e.g. nofile=1024:2048');
  return { Name: m[1], Soft: +m[2], Hard: +(m[3] ?? m[2]) };
}

function device(v: string, ctx: ParseContext) {
  const [host, container, perms] = v.split(':');
  if (!host) throw bad(ctx, v, '/dev/HOST[:/dev/CONTAINER[:rwm]]');
  let target = container;
  let permissions = perms;
  if (container && /^[rwm]+$/.test(container) && !perms) {
    target = undefined as unknown as string;
    permissions = container;
  }
  return { PathOnHost: host, PathInContainer: target || host, CgroupPermissions: permissions || 'rwm' };
}

function gpus(v: string, ctx: ParseContext) {
  const req: Record<string, unknown> = { Driver: '', Count: 0, DeviceIDs: null, Capabilities: [['gpu']], Options: {} };
  for (const part of v.replace(/^"|"$/g, '').split(/,(?=[a-z]+=)/)) {
    if (part === 'all') req.Count = -1;
    else if (/^\d+$/.test(part)) req.Count = parseInt(part, 10);
    else if (part.startsWith('device=')) req.DeviceIDs = part.slice(7).split(',');
    else if (part.startsWith('driver=')) req.Driver = part.slice(7);
    else if (part.startsWith('capabilities=')) req.Capabilities = [part.slice(13).split(',')];
    else throw bad(ctx, v, 'all, a count, or device=ID[,ID]');
  }
  return req;
}

const FLAGS: Flag[] = [
  { names: ['--name'], value: true, apply: (p, v) => void (p.name = v) },
  { names: ['--platform'], value: true, apply: (p, v) => void (p.platform = v) },
  { names: ['-e', '--env'], value: true, apply: addEnv },
  { names: ['--env-file'], value: true, apply: (p, v, ctx) => readLines(p, v, ctx).forEach((l) => addEnv(p, l, ctx)) },
  { names: ['-l', '--label'], value: true, apply: (p, v) => {
    const eq = v.indexOf('=');
    p.labels[eq < 0 ? v : v.slice(0, eq)] = eq < 0 ? '' : v.slice(eq + 1);
  } },
  { names: ['--label-file'], value: true, apply: (p, v, ctx) => readLines(p, v, ctx).forEach((l) => {
    const eq = l.indexOf('=');
    p.labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }) },
  { names: ['-p', '--publish'], value: true, apply: (p, v, ctx) => addPort(p, v, '', `runArgs ${ctx.flag}`) },
  { names: ['-P', '--publish-all'], value: false, apply: hc('PublishAllPorts', bool) },
  { names: ['--expose'], value: true, apply: (p, v, ctx) => {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/.exec(v);
    if (!m) throw bad(ctx, v, 'PORT[-PORT][/PROTO]');
    for (let i = +m[1]; i <= +(m[2] ?? m[1]); i++) p.exposedPorts[`${i}/${m[3] ?? 'tcp'}`] = {};
  } },
  { names: ['-v', '--volume'], value: true, apply: (p, v) => void p.binds.push(v) },
  { names: ['--mount'], value: true, apply: (p, v, ctx) => void p.mounts.push(parseMount(v, `runArgs ${ctx.flag}`)) },
  { names: ['--volumes-from'], value: true, apply: list('VolumesFrom') },
  { names: ['--tmpfs'], value: true, apply: (p, v) => {
    const [dir, ...opts] = v.split(':');
    p.hostConfig.Tmpfs = { ...(p.hostConfig.Tmpfs as object), [dir]: opts.join(':') };
  } },
  { names: ['--read-only'], value: false, apply: hc('ReadonlyRootfs', bool) },
  { names: ['--cap-add'], value: true, apply: list('CapAdd') },
  { names: ['--cap-drop'], value: true, apply: list('CapDrop') },
  { names: ['--security-opt'], value: true, apply: list('SecurityOpt') },
  { names: ['--privileged'], value: false, apply: hc('Privileged', bool) },
  { names: ['--init'], value: false, apply: hc('Init', bool) },
  { names: ['--device'], value: true, apply: list('Devices', device) },
  { names: ['--device-cgroup-rule'], value: true, apply: list('DeviceCgroupRules') },
  { names: ['--gpus'], value: true, apply: list('DeviceRequests', gpus) },
  { names: ['--group-add'], value: true, apply: list('GroupAdd') },
  { names: ['--network', '--net'], value: true, apply: hc('NetworkMode') },
  { names: ['--network-alias', '--net-alias'], value: true, apply: (p, v) => void (p.endpoint.Aliases ??= []).push(v) },
  { names: ['--ip'], value: true, apply: (p, v) => void (p.endpoint.IPAMConfig = { ...p.endpoint.IPAMConfig, IPv4Address: v }) },
  { names: ['--ip6'], value: true, apply: (p, v) => void (p.endpoint.IPAMConfig = { ...p.endpoint.IPAMConfig, IPv6Address: v }) },
  { names: ['--mac-address'], value: true, apply: cfg('MacAddress') },
  { names: ['--add-host'], value: true, apply: list('ExtraHosts', (v, ctx) => {
    const i = v.indexOf(':');
    if (i <= 0) throw bad(ctx, v, 'HOST:IP');
    return v;
  }) },
  { names: ['--dns'], value: true, apply: list('Dns') },
  { names: ['--dns-search'], value: true, apply: list('DnsSearch') },
  { names: ['--dns-option', '--dns-opt'], value: true, apply: list('DnsOptions') },
  { names: ['--link'], value: true, apply: list('Links') },
  { names: ['-h', '--hostname'], value: true, apply: cfg('Hostname') },
  { names: ['--domainname'], value: true, apply: cfg('Domainname') },
  { names: ['-u', '--user'], value: true, apply: cfg('User') },
  { names: ['-w', '--workdir'], value: true, apply: cfg('WorkingDir') },
  { names: ['--entrypoint'], value: true, apply: cfg('Entrypoint', (v) => (v === '' ? [''] : [v])) },
  { names: ['--stop-signal'], value: true, apply: cfg('StopSignal') },
  { names: ['--stop-timeout'], value: true, apply: cfg('StopTimeout', int) },
  { names: ['-t', '--tty'], value: false, apply: cfg('Tty', bool) },
  { names: ['-i', '--interactive'], value: false, apply: cfg('OpenStdin', bool) },
  { names: ['-d', '--detach'], value: false, apply: () => undefined /* dev containers always start detached */ },
  { names: ['--rm'], value: false, apply: hc('AutoRemove', bool) },
  { names: ['--restart'], value: true, apply: hc('RestartPolicy', (v, ctx) => {
    const [name, count] = v.split(':');
    if (!['no', 'always', 'on-failure', 'unless-stopped'].includes(name)) throw bad(ctx, v, 'no, always, on-failure[:N] or unless-stopped');
    return { Name: name === 'no' ? '' : name, MaximumRetryCount: count ? int(count, ctx) : 0 };
  }) },
  { names: ['--ipc'], value: true, apply: hc('IpcMode') },
  { names: ['--pid'], value: true, apply: hc('PidMode') },
  { names: ['--uts'], value: true, apply: hc('UTSMode') },
  { names: ['--userns'], value: true, apply: hc('UsernsMode') },
  { names: ['--cgroupns'], value: true, apply: hc('CgroupnsMode') },
  { names: ['--cgroup-parent'], value: true, apply: hc('CgroupParent') },
  { names: ['--runtime'], value: true, apply: hc('Runtime') },
  { names: ['--isolation'], value: true, apply: hc('Isolation') },
  { names: ['--shm-size'], value: true, apply: hc('ShmSize', bytes) },
  { names: ['-m', '--memory'], value: true, apply: hc('Memory', bytes) },
  { names: ['--memory-swap'], value: true, apply: hc('MemorySwap', (v, ctx) => (v === '-1' ? -1 : bytes(v, ctx))) },
  { names: ['--memory-reservation'], value: true, apply: hc('MemoryReservation', bytes) },
  { names: ['--memory-swappiness'], value: true, apply: hc('MemorySwappiness', int) },
  { names: ['--oom-kill-disable'], value: false, apply: hc('OomKillDisable', bool) },
  { names: ['--oom-score-adj'], value: true, apply: hc('OomScoreAdj', int) },
  { names: ['--cpus'], value: true, apply: hc('NanoCpus', (v, ctx) => {
    if (!/^\d+(\.\d+)?$/.test(v)) throw bad(ctx, v, 'a number of CPUs such as 1.5');
    return Math.round(parseFloat(v) * 1e9);
  }) },
  { names: ['-c', '--cpu-shares'], value: true, apply: hc('CpuShares', int) },
  { names: ['--cpu-period'], value: true, apply: hc('CpuPeriod', int) },
  { names: ['--cpu-quota'], value: true, apply: hc('CpuQuota', int) },
  { names: ['--cpuset-cpus'], value: true, apply: hc('CpusetCpus') },
  { names: ['--cpuset-mems'], value: true, apply: hc('CpusetMems') },
  { names: ['--blkio-weight'], value: true, apply: hc('BlkioWeight', int) },
  { names: ['--pids-limit'], value: true, apply: hc('PidsLimit', int) },
  { names: ['--ulimit'], value: true, apply: list('Ulimits', ulimit) },
  { names: ['--sysctl'], value: true, apply: (p, v, ctx) => {
    const [k, val] = keyValue(v, ctx);
    p.hostConfig.Sysctls = { ...(p.hostConfig.Sysctls as object), [k]: val };
  } },
  { names: ['--storage-opt'], value: true, apply: (p, v, ctx) => {
    const [k, val] = keyValue(v, ctx);
    p.hostConfig.StorageOpt = { ...(p.hostConfig.StorageOpt as object), [k]: val };
  } },
  { names: ['--log-driver'], value: true, apply: (p, v) => {
    p.hostConfig.LogConfig = { Type: v, Config: (p.hostConfig.LogConfig as { Config?: object })?.Config ?? {} };
  } },
  { names: ['--log-opt'], value: true, apply: (p, v, ctx) => {
    const [k, val] = keyValue(v, ctx);
    const lc = (p.hostConfig.LogConfig as { Type?: string; Config?: Record<string, string> }) ?? {};
    p.hostConfig.LogConfig = { Type: lc.Type ?? '', Config: { ...lc.Config, [k]: val } };
  } },
  { names: ['--health-cmd'], value: true, apply: (p, v) => void (p.config.Healthcheck = { ...(p.config.Healthcheck as object), Test: ['CMD-SHELL', v] }) },
  { names: ['--health-interval'], value: true, apply: (p, v, c) => void (p.config.Healthcheck = { ...(p.config.Healthcheck as object), Interval: parseDuration(v, c) }) },
  { names: ['--health-timeout'], value: true, apply: (p, v, c) => void (p.config.Healthcheck = { ...(p.config.Healthcheck as object), Timeout: parseDuration(v, c) }) },
  { names: ['--health-start-period'], value: true, apply: (p, v, c) => void (p.config.Healthcheck = { ...(p.config.Healthcheck as object), StartPeriod: parseDuration(v, c) }) },
  { names: ['--health-retries'], value: true, apply: (p, v, c) => void (p.config.Healthcheck = { ...(p.config.Healthcheck as object), Retries: int(v, c) }) },
  { names: ['--no-healthcheck'], value: false, apply: (p, v) => void (bool(v) && (p.config.Healthcheck = { Test: ['NONE'] })) },
];

const BY_NAME = new Map<string, Flag>();
for (const f of FLAGS) for (const n of f.names) BY_NAME.set(n, f);

/** Flags of `docker run` that only change what the docker client does and have no Engine API field. */
const CLIENT_ONLY: Record<string, string> = {
  '--pull': 'it is a docker client pull policy; HyperBox pulls an image only when it is missing',
  '--cidfile': 'it makes the docker client write a file',
  '--sig-proxy': 'it is docker client signal handling',
  '-a': 'it attaches the docker client to the container',
  '--attach': 'it attaches the docker client to the container',
  '--disable-content-trust': 'it is a docker client image verification setting',
  '--quiet': 'it changes the docker client output',
  '-q': 'it changes the docker client output',
};

/** Parses `runArgs` into create parts (added to `into` when given). */
export function parseRunArgs(args: unknown, opts: { baseDir: string; env: NodeJS.ProcessEnv }, into = emptyCreateParts()): CreateParts {
  if (args === undefined) return into;
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) {
    throw new RuntimeError('config', 'runArgs must be an array of strings, one docker run flag or value per item, e.g. ["--cap-add", "SYS_PTRACE"].');
  }
  return parseFlags(args as string[], BY_NAME, into, {
    where: 'runArgs',
    baseDir: opts.baseDir,
    env: opts.env,
    unknownFlag: (name) => {
      if (CLIENT_ONLY[name]) return new RuntimeError('unsupported', `runArgs: ${name} cannot be applied: ${CLIENT_ONLY[name]}, and there is no Engine API field for it. Remove it from runArgs.`);
      return new RuntimeError(
        'unsupported',
        `runArgs: ${name} is not a docker run flag HyperBox can map to the Engine API, so the container would not be what the config asks for. Remove it, or use a devcontainer.json property instead (e.g. mounts, containerEnv, capAdd).`,
      );
    },
    notAFlag: (arg, i) =>
      new RuntimeError(
        'config',
        `runArgs: "${arg}" (item ${i + 1}) is not a flag. runArgs holds docker run flags and their values only; the image comes from "image" or "build", the command from the image or overrideCommand.`,
      ),
  });
}

/**
 * Parses docker CLI flags (`--flag value`, `--flag=value`, `-f value`, `-fvalue`, combined short
 * booleans such as `-it`) with a table of flags into `into`. A flag not in the table is
 * `unknownFlag`'s error; an item that is not a flag is `notAFlag`'s.
 */
export function parseFlags<P>(
  argv: string[],
  table: Map<string, FlagSpec<P>>,
  into: P,
  o: { where: string; baseDir: string; env: NodeJS.ProcessEnv; unknownFlag: (name: string) => Error; notAFlag: (arg: string, index: number) => Error },
): P {
  const ctxOf = (flag: string): ParseContext => ({ where: o.where, flag, baseDir: o.baseDir, env: o.env });
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-') || arg === '-' || arg === '--') throw o.notAFlag(arg, i);
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg : arg.slice(0, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else {
      name = arg.slice(0, 2);
      const rest = arg.slice(2);
      const flag = table.get(name);
      if (rest && flag && !flag.value) {
        // combined short booleans: -it
        for (const ch of rest) {
          const f = table.get(`-${ch}`);
          if (!f || f.value) throw o.unknownFlag(`-${ch}`);
        }
        for (const ch of `${name[1]}${rest}`) table.get(`-${ch}`)!.apply(into, '', ctxOf(`-${ch}`));
        continue;
      }
      inline = rest ? (rest.startsWith('=') ? rest.slice(1) : rest) : undefined;
    }
    const flag = table.get(name);
    if (!flag) throw o.unknownFlag(name);
    const ctx = ctxOf(name);
    let value: string;
    if (flag.value) {
      if (inline !== undefined) value = inline;
      else {
        if (i + 1 >= argv.length) throw new RuntimeError('config', `${o.where}: ${name} needs a value, but it is the last item. Add the value as the next item.`);
        value = argv[++i];
      }
    } else {
      value = inline ?? '';
      if (!['', 'true', 'false', '1', '0'].includes(value)) throw bad(ctx, value, 'true or false');
    }
    flag.apply(into, value, ctx);
  }
  return into;
}
