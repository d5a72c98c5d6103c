// What the Seccomp panel shows for a folder (SeccompShow): the profile's allowed syscalls grouped
// by category with their argument rules, what the recordings say about each (how often, which
// process first), the size against the engine's measured default, the difference the last
// generate made, and the last validation. Built from files only: nothing runs.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { SeccompEngineDefault, SeccompGenerateResult, SeccompSyscallView, SeccompValidateResult, SeccompView } from '../../protocol';
import { cacheDir, readJson, writeJson } from '../runtime/dirs';
import { CATEGORIES, categoryOf, describeArg } from './categories';
import { mergeRecordings, type SeccompProfile } from './profile';
import { folderKey } from './run';
import type { SyscallRecord } from './types';

/** What hb remembers per folder between operations (under the cache folder). */
export interface SeccompFolderState {
  lastGenerate?: { time: string; file: string; added: string[]; removed: string[]; previous: number | null };
  lastValidation?: SeccompValidateResult & { time: string };
}

export function stateFile(env: NodeJS.ProcessEnv, workspaceFolder: string): string {
  return path.join(cacheDir(env), 'seccomp', 'state', `${folderKey(workspaceFolder)}.json`);
}

export async function readState(env: NodeJS.ProcessEnv, workspaceFolder: string): Promise<SeccompFolderState> {
  return (await readJson<SeccompFolderState>(stateFile(env, workspaceFolder))) ?? {};
}

export async function updateState(env: NodeJS.ProcessEnv, workspaceFolder: string, change: SeccompFolderState): Promise<void> {
  await writeJson(stateFile(env, workspaceFolder), { ...(await readState(env, workspaceFolder)), ...change });
}

/** The generate result as remembered for the panel's "since the previous profile". */
export function generateMemo(r: SeccompGenerateResult, previous: number | null): NonNullable<SeccompFolderState['lastGenerate']> {
  return { time: new Date().toISOString(), file: r.file, added: r.added, removed: r.removed, previous };
}

/** The allowed syscalls of a profile, grouped by category, with the recordings' counts. Pure. */
export function groupProfile(profile: SeccompProfile, calls: SyscallRecord[]): { allowed: number; groups: SeccompView['groups']; refused: SeccompView['refused'] } {
  const byName = new Map(calls.map((c) => [c.name, c]));
  const rules = new Map<string, string[]>();
  const unconditional = new Set<string>();
  const refused: SeccompView['refused'] = [];
  for (const r of profile.syscalls ?? []) {
    const names = r.names ?? [(r as { name?: string }).name!];
    if (r.action === 'SCMP_ACT_ALLOW' || r.action === 'SCMP_ACT_LOG') {
      for (const n of names) {
        if (r.args?.length) rules.set(n, [...(rules.get(n) ?? []), r.args.map((a) => describeArg(n, a)).join(' and ')]);
        else unconditional.add(n);
      }
    } else if (r.action === 'SCMP_ACT_ERRNO' && profile.defaultAction !== 'SCMP_ACT_ERRNO') {
      // a profile that allows by default names what it refuses: nothing to show as allowed
    } else if (r.action === 'SCMP_ACT_ERRNO') {
      for (const n of names) refused.push({ name: n, errno: r.errnoRet === 38 ? 'ENOSYS' : r.errnoRet === 1 || r.errnoRet === undefined ? 'EPERM' : `errno ${r.errnoRet}` });
    }
  }
  const names = [...new Set([...unconditional, ...rules.keys()])].sort();
  const groups = new Map<string, SeccompSyscallView[]>();
  for (const n of names) {
    const rec = byName.get(n);
    const view: SeccompSyscallView = { name: n, count: rec ? rec.count : null, firstExe: rec ? rec.firstExe : null, rules: unconditional.has(n) ? [] : (rules.get(n) ?? []) };
    const c = categoryOf(n);
    groups.set(c, [...(groups.get(c) ?? []), view]);
  }
  return {
    allowed: names.length,
    groups: CATEGORIES.filter((c) => groups.has(c)).map((c) => ({ category: c, syscalls: groups.get(c)! })),
    refused: refused.sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
}

/** The panel's whole view of a folder's profile. */
export async function buildView(o: {
  workspaceFolder: string;
  configFile: string;
  file: string;
  configured: string | null;
  recordings: { syscalls: SyscallRecord[]; time: string }[];
  state: SeccompFolderState;
  engineDefault: SeccompEngineDefault | null;
  readProfile: (file: string) => Promise<SeccompProfile>;
}): Promise<SeccompView> {
  const calls = o.recordings.length ? mergeRecordings(o.recordings as Parameters<typeof mergeRecordings>[0]) : [];
  const base: SeccompView = {
    workspaceFolder: o.workspaceFolder,
    configFile: o.configFile,
    file: o.file,
    exists: false,
    configured: o.configured,
    problem: null,
    allowed: 0,
    groups: [],
    refused: [],
    distinct: o.recordings.length ? calls.length : null,
    recordings: o.recordings.length,
    engineDefault: o.engineDefault,
    lastGenerate: o.state.lastGenerate && o.state.lastGenerate.file === o.file ? { time: o.state.lastGenerate.time, added: o.state.lastGenerate.added, removed: o.state.lastGenerate.removed, previous: o.state.lastGenerate.previous } : null,
    validation: o.state.lastValidation && o.state.lastValidation.file === o.file ? o.state.lastValidation : null,
  };
  try {
    await fs.access(o.file);
  } catch {
    return base;
  }
  try {
    const profile = await o.readProfile(o.file);
    return { ...base, exists: true, ...groupProfile(profile, calls) };
  } catch (e) {
    return { ...base, exists: true, problem: (e as Error).message };
  }
}
