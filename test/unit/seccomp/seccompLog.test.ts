// Recording through the kernel's seccomp log: the audit records read from /dev/kmsg (only SCMP_ACT_LOG
// records after the start, the process named by its executable or, for runc's memfd init, its
// command), every sign that records were lost, and the profile's argument rules when a recording
// could not see arguments.
import { strict as assert } from 'node:assert';
import { parseKmsg } from '../../../src/engine/seccomp/seccompLog';
import { programName } from '../../../src/engine/seccomp/strace';
import { generateProfile, mergeRecordings } from '../../../src/engine/seccomp/profile';
import type { SeccompRecording, SyscallRecord } from '../../../src/engine/seccomp/types';

const audit = (seq: number, serial: number, body: string) => `5,${seq},${23000000000 + seq},-;audit: type=1326 audit(1796405094.992:${serial}): auid=4294967295 uid=0 gid=0 ses=4294967295 ${body}`;
const log = (seq: number, serial: number, pid: number, comm: string, exe: string, nr: number, code = '0x7ffc0000') =>
  audit(seq, serial, `pid=${pid} comm="${comm}" exe=${exe} sig=0 arch=c000003e syscall=${nr} compat=0 ip=0x40828e code=${code}`);

describe('seccomp log records (kernel log)', () => {
  it('keeps the SCMP_ACT_LOG records after the start, naming the process by its executable, or its command when that is runc\'s memfd', () => {
    const text = [
      log(10, 100, 7, 'sh', '"/bin/sh"', 0), // before the start
      log(11, 101, 8, 'runc:[2:INIT]', '"/"', 72),
      '6,12,23000000012,-;docker0: port 4(veth1) entered disabled state',
      log(13, 102, 9, 'python3', '"/usr/bin/python3.11"', 45),
      log(14, 103, 9, 'python3', '"/usr/bin/python3.11"', 45, '0x50001'), // an ERRNO action: not a record of ours
      // a path with a space is hex-encoded by the audit subsystem
      log(15, 104, 10, 'my app', Buffer.from('/opt/my app').toString('hex').toUpperCase(), 1),
      ' SUBSYSTEM=continuation',
    ].join('\n');
    const r = parseKmsg(text, 10);
    assert.equal(r.lost, undefined);
    assert.deepEqual(
      r.records.map((x) => [x.pid, x.exe, x.arch, x.nr]),
      [
        [8, 'runc:[2:INIT]', 'c000003e', 72],
        [9, '/usr/bin/python3.11', 'c000003e', 45],
        [10, '/opt/my app', 'c000003e', 1],
      ],
    );
    assert.deepEqual(r.records.map((x) => x.program), ['runc:[2:INIT]', '/usr/bin/python3.11', '/opt/my app']);
  });

  it('reads a record whose subject (an AppArmor profile) holds a space, as the kernel writes it', () => {
    const line = audit(11, 101, 'subj=docker-default (enforce) pid=17195 comm="sh" exe="/bin/busybox" sig=0 arch=c000003e syscall=61 compat=0 ip=0x460a63 code=0x7ffc0000');
    const r = parseKmsg(line, 10);
    assert.deepEqual(r.records.map((x) => [x.pid, x.exe, x.program, x.arch, x.nr]), [[17195, '/bin/busybox', '/bin/busybox sh', 'c000003e', 61]]);
  });

  it('names a busybox applet\'s process by the applet as well (the keep-alive\'s sh and sleep, the probe\'s cat are one executable)', () => {
    const r = parseKmsg([log(11, 101, 8, 'sleep', '"/bin/busybox"', 230), log(12, 102, 9, 'sh', '"/bin/busybox"', 61)].join('\n'), 10);
    assert.deepEqual(r.records.map((x) => x.program), ['/bin/busybox sleep', '/bin/busybox sh']);
    assert.equal(programName('/usr/bin/busybox', 'busybox'), '/usr/bin/busybox');
    assert.equal(programName('/usr/local/bin/node', 'V8 Worker'), '/usr/local/bin/node');
  });

  it('says records were lost: a gap in the log\'s sequence, a gap in the audit serials, or the kernel saying it suppressed some', () => {
    const seqGap = parseKmsg([log(11, 101, 8, 'sh', '"/bin/sh"', 0), log(14, 102, 8, 'sh', '"/bin/sh"', 1)].join('\n'), 10);
    assert.match(seqGap.lost!, /skipped records 12-13/);
    const serialGap = parseKmsg([log(11, 101, 8, 'sh', '"/bin/sh"', 0), log(12, 105, 8, 'sh', '"/bin/sh"', 1)].join('\n'), 10);
    assert.match(serialGap.lost!, /audit records 102-104 never reached/);
    const suppressed = parseKmsg([log(11, 101, 8, 'sh', '"/bin/sh"', 0), '4,12,23000000012,-;kauditd_printk_skb: 247 callbacks suppressed'].join('\n'), 10);
    assert.match(suppressed.lost!, /247 callbacks suppressed/);
  });

  it('a recording that could not see arguments gets Docker\'s argument rules for socket and personality, even merged with one that saw them', () => {
    const rec = (time: string, syscalls: SyscallRecord[]): SeccompRecording => ({ version: 1, time, command: ['x'], image: 'i', durationMs: 5000, exitCode: 0, ended: 'exited', syscalls });
    const call = (name: string, extra: Partial<SyscallRecord> = {}): SyscallRecord => ({ name, count: 1, firstExe: '/bin/x', failed: 0, errnos: [], ...extra });
    const merged = mergeRecordings([
      rec('2026-01-01T00:00:00Z', [call('socket', { firstArgs: [1] }), call('personality', { firstArgs: [0xffffffff] })]),
      rec('2026-01-02T00:00:00Z', [call('socket', { argsUnknown: true }), call('personality', { argsUnknown: true }), call('read')]),
    ]);
    const g = generateProfile(merged, ['x86_64']);
    assert.deepEqual(g.allowed, ['personality', 'read', 'restart_syscall', 'rt_sigreturn', 'sched_yield', 'socket']);
    const socket = g.profile.syscalls!.filter((r) => r.names[0] === 'socket');
    assert.deepEqual(socket.map((r) => r.args), [[{ index: 0, value: 40, op: 'SCMP_CMP_NE' }]]);
    const personality = g.profile.syscalls!.filter((r) => r.names[0] === 'personality').map((r) => r.args![0].value);
    assert.deepEqual(personality, [0x0, 0x8, 0x20000, 0x20008, 0xffffffff]);
  });
});
