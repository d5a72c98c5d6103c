// The four seccomp operations, shared by `hb seccomp` and the engine's RPC service: record a
// workload's syscalls, generate a profile from the recordings, validate it by running the workload
// under it, and apply it (set customizations.hyperbox.seccomp.profile).
import { hyperboxOf } from '../devcontainer/config';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { applyEdits, modify, parse as parseJsonc } from 'jsonc-parser';
import type { SeccompDenial, SeccompGenerateResult, SeccompRecordResult, SeccompValidateResult, SeccompView } from '../../protocol';
import { loadConfig } from '../runtime/container';
import { cacheDir, readJson } from '../runtime/dirs';
import { RuntimeError } from '../runtime/errors';
import { generateProfile, mergeRecordings, parseProfile, profileNames, profileText, type SeccompProfile } from './profile';
import { allSyscallNames, hostArchitectures, resolveNames, unknownNames } from './resolver';
import { folderKey, RECORDING_PROFILE, runWorkload, VALIDATION_ERRNO, VALIDATION_ERRNO_NAME, type WorkloadOptions } from './run';
import { LOG_RECORDING_PROFILE, seccompLogUnavailable } from './seccompLog';
import type { SeccompRecording } from './types';
import type { Engine } from '../runtime/engine/docker';
import { cachedEngineDefault, measureEngineDefault } from './engineDefault';
import { buildView, generateMemo, readState, updateState } from './view';

/** A recording shorter than this probably missed what the workload does when it is in use. */
export const SHORT_RECORDING_MS = 2000;
export const DEFAULT_PROFILE_NAME = 'default';

export function recordingsDir(env: NodeJS.ProcessEnv, workspaceFolder: string): string {
  return path.join(cacheDir(env), 'seccomp', 'recordings', folderKey(workspaceFolder));
}

