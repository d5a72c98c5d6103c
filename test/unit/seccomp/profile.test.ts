// The seccomp profile from recordings (merging, clone3, socket and personality rules, calls the
// kernel refused), the strace parser (only calls under the container's filter), and the check of
// a profile file a user may have edited by hand.
import { strict as assert } from 'node:assert';
import { generateProfile, mergeRecordings, parseProfile, profileText } from '../../../src/engine/seccomp/profile';
import { parseTrace } from '../../../src/engine/seccomp/strace';
import type { SeccompRecording, SyscallRecord } from '../../../src/engine/seccomp/types';

const rec = (time: string, syscalls: SyscallRecord[]): SeccompRecording => ({ version: 1, time, command: ['x'], image: 'i', durationMs: 5000, exitCode: 0, ended: 'exited', syscalls });
const call = (name: string, count = 1, extra: Partial<SyscallRecord> = {}): SyscallRecord => ({ name, count, firstExe: '/bin/x', failed: 0, errnos: [], ...extra });

describe('seccomp profile', () => {
  it('merges recordings: counts add up, first process from the earliest, argument values united', () => {
    const merged = mergeRecordings([
      rec('2026-01-02T00:00:00Z', [call('read', 3, { firstExe: '/late' }), call('socket', 1, { firstArgs: [10] })]),
      rec('2026-01-01T00:00:00Z', [call('read', 2, { firstExe: '/early' }), call('write'), call('socket', 2, { firstArgs: [1] })]),
    ]);
    assert.deepEqual(merged.map((m) => m.name), ['read', 'socket', 'write']);
    assert.equal(merged[0].count, 5);
    assert.equal(merged[0].firstExe, '/early');
    assert.deepEqual(merged[1].firstArgs, [1, 10]);
    assert.equal(merged[0].programs, undefined);
  });

  it('merges the programs that made each call (recordings made before they were kept have none)', () => {
    const merged = mergeRecordings([
      rec('2026-01-02T00:00:00Z', [call('wait4', 1, { programs: ['/bin/busybox sh'] }), call('read', 1, { programs: ['/usr/bin/node', 'runc init'] })]),
      rec('2026-01-01T00:00:00Z', [call('read', 2, { programs: ['/bin/busybox cat', '/usr/bin/node'] }), call('write')]),
    ]);
    assert.deepEqual(merged.find((m) => m.name === 'read')!.programs, ['/bin/busybox cat', '/usr/bin/node', 'runc init']);
    assert.deepEqual(merged.find((m) => m.name === 'wait4')!.programs, ['/bin/busybox sh']);
    assert.equal(merged.find((m) => m.name === 'write')!.programs, undefined);
  });

  it('allows exactly the calls made, sorted; clone3 gets ENOSYS; refused calls stay refused with their errno', () => {
    const g = generateProfile(
      [call('write'), call('read'), call('clone3'), call('io_uring_setup', 2, { failed: 2, errnos: ['ENOSYS'] }), call('mount', 1, { failed: 1, errnos: ['EPERM'] })],
      ['x86_64', 'x86', 'x32'],
    );
    assert.deepEqual(g.allowed, ['read', 'restart_syscall', 'rt_sigreturn', 'sched_yield', 'write']);
    assert.equal(g.profile.defaultAction, 'SCMP_ACT_ERRNO');
    assert.deepEqual(g.profile.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.deepEqual(g.profile.syscalls![0], { names: ['read', 'restart_syscall', 'rt_sigreturn', 'sched_yield', 'write'], action: 'SCMP_ACT_ALLOW' });
    const enosys = g.profile.syscalls!.find((r) => r.errnoRet === 38)!;
    assert.deepEqual(enosys.names, ['clone3', 'io_uring_setup']);
    assert.deepEqual(g.refused.map((r) => `${r.name}:${r.errno}`), ['io_uring_setup:ENOSYS', 'mount:EPERM']);
    assert.deepEqual(g.profile.syscalls!.at(-1), { names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 });
  });

  it('allows socket only for the families used (IPv4 brings IPv6), never AF_VSOCK; personality only with the values seen', () => {
    const g = generateProfile([call('socket', 3, { firstArgs: [1, 2, 40] }), call('personality', 2, { firstArgs: [0, 0x40000] })], ['aarch64', 'arm']);
    const socket = g.profile.syscalls!.filter((r) => r.names[0] === 'socket').map((r) => r.args![0].value);
    assert.deepEqual(socket, [1, 2, 10]);
    const pers = g.profile.syscalls!.filter((r) => r.names[0] === 'personality').map((r) => r.args![0]);
    assert.deepEqual(pers, [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }, { index: 0, value: 0x40000, op: 'SCMP_CMP_EQ' }]);
    assert.deepEqual(g.allowed, ['personality', 'restart_syscall', 'rt_sigreturn', 'sched_yield', 'socket']);
  });

  it('is deterministic: the same recordings in any order give the same bytes', () => {
    const a = rec('2026-01-01T00:00:00Z', [call('b'), call('a')]);
    const b = rec('2026-01-02T00:00:00Z', [call('c')]);
    const one = profileText(generateProfile(mergeRecordings([a, b]), ['x86_64']).profile);
    const two = profileText(generateProfile(mergeRecordings([b, a]), ['x86_64']).profile);
    assert.equal(one, two);
    assert.ok(one.endsWith('}\n'));
  });
});

