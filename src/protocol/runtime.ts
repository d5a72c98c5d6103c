import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc/lib/common/messages';
import type { SeccompInUse } from './seccomp';
import type { RuntimeTarget } from './target';

// ---------------------------------------------------------------------------------------------
// Runtime: dev containers on the Docker engine (also the shapes `hb up/status/ps --json` print)

export type ContainerStateName = 'running' | 'stopped' | 'stale' | 'missing' | 'error';

export interface PortMapping {
  containerPort: number;
  protocol: string;
  hostIp: string;
  hostPort: number;
}

/** One mount of a dev container (Docker's `Mounts` of the inspected container). */
export interface MountSummary {
  /** `bind`, `volume`, `tmpfs`, `npipe`, ... */
  type: string;
  /** The host path (bind), the volume's name (volume), or null (tmpfs). */
  source: string | null;
  /** Where it appears in the container. */
  target: string;
  readOnly: boolean;
}

export interface ContainerSummary {
  /** The local folder the dev container belongs to. */
  folder: string;
  configFile: string | null;
  containerId: string | null;
  name: string | null;
  /** `stale` when the container exists but its inputs changed (see `drift`); `running` tells whether it runs. */
  state: ContainerStateName;
  running: boolean;
  image: string | null;
  /** Where the workspace is inside the container. */
  workspaceFolder: string | null;
  remoteUser: string | null;
  ports: PortMapping[];
  /** `hb status`: every port with its portsAttributes label and who forwards it (see RuntimePorts). */
  forwards?: PortForward[];
  /** What is mounted into the container (bind mounts, volumes, tmpfs), as the Docker engine reports it. */
  mounts?: MountSummary[];
  /** `known: false` for a container made without HyperBox's inputs label (adopted): drift unknown. */
  drift: { known: boolean; changed: string[] };
  /** Who made the container: HyperBox, or another tool (the Dev Containers extension / CLI). */
  madeBy: 'hyperbox' | 'other' | null;
  engine?: { name: string; version: string; host: string };
  /** Why the state is `error`, or what to do about `stale`. */
  message?: string;
  /** The OCI runtime the container runs under (HostConfig.Runtime, e.g. runc, crun). */
  runtime?: string;
  /** The seccomp profile the container was made with (from its security options). */
  seccomp?: SeccompInUse;
  /**
   * What the editor does with the container when its window closes (the config's shutdownAction;
   * default stopContainer, stopCompose for Compose). hb itself never acts on it.
   */
  shutdownAction?: 'none' | 'stopContainer' | 'stopCompose';
}

/**
 * The JSON-RPC error code of a runtime request that failed for a reason the user can act on; the
 * error's `data` is a RuntimeErrorData saying which. Both sides react to `data.code`, never to the
 * message text.
 */
export const RUNTIME_ERROR = -32050;
/** The JSON-RPC error code of a project request (detect, profile, init) whose folder could not be read; `data` is { code, folder }. */
export const PROJECT_ERROR = 1;

export type RuntimeErrorCode =
  /** No Docker engine answers (daemon not running, socket missing, permission denied). */
  | 'no-engine'
  | 'config'
  | 'unsupported'
  | 'image-missing'
  | 'build-failed'
  | 'create-failed'
  | 'command-failed'
  | 'trust-required'
  | 'not-found'
  | 'not-running'
  | 'cancelled'
  | 'port-taken'
  /** Deleting data needs the user's say: the message lists what (hb down --volumes on Compose). */
  | 'confirm-required'
  /** A registry (Features, images) could not be reached, refused the credentials, or served something else than asked. */
  | 'registry'
  /** A host tool hb needs is not installed (the message names the Debian package). */
  | 'missing-tool';

/** The `data` of a RUNTIME_ERROR response. */
export interface RuntimeErrorData {
  code: RuntimeErrorCode;
  /** trust-required: everything the dev container reaches on this machine or runs. */
  findings?: TrustFinding[];
  /** trust-required: the keys of the findings not accepted before (all of them when none were). */
  newFindings?: string[];
}

