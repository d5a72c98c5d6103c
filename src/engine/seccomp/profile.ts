// The profile: OCI/Docker seccomp JSON made from merged recordings, and the check of a profile file
// (a hand-edited one too) before it is used.
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { RuntimeError } from '../runtime/errors';
import { profileArch } from './resolver';
import type { SeccompRecording, SyscallRecord } from './types';

export const ENOSYS = 38;
export const EPERM = 1;
/** AF_VSOCK: sockets to the hypervisor or host, outside the container's network namespace. */
const AF_VSOCK = 40;
const AF_INET = 2;
const AF_INET6 = 10;

export interface SeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[];
  comment?: string;
}

export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  syscalls?: SeccompRule[];
}

/** Recordings merged: counts add up, the first process is the earliest recording's. */
export function mergeRecordings(recordings: SeccompRecording[]): SyscallRecord[] {
  const merged = new Map<string, SyscallRecord>();
  for (const rec of [...recordings].sort((a, b) => a.time.localeCompare(b.time))) {
    for (const s of rec.syscalls) {
      const m = merged.get(s.name);
      if (!m) {
        merged.set(s.name, { ...s, errnos: [...s.errnos], ...(s.firstArgs ? { firstArgs: [...s.firstArgs] } : {}), ...(s.programs ? { programs: [...s.programs] } : {}) });
        continue;
      }
      m.count += s.count;
      if (s.programs || m.programs) m.programs = [...new Set([...(m.programs ?? []), ...(s.programs ?? [])])].sort();
      m.failed += s.failed;
      if (s.argsUnknown) m.argsUnknown = true;
      m.errnos = [...new Set([...m.errnos, ...s.errnos])].sort();
      if (s.firstArgs || m.firstArgs) m.firstArgs = [...new Set([...(m.firstArgs ?? []), ...(s.firstArgs ?? [])])].sort((a, b) => a - b);
    }
  }
  return [...merged.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Docker's default profile's rules for the two calls it allows only with some arguments: socket
 * for every address family but AF_VSOCK, personality for PER_LINUX, PER_LINUX32, UNAME26 (alone and
 * with PER_LINUX32) and the query 0xffffffff. Used when a recording did not see the arguments.
 */
export const DOCKER_ARG_RULES: Record<'socket' | 'personality', SeccompRule[]> = {
  socket: [{ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] }],
  personality: [0x0, 0x8, 0x20000, 0x20008, 0xffffffff].map((value) => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] })),
};

/**
 * Calls every generated profile allows whether or not a recording saw them, each for a reason: a
 * recording sees them only when a signal or a contended lock happens at the right moment, and refusing them
 * breaks the workload at that moment (validation found restart_syscall that way, under Python's
 * time.sleep when the replay's SIGTERM came during a sleep), or only under contention.
 */
export const BASE_SET: { name: string; why: string }[] = [
  {
    name: 'restart_syscall',
    why: "the kernel resumes with it a sleep (nanosleep, clock_nanosleep, poll, futex with a timeout) that a handled signal interrupted; no program calls it by itself, so a recording has it only when a signal lands in such a sleep",
  },
  { name: 'rt_sigreturn', why: 'the return from every signal handler: a process that got no signal while recorded still gets one later (SIGCHLD, SIGINT, SIGTERM at stop)' },
  {
    name: 'sched_yield',
    why: "thread libraries and runtimes (glibc's locks, V8, Go) call it when a lock is contended, which depends on timing and load, not on what the workload does: a replay of the Node bench app under concurrent requests was refused it after a recording of sequential ones; it only gives up the CPU",
  },
];

export interface Generated {
  profile: SeccompProfile;
  /** Names allowed (with or without argument rules). */
  allowed: string[];
  /** Calls the workload made that only ever failed with EPERM/ENOSYS: kept refused, with the same errno. */
  refused: { name: string; errno: string; count: number; firstExe: string }[];
}

/**
 * The minimal profile for these calls (and BASE_SET's): everything else fails with EPERM; clone3 with ENOSYS so
 * glibc falls back to clone; socket only for the address families the workload used (never
 * AF_VSOCK); personality only with the values seen.
 */
