// A seccomp filter as the kernel runs it: classic BPF, read from strace's decoding of the filter
// load (`prctl(PR_SET_SECCOMP, ...)` or `seccomp(SECCOMP_SET_MODE_FILTER, ...)` with `-v -X raw`),
// and evaluated for each syscall number. This is how hb counts what the engine's own default
// profile allows: Docker 20.10 compiles its default profile into dockerd and no file of it exists
// on the host, but the filter runc loads from it can be watched and read back.
//
// Arguments (and the instruction pointer) are not known: a jump that depends on them is followed
// both ways, so a call is `conditional` when some argument values are allowed and others not.

/** One instruction: `code`, jump offsets, constant. */
export interface BpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_RET_ACTION_FULL = 0xffff0000;

const num = (s: string): number => s.split('|').reduce((n, part) => (n | Number(part.trim())) >>> 0, 0);

/**
 * The instructions of a filter as strace prints it with `-X raw`:
 * `{len=N, filter=[BPF_STMT(0|0|0x20, 0x4), BPF_JUMP(0x5|0|0x10, 0xc000003e, 0x4, 0), ...]}`.
 * Throws when the text holds no filter or fewer instructions than `len` (strace abbreviated it).
 */
export function parseStraceFilter(text: string): BpfInsn[] {
  const len = /\{len=(\d+), filter=\[/.exec(text);
  if (!len) throw new Error('no seccomp filter in the traced call (strace must run with -v -X raw)');
  const out: BpfInsn[] = [];
  const re = /BPF_(STMT|JUMP)\(([^,()]+), ([^,()]+)(?:, ([^,()]+), ([^,()]+))?\)/g;
  re.lastIndex = len.index;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1] === 'STMT') out.push({ code: num(m[2]), k: num(m[3]), jt: 0, jf: 0 });
    else out.push({ code: num(m[2]), k: num(m[3]), jt: num(m[4]), jf: num(m[5]) });
  }
  if (out.length !== Number(len[1])) throw new Error(`the traced filter has ${len[1]} instructions but ${out.length} were printed (strace abbreviated it: run it with -v and a large -s)`);
  return out;
}

export type Verdict = 'allow' | 'conditional' | 'deny';

/** A value in the accumulator: known, or one that depends on the call's arguments. */
type Val = number | undefined;

/**
 * What the filter does with syscall `nr` on `arch`: `allow` when every path returns
 * SECCOMP_RET_ALLOW, `conditional` when some argument values are allowed, `deny` otherwise.
 */
export function verdict(prog: BpfInsn[], arch: number, nr: number): Verdict {
  const results = new Set<number | 'unknown'>();
  let budget = 200_000;
  const load = (off: number): Val => (off === 0 ? nr : off === 4 ? arch : undefined);
  const run = (pc: number, a: Val, x: Val, mem: Val[]): void => {
    while (pc < prog.length) {
      if (--budget < 0) throw new Error('the filter has too many argument-dependent paths to evaluate');
      const { code, jt, jf, k } = prog[pc];
      const cls = code & 0x07;
      if (cls === 0x00 /* LD */) {
        const mode = code & 0xe0;
        if (mode === 0x20 /* ABS */) a = (code & 0x18) === 0 ? load(k) : undefined;
        else if (mode === 0x00 /* IMM */) a = k;
        else if (mode === 0x60 /* MEM */) a = mem[k];
        else if (mode === 0x80 /* LEN */) a = 64;
        else a = undefined;
      } else if (cls === 0x01 /* LDX */) {
        const mode = code & 0xe0;
        x = mode === 0x00 ? k : mode === 0x60 ? mem[k] : mode === 0x80 ? 64 : undefined;
      } else if (cls === 0x02 /* ST */) {
        mem = [...mem];
        mem[k] = a;
      } else if (cls === 0x03 /* STX */) {
        mem = [...mem];
        mem[k] = x;
      } else if (cls === 0x04 /* ALU */) {
        const src = code & 0x08 ? x : k;
        const op = code & 0xf0;
        if (a === undefined || src === undefined) a = op === 0x80 /* NEG */ && a !== undefined ? -a >>> 0 : undefined;
        else if (op === 0x00) a = (a + src) >>> 0;
        else if (op === 0x10) a = (a - src) >>> 0;
        else if (op === 0x20) a = Math.imul(a, src) >>> 0;
        else if (op === 0x30) a = src === 0 ? undefined : Math.floor(a / src) >>> 0;
        else if (op === 0x40) a = (a | src) >>> 0;
        else if (op === 0x50) a = (a & src) >>> 0;
        else if (op === 0x60) a = (a << src) >>> 0;
        else if (op === 0x70) a = a >>> src;
        else if (op === 0x80) a = -a >>> 0;
        else if (op === 0x90) a = src === 0 ? undefined : a % src;
        else if (op === 0xa0) a = (a ^ src) >>> 0;
        else throw new Error(`unknown BPF ALU operation 0x${code.toString(16)} at ${pc}`);
      } else if (cls === 0x05 /* JMP */) {
        const op = code & 0xf0;
        if (op === 0x00 /* JA */) {
          pc += 1 + k;
          continue;
        }
        const src = code & 0x08 ? x : k;
        let taken: boolean | undefined;
        if (a !== undefined && src !== undefined) {
          if (op === 0x10) taken = a === src;
          else if (op === 0x20) taken = a > src;
          else if (op === 0x30) taken = a >= src;
          else if (op === 0x40) taken = (a & src) !== 0;
          else throw new Error(`unknown BPF jump 0x${code.toString(16)} at ${pc}`);
        }
        if (taken === undefined) {
          // depends on an argument: both ways
          run(pc + 1 + jt, a, x, mem);
          pc += 1 + jf;
        } else pc += 1 + (taken ? jt : jf);
        continue;
      } else if (cls === 0x06 /* RET */) {
        const src = code & 0x18;
        const v = src === 0x10 ? a : src === 0 ? k : x;
        results.add(v === undefined ? 'unknown' : v);
        return;
      } else if (cls === 0x07 /* MISC */) {
        if (code & 0x80) a = x; /* TXA */
        else x = a; /* TAX */
      }
      pc++;
    }
    throw new Error('the filter ends without a return');
  };
  run(0, undefined, undefined, []);
  const allows = [...results].map((r) => r !== 'unknown' && ((r & SECCOMP_RET_ACTION_FULL) >>> 0) === SECCOMP_RET_ALLOW);
  if (allows.every(Boolean)) return 'allow';
  return allows.some(Boolean) ? 'conditional' : 'deny';
}

/** The syscall numbers 0..max the filter allows on `arch`, for all arguments or for some. */
export function allowedNumbers(prog: BpfInsn[], arch: number, max: number): { always: number[]; conditional: number[] } {
  const always: number[] = [];
  const conditional: number[] = [];
  for (let nr = 0; nr <= max; nr++) {
    const v = verdict(prog, arch, nr);
    if (v === 'allow') always.push(nr);
    else if (v === 'conditional') conditional.push(nr);
  }
  return { always, conditional };
}
