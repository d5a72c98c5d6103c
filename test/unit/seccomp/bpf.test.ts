// The seccomp filter evaluator that counts what the engine's default profile allows: strace's raw
// decoding read back, arch checks, argument-dependent rules followed both ways, and a filter that
// strace abbreviated refused rather than miscounted.
import { strict as assert } from 'node:assert';
import { allowedNumbers, AUDIT_ARCH_X86_64, parseStraceFilter, verdict } from '../../../src/engine/seccomp/bpf';

// A filter as runc loads it, written the way `strace -v -X raw` prints it:
//  0 load arch; if not x86_64 → kill
//  2 load nr; 0 (read) → allow; 1 (write) → check argument 0; 2 (open) → errno; else errno
//  8 argument 0 (low word) = 2 → allow, else errno
const FILTER = [
  'BPF_STMT(0|0|0x20, 0x4)',
  'BPF_JUMP(0x5|0|0x10, 0xc000003e, 0x1, 0)',
  'BPF_STMT(0x6|0, 0)',
  'BPF_STMT(0|0|0x20, 0)',
  'BPF_JUMP(0x5|0|0x10, 0, 0x6, 0)',
  'BPF_JUMP(0x5|0|0x10, 0x1, 0x1, 0)',
  'BPF_STMT(0x6|0, 0x50001)',
  'BPF_STMT(0x5|0|0, 0)',
  'BPF_STMT(0|0|0x20, 0x10)',
  'BPF_JUMP(0x5|0|0x10, 0x2, 0x1, 0)',
  'BPF_STMT(0x6|0, 0x50001)',
  'BPF_STMT(0x6|0, 0x7fff0000)',
];
const line = (insns: string[], len = insns.length) => `1234 prctl(0x16, 0x2, {len=${len}, filter=[${insns.join(', ')}]}) = 0`;

describe('seccomp filter evaluation', () => {
  const prog = parseStraceFilter(line(FILTER));

  it('reads every instruction strace printed', () => {
    assert.equal(prog.length, FILTER.length);
    assert.deepEqual(prog[1], { code: 0x15, k: 0xc000003e, jt: 1, jf: 0 });
  });

  it('allows, allows for some arguments, or denies each syscall number', () => {
    assert.equal(verdict(prog, AUDIT_ARCH_X86_64, 0), 'allow');
    assert.equal(verdict(prog, AUDIT_ARCH_X86_64, 1), 'conditional');
    assert.equal(verdict(prog, AUDIT_ARCH_X86_64, 2), 'deny');
    assert.equal(verdict(prog, 0x40000003, 0), 'deny', 'another architecture is killed');
    assert.deepEqual(allowedNumbers(prog, AUDIT_ARCH_X86_64, 10), { always: [0], conditional: [1] });
  });

  it('refuses a filter strace abbreviated, and text without a filter', () => {
    assert.throws(() => parseStraceFilter(line(FILTER.slice(0, 5), FILTER.length)), /12 instructions but 5 were printed/);
    assert.throws(() => parseStraceFilter('1234 prctl(0x16, 0x2, {len=12, filter=0xc000010000}) = 0'), /no seccomp filter/);
  });
});
