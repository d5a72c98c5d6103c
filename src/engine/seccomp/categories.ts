// What a syscall is for, in a word, for the Seccomp panel's groups; and argument rules in words.
// The categories follow the families of the kernel's syscall names (open*, *stat*, epoll_*, rt_sig*,
// set*id...): a call no pattern matches is "other", so the table needs no entry per syscall.

export const CATEGORIES = ['files', 'memory', 'processes', 'signals', 'network', 'events', 'time', 'identity & security', 'system', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];

const RULES: [Category, RegExp][] = [
  ['network', /^(socket|socketpair|bind|listen|accept4?|connect|getsockname|getpeername|(get|set)sockopt|shutdown|send(to|msg|mmsg)?|recv(from|msg|mmsg)?|sethostname|setdomainname)$/],
  ['signals', /^(rt_sig\w*|sig\w*|kill|tkill|tgkill|pidfd_send_signal|pause|restart_syscall|alarm)$/],
  ['events', /^(epoll\w*|e?poll|ppoll|p?select\w*|_newselect|eventfd2?|signalfd4?|timerfd\w*|inotify\w*|fanotify\w*|io_uring\w*|io_(setup|destroy|submit|cancel|getevents|pgetevents))$/],
  ['time', /^(clock_\w+|nanosleep|gettimeofday|settimeofday|time|times|adjtimex|timer_\w+|getitimer|setitimer)$/],
  ['memory', /^(brk|mmap2?|munmap|mremap|mprotect|madvise|mlock\w*|munlock\w*|mincore|msync|membarrier|mbind|(get|set)_mempolicy|migrate_pages|move_pages|memfd_\w+|pkey_\w+|remap_file_pages|process_madvise|shm\w+)$/],
  ['processes', /^(clone3?|v?fork|execve(at)?|exit(_group)?|wait4|waitid|waitpid|getpid|getppid|gettid|set_tid_address|(get|set)_robust_list|futex\w*|sched_\w+|(get|set)priority|prctl|arch_prctl|personality|(get|set|p)rlimit(64)?|getrusage|setsid|getsid|setpgid|getpgid|getpgrp|unshare|setns|pidfd_\w+|kcmp|rseq|process_vm_\w+|ptrace|ioprio_\w+|set_thread_area|get_thread_area)$/],
  ['identity & security', /^(set|get)(res)?[ug]id(32)?$|^(get|set)(e|fs)?[ug]id(32)?$|^(getgroups|setgroups)(32)?$|^(capget|capset|seccomp|landlock_\w+|keyctl|add_key|request_key)$/],
  ['system', /^(uname|sysinfo|syslog|getrandom|getcpu|mount|umount2?|pivot_root|chroot|reboot|swapo(n|ff)|sysfs|ustat|statfs|fstatfs|quotactl|init_module|finit_module|delete_module|kexec_\w+|bpf|perf_event_open|acct|vhangup|iopl|ioperm|open_tree|move_mount|fs(open|config|mount|pick)|mount_setattr|setdomainname|sync|syncfs)$/],
  [
    'files',
    /^(open(at2?)?|creat|close(_range)?|read|readv|pread64|preadv2?|write|writev|pwrite64|pwritev2?|lseek|_llseek|\w*stat\w*|access|faccessat2?|dup[23]?|pipe2?|fcntl(64)?|ioctl|flock|fsync|fdatasync|sync_file_range|truncate|ftruncate|fallocate|fadvise64|readahead|getdents(64)?|getcwd|chdir|fchdir|rename(at2?)?|mkdir(at)?|rmdir|link(at)?|unlink(at)?|symlink(at)?|readlink(at)?|chmod|fchmod(at)?|chown|fchown(at)?|lchown|umask|utime|utimes|utimensat|futimesat|mknod(at)?|sendfile(64)?|splice|tee|vmsplice|copy_file_range|\w*xattr|name_to_handle_at|open_by_handle_at|close_range)$/,
  ],
];

/** The category of a syscall name ("other" when no family matches). */
export function categoryOf(name: string): Category {
  for (const [c, re] of RULES) if (re.test(name)) return c;
  return 'other';
}

const SOCKET_FAMILIES: Record<number, string> = { 1: 'AF_UNIX', 2: 'AF_INET', 10: 'AF_INET6', 16: 'AF_NETLINK', 17: 'AF_PACKET', 40: 'AF_VSOCK' };
const PERSONALITIES: Record<number, string> = { 0: 'PER_LINUX', 8: 'PER_LINUX32', 0x20000: 'UNAME26', 0x20008: 'UNAME26 | PER_LINUX32', 0x40000: 'ADDR_NO_RANDOMIZE', 0xffffffff: 'query' };
const OPS: Record<string, string> = { SCMP_CMP_EQ: '=', SCMP_CMP_NE: '≠', SCMP_CMP_LT: '<', SCMP_CMP_LE: '≤', SCMP_CMP_GT: '>', SCMP_CMP_GE: '≥', SCMP_CMP_MASKED_EQ: '& mask =' };

/** One argument condition in words: `argument 0 = 2 (AF_INET)`. */
export function describeArg(name: string, a: { index: number; value: number; valueTwo?: number; op: string }): string {
  if (a.op === 'SCMP_CMP_MASKED_EQ') return `argument ${a.index} & 0x${a.value.toString(16)} = ${a.valueTwo ?? 0}`;
  const known = a.index === 0 ? (name === 'socket' ? SOCKET_FAMILIES[a.value] : name === 'personality' ? PERSONALITIES[a.value] : undefined) : undefined;
  return `argument ${a.index} ${OPS[a.op] ?? a.op} ${a.value}${known ? ` (${known})` : ''}`;
}