/**
 * Something a dev container reaches on this machine or runs (a bind mount outside the workspace,
 * a device, privileges, a lifecycle command, a build...), read from the final create request and
 * the commands that will run. The key is the same however the config spells it.
 */
export interface TrustFinding {
  /** Normalised identity: trust records hold these. */
  key: string;
  /** One line for people. */
  text: string;
}

/** RuntimeErrorCode values the editor reacts to. */
export const RuntimeErrorCodes = {
  /** No Docker engine is reachable: the editor shows "Docker not running" and offers Retry. */
  noEngine: 'no-engine',
  /** The config file on disk has errors (the Problems panel lists them). */
  config: 'config',
} as const satisfies Record<string, RuntimeErrorCode>;

export interface StepTiming {
  step: string;
  ms: number;
}

export interface UpResult extends ContainerSummary {
  created: boolean;
  started: boolean;
  /** How long each step took, in order. */
  timings: StepTiming[];
  totalMs: number;
  /** Lifecycle commands still running after `--wait-for` returned (their output goes to `hb logs`). */
  pendingHooks: string[];
  /** The language profile applied when the container was made; null when none was. */
  profile?: AppliedProfile | null;
  /** With an engine on another machine: the workspace copied in (not bind-mounted) when the container was made. */
  workspaceCopy?: { files: number; bytes: number; target: string };
  /** What this up was trusted for (empty when it reached and ran nothing that needs trust). */
  findings?: TrustFinding[];
}

export type { RuntimeTarget } from './target';

export interface RuntimeUpParams extends RuntimeTarget {
  /** The folder is trusted (Workspace Trust in the editor, the trust store or --trust in hb). */
  trusted: boolean;
  /**
   * The finding keys the user accepted before (the editor's auto-start). When given, an up whose
   * findings are not all among them fails with trust-required (data: findings, newFindings) before
   * anything is made or run. Without it, `trusted` alone decides.
   */
  acceptedFindings?: string[];
  /** Return once the `waitFor` command is done; the rest keep running in the engine. */
  waitFor?: boolean;
  /** Remove the existing container first (rebuild). */
  rebuild?: boolean;
  /** With rebuild: build without the layer cache. */
  noCache?: boolean;
  /** The editor's hyperbox.runtime setting: the OCI runtime for a container made now when the config's customizations.hyperbox.runtime names none. */
  runtime?: string;
}
/** client → engine: bring the folder's dev container up (create, start, lifecycle commands). Cancellable. */
export const RuntimeUp = new RequestType<RuntimeUpParams, UpResult, void>('hyperbox/runtime/up');

/**
 * What the folder's dev container would reach on this machine and run, found the way an up finds
 * it before anything runs (the config, Features, Compose services and, when the image is here
 * already, its metadata label), without building, pulling, creating or running anything.
 */
export interface TrustPreview {
  folder: string;
  configFile: string;
  findings: TrustFinding[];
  /**
   * Why the list may grow at the up (an image built or pulled then, whose metadata label is read
   * only afterwards; a Feature downloaded then); empty when the list is complete.
   */
  pending: string[];
}
/** client → engine: the findings of the folder's dev container, computed without running anything (the editor's Restricted Mode shows them). */
export const RuntimeTrustPreview = new RequestType<RuntimeTarget, TrustPreview, void>('hyperbox/runtime/trustPreview');

/** The lifecycle commands that run in the container, in order (the one list engine and editor use). */
export const CONTAINER_HOOKS = ['onCreateCommand', 'updateContentCommand', 'postCreateCommand', 'postStartCommand', 'postAttachCommand'] as const;
export type ContainerHook = (typeof CONTAINER_HOOKS)[number];
/** Every lifecycle command of the spec, in the order they run: initializeCommand on the host, then the container's. */
export const LIFECYCLE_COMMANDS = ['initializeCommand', ...CONTAINER_HOOKS] as const;
export interface RuntimeRunHooksParams extends RuntimeUpParams {
  /** The lifecycle commands to run whether or not they ran before (default: all five). */
  hooks?: ContainerHook[];
}
/**
 * client → engine: bring the folder's dev container up as RuntimeUp does, then run the named
 * lifecycle commands again even when their markers say they ran (hb run-hooks). Cancellable.
 */
