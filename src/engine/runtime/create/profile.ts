// The language profile (src/engine/project/profile.ts) applied when a container is made: the
// automatic entries (package-cache volumes, environment presets the config does not set, the Node
// heap limit from the container's memory limit, JVM flags, watcher polling when the mount has no
// inotify) become mounts and variables of the create request, unless
// `customizations.hyperbox.profile` is "off". Volumes made for it are given to the remote user
// when the entry says so. What was applied is written on the container (a label) and shown by
// `hb up`; the plan is part of the drift hash, so turning the profile off marks the container stale.
import { hyperboxOf, type DevContainerConfig } from '../../devcontainer/config';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ContainerCreateOptions } from 'dockerode';
import type { AppliedProfile, AppliedProfileEntry, LanguageProfile, ResolvedConfig } from '../../../protocol';
import { isLocalEngine } from '../engine/endpoint';
import { cacheDir, readJson, writeJson } from '../dirs';
import { sha256 } from '../../util/sha256';
import type { Engine } from '../engine/docker';
import { execIn } from '../lifecycle/exec';
import type { ApiMount } from './mounts';
import type { Reporter } from '../report';

/** On containers: JSON of the AppliedProfile. */
export const LABEL_PROFILE = 'hyperbox.profile';

function profileSetting(config: DevContainerConfig | undefined): string | undefined {
  return hyperboxOf(config).profile;
}

async function profileOf(resolved: ResolvedConfig, env: NodeJS.ProcessEnv, memoryLimitBytes?: number | null, inotify?: boolean | null): Promise<LanguageProfile> {
  // loaded on use: `up` of an existing container without a profile need not load detection
  const { profileFolder } = require('../../project/profile-folder') as typeof import('../../project/profile-folder');
  // the config the up resolved already: its settings (containerEnv, mounts, the profile's own) are the ones the container gets
  const { profile } = await profileFolder(resolved.workspaceFolder, { memoryLimitBytes, inotify, env, resolved });
  return profile;
}

/** `${containerEnv:VAR}` / `${containerEnv:VAR:default}`, `${containerWorkspaceFolder}`, `${devcontainerId}` in a profile path. */
export function resolveProfileVars(text: string, vars: { containerEnv: Record<string, string>; containerWorkspaceFolder?: string | null; devcontainerId?: string | null }): string {
  return text.replace(/\$\{([^}:]+)(?::([^}:]*))?(?::([^}]*))?\}/g, (all, name: string, a?: string, b?: string) => {
    if (name === 'containerEnv' && a) return vars.containerEnv[a] ?? b ?? '';
    if (name === 'containerWorkspaceFolder') return vars.containerWorkspaceFolder ?? all;
    if (name === 'devcontainerId') return vars.devcontainerId ?? all;
    return all;
  });
}

/**
 * What the profile's plan depends on, cheaply: the config file and the folder's top-level entries
 * (names, sizes, mtimes; manifests such as package.json live there). Detection runs again only when
 * this changes, so `up` of a running container costs a readdir, not a walk of the folder.
 */
async function planKey(resolved: ResolvedConfig): Promise<string> {
  const st = async (p: string) => fs.stat(p).then((s) => `${s.size}:${s.mtimeMs}`, () => '-');
  let text = `${resolved.configFile}\0${await st(resolved.configFile ?? '')}\0${await st(resolved.workspaceFolder)}\n`;
  const names = (await fs.readdir(resolved.workspaceFolder).catch(() => [] as string[])).sort();
  const stats = await Promise.all(names.map((n) => st(path.join(resolved.workspaceFolder, n))));
  names.forEach((n, i) => (text += `${n}\0${stats[i]}\n`));
  return sha256(text);
}

/** The drift input: a hash of the entries the profile would apply (none when it is off). */
export async function profileInputs(resolved: ResolvedConfig, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  if (profileSetting(resolved.config ?? undefined) === 'off' || !resolved.config) return {};
  try {
    const cacheFile = path.join(cacheDir(env), 'profile', `${resolved.devcontainerId ?? 'none'}.json`);
    const key = await planKey(resolved);
    const cached = await readJson<{ key: string; inputs: Record<string, string> }>(cacheFile);
    if (cached?.key === key && cached.inputs && typeof cached.inputs === 'object') return cached.inputs;
    const inputs = await planInputs(resolved, env);
    await writeJson(cacheFile, { key, inputs }).catch(() => undefined);
    return inputs;
  } catch {
    return {};
  }
}

async function planInputs(resolved: ResolvedConfig, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  {
    const profile = await profileOf(resolved, env);
    const plan = profile.entries
      .filter((e) => e.status === 'apply')
      .map((e) => (e.kind === 'volume' ? ['volume', e.id, e.source, e.target] : ['env', e.id, e.name, e.mode, e.value ?? e.rule?.format ?? '']))
      .sort((x, y) => String(x[1]).localeCompare(String(y[1])));
    if (!plan.length) return {};
    return { 'language profile': sha256(JSON.stringify(plan)).slice(0, 16) };
  }
}

export interface ProfileApplyContext {
  resolved: ResolvedConfig;
  engine: Engine;
  env: NodeJS.ProcessEnv;
  /** The image's environment (for `${containerEnv:...}` and values the image already sets). */
  imageEnv: string[] | undefined;
  report: Reporter;
}

