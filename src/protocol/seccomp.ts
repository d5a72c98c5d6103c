import { RequestType } from 'vscode-jsonrpc/lib/common/messages';
import type { RuntimeTarget } from './target';

// ---------------------------------------------------------------------------------------------
// Seccomp: profiles made from what the workload really does (src/engine/seccomp). Recording and
// validation run the workload in a temporary container traced from the host; they need trust.
// Progress notifications carry the request's progressToken; each request can be cancelled.

export interface SeccompWorkloadParams extends RuntimeTarget {
  /** The folder is trusted (Workspace Trust in the editor, the trust store or --trust in hb). */
  trusted: boolean;
  /** The command; default customizations.hyperbox.devCommand, else the detected dev command. */
  command?: string[];
  /** Stop the workload after this many seconds. */
  durationS?: number;
  /** record: how (default: the kernel's seccomp log when it can be read, else strace). */
  mechanism?: 'strace' | 'seccomp-log';
}

export interface SeccompRecordResult {
  /** The recording's file (under the cache folder). */
  file: string;
  workspaceFolder: string;
  /** How it was recorded: strace, or the kernel's seccomp log (no arguments or failures seen). */
  mechanism: 'strace' | 'seccomp-log';
  /** When the workload's process ended (ms since the epoch). */
  workloadEndedAt: number;
  command: string[];
  durationMs: number;
  /** null when hb stopped the workload (--duration, cancel). */
  exitCode: number | null;
  ended: 'exited' | 'stopped';
  /** Distinct syscalls in this recording, and calls in all. */
  syscalls: number;
  calls: number;
  /** Recordings of this folder so far (generate merges them). */
  recordings: number;
  warnings: string[];
}

export interface SeccompGenerateParams extends RuntimeTarget {
  /** The profile's name: .devcontainer/seccomp/<name>.json (default "default"). */
  name?: string;
}

export interface SeccompGenerateResult {
  file: string;
  /** Syscalls the profile allows (some only with argument rules), sorted. */
  allowed: string[];
  /** Distinct syscalls the recordings hold: the workload's, the container's own processes' (keep-alive, HyperBox's probe) and the runtime's. */
  distinct: number;
  recordings: number;
  /** Calls made but always refused by the kernel: kept refused. */
  refused: string[];
  /** Against the profile the file held before (empty when there was none). */
  added: string[];
  removed: string[];
  warnings: string[];
}

export interface SeccompDenial {
  name: string;
  count: number;
  /** Executables of the processes that made the call. */
  processes: string[];
}

export interface SeccompValidateParams extends SeccompWorkloadParams {
  /** The profile file (default customizations.hyperbox.seccomp.profile, else .devcontainer/seccomp/default.json). */
  profile?: string;
}

export interface SeccompValidateResult {
  file: string;
  command: string[];
  exitCode: number | null;
  ended: 'exited' | 'stopped';
  durationMs: number;
  denials: SeccompDenial[];
  /** When the workload failed: whether it fails without the profile too (then it is not the profile's doing); null when it did not fail. */
  failsWithoutProfile: boolean | null;
  /** The dev container's own process (HyperBox's keep-alive or the image's command), when it ended under the profile while the workload ran: its exit code; null when it stayed up. */
  ownProcessExit: number | null;
  ok: boolean;
  /** The workload's last output when it failed (or the container's own, when that ended). */
  logTail: string;
}

export interface SeccompApplyParams extends RuntimeTarget {
  profile?: string;
}

export interface SeccompApplyResult {
  configFile: string;
  /** customizations.hyperbox.seccomp.profile as written (relative to devcontainer.json). */
  profile: string;
  allowed: number;
}

/**
 * What the engine's own default seccomp profile allows, measured: the filter the OCI runtime loaded
 * for a container started with the engine's defaults, evaluated for every syscall number of the
 * native architecture (Docker 20.10 keeps its default profile inside dockerd; no file of it exists).
 */
export interface SeccompEngineDefault {
  version: 1;
  /** `Docker Engine 20.10.24+dfsg1`. */
  engine: string;
  /** The engine's default OCI runtime (runc, crun). */
  runtime: string;
  /** libseccomp's name of the architecture counted (x86_64). */
  arch: string;
  /** Syscalls allowed for all arguments or for some. */
  allowed: number;
  names: string[];
  /** Of those, the ones allowed only for some argument values (clone, personality). */
  conditional: string[];
  measuredAt: string;
  /** How it was measured, in words. */
  how: string;
}

/** The seccomp profile a container runs under. */
export interface SeccompInUse {
  /** `profile`: a profile file (customizations.hyperbox.seccomp.profile or a seccomp= option); `default`: the engine's own; `unconfined`: none. */
  mode: 'profile' | 'default' | 'unconfined';
  /** The profile file, relative to the workspace folder, when HyperBox applied it (its label). */
  file?: string;
  /** Syscalls the profile allows (some only for certain arguments). */
  allowed?: number;
}


/** One syscall a profile allows, with what the recordings say about it. */
export interface SeccompSyscallView {
  name: string;
  /** Calls recorded in all (null: not in any recording, e.g. a hand-edited profile). */
  count: number | null;
  /** The executable of the first process that made it. */
  firstExe: string | null;
  /** Argument rules, in words (`argument 0 = 2 (AF_INET)`); empty when allowed for every argument. */
  rules: string[];
}

export interface SeccompView {
  workspaceFolder: string;
  configFile: string;
  /** The profile file shown (customizations.hyperbox.seccomp.profile, else .devcontainer/seccomp/default.json). */
  file: string;
  exists: boolean;
  /** customizations.hyperbox.seccomp.profile as written, or null when the config does not set it. */
  configured: string | null;
  /** Why the profile could not be read or is not valid; null when it is fine or missing. */
  problem: string | null;
  allowed: number;
  /** The allowed syscalls by category (files, memory, processes, network...), each sorted by name. */
  groups: { category: string; syscalls: SeccompSyscallView[] }[];
  /** Calls the profile refuses on purpose (they failed while recording too), with the errno. */
  refused: { name: string; errno: string }[];
  /** Distinct syscalls in the recordings (the workload's, the container's own processes' and the runtime's); null without a recording. */
  distinct: number | null;
  recordings: number;
  /** What the engine's own default allows, when it was measured (while recording). */
  engineDefault: SeccompEngineDefault | null;
  /** The last generate against the profile the file held before. */
  lastGenerate: { time: string; added: string[]; removed: string[]; previous: number | null } | null;
  /** The last validation of this folder's profile. */
  validation: (SeccompValidateResult & { time: string }) | null;
}

/** client → engine: record the workload's syscalls. Cancellable. */
export const SeccompRecord = new RequestType<SeccompWorkloadParams, SeccompRecordResult, void>('hyperbox/seccomp/record');
/** client → engine: write the profile from the folder's recordings. */
export const SeccompGenerate = new RequestType<SeccompGenerateParams, SeccompGenerateResult, void>('hyperbox/seccomp/generate');
/** client → engine: run the workload under the profile and list the calls it blocks. Cancellable. */
export const SeccompValidate = new RequestType<SeccompValidateParams, SeccompValidateResult, void>('hyperbox/seccomp/validate');
/** client → engine: set customizations.hyperbox.seccomp.profile in devcontainer.json (comments kept). */
export const SeccompApply = new RequestType<SeccompApplyParams, SeccompApplyResult, void>('hyperbox/seccomp/apply');
/** client → engine: what the Seccomp panel shows for a folder (its profile, recordings, last validation). Reads only. */
export const SeccompShow = new RequestType<RuntimeTarget, SeccompView, void>('hyperbox/seccomp/show');