describe('seccomp profile file check', () => {
  it('accepts a generated profile', () => {
    const p = profileText(generateProfile([call('read')], ['x86_64']).profile);
    assert.equal(parseProfile(p, 'p.json').defaultAction, 'SCMP_ACT_ERRNO');
  });
  it('names the line and column of a JSON error', () => {
    assert.throws(() => parseProfile('{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [,]\n}', 'p.json'), /p\.json is not valid JSON: \w+ at line 3, column 16/);
    assert.throws(() => parseProfile('{ // c\n}', 'p.json'), /not valid JSON.*line 1/);
  });
  it('names the field that is not a valid profile', () => {
    assert.throws(() => parseProfile('[]', 'p.json'), /not a valid seccomp profile: the top level must be an object/);
    assert.throws(() => parseProfile('{"defaultAction":"ALLOW"}', 'p.json'), /defaultAction must be one of SCMP_ACT_KILL/);
    assert.throws(() => parseProfile('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"},{"names":[],"action":"SCMP_ACT_ALLOW"}]}', 'p.json'), /syscalls\[1\]\.names must be a non-empty list/);
    assert.throws(() => parseProfile('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":7,"value":1,"op":"SCMP_CMP_EQ"}]}]}', 'p.json'), /syscalls\[0\]\.args\[0\]\.index must be 0 to 5/);
    assert.throws(() => parseProfile('{"defaultAction":"SCMP_ACT_ERRNO","architectures":["x86_64"]}', 'p.json'), /architectures\[0\] must be an SCMP_ARCH_ name/);
  });
});