export async function loadRecordings(env: NodeJS.ProcessEnv, workspaceFolder: string): Promise<SeccompRecording[]> {
  const dir = recordingsDir(env, workspaceFolder);
  const files = (await fs.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  const out: SeccompRecording[] = [];
  for (const f of files) {
    const r = await readJson<SeccompRecording>(path.join(dir, f));
    if (r?.version === 1) out.push(r);
  }
  return out;
}

/**
 * Runs the workload recorded and saves the recording beside the folder's earlier ones. The kernel's
 * seccomp log is used when it can be (the workload runs at about its own speed); strace when it
 * cannot (the reason is a warning) or when asked for (`mechanism: 'strace'`).
 */
export async function recordSeccomp(o: WorkloadOptions): Promise<SeccompRecordResult> {
  const time = new Date().toISOString();
  const warnings: string[] = [];
  let mechanism = o.mechanism;
  if (!mechanism) {
    const why = await seccompLogUnavailable();
    mechanism = why ? 'strace' : 'seccomp-log';
    if (why) warnings.push(`Recorded with strace, which stops the workload at every call (slower), instead of the kernel's seccomp log: ${why}.`);
  }
  // whether the engine's default was measured before, asked now: not between the workload's end and the profile
  const knownDefault = cachedEngineDefault(o.engine, o.env).catch(() => undefined);
  const run = await runWorkload({ ...o, mechanism, profile: mechanism === 'seccomp-log' ? LOG_RECORDING_PROFILE : RECORDING_PROFILE });
  const syscalls = [...run.trace!.calls.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  if (mechanism === 'seccomp-log') for (const s of syscalls) if (s.name === 'socket' || s.name === 'personality') s.argsUnknown = true;
  const recording: SeccompRecording = { version: 1, time, command: run.command, image: run.image, durationMs: run.durationMs, exitCode: run.exitCode, ended: run.ended, mechanism, syscalls };
  const dir = recordingsDir(o.env, run.workspaceFolder);
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${time.replace(/[:.]/g, '-')}.json`);
  await fs.writeFile(file, JSON.stringify(recording, null, 1) + '\n');
  // resolve the names now, so generate answers from the cache (it checks them on the native architecture)
  await resolveNames(syscalls.map((s) => s.name), hostArchitectures().slice(0, 1), o.env);
  if (run.durationMs < SHORT_RECORDING_MS) warnings.push(`The recording lasted only ${run.durationMs} ms: calls the workload makes later (when it serves requests, on a timer) are not in it. Record again with a longer --duration, or while the app is in use.`);
  if (run.ownExit) warnings.push(`The dev container's own process (${[...run.keepAlive.entrypoint, ...run.keepAlive.cmd].join(' ')}) exited with ${run.ownExit.exitCode} while the workload ran: the recording covers it only until then.\n${run.ownExit.logTail.trim()}`);
  if (run.ended === 'exited' && run.exitCode !== 0) warnings.push(`The workload failed (exit code ${run.exitCode}): the recording shows what it did until then, which may not be what it does when it works.\n${run.logTail.trim()}`);
  // what the engine's own default allows, once per engine (the panel shows the profile beside it)
  if (!(await knownDefault)) {
    o.report.step("Measuring the engine's default seccomp profile (once per engine)");
    await measureEngineDefault({ engine: o.engine, env: o.env, image: run.image, entrypoint: run.keepAlive.entrypoint, cmd: run.keepAlive.cmd, signal: o.signal }).catch((e: Error) =>
      warnings.push(`The engine's default seccomp profile could not be measured (${e.message}): the profile is not compared with it.`),
    );
  }
  const refusedByKernel = syscalls.filter((s) => s.count > 0 && s.failed === s.count);
  for (const s of refusedByKernel) warnings.push(`${s.name} was called ${s.count}× (first by ${s.firstExe}) and always failed with ${s.errnos.join('/')}: the profile keeps it refused with the same error, not allowed.`);
  const all = await loadRecordings(o.env, run.workspaceFolder);
  return {
    file,
    workspaceFolder: run.workspaceFolder,
    mechanism,
    workloadEndedAt: run.endedAt,
    command: run.command,
    durationMs: run.durationMs,
    exitCode: run.exitCode,
    ended: run.ended,
    syscalls: syscalls.length,
    calls: syscalls.reduce((n, s) => n + s.count, 0),
    recordings: all.length,
    warnings,
  };
}

export interface GenerateOptions {
  folder: string;
  configFile?: string;
  env: NodeJS.ProcessEnv;
  name?: string;
}

/** The profile file for a name: .devcontainer/seccomp/<name>.json beside the config. */
export function profileFile(configFile: string, name: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new RuntimeError('config', `"${name}" cannot be a profile name: use letters, digits, ".", "_" and "-".`);
  return path.join(path.dirname(configFile), 'seccomp', `${name}.json`);
}

/** Writes the minimal profile for every recording of the folder; deterministic for the same recordings. */
export async function generateSeccomp(o: GenerateOptions): Promise<SeccompGenerateResult> {
  const resolved = await loadConfig(path.resolve(o.folder), o.configFile, o.env);
  const recordings = await loadRecordings(o.env, resolved.workspaceFolder);
  if (!recordings.length) throw new RuntimeError('not-found', `${resolved.workspaceFolder} has no seccomp recording yet. Run hb seccomp record first.`);
  const calls = mergeRecordings(recordings);
  const archs = hostArchitectures();
  const names = calls.map((c) => c.name);
  // every recorded call must be a syscall of the native architecture (the recordings are made there)
  const table = await resolveNames(names, archs.slice(0, 1), o.env);
  const unknown = names.filter((n) => table.get(n)!.get(archs[0]) === -1);
  if (unknown.length) throw new RuntimeError('config', `These recorded calls are not syscalls on ${archs[0]} for libseccomp: ${unknown.join(', ')}. The recording may come from another machine or a newer kernel; update libseccomp (apt-get install seccomp libseccomp2) or record again.`);
  const gen = generateProfile(calls, archs);
  const file = profileFile(resolved.configFile!, o.name ?? DEFAULT_PROFILE_NAME);
  let previous: string[] | undefined;
  try {
    previous = allowedNames(parseProfile(await fs.readFile(file, 'utf8'), file));
  } catch {
    previous = undefined;
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, profileText(gen.profile));
  const warnings: string[] = [];
  for (const r of recordings) {
    if (r.durationMs < SHORT_RECORDING_MS) warnings.push(`The recording of ${r.time} lasted only ${r.durationMs} ms.`);
    if (r.ended === 'exited' && r.exitCode !== 0) warnings.push(`In the recording of ${r.time} the workload failed (exit code ${r.exitCode}).`);
  }
  for (const r of gen.refused) warnings.push(`${r.name} (first by ${r.firstExe}) always failed with ${r.errno} while recording: it stays refused with ${r.errno}.`);
  const result: SeccompGenerateResult = {
    file,
    allowed: gen.allowed,
    distinct: calls.length,
    recordings: recordings.length,
    refused: gen.refused.map((r) => r.name),
    added: previous ? gen.allowed.filter((n) => !previous.includes(n)) : [],
    removed: previous ? previous.filter((n) => !gen.allowed.includes(n)) : [],
    warnings,
  };
  await updateState(o.env, resolved.workspaceFolder, { lastGenerate: generateMemo(result, previous ? previous.length : null) });
  return result;
}

/** Names a profile allows (with or without argument rules). */
export function allowedNames(p: SeccompProfile): string[] {
  return [...new Set((p.syscalls ?? []).filter((r) => r.action === 'SCMP_ACT_ALLOW' || r.action === 'SCMP_ACT_LOG').flatMap((r) => r.names))].sort();
}

/**
 * Reads and checks a profile file: JSON, shape, and every name a syscall on one of the host's
 * architectures. The error names the file and what to fix.
 */
export async function readProfileFile(file: string, env: NodeJS.ProcessEnv): Promise<SeccompProfile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new RuntimeError('config', `The seccomp profile ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Make it with hb seccomp generate, or fix customizations.hyperbox.seccomp.profile.`);
  }
  const profile = parseProfile(text, file);
  const unknown = await unknownNames(profileNames(profile), hostArchitectures(), env);
  if (unknown.length) throw new RuntimeError('config', `${file} names ${unknown.length === 1 ? 'a call that is' : 'calls that are'} not a syscall on ${hostArchitectures().join(', ')}: ${unknown.join(', ')}. Fix the spelling or remove ${unknown.length === 1 ? 'it' : 'them'}.`);
  return profile;
}

