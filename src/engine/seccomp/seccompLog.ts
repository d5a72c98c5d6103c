// Recording through the kernel's seccomp log: the recording profile answers every call with
// SCMP_ACT_LOG (allowed, and logged), and the kernel writes one audit record (type 1326) per call:
// the process id, its command and executable, the architecture and the syscall number. Without an
// audit daemon, those records reach the kernel log (/dev/kmsg), read here by a `cat` of it. The
// process is not stopped as under strace (no ptrace), so the workload runs at about its own speed.
//
// Three things make it sound, or else the recording fails and says why:
//  - printk's rate limit (kernel.printk_ratelimit, 10 messages per 5 s by default) would drop
//    almost every record: it is lifted (0) while recording and put back after;
//  - the kernel log is a ring (128 KiB here): a reader that falls behind loses records, which the
//    kernel tells it (EPIPE: `cat` stops with an error) and which shows as a gap in the records'
//    sequence numbers; and every audit record carries a serial number, so a record dropped on the
//    kernel's way (rate limit, backlog) shows as a gap in those;
//  - only records of the container's own processes count: the log is the host's, so records of
//    processes that are still alive and in another cgroup are left out (all of the container's
//    processes have ended when the log is read).
// What it cannot see: arguments (socket's address family, personality's value) and return values
// (whether a call failed). The recording says so (mechanism "seccomp-log") and the profile takes
// Docker's own argument rules for socket and personality when a recording did not see them.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, readSync, promises as fs } from 'node:fs';
import { RuntimeError } from '../runtime/errors';
import { namesOfNumbers } from './resolver';
import { which } from '../util/program';
import { programName } from './strace';
import type { SyscallRecord } from './types';

const KMSG = '/dev/kmsg';
const RATELIMIT = '/proc/sys/kernel/printk_ratelimit';
const ACTIONS_LOGGED = '/proc/sys/kernel/seccomp/actions_logged';
/** The rate limit as it was before a recording lifted it, kept until it is put back (a recording killed meanwhile leaves it: the next one puts it back). */
const SAVED_RATELIMIT = '/run/hyperbox-printk-ratelimit';
/** The filter's return value for SCMP_ACT_LOG, as the audit record writes it. */
const CODE_LOG = '0x7ffc0000';

/** The recording profile for this mechanism: every call allowed and logged; clone3 answered ENOSYS as the generated profile will. */
export const LOG_RECORDING_PROFILE = { defaultAction: 'SCMP_ACT_LOG', syscalls: [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }] };

/** Why the kernel's seccomp log cannot be used here, or undefined when it can. */
export async function seccompLogUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'reading the kernel log and lifting its rate limit needs root';
  const logged = await fs.readFile(ACTIONS_LOGGED, 'utf8').catch(() => '');
  if (!logged.split(/\s+/).includes('log')) return `the kernel does not log SCMP_ACT_LOG (${ACTIONS_LOGGED} ${logged.trim() ? `is "${logged.trim()}"` : 'is missing'})`;
  try {
    closeSync(openSync(KMSG, constants.O_RDONLY | constants.O_NONBLOCK));
  } catch (e) {
    return `${KMSG} cannot be read (${(e as NodeJS.ErrnoException).code})`;
  }
  if (!(await fs.access(RATELIMIT, constants.W_OK).then(() => true, () => false))) return `${RATELIMIT} cannot be written`;
  // an audit daemon takes the records instead of the kernel log
  for (const d of await fs.readdir('/proc')) {
    if (/^\d+$/.test(d) && (await fs.readFile(`/proc/${d}/comm`, 'utf8').catch(() => '')).trim() === 'auditd') return `an audit daemon (auditd, pid ${d}) receives the kernel's audit records, so they do not reach ${KMSG}`;
  }
  return undefined;
}

/** The sequence number of the newest record in the kernel log now (records after it are new). */
function lastSequence(): number {
  const fd = openSync(KMSG, constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(8192);
  let last = -1;
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') break;
        if (code === 'EPIPE') continue; // overwritten while reading: go on from the oldest kept
        throw e;
      }
      if (n <= 0) break;
      const seq = /^\d+,(\d+),/.exec(buf.toString('utf8', 0, Math.min(n, 64)));
      if (seq) last = Number(seq[1]);
    }
  } finally {
    closeSync(fd);
  }
  return last;
}