export const RuntimeRunHooks = new RequestType<RuntimeRunHooksParams, UpResult, void>('hyperbox/runtime/runHooks');

/** client → engine: the state of the folder's dev container. */
export const RuntimeStatus = new RequestType<RuntimeTarget, ContainerSummary, void>('hyperbox/runtime/status');

/** client → engine: stop the folder's dev container. */
export const RuntimeStop = new RequestType<RuntimeTarget, ContainerSummary, void>('hyperbox/runtime/stop');

export interface RuntimeDownParams extends RuntimeTarget {
  /**
   * Also remove the container's volumes: its anonymous ones and those HyperBox made for it (a
   * user's own volumes and shared caches stay). For Compose, the project's declared volumes too,
   * which must be named in `confirmVolumes` (else the answer is a `confirm-required` error listing them).
   */
  volumes?: boolean;
  /** The Compose volumes the user agreed to delete. */
  confirmVolumes?: string[];
}
export interface DownResult {
  containerId: string | null;
  removed: boolean;
  volumesRemoved: string[];
  volumesKept: string[];
  /** Each volume kept, and why (a user's own volume, a shared cache, in use, or not asked to remove). */
  kept: KeptVolume[];
}
export interface KeptVolume {
  name: string;
  reason: string;
}
/** client → engine: remove the folder's dev container. */
export const RuntimeDown = new RequestType<RuntimeDownParams, DownResult, void>('hyperbox/runtime/down');

export interface ListedContainer {
  containerId: string;
  name: string;
  state: 'running' | 'stopped';
  status: string;
  image: string;
  folder: string;
  configFile: string | null;
  madeBy: 'hyperbox' | 'other';
  created: string;
}
/** client → engine: every dev container on the engine, whoever made it. */
export const RuntimeList = new RequestType0<{ containers: ListedContainer[] }, void>('hyperbox/runtime/list');

export interface RuntimeOutputParams {
  token: string;
  /** What printed it: `build`, `initializeCommand`, `postCreateCommand`, ... */
  source: string;
  text: string;
}
/** engine → client: output of a build or a lifecycle command, as it comes. */
export const RuntimeOutput = new NotificationType<RuntimeOutputParams>('hyperbox/runtime/output');

// ---------------------------------------------------------------------------------------------
// Runtime: ports (forwardPorts, appPort, portsAttributes) and container events

/** One port of a dev container: published at create time (appPort) or forwarded by a HyperBox process. */
export interface PortForward {
  /** The port in the container (for `service:port` entries, in that Compose service's container). */
  containerPort: number;
  /** The port on 127.0.0.1 of this machine. */
  hostPort: number;
  /** The Compose service of a `service:port` entry. */
  service?: string;
  /** `appPort` (published by the engine), `forwardPorts` (the config), `added` (hb ports add / RuntimePortsAdd). */
  source: 'appPort' | 'forwardPorts' | 'added';
  /** `portsAttributes[port].label`, when the config gives one. */
  label?: string;
  /** `portsAttributes[port].protocol` / `onAutoForward`, as the config says. */
  protocol?: string;
  onAutoForward?: string;
  /**
   * `published`: the engine publishes it (appPort); `forwarded`: a HyperBox process forwards it now
   * (`by` says which); `not-forwarded`: nothing forwards it (hb ports --forward, or the editor, does);
   * `conflict`: the host port is taken (`message` names who holds it); `error`: see `message`.
   */
  state: 'published' | 'forwarded' | 'not-forwarded' | 'conflict' | 'error';
  /** The process that forwards it: the editor's engine or `hb ports --forward`. */
  by?: { pid: number; what: string };
  /** How connections reach the server, once one came: the container's bridge IP, or a relay in its network namespace. */
  via?: 'bridge' | 'netns-relay';
  message?: string;
}

