// Trust: whatever reaches into this machine or runs code runs only for a trusted folder. It is
// decided on what the container will really get — the final Engine API create request (after
// metadata, Features, runArgs, mounts, host setup, the language profile and every contribution)
// and the commands that will run — never on how the config spells them: the parsers (runArgs.ts,
// mounts.ts) make the request, and the findings are read from their output.
//
// A finding has a normalised key (the same for every spelling) and a line for people. hb keeps a
// trust record per folder and config in the user's config folder, holding the keys the user
// trusted: a finding not in it asks again. The editor keeps its own record (Workspace Trust, and
// the keys last accepted), and auto-start asks again when a new finding appears.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { TrustFinding } from '../../../protocol';
import { configDir, readJson, writeJson } from '../dirs';
import { RuntimeError } from '../errors';
import { canonical } from '../../util/canonical';
import { sha256 } from '../../util/sha256';
import { commandsOf } from '../lifecycle/lifecycle';
import { acquireLock } from '../up/lock';
import { LIFECYCLE_HOOKS, type CommandSpec, type MergedConfig } from '../build/metadata';
import type { ApiMount } from './mounts';

export type { TrustFinding };

/** Capabilities every Docker container has: adding one changes nothing. */
const DEFAULT_CAPS = new Set([
  'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'NET_BIND_SERVICE', 'NET_RAW', 'SYS_CHROOT', 'MKNOD', 'AUDIT_WRITE', 'SETFCAP',
]);

/** Sockets that give whoever holds them the engine, and so this machine. */
const ENGINE_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock', '/run/podman/podman.sock', '/var/run/podman/podman.sock', '/run/containerd/containerd.sock'];
const isSocketPath = (p: string) => ENGINE_SOCKETS.includes(p) || /(^|\/)(docker|podman|containerd)\.sock$/.test(p);

function short(v: unknown, max = 100): string {
  const s = typeof v === 'string' ? v : Array.isArray(v) ? v.map(String).join(' ') : JSON.stringify(v);
  const one = s.replace(/\s*\n\s*/g, '; ');
  return one.length > max ? `${one.slice(0, max - 3)}...` : one;
}
const digest = (s: string) => sha256(s).slice(0, 16);

/**
 * Sorted, without duplicates (by key): the form findings are compared and stored in. Sorted by
 * code unit, not localeCompare: the same order on every machine, and the first localeCompare of a
 * process sets up ICU's collator, about 10 ms of every hb up that has two findings or more.
 */
export function normalise(findings: TrustFinding[]): TrustFinding[] {
  const byKey = new Map<string, TrustFinding>();
  for (const f of findings) if (!byKey.has(f.key)) byKey.set(f.key, f);
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * `p` with symbolic links resolved as far as it exists (a committed link `link -> /` is `/`), the
 * part that does not exist yet appended as written.
 */
export async function realpathLoose(p: string): Promise<string> {
  const abs = path.resolve(p);
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(await fs.realpath(head), ...tail.reverse());
    } catch {
      const up = path.dirname(head);
      if (up === head) return abs;
      tail.push(path.basename(head));
      head = up;
    }
  }
}

/** The folders bind mounts may come from without trust: the workspace folder and its git root (the default mount's source). */
export async function workspaceRoots(folder: string, mountSource?: string | null): Promise<string[]> {
  const out = new Set<string>();
  for (const f of [folder, mountSource]) if (f) out.add(await realpathLoose(f));
  return [...out];
}

const within = (p: string, roots: string[]) => roots.some((r) => p === r || p.startsWith(r.endsWith('/') ? r : `${r}/`));

export interface RequestScope {
  /** realpath'd folders a bind mount may come from without trust (workspaceRoots). */
  roots: string[];
  /** Where relative paths start (the workspace folder). */
  baseDir: string;
  /** Names whose request this is, for the text: "" for the dev container, "compose service db: " for others. */
  who?: string;
  /** Mounts HyperBox added itself (the SSH agent the user's own settings forward): not the folder's doing. */
  own?: ReadonlySet<unknown>;
  /** Files on this machine the parsers read into the request (--env-file, --label-file). */
  filesRead?: string[];
}

