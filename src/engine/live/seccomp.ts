// customizations.hyperbox.seccomp.profile: the container runs with the seccomp profile in that
// file (a path relative to devcontainer.json), for image, Dockerfile and Compose containers alike
// (a container contribution, contributions.ts). A missing file, invalid JSON or a document that
// is not a seccomp profile stops `up` with the file and the problem named: a security setting is
// never ignored. The profile goes to the engine as "seccomp=<profile JSON>", as `docker run
// --security-opt seccomp=<file>` sends it.
import { hyperboxOf, type DevContainerConfig } from '../devcontainer/config';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { RuntimeError } from '../runtime/errors';
import type { SeccompInUse } from '../../protocol';
import type { ContainerContributor } from './contribution';

export const SECCOMP_SETTING = 'customizations.hyperbox.seccomp.profile';
/** The label naming the profile file a container was made with (relative to the workspace folder). */
export const LABEL_SECCOMP_PROFILE = 'hyperbox.seccomp.profile';

/**
 * The seccomp profile a container runs under, from its security options (as the engine reports
 * them: `seccomp=<profile JSON>` or `seccomp=unconfined`; none means the engine's default) and the
 * label HyperBox set.
 */
export function seccompInUse(securityOpt: string[] | null | undefined, labels: Record<string, string> | undefined): SeccompInUse {
  const opt = (securityOpt ?? []).find((o) => /^seccomp[=:]/.test(o));
  if (!opt) return { mode: 'default' };
  const value = opt.slice('seccomp='.length);
  if (value === 'unconfined') return { mode: 'unconfined' };
  if (value === 'builtin' || value === '') return { mode: 'default' };
  const out: SeccompInUse = { mode: 'profile' };
  if (labels?.[LABEL_SECCOMP_PROFILE]) out.file = labels[LABEL_SECCOMP_PROFILE];
  try {
    const doc = JSON.parse(value) as { syscalls?: { names?: string[]; name?: string; action?: string }[] };
    const allowed = new Set((doc.syscalls ?? []).filter((r) => r.action === 'SCMP_ACT_ALLOW' || r.action === 'SCMP_ACT_LOG').flatMap((r) => r.names ?? (r.name ? [r.name] : [])));
    out.allowed = allowed.size;
  } catch {
    // a path the engine read itself (a Compose file's security_opt): the count is not known here
  }
  return out;
}

const ACTIONS = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY'];
const OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
const ARCH = /^SCMP_ARCH_[A-Z0-9_]+$/;