export function generateProfile(calls: SyscallRecord[], archs: string[]): Generated {
  const plain: string[] = [];
  const rules: SeccompRule[] = [];
  const refused: Generated['refused'] = [];
  const enosys = new Set<string>(['clone3']);
  const eperm = new Set<string>();
  for (const c of calls) {
    if (c.name === 'clone3') continue;
    if (c.failed === c.count && c.count > 0) {
      // the kernel refused every one: allowing it adds nothing the workload got, so keep it refused
      const errno = c.errnos.includes('ENOSYS') ? 'ENOSYS' : 'EPERM';
      refused.push({ name: c.name, errno, count: c.count, firstExe: c.firstExe });
      (errno === 'ENOSYS' ? enosys : eperm).add(c.name);
      continue;
    }
    if ((c.name === 'socket' || c.name === 'personality') && c.argsUnknown) {
      // a recording that could not see arguments: Docker's own argument rules for these two
      rules.push(...DOCKER_ARG_RULES[c.name]);
      continue;
    }
    if (c.name === 'socket' && c.firstArgs?.length) {
      const families = new Set(c.firstArgs.filter((f) => f !== AF_VSOCK));
      // an IP client gets IPv4 or IPv6 addresses depending on name resolution: allow both
      if (families.has(AF_INET) || families.has(AF_INET6)) families.add(AF_INET).add(AF_INET6);
      for (const f of [...families].sort((a, b) => a - b)) {
        rules.push({ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: f, op: 'SCMP_CMP_EQ' }] });
      }
      continue;
    }
    if (c.name === 'personality' && c.firstArgs?.length) {
      for (const v of c.firstArgs) rules.push({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: v, op: 'SCMP_CMP_EQ' }] });
      continue;
    }
    plain.push(c.name);
  }
  for (const b of BASE_SET) if (!plain.includes(b.name) && !enosys.has(b.name) && !eperm.has(b.name)) plain.push(b.name);
  const syscalls: SeccompRule[] = [];
  if (plain.length) syscalls.push({ names: plain.sort(), action: 'SCMP_ACT_ALLOW' });
  syscalls.push(...rules);
  syscalls.push({ names: [...enosys].sort(), action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  // named although the default refuses them too: they are refused on purpose (the workload was
  // refused them while recording), and validation tells them from calls the profile forgot
  if (eperm.size) syscalls.push({ names: [...eperm].sort(), action: 'SCMP_ACT_ERRNO', errnoRet: EPERM });
  const allowed = [...new Set([...plain, ...rules.map((r) => r.names[0])])].sort();
  return {
    profile: { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: archs.map(profileArch), syscalls },
    allowed,
    refused: refused.sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
}

/** A profile as a file: two-space JSON, keys in a fixed order, a final newline. */
export function profileText(p: SeccompProfile): string {
  return JSON.stringify(p, null, 2) + '\n';
}

const ACTIONS = new Set(['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY']);
const OPS = new Set(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']);

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

/**
 * Parses and checks a profile file's text: strict JSON, then the shape Docker and runc read.
 * Throws a RuntimeError naming the file, the place (line and column, or the field) and the fix.
 */
export function parseProfile(text: string, file: string): SeccompProfile {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length) {
    const e = errors[0];
    throw new RuntimeError('config', `${file} is not valid JSON: ${printParseErrorCode(e.error)} at ${lineCol(text, e.offset)}. Fix the file, or make it again with hb seccomp generate.`);
  }
  const bad = (where: string, what: string) =>
    new RuntimeError('config', `${file} is not a valid seccomp profile: ${where} ${what}. Fix the file, or make it again with hb seccomp generate.`);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad('the top level', 'must be an object');
  const p = value as Record<string, unknown>;
  if (typeof p.defaultAction !== 'string' || !ACTIONS.has(p.defaultAction)) throw bad('defaultAction', `must be one of ${[...ACTIONS].join(', ')} (it is ${JSON.stringify(p.defaultAction)})`);
  if (p.defaultErrnoRet !== undefined && !Number.isInteger(p.defaultErrnoRet)) throw bad('defaultErrnoRet', 'must be a whole number');
  if (p.architectures !== undefined) {
    if (!Array.isArray(p.architectures)) throw bad('architectures', 'must be a list');
    p.architectures.forEach((a, i) => {
      if (typeof a !== 'string' || !/^SCMP_ARCH_[A-Z0-9_]+$/.test(a)) throw bad(`architectures[${i}]`, `must be an SCMP_ARCH_ name (it is ${JSON.stringify(a)})`);
    });
  }
  if (p.syscalls !== undefined) {
    if (!Array.isArray(p.syscalls)) throw bad('syscalls', 'must be a list');
    p.syscalls.forEach((r: unknown, i) => {
      const at = `syscalls[${i}]`;
      if (!r || typeof r !== 'object' || Array.isArray(r)) throw bad(at, 'must be an object');
      const rule = r as Record<string, unknown>;
      const names = rule.names ?? (rule.name !== undefined ? [rule.name] : undefined);
      if (!Array.isArray(names) || !names.length || names.some((n) => typeof n !== 'string' || !/^[a-z0-9_]+$/.test(n))) throw bad(`${at}.names`, 'must be a non-empty list of syscall names');
      if (typeof rule.action !== 'string' || !ACTIONS.has(rule.action)) throw bad(`${at}.action`, `must be one of ${[...ACTIONS].join(', ')} (it is ${JSON.stringify(rule.action)})`);
      if (rule.errnoRet !== undefined && !Number.isInteger(rule.errnoRet)) throw bad(`${at}.errnoRet`, 'must be a whole number');
      if (rule.args !== undefined && rule.args !== null) {
        if (!Array.isArray(rule.args)) throw bad(`${at}.args`, 'must be a list');
        rule.args.forEach((a: unknown, j) => {
          const arg = (a ?? {}) as Record<string, unknown>;
          if (!Number.isInteger(arg.index) || (arg.index as number) < 0 || (arg.index as number) > 5) throw bad(`${at}.args[${j}].index`, 'must be 0 to 5');
          if (!Number.isInteger(arg.value) || (arg.value as number) < 0) throw bad(`${at}.args[${j}].value`, 'must be a whole number ≥ 0');
          if (typeof arg.op !== 'string' || !OPS.has(arg.op)) throw bad(`${at}.args[${j}].op`, `must be one of ${[...OPS].join(', ')}`);
        });
      }
    });
  }
  return p as unknown as SeccompProfile;
}

/** Every syscall name a profile mentions. */
export function profileNames(p: SeccompProfile): string[] {
  return [...new Set((p.syscalls ?? []).flatMap((r) => r.names ?? [(r as { name?: string }).name!]))].sort();
}