export interface PortsResult {
  folder: string;
  containerId: string | null;
  ports: PortForward[];
}

/** client → engine: the folder's ports and who forwards them. */
export const RuntimePorts = new RequestType<RuntimeTarget, PortsResult, void>('hyperbox/runtime/ports');

export interface RuntimePortParams extends RuntimeTarget {
  /** A port number, or `service:port` for a Compose service. */
  port: number | string;
}
/**
 * client → engine: forward one more port of the running dev container (to 127.0.0.1 of this
 * machine), at once and without recreating it; remembered for the container. A taken host port is
 * an error naming who holds it (code `port-taken`).
 */
export const RuntimePortsAdd = new RequestType<RuntimePortParams, PortsResult, void>('hyperbox/runtime/ports/add');
/** client → engine: stop forwarding a port (also one from forwardPorts, until it is added again). */
export const RuntimePortsRemove = new RequestType<RuntimePortParams, PortsResult, void>('hyperbox/runtime/ports/remove');
/** engine → client: the ports of a dev container changed (forwarded, stopped, conflict). */
export const RuntimePortsChanged = new NotificationType<PortsResult>('hyperbox/runtime/portsChanged');

/** A dev container changed state, whoever did it (HyperBox, the Docker CLI, another tool). */
export interface ContainerEvent {
  containerId: string;
  name: string;
  /** The devcontainer.local_folder label. */
  folder: string;
  configFile: string | null;
  /** What the engine reported. */
  action: 'create' | 'start' | 'stop' | 'die' | 'kill' | 'pause' | 'unpause' | 'destroy' | 'restart';
  /** The state it is in now: `missing` once removed. */
  state: 'running' | 'stopped' | 'paused' | 'missing';
  /** With `die`: the exit code of its main process. */
  exitCode?: number;
  /** ISO time the engine gave the event. */
  time: string;
}
/** engine → client: a dev container started, stopped, died or was removed (Docker events). */
export const RuntimeContainerChanged = new NotificationType<ContainerEvent>('hyperbox/runtime/containerChanged');
/**
 * client → engine: start following the engine's container events (idempotent). The engine also
 * starts by itself after the first `up`. Answers once the subscription is open.
 */
export const RuntimeWatch = new RequestType0<{ watching: boolean }, void>('hyperbox/runtime/watch');

// ---------------------------------------------------------------------------------------------
// Runtime: terminals in the dev container (an exec with a TTY, driven by the editor)

export interface TerminalOpenParams extends RuntimeTarget {
  /** The terminal's size at start. */
  cols: number;
  rows: number;
  /** The command; default: the remote user's login shell. Runs as remoteUser in the workspace folder. */
  cmd?: string[];
}
export interface TerminalOpenResult {
  /** Names the terminal in the other terminal messages. */
  terminalId: string;
  /** The container it runs in. */
  containerName: string | null;
}
/** client → engine: start a TTY exec in the folder's running dev container; output follows as RuntimeTerminalOutput. */
export const RuntimeTerminalOpen = new RequestType<TerminalOpenParams, TerminalOpenResult, void>('hyperbox/runtime/terminal/open');
/** client → engine: keys typed in the terminal. */
export const RuntimeTerminalInput = new NotificationType<{ terminalId: string; data: string }>('hyperbox/runtime/terminal/input');
/** client → engine: the terminal panel changed size. */
export const RuntimeTerminalResize = new NotificationType<{ terminalId: string; cols: number; rows: number }>('hyperbox/runtime/terminal/resize');
/** client → engine: the terminal was closed; end the exec. */
export const RuntimeTerminalClose = new NotificationType<{ terminalId: string }>('hyperbox/runtime/terminal/close');
/** engine → client: what the command printed (UTF-8 text, split on character boundaries). */
export const RuntimeTerminalOutput = new NotificationType<{ terminalId: string; data: string }>('hyperbox/runtime/terminal/output');
/** engine → client: the command ended; `message` says why when it failed to run. */
export const RuntimeTerminalExit = new NotificationType<{ terminalId: string; exitCode: number | null; message?: string }>('hyperbox/runtime/terminal/exit');