/** What a bind source from this machine reaches: a finding, or none when it lies in the workspace. */
async function hostPathFinding(source: string, target: string | undefined, scope: RequestScope, readOnly: boolean, via: string): Promise<TrustFinding | undefined> {
  const real = await realpathLoose(path.resolve(scope.baseDir, source));
  if (within(real, scope.roots)) return undefined;
  const who = scope.who ?? '';
  if (isSocketPath(real) || isSocketPath(source)) {
    return { key: `${who}socket:${real}`, text: `${who}the engine socket ${source}${real !== source ? ` (${real})` : ''} is mounted: full control of the container engine, and so of this machine` };
  }
  const holdsSocket = ENGINE_SOCKETS.some((s) => within(s, [real]));
  const shown = real === source ? source : `${source} (${real})`;
  const notes = [real === '/' ? "this machine's whole file system" : '', holdsSocket ? 'it holds the engine socket' : '', readOnly ? 'read-only' : ''].filter(Boolean);
  return {
    key: `${who}host-path:${real}:${readOnly ? 'ro' : 'rw'}:${target ?? ''}`,
    text: `${who}${via} of ${shown}${notes.length ? ` (${notes.join('; ')})` : ''}${target ? ` at ${target}` : ''}: outside the workspace folder`,
  };
}

/** `-v SRC:DST[:OPTS]` (Binds): a host path, or a named volume. */
function splitBind(b: string): { source: string; target?: string; readOnly: boolean } {
  const parts = b.split(':');
  const opts = parts.length >= 3 ? parts.slice(2).join(':').split(',') : [];
  return { source: parts[0], target: parts[1], readOnly: opts.includes('ro') || opts.includes('readonly') };
}
const isHostPath = (s: string) => s.startsWith('/') || s.startsWith('.') || s.startsWith('~');

function namespaceFinding(field: string, flag: string, value: unknown, who: string): TrustFinding | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'host') return { key: `${who}namespace:${field}:host`, text: `${who}it shares this machine's ${flag} namespace (${flag}=host)` };
  if (v.startsWith('container:')) return { key: `${who}namespace:${field}:${value.trim()}`, text: `${who}it joins the ${flag} namespace of another container (${flag}=${value.trim()})` };
  if (field === 'NetworkMode' && v.startsWith('ns:')) return { key: `${who}namespace:${field}:${value.trim()}`, text: `${who}it joins a network namespace of this machine (${value.trim()})` };
  return undefined;
}

/** A security option, normalised: `seccomp:unconfined` and `seccomp=unconfined` are one. */
function securityOption(opt: string): { name: string; value: string } {
  const m = /^([^=:]+)[=:](.*)$/s.exec(opt.trim());
  return m ? { name: m[1].trim().toLowerCase(), value: m[2].trim() } : { name: opt.trim().toLowerCase(), value: '' };
}

async function seccompProfileDigest(value: string, scope: RequestScope): Promise<string> {
  // the docker CLI sends a profile's content; a path is read here so the finding follows the content
  if (!value.trimStart().startsWith('{')) {
    const text = await fs.readFile(path.resolve(scope.baseDir, value), 'utf8').catch(() => value);
    return digest(text);
  }
  return digest(value);
}

/** The parts of a create request (body, or a container's inspect: Config fields and HostConfig) that trust looks at. */
export interface CreateRequestLike {
  Entrypoint?: string | string[] | null;
  Cmd?: string | string[] | null;
  Healthcheck?: { Test?: string[] | null } | null;
  HostConfig?: Record<string, unknown> | object | null;
}

