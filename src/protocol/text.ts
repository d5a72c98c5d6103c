// The protocol's values in words, as hb and the HyperBox view both show them. Pure: no run-time
// imports (not even the JSON-RPC library), so the CLI's command chunks that print these do not load
// the message constants of index.ts.
import type { SeccompInUse } from './seccomp';

/** The seccomp profile in use, in words (hb status, the HyperBox view). */
export function seccompText(s: SeccompInUse | undefined): string {
  if (!s || s.mode === 'default') return "the engine's default profile";
  if (s.mode === 'unconfined') return 'unconfined (no seccomp filter)';
  return `${s.file ?? 'a custom profile'}${s.allowed !== undefined ? ` (${s.allowed} syscalls allowed)` : ''}`;
}