/** One language-profile entry applied to a container when it was made. */
export interface AppliedProfileEntry {
  id: string;
  kind: 'volume' | 'env';
  /** Volumes: the volume and where it is mounted (variables resolved). */
  source?: string;
  target?: string;
  /** Volumes: made for this container (then given to the remote user when `chownToRemoteUser`). */
  created?: boolean;
  chownToRemoteUser?: boolean;
  /** Variables: the name and the value the container got. */
  name?: string;
  value?: string;
  why: string;
}
/** The language profile applied when the container was made (`customizations.hyperbox.profile` not "off"). */
export interface AppliedProfile {
  /** The stack, e.g. "Node.js (npm)". */
  label: string;
  entries: AppliedProfileEntry[];
  /** Automatic entries left out, and why (the config sets the variable, no memory limit, ...). */
  skipped: { id: string; reason: string }[];
}

export interface ContainerLogsResult {
  /** The container's output, then the lifecycle commands `up --wait-for` left running (the last `maxBytes`). */
  text: string;
  /** True when older output was left out to stay within `maxBytes`. */
  truncated: boolean;
}
/** client → engine: the dev container's logs so far (as `hb logs` prints them). */
export const RuntimeContainerLogs = new RequestType<RuntimeTarget & { maxBytes?: number }, ContainerLogsResult, void>('hyperbox/runtime/containerLogs');

// ---------------------------------------------------------------------------------------------
// Runtime: the startup timeline of the last `up` (the Dev Container panel's waterfall, the tree's
// lifecycle results). Recorded by the engine for every `up`, from the editor or from `hb`.

export type TimelineStatus = 'ok' | 'failed' | 'cancelled' | 'running' | 'skipped';

export interface TimelineEntry {
  /** What ran: 'config', 'image', 'build', 'create', 'start', 'onCreateCommand', ... */
  step: string;
  /** engine: HyperBox's own work and Engine API calls; build: image pull/build; lifecycle: a devcontainer.json command. */
  kind: 'engine' | 'build' | 'lifecycle';
  /** Milliseconds from the start of the `up` to the start of this step. */
  startMs: number;
  /** How long it took (so far, while `running`). */
  ms: number;
  status: TimelineStatus;
  /** For lifecycle commands: the command text and, when it failed, its exit code; why a step was skipped. */
  detail?: string;
  exitCode?: number;
  /** The last lines of the step's output (lifecycle commands, builds), at most a few KB. */
  output?: string;
}

export interface UpTimeline {
  folder: string;
  configFile: string | null;
  containerId: string | null;
  /** ISO time the `up` started. */
  startedAt: string;
  totalMs: number;
  /** `running` while the `up` (or a lifecycle command `--wait-for` left behind) is still going. */
  outcome: 'ok' | 'failed' | 'cancelled' | 'running';
  /** Why it failed. */
  error?: string;
  /** Who ran it: 'editor' or 'hb'. */
  client: string;
  entries: TimelineEntry[];
}
/** client → engine: the timeline of the last `up` for this folder (also one `hb` ran); null when there was none. */
export const RuntimeTimeline = new RequestType<RuntimeTarget, UpTimeline | null, void>('hyperbox/runtime/timeline');
/** engine → client: the timeline of an `up` changed (a step started or ended). Throttled. */
export const RuntimeTimelineChanged = new NotificationType<UpTimeline>('hyperbox/runtime/timelineChanged');