/** The profile a folder uses: --profile, else customizations.hyperbox.seccomp.profile, else the default name's file. */
export async function profileOf(folder: string, configFile: string | undefined, env: NodeJS.ProcessEnv, given?: string): Promise<{ file: string; configFile: string; workspaceFolder: string }> {
  const resolved = await loadConfig(path.resolve(folder), configFile, env);
  const configured = hyperboxOf(resolved.config).seccomp?.profile;
  const file = given
    ? path.resolve(given)
    : typeof configured === 'string'
      ? path.resolve(path.dirname(resolved.configFile!), configured)
      : profileFile(resolved.configFile!, DEFAULT_PROFILE_NAME);
  return { file, configFile: resolved.configFile!, workspaceFolder: resolved.workspaceFolder };
}

/**
 * Runs the workload under the profile (its default errno swapped for EHWPOISON, so a filter's
 * denial is told apart from an ordinary EPERM) and lists every denied call. When the workload
 * fails, it runs once more without the profile: failing there too means it fails on its own.
 */
export async function validateSeccomp(o: WorkloadOptions & { profileFile?: string }): Promise<SeccompValidateResult> {
  const where = await profileOf(o.folder, o.configFile, o.env, o.profileFile);
  const profile = await readProfileFile(where.file, o.env);
  // every call the profile does not name fails with EHWPOISON instead of the default errno (the
  // engine may not pass defaultErrnoRet on: Docker 20.10 does not), so its denials stand out
  const named = new Set(profileNames(profile));
  const others = (await allSyscallNames(hostArchitectures()[0], o.env)).filter((n) => !named.has(n));
  const marked: SeccompProfile = { ...profile, syscalls: [...(profile.syscalls ?? []), { names: others, action: 'SCMP_ACT_ERRNO', errnoRet: VALIDATION_ERRNO }] };
  if (profile.defaultAction !== 'SCMP_ACT_ERRNO') o.report.warn(`${where.file} does not refuse with an errno by default (${profile.defaultAction}): calls it refuses are counted only when it does not name them.`);
  const run = await runWorkload({ ...o, profile: marked, deniedErrno: VALIDATION_ERRNO_NAME });
  const denials: SeccompDenial[] = [...run.trace!.denied.entries()].map(([name, d]) => ({ name, count: d.count, processes: d.exes })).sort((a, b) => (a.name < b.name ? -1 : 1));
  const failed = run.ended === 'exited' && run.exitCode !== 0;
  if (run.ownExit) o.report.warn(`The dev container's own process (${[...run.keepAlive.entrypoint, ...run.keepAlive.cmd].join(' ')}) exited with ${run.ownExit.exitCode} under the profile: a dev container made with it would stop.`);
  let failsWithoutProfile: boolean | null = null;
  if (failed) {
    o.report.step('The workload failed: running it once more without the profile');
    const plain = await runWorkload({ ...o, profile: RECORDING_PROFILE, trace: false, trusted: true });
    failsWithoutProfile = plain.ended === 'exited' && plain.exitCode !== 0;
  }
  const result: SeccompValidateResult = {
    file: where.file,
    command: run.command,
    exitCode: run.exitCode,
    ended: run.ended,
    durationMs: run.durationMs,
    denials,
    failsWithoutProfile,
    ownProcessExit: run.ownExit?.exitCode ?? null,
    ok: !denials.length && !failed && !run.ownExit,
    logTail: failed ? run.logTail : run.ownExit ? run.ownExit.logTail : '',
  };
  await updateState(o.env, where.workspaceFolder, { lastValidation: { ...result, time: new Date().toISOString() } });
  return result;
}