describe('seccomp strace parser', () => {
  const ID = 'a'.repeat(64);
  const trace = [
    `100 read(3, "", 1)                 = 0`,
    `100 clone(child_stack=NULL, flags=0x4100|17) = 200`,
    `200 execve("/usr/sbin/runc", ["runc", "create", "${ID}"], 0x1 /* 1 vars */) = 0`,
    `200 clone(child_stack=NULL, flags=0x8000|17 <unfinished ...>`,
    `201 getpid()                       = 1`,
    `200 <... clone resumed>)           = 201`,
    `201 execveat(6, "", ["runc", "init"], 0x1, 0x1000) = 0`,
    `201 clone3({flags=0x3d0f00, exit_signal=0} <unfinished ...>`,
    `201 <... clone3 resumed> => {parent_tid=[202]}, 88) = 202`,
    `201 mount("a", "b", 0x0, 0x0, NULL) = 0`,
    `201 prctl(0x16, 0x2, {len=9, filter=0xc0001b0080}) = 0`,
    `202 futex(0x1, 0x80, 0, NULL)      = 0`,
    `201 capset({version=0x20080522, pid=0}, {effective=0}) = 0`,
    `201 execve("/bin/sh", ["sh", "-c", "x"], 0x1 /* 3 vars */) = 0`,
    `201 personality(0xffffffff)        = 0`,
    `201 socket(0x28, 0x1, 0)           = -1 EHWPOISON (Memory page has hardware error)`,
    `201 mount("a", "b", 0x0, 0x0, NULL) = -1 EPERM (Operation not permitted)`,
    `201 vfork( <unfinished ...>`,
    `203 write(1, "x", 1)              = 1`,
    `201 <... vfork resumed>)           = 203`,
    `203 exit_group(0)                  = ?`,
    `300 prctl(0x16, 0x2, {len=9, filter=0x1}) = 0`,
    `300 write(1, "other container", 15) = 15`,
    `201 accept4(3, NULL, NULL, 0x80000 <unfinished ...>`,
  ].join('\n');

  it('keeps only the calls made under this container\'s filter, with the process and personality values', () => {
    const t = parseTrace(trace, ID);
    assert.ok(t.sawFilter);
    const names = [...t.calls.keys()].sort();
    // the runtime's calls before the load (mount, getpid) and another container's are left out;
    // a thread made before the load (futex) and a child whose first call came before the vfork's return (write) count
    assert.deepEqual(names, ['accept4', 'capset', 'execve', 'exit_group', 'futex', 'mount', 'personality', 'socket', 'vfork', 'write']);
    assert.equal(t.calls.get('capset')!.firstExe, 'runc init');
    assert.equal(t.calls.get('personality')!.firstExe, '/bin/sh');
    assert.deepEqual(t.calls.get('personality')!.firstArgs, [0xffffffff]);
    assert.deepEqual(t.calls.get('socket')!.firstArgs, [40]);
    assert.equal(t.calls.get('mount')!.failed, 1);
    assert.equal(t.calls.get('write')!.firstExe, '/bin/sh');
    // every program that made a call, not only the first
    assert.deepEqual(t.calls.get('capset')!.programs, ['runc init']);
    assert.deepEqual(t.calls.get('exit_group')!.programs, ['/bin/sh']);
  });

  it('lists calls answered with the validation errno as denials, by process', () => {
    const t = parseTrace(trace, ID, 'EHWPOISON');
    assert.deepEqual([...t.denied.entries()], [['socket', { count: 1, exes: ['/bin/sh'] }]]);
  });

  it('follows threads and children made inside the container\'s PID namespace by strace\'s translated pid', () => {
    const ns = [
      `500 execve("/usr/sbin/runc", ["runc", "create", "${ID}"], 0x1 /* 1 vars */) = 0`,
      `500 prctl(0x16, 0x2, {len=9, filter=0xc0001b0080}) = 0`,
      `500 execve("/usr/bin/python3", ["python3", "app.py"], 0x1 /* 3 vars */) = 0`,
      // a thread per request: clone3 returns 7 in the container, 3111 on the host
      `500 clone3({flags=0x3d0f00, exit_signal=0} => {parent_tid=[7 /* 3111 in strace's PID NS */]}, 88) = 7 /* 3111 in strace's PID NS */`,
      `3111 recvfrom(4, "GET / HTTP/1.1", 65537, 0, NULL, NULL) = 14`,
      `3111 sendto(4, "HTTP/1.1 200 OK", 15, 0, NULL, 0) = 15`,
      `500 clone(child_stack=NULL, flags=0x1200000|17, child_tidptr=0x1) = 8 /* 3112 in strace's PID NS */`,
      `3112 wait4(-1, NULL, 0, NULL)      = -1 ECHILD (No child processes)`,
      `3999 recvmsg(3, 0x1, 0)             = 1`,
    ].join('\n');
    const t = parseTrace(ns, ID);
    assert.deepEqual([...t.calls.keys()].sort(), ['clone', 'clone3', 'execve', 'recvfrom', 'sendto', 'wait4']);
    assert.equal(t.calls.get('recvfrom')!.firstExe, '/usr/bin/python3');
  });

  it('says when the filter load was never seen', () => {
    assert.equal(parseTrace(trace, 'b'.repeat(64)).sawFilter, false);
  });
});