/** What the create request reaches on this machine: mounts, devices, privileges, namespaces, security options, files read. */
export async function requestFindings(body: CreateRequestLike, scope: RequestScope): Promise<TrustFinding[]> {
  const who = scope.who ?? '';
  const host = (body.HostConfig ?? {}) as Record<string, unknown>;
  const out: TrustFinding[] = [];
  const add = (f: TrustFinding | undefined) => void (f && out.push(f));

  for (const m of ((host.Mounts as ApiMount[] | undefined) ?? [])) {
    if (scope.own?.has(m)) continue;
    if (m.Type === 'bind' && m.Source) add(await hostPathFinding(m.Source, m.Target, scope, m.ReadOnly === true, 'a bind mount'));
    const driver = m.VolumeOptions?.DriverConfig;
    if (m.Type === 'volume' && driver) add(await volumeDriverFinding(m.Source, driver.Name, driver.Options, scope));
  }
  for (const b of ((host.Binds as string[] | undefined) ?? [])) {
    const { source, target, readOnly } = splitBind(b);
    if (isHostPath(source)) add(await hostPathFinding(source.replace(/^~(?=\/|$)/, process.env.HOME ?? '~'), target, scope, readOnly, 'a volume (-v)'));
  }
  for (const v of ((host.VolumesFrom as string[] | undefined) ?? [])) {
    const name = String(v).split(':')[0];
    out.push({ key: `${who}volumes-from:${name}`, text: `${who}it mounts every volume of the container ${name} (--volumes-from)` });
  }
  for (const d of ((host.Devices as { PathOnHost?: string }[] | undefined) ?? [])) {
    const p = String(d.PathOnHost ?? '');
    out.push({ key: `${who}device:${await realpathLoose(p)}`, text: `${who}it gets this machine's device ${p}` });
  }
  for (const r of ((host.DeviceRequests as { Driver?: string; Count?: number; DeviceIDs?: string[] | null; Capabilities?: string[][] }[] | undefined) ?? [])) {
    const which = r.DeviceIDs?.length ? `devices ${r.DeviceIDs.join(', ')}` : r.Count === -1 ? 'all devices' : `${r.Count ?? 0} device(s)`;
    const caps = (r.Capabilities ?? []).flat().join(',') || 'gpu';
    out.push({ key: `${who}device-request:${r.Driver ?? ''}:${caps}:${r.DeviceIDs?.join(',') ?? r.Count}`, text: `${who}it gets ${which} with ${caps} from this machine${r.Driver ? ` (driver ${r.Driver})` : ''}` });
  }
  for (const rule of ((host.DeviceCgroupRules as string[] | undefined) ?? [])) {
    out.push({ key: `${who}device-cgroup-rule:${String(rule).trim()}`, text: `${who}it may use devices matching the cgroup rule "${rule}" (--device-cgroup-rule)` });
  }
  if (host.Privileged === true) out.push({ key: `${who}privileged`, text: `${who}the container runs privileged: every device and kernel capability of this machine` });

  const caps = new Set(((host.CapAdd as string[] | undefined) ?? []).map((c) => String(c).trim().toUpperCase().replace(/^CAP_/, '')));
  const security = ((host.SecurityOpt as string[] | undefined) ?? []).map(securityOption);
  const seccompOff = security.some((s) => s.name === 'seccomp' && s.value.toLowerCase() === 'unconfined');
  // the Go and C++ templates' debugger set-up, one finding
  const debuggerSupport = caps.has('SYS_PTRACE') && seccompOff;
  if (debuggerSupport) out.push({ key: `${who}debugger-support`, text: `${who}debugger support: it may trace processes (SYS_PTRACE) without the seccomp filter (seccomp=unconfined)` });
  for (const c of [...caps].sort()) {
    if (DEFAULT_CAPS.has(c) || (debuggerSupport && c === 'SYS_PTRACE')) continue;
    out.push({ key: `${who}cap:${c}`, text: c === 'ALL' ? `${who}it gets every kernel capability (--cap-add ALL)` : `${who}it gets the kernel capability ${c}` });
  }
  for (const s of security) {
    const v = s.value.toLowerCase();
    if (s.name === 'seccomp' && v === 'unconfined') {
      if (!debuggerSupport) out.push({ key: `${who}security:seccomp-off`, text: `${who}the seccomp filter is off (seccomp=unconfined)` });
    } else if (s.name === 'seccomp' && s.value) {
      out.push({ key: `${who}security:seccomp-profile:${await seccompProfileDigest(s.value, scope)}`, text: `${who}it runs under a custom seccomp profile (${short(s.value, 60)})` });
    } else if (s.name === 'apparmor' && v === 'unconfined') {
      out.push({ key: `${who}security:apparmor-off`, text: `${who}AppArmor confinement is off (apparmor=unconfined)` });
    } else if (s.name === 'label' && v === 'disable' && (host.Privileged === true || String(host.PidMode) === 'host' || String(host.IpcMode) === 'host')) {
      // the engine turns labelling off itself for these (an existing container's inspect shows it): found once, as what caused it
    } else if (s.name === 'label' && (v === 'disable' || v.startsWith('type:'))) {
      out.push({ key: `${who}security:label:${v}`, text: v === 'disable' ? `${who}SELinux labelling is off (label=disable)` : `${who}it runs with the SELinux type ${s.value.slice(5)} (label=${s.value})` });
    } else if (s.name === 'systempaths' && v === 'unconfined') {
      out.push({ key: `${who}security:systempaths-off`, text: `${who}the kernel's /proc and /sys paths are not masked (systempaths=unconfined)` });
    }
  }
  for (const [field, flag] of [['PidMode', 'pid'], ['IpcMode', 'ipc'], ['UTSMode', 'uts'], ['NetworkMode', 'network'], ['CgroupnsMode', 'cgroupns'], ['UsernsMode', 'userns']] as const) {
    add(namespaceFinding(field, flag, host[field], who));
  }
  for (const file of scope.filesRead ?? []) {
    const real = await realpathLoose(path.resolve(scope.baseDir, file));
    if (!within(real, scope.roots)) out.push({ key: `${who}reads-file:${real}`, text: `${who}it copies ${real} from this machine into the container (an env file or label file outside the workspace folder)` });
  }
  return out;
}