/**
 * What the Seccomp panel shows: the folder's profile (the configured one, else the default
 * name's), grouped, with the recordings, the engine's measured default and the last validation.
 */
export async function showSeccomp(o: { folder: string; configFile?: string; env: NodeJS.ProcessEnv; engine?: Engine }): Promise<SeccompView> {
  const where = await profileOf(o.folder, o.configFile, o.env);
  const resolved = await loadConfig(path.resolve(o.folder), o.configFile, o.env);
  const configured = hyperboxOf(resolved.config).seccomp?.profile;
  const engineDefault = o.engine ? ((await cachedEngineDefault(o.engine, o.env).catch(() => undefined)) ?? null) : null;
  return buildView({
    workspaceFolder: where.workspaceFolder,
    configFile: where.configFile,
    file: where.file,
    configured: typeof configured === 'string' ? configured : null,
    recordings: await loadRecordings(o.env, where.workspaceFolder),
    state: await readState(o.env, where.workspaceFolder),
    engineDefault,
    readProfile: (file) => readProfileFile(file, o.env),
  });
}

/**
 * Sets customizations.hyperbox.seccomp.profile in devcontainer.json to the profile's path relative
 * to it, keeping comments and formatting; the profile is checked first.
 */
export async function applySeccomp(o: { folder: string; configFile?: string; env: NodeJS.ProcessEnv; profileFile?: string }): Promise<{ configFile: string; profile: string; allowed: number }> {
  const resolved = await loadConfig(path.resolve(o.folder), o.configFile, o.env);
  const file = o.profileFile ? path.resolve(o.profileFile) : profileFile(resolved.configFile!, DEFAULT_PROFILE_NAME);
  const profile = await readProfileFile(file, o.env);
  const configFile = resolved.configFile!;
  const rel = path.relative(path.dirname(configFile), file).split(path.sep).join('/');
  const text = await fs.readFile(configFile, 'utf8');
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /\n(\s+)"/.exec(text)?.[1] ?? '  ';
  const edits = modify(text, ['customizations', 'hyperbox', 'seccomp', 'profile'], rel, {
    formattingOptions: { insertSpaces: !indent.includes('\t'), tabSize: indent.includes('\t') ? 1 : indent.length, eol },
  });
  const next = applyEdits(text, edits);
  if ((parseJsonc(next) as { customizations?: { hyperbox?: { seccomp?: { profile?: unknown } } } } | undefined)?.customizations?.hyperbox?.seccomp?.profile !== rel) {
    throw new RuntimeError('config', `${configFile} could not be changed safely: set "customizations": {"hyperbox": {"seccomp": {"profile": "${rel}"}}} by hand.`);
  }
  if (next !== text) await fs.writeFile(configFile, next);
  return { configFile, profile: rel, allowed: allowedNames(profile).length };
}