export interface LogRecorder {
  /** Stops reading; the log's text since the start, and why records were lost (undefined: none). */
  stop(): Promise<{ text: string; since: number; lost?: string }>;
}

async function putBack(value: string): Promise<void> {
  await fs.writeFile(RATELIMIT, value);
  await fs.rm(SAVED_RATELIMIT, { force: true });
}

/** Starts reading the kernel log (a `cat` of /dev/kmsg writing to `file`) with printk's rate limit lifted. */
export async function startLogRecorder(file: string, env: NodeJS.ProcessEnv): Promise<LogRecorder> {
  const since = lastSequence();
  const current = (await fs.readFile(RATELIMIT, 'utf8')).trim();
  const left = (await fs.readFile(SAVED_RATELIMIT, 'utf8').catch(() => '')).trim();
  // 0 now and a value kept: a recording that was killed lifted it; that value is the one to put back
  const saved = current === '0' && /^\d+$/.test(left) ? left : current;
  if (saved !== '0') {
    await fs.writeFile(SAVED_RATELIMIT, saved);
    await fs.writeFile(RATELIMIT, '0');
  }
  const out = await fs.open(file, 'w');
  let cat: ChildProcess;
  try {
    // the reader runs at a real-time priority (chrt, util-linux) so a busy workload on a loaded
    // machine cannot keep it from the CPU until the ring overflows; plain cat where chrt is missing
    const chrt = which('chrt', env);
    cat = chrt ? spawn(chrt, ['--fifo', '10', 'cat', KMSG], { stdio: ['ignore', out.fd, 'pipe'] }) : spawn('cat', [KMSG], { stdio: ['ignore', out.fd, 'pipe'] });
  } catch (e) {
    await out.close();
    if (saved !== '0') await putBack(saved);
    throw e;
  }
  let err = '';
  cat.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => cat.on('exit', () => ((exited = true), resolve())));
  await new Promise<void>((resolve, reject) => {
    cat.once('spawn', resolve);
    cat.once('error', (e) => reject(new RuntimeError('missing-tool', `cat could not read ${KMSG}: ${e.message}`)));
  });
  return {
    async stop() {
      // the last records a moment to arrive
      await new Promise((r) => setTimeout(r, 150));
      const early = exited;
      if (!exited) cat.kill('SIGTERM');
      await exit;
      await out.close();
      const now = (await fs.readFile(RATELIMIT, 'utf8')).trim();
      if (saved !== '0') await putBack(saved);
      const text = await fs.readFile(file, 'utf8');
      let lost: string | undefined;
      if (early) lost = `the reader of ${KMSG} stopped: ${err.trim() || 'it exited'} (the kernel log overflowed before it was read)`;
      else if (now !== '0') lost = `${RATELIMIT} was set back to ${now} during the recording (another recording ended?), so the kernel dropped records`;
      return { text, since, lost };
    },
  };
}

interface Rec {
  seq: number;
  pid: number;
  exe: string;
  /** The executable, with the applet's name for a multi-call binary (`/bin/busybox sleep`). */
  program: string;
  arch: string;
  nr: number;
}

const AUDIT_ARCH: Record<string, string> = { c000003e: 'x86_64', '40000003': 'x86', c00000b7: 'aarch64', '40000028': 'arm' };
const X32_BIT = 0x40000000;

/**
 * A seccomp record's fields, in the order the kernel writes them (audit_seccomp: the task's
 * auid, uid, gid, ses, subj, pid, comm and exe, then sig, arch, syscall, compat, ip and code): one
 * match per record, as a Python app's recording has tens of thousands of them. Values are bare,
 * "quoted", or hex-encoded when they hold a space or a quote (the subject before pid may hold one).
 */
const SECCOMP_FIELDS = / pid=(\d+) comm=("[^"]*"|\S+) exe=("[^"]*"|\S+) sig=\d+ arch=([0-9a-f]+) syscall=(\d+) compat=\d+ ip=\S+ code=(\S+)/;

/** A string field's text: unquoted, or decoded from hex. */
function textOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return value.slice(1, -1);
  return /^([0-9A-F]{2})+$/.test(value) ? Buffer.from(value, 'hex').toString('utf8') : value;
}