/** The configured profile path, resolved against the config file's folder; undefined when none is set. */
export function seccompProfilePath(config: DevContainerConfig, configFile: string): string | undefined {
  const p = hyperboxOf(config).seccomp?.profile;
  if (p === undefined) return undefined;
  if (typeof p !== 'string' || !p.trim()) throw new RuntimeError('config', `${SECCOMP_SETTING} in ${configFile} must be the path of a seccomp profile (JSON), relative to that file.`);
  return path.resolve(path.dirname(configFile), p.trim());
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const oneOf = (v: unknown, list: string[], what: string) => (typeof v === 'string' && list.includes(v) ? undefined : `${what} is ${JSON.stringify(v)}, not one of ${list.join(', ')}`);

/** What makes a parsed document not a seccomp profile (the first problem found), or undefined when it is one. */
export function seccompProblem(doc: unknown): string | undefined {
  if (!isObject(doc)) return 'it is not a JSON object';
  if (doc.defaultAction === undefined) return 'it has no "defaultAction" (e.g. "SCMP_ACT_ERRNO")';
  const bad = oneOf(doc.defaultAction, ACTIONS, '"defaultAction"');
  if (bad) return bad;
  if (doc.defaultErrnoRet !== undefined && !isInt(doc.defaultErrnoRet)) return '"defaultErrnoRet" must be a number';
  if (doc.architectures !== undefined) {
    if (!Array.isArray(doc.architectures)) return '"architectures" must be a list such as ["SCMP_ARCH_X86_64"]';
    const i = doc.architectures.findIndex((a) => typeof a !== 'string' || !ARCH.test(a));
    if (i >= 0) return `architectures[${i}] is ${JSON.stringify(doc.architectures[i])}, not an architecture such as "SCMP_ARCH_X86_64"`;
  }
  if (doc.archMap !== undefined) {
    if (!Array.isArray(doc.archMap)) return '"archMap" must be a list of { "architecture", "subArchitectures" }';
    for (const [i, m] of doc.archMap.entries()) {
      if (!isObject(m) || typeof m.architecture !== 'string' || !ARCH.test(m.architecture)) return `archMap[${i}].architecture must be an architecture such as "SCMP_ARCH_X86_64"`;
      if (m.subArchitectures !== undefined && (!Array.isArray(m.subArchitectures) || m.subArchitectures.some((a) => typeof a !== 'string' || !ARCH.test(a)))) {
        return `archMap[${i}].subArchitectures must be a list of architectures`;
      }
    }
  }
  if (doc.syscalls !== undefined) {
    if (!Array.isArray(doc.syscalls)) return '"syscalls" must be a list of { "names", "action" }';
    for (const [i, s] of doc.syscalls.entries()) {
      const at = `syscalls[${i}]`;
      if (!isObject(s)) return `${at} is not an object`;
      const names = s.names ?? (s.name !== undefined ? [s.name] : undefined);
      if (!Array.isArray(names) || !names.length) return `${at} has no "names" (the system calls it applies to)`;
      const n = names.findIndex((x) => typeof x !== 'string' || !/^[a-z0-9_]+$/.test(x));
      if (n >= 0) return `${at}.names[${n}] is ${JSON.stringify(names[n])}, not a system call name`;
      if (s.action === undefined) return `${at} has no "action"`;
      const badAction = oneOf(s.action, ACTIONS, `${at}.action`);
      if (badAction) return badAction;
      if (s.errnoRet !== undefined && !isInt(s.errnoRet)) return `${at}.errnoRet must be a number`;
      if (s.args !== undefined && s.args !== null) {
        if (!Array.isArray(s.args)) return `${at}.args must be a list`;
        for (const [j, a] of s.args.entries()) {
          if (!isObject(a) || !isInt(a.index) || !isInt(a.value)) return `${at}.args[${j}] needs a numeric "index" and "value"`;
          const badOp = oneOf(a.op, OPERATORS, `${at}.args[${j}].op`);
          if (badOp) return badOp;
        }
      }
    }
  }
  return undefined;
}

/** Reads and checks a profile; the compact JSON to send, or a RuntimeError naming the file and the problem. */
export async function readSeccompProfile(file: string, where: string): Promise<string> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RuntimeError(
      'config',
      `${where} names ${file}, which ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (e as Error).message})`}. Fix the path (it is relative to devcontainer.json) or remove the setting.`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new RuntimeError('config', `${where}: ${file} is not valid JSON (${(e as Error).message}). A seccomp profile is a JSON document; fix the file.`);
  }
  const problem = seccompProblem(doc);
  if (problem) throw new RuntimeError('config', `${where}: ${file} is not a valid seccomp profile: ${problem}. Fix the file or remove the setting.`);
  return JSON.stringify(doc);
}

export const seccompContributor: ContainerContributor = {
  name: SECCOMP_SETTING,
  async contribute({ resolved, report }) {
    const configFile = resolved.configFile!;
    const file = seccompProfilePath(resolved.config, configFile);
    if (!file) return undefined;
    const profile = await readSeccompProfile(file, `${SECCOMP_SETTING} in ${configFile}`);
    const shown = path.relative(resolved.workspaceFolder, file) || file;
    report.info(`Running the container with the seccomp profile ${shown} (${SECCOMP_SETTING}).`);
    // the label names the file for hb status and the editor (the option itself holds only the JSON)
    return { securityOpt: [`seccomp=${profile}`], labels: { [LABEL_SECCOMP_PROFILE]: shown.split(path.sep).join('/') } };
  },
};
