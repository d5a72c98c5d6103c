// Reads what `strace -f -X raw --pidns-translation -o FILE -p <containerd>` wrote while a container started and ran,
// and keeps the calls that the container's own filter would see: the OCI runtime (runc, crun)
// started for this container id (to create it, or to exec a process in it) loads the container's
// seccomp filter in its init process; from
// that successful load on, every call of that process, its threads (the filter is synchronised
// across threads) and every process it forks or execs is recorded. The runtime's calls before the
// load, containerd's and every other container's are not.
import * as path from 'node:path';
import type { SyscallRecord } from './types';

interface Proc {
  /** Descends from the runtime started for this container. */
  ours: boolean;
  /** Under the container's filter. */
  filtered: boolean;
  exe: string;
  /** The executable, with the applet's name for a multi-call binary (SyscallRecord.programs). */
  program: string;
  tgid: number;
}

/** A process's program for SyscallRecord.programs: its executable, and for a multi-call binary (busybox) the command it runs as. */
export function programName(exe: string, command: string): string {
  return /(^|\/)busybox$/.test(exe) && command && command !== 'busybox' ? `${exe} ${command}` : exe;
}

const CLONE_THREAD = 0x10000;
export interface ParsedTrace {
  calls: Map<string, SyscallRecord>;
  /** Calls answered with `deniedErrno`: the filter's answer during validation. */
  denied: Map<string, { count: number; exes: string[] }>;
  /** Whether the container's filter load was seen (without it nothing is recorded). */
  sawFilter: boolean;
  /** The container's filter loads as strace wrote them (the filter itself when traced with -v and a large -s). */
  filters: string[];
}

/**
 * Parses strace output lines for one container (its 64-hex id). `deniedErrno` is the errno name a
 * validation profile answers with (an ordinary failure returns something else).
 */
interface Call {
  /** Line of the call's start: calls are taken in the order they began. */
  at: number;
  pid: number;
  name: string;
  /** The call as written (its arguments). */
  start: string;
  /** What followed the arguments: ` = 0`, ` = -1 EPERM (...)`. */
  rest: string;
}

/** Joins each `<unfinished ...>` line with its `<... resumed>` line; calls in the order they began. */
function calls(text: string): Call[] {
  const out: Call[] = [];
  const pending = new Map<number, { at: number; name: string; start: string }>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\d+) +(.*)$/.exec(lines[i]);
    if (!m) continue;
    const pid = Number(m[1]);
    const body = m[2];
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(body);
    if (resumed) {
      const open = pending.get(pid);
      pending.delete(pid);
      out.push({ at: open?.at ?? i, pid, name: resumed[1], start: open?.start ?? `${resumed[1]}(`, rest: resumed[2] });
      continue;
    }
    const call = /^(\w+)\(/.exec(body);
    if (!call) continue;
    if (body.endsWith('<unfinished ...>')) pending.set(pid, { at: i, name: call[1], start: body });
    else out.push({ at: i, pid, name: call[1], start: body, rest: body });
  }
  // a call still unfinished when strace detached (a server's accept, epoll_wait) was made too
  for (const [pid, open] of pending) out.push({ at: open.at, pid, name: open.name, start: open.start, rest: '' });
  return out.sort((a, b) => a.at - b.at);
}

/**
 * Parses strace output lines for one container (its 64-hex id). `deniedErrno` is the errno name a
 * validation profile answers with (an ordinary failure returns something else).
 */
export function parseTrace(text: string, containerId: string, deniedErrno?: string): ParsedTrace {
  const procs = new Map<number, Proc>();
  const records = new Map<string, SyscallRecord>();
  const denied = new Map<string, { count: number; exes: string[] }>();
  let sawFilter = false;
  const filters: string[] = [];
  const proc = (pid: number): Proc => {
    let p = procs.get(pid);
    if (!p) procs.set(pid, (p = { ours: false, filtered: false, exe: '', program: '', tgid: pid }));
    return p;
  };
  for (const { pid, name, start, rest } of calls(text)) {
    const p = proc(pid);
    const tail = rest.slice(rest.lastIndexOf(') =') + 1);
    const result = /=\s+(-?\d+|0x[0-9a-f]+|\?)(?:\s+(E[A-Z0-9]+))?/.exec(tail);
    // a pid returned inside the container's PID namespace, with strace's (the lines' own) beside it
    // (--pidns-translation): `= 7 /* 3111 in strace's PID NS */`
    const hostPid = /=\s+\d+ \/\* (\d+) in strace's PID NS \*\//.exec(tail);
    const ret = hostPid ? hostPid[1] : result ? result[1] : '?';
    const errno = result?.[2];
    if (name === 'execve' || name === 'execveat') {
      const exe = /^execve(?:at)?\((?:[^,]+, )?"([^"]*)", \["([^"]*)"(?:, "([^"]*)")?/.exec(start);
      // runc and crun re-exec themselves through /proc/self/exe or a memfd (execveat(fd, "")): name them by their arguments ("runc init")
      if (exe && ret === '0') {
        p.exe = !exe[1] || exe[1].startsWith('/proc/self/') ? [exe[2], exe[3]].filter(Boolean).join(' ') : exe[1];
        p.program = programName(p.exe, path.posix.basename(exe[2]));
      }
      if (ret === '0' && start.includes(containerId) && /"(create|run|exec)"/.test(start)) p.ours = true;
    }
    if (p.filtered) {
      let r = records.get(name);
      if (!r) records.set(name, (r = { name, count: 0, firstExe: p.exe || '?', programs: [], failed: 0, errnos: [] }));
      r.count++;
      if (!r.programs!.includes(p.program || '?')) r.programs = [...r.programs!, p.program || '?'].sort();
      if (errno && /^(EPERM|ENOSYS)$/.test(errno)) {
        r.failed++;
        if (!r.errnos.includes(errno)) r.errnos.push(errno);
      }
      if (deniedErrno && errno === deniedErrno) {
        let d = denied.get(name);
        if (!d) denied.set(name, (d = { count: 0, exes: [] }));
        d.count++;
        if (!d.exes.includes(p.exe || '?')) d.exes.push(p.exe || '?');
      }
      if (name === 'personality' || name === 'socket') {
        const v = /^\w+\((0x[0-9a-f]+|\d+)[,)]/.exec(start);
        if (v) r.firstArgs = [...new Set([...(r.firstArgs ?? []), Number(v[1])])].sort((a, b) => a - b);
      }
    }
    // the filter load: prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ...) or seccomp(SECCOMP_SET_MODE_FILTER, flags, prog)
    if (p.ours && ret === '0' && (/^prctl\(0x16, 0x2, \{/.test(start) || /^seccomp\(0x1, 0x[0-9a-f]+, \{/.test(start))) {
      sawFilter = true;
      filters.push(start);
      for (const q of procs.values()) if (q.tgid === p.tgid) q.filtered = true;
      p.filtered = true;
    }
    // a new process or thread is what its parent was when the call began (its own calls follow that line)
    if ((name === 'clone' || name === 'clone3' || name === 'fork' || name === 'vfork') && /^\d+$/.test(ret) && ret !== '0') {
      const child = proc(Number(ret));
      const flags = /flags=(0x[0-9a-f]+)/.exec(start);
      const thread = flags ? (Number(flags[1]) & CLONE_THREAD) !== 0 : false;
      child.ours = p.ours;
      child.filtered = p.filtered;
      child.exe = p.exe;
      child.program = p.program;
      child.tgid = thread ? p.tgid : child.tgid;
    }
  }
  return { calls: records, denied, sawFilter, filters };
}