function envMap(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/**
 * Adds the profile's automatic entries to a create request (mounts, Env, a label) and returns
 * what was applied, or null when the profile is off or has nothing to apply.
 */
export async function applyProfile(body: ContainerCreateOptions, ctx: ProfileApplyContext): Promise<AppliedProfile | null> {
  const setting = profileSetting(ctx.resolved.config ?? undefined);
  if (setting === 'off') return null;
  const host = (body.HostConfig ?? {});
  const memory = typeof host.Memory === 'number' ? host.Memory : 0;
  // a bind mount from this machine carries inotify events; a copy on a remote engine does not
  const inotify = isLocalEngine(ctx.engine.endpoint, ctx.env);
  let profile: LanguageProfile;
  try {
    profile = await profileOf(ctx.resolved, ctx.env, memory, inotify);
  } catch (e) {
    ctx.report.warn(`The language profile was not applied: ${(e as Error).message}`);
    return null;
  }
  const imageEnv = envMap(ctx.imageEnv);
  const env = body.Env ?? [];
  const current = { ...imageEnv, ...envMap(env) };
  const mounts = ((host as { Mounts?: ApiMount[] }).Mounts ?? []);
  const targets = new Set(mounts.map((m) => m.Target));
  const vars = { containerEnv: current, containerWorkspaceFolder: ctx.resolved.workspace?.containerWorkspaceFolder, devcontainerId: ctx.resolved.devcontainerId };
  const applied: AppliedProfileEntry[] = [];
  const skipped: { id: string; reason: string }[] = [];
  const setEnv = (name: string, value: string) => {
    const i = env.findIndex((kv) => kv.startsWith(`${name}=`));
    if (i >= 0) env[i] = `${name}=${value}`;
    else env.push(`${name}=${value}`);
    current[name] = value;
  };
  for (const e of profile.entries) {
    if (e.status !== 'apply') {
      if (e.status === 'skip' && e.apply === 'auto' && e.skipReason) skipped.push({ id: e.id, reason: e.skipReason });
      continue;
    }
    if (e.kind === 'volume') {
      const target = resolveProfileVars(e.target, vars);
      const source = resolveProfileVars(e.source, vars);
      if (!target.startsWith('/') || targets.has(target)) {
        skipped.push({ id: e.id, reason: targets.has(target) ? `something is already mounted at ${target}` : `its target ${target} is not an absolute path` });
        continue;
      }
      let created = false;
      try {
        await ctx.engine.docker.getVolume(source).inspect();
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
        created = true;
      }
      mounts.push({ Type: 'volume', Source: source, Target: target });
      targets.add(target);
      applied.push({ id: e.id, kind: 'volume', source, target, created, chownToRemoteUser: e.chownToRemoteUser, why: e.why });
    } else {
      if (e.value === null || e.value === '') {
        skipped.push({ id: e.id, reason: 'its value depends on a fact not known (the container\'s memory limit)' });
        continue;
      }
      const before = current[e.name];
      if (e.mode === 'set') {
        if (before !== undefined) {
          skipped.push({ id: e.id, reason: `${e.name} is already set (by the image or the config)` });
          continue;
        }
        setEnv(e.name, e.value);
      } else {
        if (before !== undefined && e.unlessContains && before.includes(e.unlessContains)) {
          skipped.push({ id: e.id, reason: `${e.name} already has ${e.unlessContains}` });
          continue;
        }
        setEnv(e.name, before ? `${before} ${e.value}` : e.value);
      }
      applied.push({ id: e.id, kind: 'env', name: e.name, value: current[e.name], why: e.why });
    }
  }
  if (!applied.length) return null;
  (host as { Mounts?: ApiMount[] }).Mounts = mounts;
  body.HostConfig = host;
  body.Env = env;
  const result: AppliedProfile = { label: profile.label, entries: applied, skipped };
  body.Labels = { ...(body.Labels ?? {}), [LABEL_PROFILE]: JSON.stringify(result) };
  return result;
}

/** The profile a container was made with (its label), or null. */
export function appliedProfileOf(labels: Record<string, string> | undefined): AppliedProfile | null {
  try {
    const v = labels?.[LABEL_PROFILE] ? JSON.parse(labels[LABEL_PROFILE]) : null;
    return v && Array.isArray(v.entries) ? (v as AppliedProfile) : null;
  } catch {
    return null;
  }
}

/** Gives the volumes made for the profile to the remote user (as root, in the new container). */
export async function chownProfileVolumes(engine: Engine, containerId: string, user: string, dirs: string[], report: Reporter): Promise<void> {
  if (!dirs.length || user === 'root' || user === '0') return;
  const script = 'u="$0"; uid=$(id -u "$u") && gid=$(id -g "$u") || exit 3; for d in "$@"; do chown "$uid:$gid" "$d" || exit 4; done';
  const res = await execIn(engine, containerId, { cmd: ['/bin/sh', '-c', script, user, ...dirs], user: 'root' });
  if (res.exitCode !== 0) {
    report.warn(`Language profile: could not give ${dirs.join(', ')} to ${user}: ${res.output.trim() || `exit code ${res.exitCode}`}. Tools may fail to write their caches there; hb exec -u root chown fixes it.`);
  }
}

/** The cache volumes made for a new container that its remote user must own (chownProfileVolumes). */
export function volumesToChown(applied: AppliedProfile | null): string[] {
  return (applied?.entries ?? []).filter((e) => e.kind === 'volume' && e.created && e.chownToRemoteUser).map((e) => e.target!);
}

/** The volumes the profile made for a new container (none existed under those names before). */
export function volumesMadeFor(applied: AppliedProfile | null): string[] {
  return (applied?.entries ?? []).filter((e) => e.kind === 'volume' && e.created && e.source).map((e) => e.source!);
}

/**
 * Removes volumes made for a container that did not come to be (a cancelled or failed up). One
 * that another container uses by now is in use for the engine, and stays.
 */
export async function removeProfileVolumes(engine: Engine, names: string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const n of names) {
    const ok = await engine.docker
      .getVolume(n)
      .remove()
      .then(
        () => true,
        (e: { statusCode?: number }) => e.statusCode === 404,
      );
    if (ok) removed.push(n);
  }
  return removed;
}
