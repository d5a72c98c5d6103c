// What a seccomp recording holds (saved under the cache folder, merged by `hb seccomp generate`).

export interface SyscallRecord {
  name: string;
  count: number;
  /** The executable of the first process that made the call. */
  firstExe: string;
  /**
   * Every program that made the call (executables, sorted; busybox applets and runc's init named
   * by their command too): what tells the workload's own calls from those only the container's
   * other processes (its keep-alive, HyperBox's environment probe, the runtime's exec) needed.
   * Absent in recordings made before it was kept.
   */
  programs?: string[];
  /** Calls that failed with EPERM or ENOSYS (the kernel refused them, not a filter: recording runs unfiltered). */
  failed: number;
  errnos: string[];
  /** First-argument values seen, for calls whose profile rule looks at it (personality, socket). */
  firstArgs?: number[];
  /** The recording could not see arguments (the kernel's seccomp log): firstArgs is not all there is. */
  argsUnknown?: boolean;
}

export interface SeccompRecording {
  version: 1;
  /** ISO time the recording started. */
  time: string;
  command: string[];
  image: string;
  durationMs: number;
  exitCode: number | null;
  /** Why the workload ended: it exited by itself, or hb stopped it after --duration. */
  ended: 'exited' | 'stopped';
  /**
   * How the calls were recorded: strace (counts, arguments and failures seen), or the kernel's
   * seccomp log (counts and the first process seen; arguments and failures not). Absent: strace.
   */
  mechanism?: 'strace' | 'seccomp-log';
  syscalls: SyscallRecord[];
}