async function volumeDriverFinding(name: string | undefined, driver: string | undefined, options: Record<string, string> | undefined, scope: RequestScope): Promise<TrustFinding | undefined> {
  const who = scope.who ?? '';
  const opts = Object.fromEntries(Object.entries(options ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  if (opts.device && (opts.device.startsWith('/') || /(^|,)bind(,|$)/.test(opts.o ?? '') || opts.type === 'none')) {
    const real = await realpathLoose(path.resolve(scope.baseDir, opts.device));
    if (within(real, scope.roots)) return undefined;
    return { key: `${who}volume-bind:${real}:${name ?? ''}`, text: `${who}the volume ${name ?? '(anonymous)'} binds ${opts.device} from this machine (driver options o=${opts.o ?? ''}, device=${opts.device}): outside the workspace folder` };
  }
  if ((driver && driver !== 'local') || opts.device) {
    return { key: `${who}volume-driver:${driver ?? 'local'}:${canonical(opts)}`, text: `${who}the volume ${name ?? '(anonymous)'} uses the driver ${driver ?? 'local'} with options ${short(canonical(opts), 80)}` };
  }
  return undefined;
}

const commandKey = (c: unknown) => digest(canonical(c));

/** One finding per command that will run, from any source (config, image metadata, Features). */
export function commandFindings(o: {
  hooks?: MergedConfig['hooks'];
  entrypoints?: string[];
  initializeCommand?: unknown;
  who?: string;
}): TrustFinding[] {
  const who = o.who ?? '';
  const out: TrustFinding[] = [];
  if (o.initializeCommand !== undefined && commandsOf(o.initializeCommand as CommandSpec).length) {
    out.push({ key: `initializeCommand:${commandKey(o.initializeCommand)}`, text: `initializeCommand runs on this machine: ${short(o.initializeCommand)}` });
  }
  for (const hook of LIFECYCLE_HOOKS) {
    for (const e of o.hooks?.[hook] ?? []) {
      out.push({ key: `${who}command:${hook}:${commandKey(e.command)}`, text: `${who}${hook} from ${e.origin} runs in the container: ${short(e.command)}` });
    }
  }
  for (const e of o.entrypoints ?? []) out.push({ key: `${who}entrypoint:${commandKey(e)}`, text: `${who}an entrypoint from image metadata or a Feature runs in the container: ${short(e)}` });
  return out;
}

/** The container's health check, when it has one (the request's, else the image's). */
export function healthcheckFinding(test: string[] | null | undefined, from: string, who = ''): TrustFinding | undefined {
  if (!test?.length || test[0] === 'NONE') return undefined;
  const cmd = test[0] === 'CMD-SHELL' ? test.slice(1).join(' ') : test[0] === 'CMD' ? test.slice(1).join(' ') : test.join(' ');
  return { key: `${who}healthcheck:${commandKey(test)}`, text: `${who}a health check from ${from} runs in the container: ${short(cmd)}` };
}

/** The image's own command runs (overrideCommand false, or a Compose service): a finding naming it. */
export function ownCommandFinding(entrypoint: unknown, cmd: unknown, who = ''): TrustFinding {
  const list = (v: unknown) => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
  const all = [...list(entrypoint), ...list(cmd)];
  return { key: `${who}own-command:${commandKey(all)}`, text: `${who}the image's own command runs${all.length ? `: ${short(all)}` : ''}` };
}

/** A command HyperBox itself runs because of the folder's settings (hot reload's dev command, a seccomp workload). */
export function workloadFinding(what: string, command: unknown): TrustFinding {
  return { key: `workload:${what}:${commandKey(command)}`, text: `${what} runs in the container: ${short(command)}` };
}

export function buildFinding(what: string, detail: string, who = ''): TrustFinding {
  return { key: `${who}build:${what}`, text: `${who}${detail}` };
}

/**
 * A container HyperBox itself starts beside the dev container because of the user's settings (the
 * eBPF sidecar): one finding listing what it gets; `identity` (what it runs and with which
 * privileges) makes the key, so a change asks again.
 */
export function sidecarFinding(what: string, gets: string[], identity: unknown): TrustFinding {
  return { key: `sidecar:${what}:${commandKey(identity)}`, text: `${what} runs beside the dev container: ${gets.join('; ')}` };
}

// ---------------------------------------------------------------------------------------------
// The decision

/** Whose trust is asked: the folder and its config file (hb keeps one record for each). */
export interface TrustTarget {
  folder: string;
  configFile: string;
}

/**
 * Who decides whether findings are trusted: hb (the trust store, --trust, a prompt) or the editor
 * (Workspace Trust and the findings accepted last).
 */
export interface TrustDecider {
  /** Trusted for all of them already, without asking anyone (--trust, the record, Workspace Trust). */
  check(findings: TrustFinding[], target: TrustTarget): Promise<boolean>;
  /** Asks (and records a yes); throws a RuntimeError trust-required (carrying the findings) when not trusted. */
  ask(findings: TrustFinding[], target: TrustTarget): Promise<void>;
}

/** A fixed answer: the editor's Workspace Trust without a record of accepted findings, or tests. */
export function fixedTrust(trusted: boolean, next = 'Trust the folder first: Workspace Trust in the editor, or hb up --trust.'): TrustDecider {
  return {
    check: async () => trusted,
    ask: async (findings, target) => {
      if (!trusted) throw trustRequired(target.folder, findings, next);
    },
  };
}

/**
 * Trusted for exactly the findings accepted before, never asking: the editor's auto-start, and
 * prewarming (`next` says what to do when something new is found).
 */
export function acceptedTrust(accepted: string[], next = 'The editor asks before starting a dev container whose findings changed since you last started it.'): TrustDecider {
  return {
    check: async (findings) => findings.every((f) => accepted.includes(f.key)),
    ask: async (findings, target) => {
      throw trustRequired(target.folder, findings, next, accepted);
    },
  };
}

/**
 * One up's trust: each gate passes the findings known by then (the config's before anything runs,
 * then the final request's before create). Asks only for findings not trusted yet.
 */
export class TrustGate {
  /** Everything found at the last gate. */
  findings: TrustFinding[] = [];
  constructor(
    private readonly decider: TrustDecider,
    private readonly target: TrustTarget,
  ) {}
  /**
   * Passes when nothing needs trust or the folder is trusted for all of it; else asks, and throws
   * when the answer is no. `soft` findings (the image's own health check) never ask by themselves:
   * returns false when they must be turned off because the folder is not trusted.
   */
  async pass(found: TrustFinding[], soft: TrustFinding[] = []): Promise<boolean> {
    const hard = normalise(found);
    const all = normalise([...hard, ...soft]);
    this.findings = all;
    if (!all.length) return true;
    if (await this.decider.check(all, this.target)) return true;
    if (!hard.length) {
      this.findings = [];
      return false;
    }
    await this.decider.ask(all, this.target);
    return true;
  }
}

/** The error when the folder is not trusted for these findings: nothing was made and nothing ran. */
export function trustRequired(folder: string, findings: TrustFinding[], next: string, known: string[] = []): RuntimeError {
  const fresh = findings.filter((f) => !known.includes(f.key));
  const listed = findings.map((f) => `  - ${f.text}${known.length && fresh.includes(f) ? ' (new)' : ''}`).join('\n');
  return new RuntimeError('trust-required', `${folder} is not trusted for what its dev container reaches and runs, so nothing was made and nothing ran:\n${listed}\n${next}`, undefined, {
    findings,
    newFindings: fresh.map((f) => f.key),
  });
}

// ---------------------------------------------------------------------------------------------
// hb's trust store: { "<folder>\u0000<config file>": { findings: [keys], trustedAt } }

interface TrustRecord {
  findings: string[];
  trustedAt: string;
}
type TrustStore = Record<string, TrustRecord>;

const storeFile = (env: NodeJS.ProcessEnv) => path.join(configDir(env), 'trust.json');
const recordKey = (folder: string, configFile?: string | null) => (configFile ? `${folder}\u0000${configFile}` : folder);

/** The finding keys trusted for this folder and config (none when never trusted). */
export async function trustedKeys(env: NodeJS.ProcessEnv, folder: string, configFile?: string | null): Promise<string[]> {
  const store = (await readJson<TrustStore>(storeFile(env))) ?? {};
  const rec = store[recordKey(folder, configFile)];
  return Array.isArray(rec?.findings) ? rec.findings : [];
}

/** Whether every finding was trusted before for this folder and config. */
export async function isTrusted(env: NodeJS.ProcessEnv, folder: string, findings: TrustFinding[], configFile?: string | null): Promise<boolean> {
  if (!findings.length) return true;
  const keys = new Set(await trustedKeys(env, folder, configFile));
  return findings.every((f) => keys.has(f.key));
}

/**
 * Records that the folder is trusted for exactly these findings (a finding that changes later is a
 * new one, and asks again); a record of exactly these already is left as it is. The store is
 * read, changed and written (temp file + rename) under a lock across processes, so concurrent
 * ups of different folders all keep their records.
 */
export async function rememberTrust(env: NodeJS.ProcessEnv, folder: string, findings: TrustFinding[], configFile?: string | null): Promise<void> {
  const key = recordKey(folder, configFile);
  const keys = [...new Set(findings.map((f) => f.key))].sort();
  // already recorded as exactly these (every hb up --trust, at each of its gates): nothing to write
  const recorded = ((await readJson<TrustStore>(storeFile(env))) ?? {})[key]?.findings;
  if (Array.isArray(recorded) && recorded.length === keys.length && recorded.every((k, i) => k === keys[i])) return;
  const release = await acquireLock('trust-store', 'an update of the trust store', { env });
  try {
    const store = (await readJson<TrustStore>(storeFile(env))) ?? {};
    store[key] = { findings: keys, trustedAt: new Date().toISOString() };
    await writeJson(storeFile(env), store);
  } finally {
    await release();
  }
}