const LOST = /kauditd_printk_skb: \d+ callbacks suppressed|audit: audit_lost=|audit_backlog=\d+ > audit_backlog_limit/;
const AUDIT = /^audit: type=(\d+) audit\(\d+\.\d+:(\d+)\): (.*)$/;
const LINE = /^\d+,(\d+),\d+,[^;]*;(.*)$/;

/**
 * The seccomp log records in the kernel log's text after sequence number `since`, and what shows
 * records were lost: a gap in the log's sequence numbers (the ring overflowed), a gap in the audit
 * serial numbers (a record dropped on the way), or the kernel saying it suppressed or lost some.
 */
export function parseKmsg(text: string, since: number): { records: Rec[]; lost?: string } {
  const records: Rec[] = [];
  const serials = new Set<number>();
  let prevSeq = -1;
  let lost: string | undefined;
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const seq = Number(m[1]);
    if (seq <= since) continue;
    if (prevSeq >= 0 && seq !== prevSeq + 1) lost ??= `the kernel log skipped records ${prevSeq + 1}-${seq - 1} (it overflowed before they were read)`;
    prevSeq = seq;
    const msg = m[2];
    const audit = AUDIT.exec(msg);
    if (!audit) {
      if (LOST.test(msg)) lost ??= `the kernel dropped audit records ("${msg.trim()}")`;
      continue;
    }
    serials.add(Number(audit[2]));
    if (audit[1] !== '1326') continue;
    const f = SECCOMP_FIELDS.exec(audit[3]);
    if (!f || f[6] !== CODE_LOG) continue;
    const exe = textOf(f[3]);
    const comm = textOf(f[2]) ?? '?';
    // runc's init runs from a memfd: its executable reads "/", its command names it
    const named = exe && exe !== '/' && exe !== '(null)' ? exe : comm;
    records.push({
      seq,
      pid: Number(f[1]),
      exe: named,
      program: programName(named, comm),
      arch: f[4],
      nr: Number(f[5]),
    });
  }
  const sorted = [...serials].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length && !lost; i++) {
    if (sorted[i] !== sorted[i - 1] + 1) lost = `audit records ${sorted[i - 1] + 1}-${sorted[i] - 1} never reached the kernel log`;
  }
  return { records, lost };
}

/** Whether a host process belongs to another container or process than `containerId` (false when it has ended: it may have been ours). */
async function belongsElsewhere(pid: number, containerId: string): Promise<boolean> {
  const cg = await fs.readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => undefined);
  return cg !== undefined && !cg.includes(containerId);
}

/** The calls the container's processes made, by name, with counts and the first process of each. */
export async function seccompLogCalls(text: string, since: number, containerId: string, env: NodeJS.ProcessEnv): Promise<{ calls: Map<string, SyscallRecord>; lost?: string; records: number }> {
  const { records, lost } = parseKmsg(text, since);
  const pids = [...new Set(records.map((r) => r.pid))];
  const elsewhere = new Set<number>();
  await Promise.all(pids.map(async (p) => (await belongsElsewhere(p, containerId)) && elsewhere.add(p)));
  const mine: { arch: string; nr: number; exe: string; program: string }[] = [];
  for (const r of records) {
    if (elsewhere.has(r.pid)) continue;
    // an x32 call comes under x86_64 with the x32 bit set in its number (libseccomp resolves it so)
    const arch = AUDIT_ARCH[r.arch] === 'x86_64' && r.nr & X32_BIT ? 'x32' : AUDIT_ARCH[r.arch];
    if (!arch) throw new RuntimeError('unsupported', `The seccomp log names architecture ${r.arch}, which hb does not know: record with --strace.`);
    mine.push({ arch, nr: r.nr, exe: r.exe, program: r.program });
  }
  const tables = new Map<string, Map<number, string>>();
  for (const arch of new Set(mine.map((m) => m.arch))) {
    tables.set(arch, await namesOfNumbers(arch, mine.filter((m) => m.arch === arch).map((m) => m.nr), env));
  }
  const calls = new Map<string, SyscallRecord>();
  for (const r of mine) {
    const name = tables.get(r.arch)!.get(r.nr) ?? `#${r.nr}`;
    let c = calls.get(name);
    if (!c) calls.set(name, (c = { name, count: 0, firstExe: r.exe, programs: [], failed: 0, errnos: [] }));
    c.count++;
    if (!c.programs!.includes(r.program)) c.programs = [...c.programs!, r.program].sort();
  }
  const kept = mine.length;
  return { calls, lost, records: kept };
}
