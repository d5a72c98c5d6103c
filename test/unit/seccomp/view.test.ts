// What the Seccomp panel and hb status show, from pure logic: syscalls grouped by category with
// argument rules in words and the recordings' counts; the profile a container runs under read
// from its security options; and where devcontainer.json gets the offer to generate a profile.
import { strict as assert } from 'node:assert';
import { seccompInUse } from '../../../src/engine/live/seccomp';
import { categoryOf, describeArg } from '../../../src/engine/seccomp/categories';
import { generateProfile } from '../../../src/engine/seccomp/profile';
import type { SyscallRecord } from '../../../src/engine/seccomp/types';
import { groupProfile } from '../../../src/engine/seccomp/view';
import { seccompOffers } from '../../../src/extension/seccompOffer';
import { seccompText } from '../../../src/protocol';

const rec = (name: string, count: number, firstExe = '/usr/bin/python3', extra: Partial<SyscallRecord> = {}): SyscallRecord => ({ name, count, firstExe, failed: 0, errnos: [], ...extra });

describe('the Seccomp panel\'s view of a profile', () => {
  const calls = [
    rec('read', 40),
    rec('openat', 12),
    rec('mmap', 9),
    rec('clone', 3),
    rec('rt_sigaction', 5),
    rec('recvfrom', 200),
    rec('socket', 2, '/usr/bin/python3', { firstArgs: [2] }),
    rec('personality', 1, 'runc init', { firstArgs: [0xffffffff] }),
    rec('epoll_ctl', 7, '/usr/bin/python3', { failed: 7, errnos: ['EPERM'] }),
    rec('clock_nanosleep', 10),
    rec('capset', 1, 'runc init'),
    rec('frobnicate_x', 1),
  ];
  const { profile } = generateProfile(calls, ['x86_64']);

  it('groups the allowed calls by category, each with its count, first process and argument rules', () => {
    const v = groupProfile(profile, calls);
    const by = Object.fromEntries(v.groups.map((g) => [g.category, g.syscalls.map((s) => s.name)]));
    assert.deepEqual(by, {
      files: ['openat', 'read'],
      memory: ['mmap'],
      processes: ['clone', 'personality', 'sched_yield'],
      signals: ['restart_syscall', 'rt_sigaction', 'rt_sigreturn'],
      network: ['recvfrom', 'socket'],
      time: ['clock_nanosleep'],
      'identity & security': ['capset'],
      other: ['frobnicate_x'],
    });
    const socket = v.groups.find((g) => g.category === 'network')!.syscalls.find((s) => s.name === 'socket')!;
    assert.deepEqual(socket.rules, ['argument 0 = 2 (AF_INET)', 'argument 0 = 10 (AF_INET6)']);
    const personality = v.groups.find((g) => g.category === 'processes')!.syscalls.find((s) => s.name === 'personality')!;
    assert.deepEqual(personality, { name: 'personality', count: 1, firstExe: 'runc init', rules: ['argument 0 = 4294967295 (query)'] });
    assert.deepEqual(v.groups.find((g) => g.category === 'files')!.syscalls[1], { name: 'read', count: 40, firstExe: '/usr/bin/python3', rules: [] });
    assert.equal(v.allowed, 14);
    // the base set is allowed without a recording: no count, no first process
    assert.deepEqual(v.groups.find((g) => g.category === 'signals')!.syscalls.find((s) => s.name === 'restart_syscall'), { name: 'restart_syscall', count: null, firstExe: null, rules: [] });
    assert.deepEqual(v.refused, [{ name: 'clone3', errno: 'ENOSYS' }, { name: 'epoll_ctl', errno: 'EPERM' }]);
  });

  it('shows a hand-written profile without recordings (no counts)', () => {
    const v = groupProfile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['write', 'exit_group'], action: 'SCMP_ACT_ALLOW' }] }, []);
    assert.deepEqual(v.groups.map((g) => [g.category, g.syscalls.map((s) => [s.name, s.count])]), [['files', [['write', null]]], ['processes', [['exit_group', null]]]]);
  });

  it('names categories and argument conditions', () => {
    assert.equal(categoryOf('newfstatat'), 'files');
    assert.equal(categoryOf('epoll_pwait'), 'events');
    assert.equal(categoryOf('setresuid'), 'identity & security');
    assert.equal(describeArg('clone', { index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }), 'argument 0 & 0x7e020000 = 0');
  });
});

describe('the seccomp profile a container runs under', () => {
  it('reads it from the security options and HyperBox\'s label', () => {
    const json = JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }, { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }] }, { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }] });
    const inUse = seccompInUse([`seccomp=${json}`, 'no-new-privileges'], { 'hyperbox.seccomp.profile': '.devcontainer/seccomp/default.json' });
    assert.deepEqual(inUse, { mode: 'profile', file: '.devcontainer/seccomp/default.json', allowed: 3 });
    assert.equal(seccompText(inUse), '.devcontainer/seccomp/default.json (3 syscalls allowed)');
    assert.deepEqual(seccompInUse(['seccomp=unconfined'], {}), { mode: 'unconfined' });
    assert.equal(seccompText(seccompInUse(null, {})), "the engine's default profile");
  });
});

describe('the offer to generate a seccomp profile in devcontainer.json', () => {
  it('is made on each seccomp=unconfined in securityOpt or runArgs', () => {
    const text = '{\n  // Go\n  "image": "x",\n  "runArgs": ["--cap-add=SYS_PTRACE", "--security-opt", "seccomp=unconfined"],\n  "securityOpt": ["seccomp:unconfined"]\n}\n';
    const offers = seccompOffers(text);
    assert.deepEqual(offers.map((o) => [text.slice(o.start, o.end), o.kind]), [['"seccomp:unconfined"', 'unconfined'], ['"seccomp=unconfined"', 'unconfined']]);
  });

  it('is made on what the container is made from when no profile is set, and not once one is', () => {
    const none = '{ "build": { "dockerfile": "Dockerfile" } }';
    assert.deepEqual(seccompOffers(none).map((o) => [none.slice(o.start, o.end), o.kind]), [['"build"', 'none']]);
    assert.deepEqual(seccompOffers('{ "image": "x", "customizations": { "hyperbox": { "seccomp": { "profile": "seccomp/default.json" } } } }'), []);
    assert.deepEqual(seccompOffers('not json ['), []);
  });
});
