// The one protocol between the extension (client) and the engine (server), and the shapes the
// `hb` CLI prints with --json. Each message is a typed constant; both sides import this file.
// Direction is noted on each: client → engine (request), engine → client (notification).
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';

export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Shared shapes

export type Severity = 'error' | 'warning';

/** A problem found in a file. `line` and `column` are 1-based; `offset`/`length` are 0-based. */
export interface Problem {
  severity: Severity;
  message: string;
  file: string;
  line: number;
  column: number;
  /** End of the range the problem covers (1-based, exclusive column). */
  endLine?: number;
  endColumn?: number;
  /** A stable id for the kind of problem, e.g. `unknown-property`, `syntax`. */
  code?: string;
  /** Machine-applicable fix: replace the range with `replacement` (did-you-mean). */
  fix?: { title: string; replacement: string };
}

export interface ResolvedConfig {
  /** Absolute path of the devcontainer.json that was read, or null when none was found. */
  configFile: string | null;
  /** The folder the config belongs to (the local workspace folder). */
  workspaceFolder: string;
  /** The configuration after variable substitution (`${containerEnv:...}` stays as written). */
  config: Record<string, unknown> | null;
  /** Identifier computed from the container labels, as the spec defines `${devcontainerId}`. */
  devcontainerId: string | null;
  /** Where the workspace appears inside the container and how it is mounted. */
  workspace: { containerWorkspaceFolder: string; workspaceMount: string | null; mountSource: string } | null;
  /** Files the config names (Dockerfile, build context, compose files), as absolute paths. */
  paths: { dockerfile?: string; context?: string; composeFiles?: string[] };
  /** The kind of config: how the container is made. */
  kind: 'image' | 'dockerfile' | 'compose' | null;
  /** Every problem found, errors and warnings. */
  problems: Problem[];
  /** Other configs found in the folder (absolute paths), for pickers. */
  otherConfigFiles: string[];
}

/**
 * What an engine can do, as its handshake lists it (EngineCapabilities.capabilities): the editor
 * offers only what the engine it talks to has (an older or newer engine may lack some).
 */
export const Capability = {
  /** Up, stop, status of dev containers (RuntimeUp, RuntimeStop, RuntimeStatus, RuntimeList). */
  runtime: 'runtime',
  /** The startup waterfall of the last up (RuntimeTimeline, RuntimeTimelineChanged). */
  timeline: 'timeline',
  /** Removing a dev container (RuntimeDown). */
  remove: 'remove',
  /** Port forwarding that follows the container (RuntimePorts, RuntimePortsAdd / Remove). */
  ports: 'ports',
  /** Terminals in the container (RuntimeTerminalOpen). */
  terminal: 'terminal',
  /** The container's own output (RuntimeContainerLogs). */
  containerLogs: 'containerLogs',
  /** "Add Dev Container Configuration" (ProjectInit). */
  init: 'init',
} as const;
export type CapabilityName = (typeof Capability)[keyof typeof Capability];

export interface EngineCapabilities {
  version: string;
  protocolVersion: number;
  /** Services this engine offers, e.g. `config`, `detect`. */
  capabilities: string[];
  pid: number;
  node: string;
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

/** client → engine: first message; answers with the engine's version and capabilities. */
export const Initialize = new RequestType<{ clientName: string; clientVersion: string }, EngineCapabilities, void>(
  'hyperbox/initialize',
);

/** client → engine: stop serving and exit once pending work is done. */
export const Shutdown = new RequestType0<void, void>('hyperbox/shutdown');

// ---------------------------------------------------------------------------------------------
// devcontainer.json

export interface DiscoverParams {
  folder: string;
}
export interface DiscoverResult {
  /** Configs found, the default first (the one `hb` and the reference CLI use without --config). */
  configFiles: string[];
}
/** client → engine: every devcontainer.json location in a folder. */
export const ConfigDiscover = new RequestType<DiscoverParams, DiscoverResult, void>('hyperbox/config/discover');

export interface ResolveParams {
  folder: string;
  /** A specific config file; otherwise the folder's default. */
  configFile?: string;
  /** Unsaved editor contents of the config file, for diagnostics as the user types. */
  text?: string;
}
/** client → engine: read, validate and substitute a folder's config. */
export const ConfigResolve = new RequestType<ResolveParams, ResolvedConfig, void>('hyperbox/config/resolve');

// ---------------------------------------------------------------------------------------------
// Notifications

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
/** engine → client: a log line for the output channel. */
export const LogMessage = new NotificationType<{ level: LogLevel; message: string }>('hyperbox/log');

export interface ProgressParams {
  /** The operation this belongs to, as given by the client. */
  token: string;
  message: string;
  /** 0..100 when known. */
  percent?: number;
}
/** engine → client: progress of a long operation. */
export const Progress = new NotificationType<ProgressParams>('hyperbox/progress');

/** client → engine: liveness probe; also used by benchmarks. */
export const Ping = new RequestType0<{ uptimeMs: number; rssBytes: number }, void>('hyperbox/ping');

// ---------------------------------------------------------------------------------------------
// Project detection, language profiles and "Add Dev Container Configuration"

/** Stable language ids (display names are separate fields). */
export type LanguageId =
  | 'javascript'
  | 'typescript'
  | 'python'
  | 'go'
  | 'rust'
  | 'java'
  | 'kotlin'
  | 'ruby'
  | 'php'
  | 'csharp'
  | 'c'
  | 'cpp'
  | 'other';

/** The application framework; for plain front-end apps, the UI library. */
export type FrameworkId =
  | 'express'
  | 'fastify'
  | 'koa'
  | 'hono'
  | 'nestjs'
  | 'nextjs'
  | 'nuxt'
  | 'react-router'
  | 'sveltekit'
  | 'astro'
  | 'react'
  | 'vue'
  | 'svelte'
  | 'angular'
  | 'django'
  | 'flask'
  | 'fastapi'
  | 'streamlit'
  | 'textual'
  | 'click'
  | 'typer'
  | 'gin'
  | 'echo'
  | 'fiber'
  | 'chi'
  | 'cobra'
  | 'axum'
  | 'actix-web'
  | 'rocket'
  | 'spring-boot'
  | 'quarkus'
  | 'micronaut'
  | 'rails'
  | 'sinatra'
  | 'laravel'
  | 'symfony'
  | 'aspnetcore';

export type PackageManagerId =
  | 'npm'
  | 'pnpm'
  | 'yarn'
  | 'bun'
  | 'pip'
  | 'poetry'
  | 'uv'
  | 'pipenv'
  | 'pdm'
  | 'go'
  | 'cargo'
  | 'maven'
  | 'gradle'
  | 'bundler'
  | 'composer'
  | 'dotnet'
  | 'cmake'
  | 'make';

/** The bundler / dev server of a JavaScript project, separate from its framework. */
export type ToolId = 'vite' | 'webpack' | 'rspack' | 'parcel' | 'rollup' | 'esbuild' | 'turbopack';

/** One reason for an answer: the file (relative to the folder, `/`-separated) and what it said. */
export interface DetectionEvidence {
  file: string;
  reason: string;
}

/** What a project (or one part of a monorepo) is and how it starts. */
export interface ProjectStack {
  language: LanguageId;
  languageName: string;
  framework: FrameworkId | null;
  frameworkName: string | null;
  tool: ToolId | null;
  toolName: string | null;
  packageManager: PackageManagerId | null;
  packageManagerName: string | null;
  /**
   * The command a developer runs to start the app in development, or null. For the result itself
   * it runs in the detected folder; for a part it runs in the part's folder.
   */
  devCommand: string | null;
  /** Where the dev command came from, e.g. `package.json scripts.dev` or `Django default`. */
  devCommandSource: string | null;
  /**
   * Whether the dev command reloads or restarts by itself on a file change (a dev server with HMR,
   * nodemon, `--reload`, `dotnet watch`, air, ...); null without a dev command.
   */
  devCommandWatches: boolean | null;
  /** Ports the app usually listens on in development (from its scripts, else the framework's default). */
  ports: number[];
  /** The language runtime version the project asks for (`.nvmrc`, `requires-python`, `go.mod`, ...), or null. */
  languageVersion: string | null;
  /** 0..1 */
  confidence: number;
  evidence: DetectionEvidence[];
}

export interface ProjectPart extends ProjectStack {
  /** The part's folder relative to the detected folder (`/`-separated; `.` for the folder itself). */
  path: string;
  /** Package or project name when the manifest gives one, else the folder name. */
  name: string;
  /** `app` (something that runs), `library`, `tooling` (only lint/format/release tools). */
  role: 'app' | 'library' | 'tooling';
  /** "TypeScript · Next.js · pnpm" */
  label: string;
}

export interface DetectionStats {
  elapsedMs: number;
  dirsListed: number;
  filesOpened: number;
  bytesRead: number;
  entriesSeen: number;
  /** True when a budget (listings, files, time) stopped the walk before it was done. */
  truncated: boolean;
}

export interface DetectionResult extends ProjectStack {
  /** The folder that was detected (absolute). */
  folder: string;
  /** For the status bar: "TypeScript · NestJS · pnpm". */
  label: string;
  /** For the tooltip: plain text lines with the evidence and the other parts. */
  summary: string;
  /** Path of the primary part (`.` for the folder itself), or null when nothing was recognised. */
  primary: string | null;
  /** Why that part is the primary one. */
  primaryReason: string;
  /** Sub-projects of a monorepo (empty for a single project). */
  parts: ProjectPart[];
  /** How the monorepo is organised, or null. */
  monorepo: { kind: string; reason: string } | null;
  /** Plain messages about what could not be read or was skipped (huge, binary or unreadable files, budgets). */
  notes: string[];
  stats: DetectionStats;
}

export interface ProjectDetectParams {
  folder: string;
}
/** client → engine: what the folder is (language, framework, package manager, dev command, parts). */
export const ProjectDetect = new RequestType<ProjectDetectParams, DetectionResult, void>('hyperbox/project/detect');

/** When a profile entry applies. */
export type ProfileCondition =
  /** Always (subject to the config not already setting it). */
  | 'always'
  /** Only when the workspace mount does not deliver inotify events (remote engine, some VM shares). */
  | 'no-inotify';

/** How a profile entry's value is computed when it depends on the container. */
export interface ProfileRule {
  kind: 'memory-percent';
  /** Share of the container's memory limit, 0..100. */
  percent: number;
  /** The value with `{mb}` replaced by that share in MiB, e.g. `--max-old-space-size={mb}`. */
  format: string;
  /** Lower bound in MiB, so a tiny limit does not starve the process. */
  minMb: number;
}

interface ProfileEntryBase {
  /** Stable id, e.g. `npm-cache`, `node-heap`. */
  id: string;
  /** `auto`: applied unless the config says otherwise; `suggested`: applied only when the user accepts. */
  apply: 'auto' | 'suggested';
  when: ProfileCondition;
  why: string;
  /** Evaluated against the folder's config: `apply`, `suggest`, `conditional` (needs a fact not known yet) or `skip`. */
  status: 'apply' | 'suggest' | 'conditional' | 'skip';
  /** Why the entry is skipped (e.g. the config already sets the variable). */
  skipReason?: string;
}
export interface ProfileVolumeEntry extends ProfileEntryBase {
  kind: 'volume';
  /** Docker volume name; may contain `${devcontainerId}` (spec variable). */
  source: string;
  /** Mount point in the container; may contain `${containerWorkspaceFolder}` / `${containerEnv:VAR:default}`. */
  target: string;
  /** `shared`: one volume for every HyperBox container (caches); `project`: one per dev container. */
  scope: 'shared' | 'project';
  /** True when the volume is mounted over a folder of the workspace (hides the host's copy). */
  overWorkspace: boolean;
  /** The runtime makes the volume's root owned by the container's remote user after creating it. */
  chownToRemoteUser: boolean;
}
export interface ProfileEnvEntry extends ProfileEntryBase {
  kind: 'env';
  name: string;
  /** The value to set, or null while it waits for a fact (see `rule`). */
  value: string | null;
  /** `set`: only when the variable is unset; `append`: add to the existing value unless `unlessContains` is already in it. */
  mode: 'set' | 'append';
  unlessContains?: string;
  rule?: ProfileRule;
}
export type ProfileEntry = ProfileVolumeEntry | ProfileEnvEntry;

export type ReloadStrategy = 'framework-native' | 'restart' | 'rebuild';

export interface LanguageProfile {
  folder: string;
  /** The stack the profile is for (label as in DetectionResult). */
  label: string;
  language: LanguageId;
  framework: FrameworkId | null;
  packageManager: PackageManagerId | null;
  devCommand: string | null;
  reload: {
    strategy: ReloadStrategy;
    why: string;
    /** Files (globs relative to the workspace) whose change needs a rebuild or a dependency install. */
    rebuildOn: string[];
  };
  /** Whether `customizations.hyperbox.profile` is "off" in the folder's config (then nothing is applied). */
  disabled: boolean;
  /** The memory limit the values were computed for, or null (rules stay unevaluated). */
  memoryLimitBytes: number | null;
  /** Whether the mount carries inotify events; null when not known yet. */
  inotify: boolean | null;
  entries: ProfileEntry[];
  /** The config the entries were checked against, or null when the folder has none. */
  configFile: string | null;
}

export interface ProjectProfileParams {
  folder: string;
  /** The container's memory limit in bytes, when known: evaluates `memory-percent` rules. */
  memoryLimitBytes?: number;
  /** Whether the workspace mount carries inotify events, when known. */
  inotify?: boolean;
}
/** client → engine: the language profile for the folder's detected stack. */
export const ProjectProfile = new RequestType<ProjectProfileParams, LanguageProfile, void>('hyperbox/project/profile');

export interface ProjectInitParams {
  folder: string;
  /** false: only render the config (preview); default true: write it. Never overwrites. */
  write?: boolean;
  /** Write this text (the preview as the user edited it) instead of the rendered config; refused when it has errors. */
  text?: string;
  /** The other previewed files as the user edited them, by absolute path (`files[].file`); refused when one has errors. */
  texts?: Record<string, string>;
}
/** One file "Add Dev Container Configuration" / `hb init` writes. */
export interface InitFile {
  /** Absolute path. */
  file: string;
  text: string;
  /** The editor language of the preview. */
  language: 'jsonc' | 'yaml';
  /** What the file is for, for the user. */
  purpose: string;
}
export interface ProjectInitResult {
  folder: string;
  /** The file written (or that would be written): `<folder>/.devcontainer/devcontainer.json`. */
  file: string;
  /** The config text (JSON with comments). */
  text: string;
  written: boolean;
  /** When a config already exists: its path (nothing is written). */
  existing: string | null;
  /** What happened, for the user. */
  message: string;
  /** Problems our own validation finds in `text` (always empty unless there is a bug). */
  problems: Problem[];
  detection: DetectionResult;
  /**
   * Every file that is (or would be) written, devcontainer.json first: with a Compose-based config
   * also the dev service's compose file beside it. Problems in any of them block the write.
   */
  files: InitFile[];
}
/** client → engine: write a devcontainer.json for the detected stack (never overwriting one). */
export const ProjectInit = new RequestType<ProjectInitParams, ProjectInitResult, void>('hyperbox/project/init');

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

export interface RuntimeTarget {
  folder: string;
  configFile?: string;
  /** Progress notifications of this request carry this token. */
  progressToken?: string;
}

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

/** The lifecycle commands that run in the container, in order. */
export type ContainerHook = 'onCreateCommand' | 'updateContentCommand' | 'postCreateCommand' | 'postStartCommand' | 'postAttachCommand';
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

// ---------------------------------------------------------------------------------------------
// Traces: the engine's OTLP/HTTP receiver and its bounded store (src/engine/traces). Span
// attributes come from any program in a container: untrusted, render them as text only.

export type TraceAttributeValue = string | number | boolean | null | TraceAttributeValue[] | { [key: string]: TraceAttributeValue };
export type TraceAttributes = Record<string, TraceAttributeValue>;
export type SpanKindName = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export interface TraceSpan {
  /** Lower-case hex: 32 digits for the trace, 16 for spans. */
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: SpanKindName;
  /** The resource's `service.name` (`unknown_service` without one). */
  service: string;
  scope?: { name: string; version?: string };
  /** Unix time in milliseconds (fractional). */
  startMs: number;
  durationMs: number;
  status: { code: 'unset' | 'ok' | 'error'; message?: string };
  attributes: TraceAttributes;
  /** The resource's attributes (shared by the spans of one resource). */
  resource: TraceAttributes;
  events: { name: string; timeMs: number; attributes: TraceAttributes }[];
  links: { traceId: string; spanId: string; attributes: TraceAttributes }[];
}

export interface TraceSummary {
  traceId: string;
  /** The root span's name; while the root has not arrived, the earliest span's. */
  rootName: string;
  /** The root span's service (else the earliest span's); `services` lists all of them. */
  service: string;
  services: string[];
  /** True while no span without a parent has arrived for this trace. */
  rootMissing: boolean;
  startMs: number;
  durationMs: number;
  spanCount: number;
  /** Spans with status error. */
  errorCount: number;
  /** Unix ms when the last span of this trace was received. */
  receivedMs: number;
}

export interface TraceDetail {
  summary: TraceSummary;
  /** In tree order: each span after its parent, siblings by start time (spans whose parent is missing with the roots). */
  spans: TraceSpan[];
}

/** Every condition must hold (a trace matches when one of its spans does, per condition). */
export interface TraceQuery {
  /** Exact service name. */
  service?: string;
  /** Substring of a span name, case-insensitive. */
  operation?: string;
  /** A span has this attribute (and, when given, a value whose text equals `value`). */
  attribute?: { key: string; value?: string };
  minDurationMs?: number;
  maxDurationMs?: number;
  /** Only traces that got a span after this time (Unix ms, as in TraceSummary.receivedMs). */
  receivedAfterMs?: number;
  /** At most this many traces, newest first (default 100). */
  limit?: number;
}

export interface ServiceSummary {
  service: string;
  spanCount: number;
  traceCount: number;
  errorCount: number;
  /** Spans per second received for this service over the last minute. */
  ratePerSecond: number;
  /** Span durations of the stored spans. */
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface TracesStatus {
  /** `listening`: this process receives on host:port; `forwarding`: another HyperBox receiver of this user holds the port and this one passes to it. */
  state: 'off' | 'listening' | 'forwarding';
  host?: string;
  port?: number;
  /** The process that holds the port (this one when listening). */
  receiverPid?: number;
  storedTraces: number;
  storedSpans: number;
  storedBytes: number;
  /** Traces evicted to stay within the bounds since the receiver started. */
  evictedTraces: number;
}

/** client → engine: start the receiver (loaded on first use), or forward to the one already on the port. */
export const TracesStart = new RequestType<{ port?: number }, TracesStatus, void>('hyperbox/traces/start');
/** client → engine: stop receiving; stored traces are dropped. */
export const TracesStop = new RequestType0<TracesStatus, void>('hyperbox/traces/stop');
/** client → engine: the receiver's state and the store's size. */
export const TracesStatusRequest = new RequestType0<TracesStatus, void>('hyperbox/traces/status');
/** client → engine: stored traces matching a query, newest first. */
export const TracesList = new RequestType<TraceQuery, { traces: TraceSummary[] }, void>('hyperbox/traces/list');
/** client → engine: one trace with all its spans; null when it is not (or no longer) stored. */
export const TracesGet = new RequestType<{ traceId: string }, TraceDetail | null, void>('hyperbox/traces/get');
/** client → engine: per-service rate, errors and durations. */
export const TracesServices = new RequestType0<{ services: ServiceSummary[] }, void>('hyperbox/traces/services');
/** engine → client: traces that are new or got spans since the last notification (at most every 200 ms; every second while forwarding to another receiver). */
export const TracesChanged = new NotificationType<{ traces: TraceSummary[] }>('hyperbox/traces/changed');
// Pressure: PSI (pressure stall information) for the host and each dev container, sampled every
// second by the engine's pressure sampler (src/engine/pressure/sampler.ts), and memory use against
// the limit from the container's cgroup. `hb pressure --json` prints these; the Pressure panel
// draws them.

/** One PSI line: the share of wall time some (or all, `full`) tasks stalled on the resource. */
export interface PsiLine {
  /** Running averages over 10 s, 60 s, 300 s, in percent. */
  avg10: number;
  avg60: number;
  avg300: number;
  /** Total stall time since boot (or since the cgroup was made), in microseconds. */
  total: number;
  /** Stall time since the previous sample, in microseconds; null on the first sample. */
  delta: number | null;
}

export interface PsiResource {
  some: PsiLine;
  /** Absent for the host's CPU line on kernels before 5.13. */
  full?: PsiLine;
}

export interface PressureFigures {
  /** Absent when the file cannot be read; `missing` says why. */
  cpu?: PsiResource;
  memory?: PsiResource;
  io?: PsiResource;
  /** Bytes in use and the limit (null: no limit), from the cgroup itself (containers only). */
  memoryUsage?: { usage: number; limit: number | null };
  /** What could not be read and why, e.g. "no cgroup v2 directory: ...". */
  missing: string[];
}

export interface ContainerPressure extends PressureFigures {
  containerId: string;
  name: string;
  /** The dev container's folder (its devcontainer.local_folder label), when it has one. */
  folder?: string;
  /** The cgroup v2 directory the PSI files were read from. */
  cgroupDir?: string;
  /** The container stopped (its cgroup is gone): reported once, then left out of later samples. */
  gone?: boolean;
}

export interface PressureSample {
  /** ISO time of the sample. */
  time: string;
  /** Milliseconds since the previous sample (the deltas' interval); null on the first. */
  intervalMs: number | null;
  host: PressureFigures;
  containers: ContainerPressure[];
}

// ---------------------------------------------------------------------------------------------
// Doctor: what this host can do for dev containers (`hb doctor --json`, src/engine/storage/).

export type Availability = 'yes' | 'no' | 'unknown';

export interface DoctorFinding {
  available: Availability;
  /** The evidence it was decided from (a file, a config option, a binary) or what is missing. */
  evidence: string[];
}

export interface DoctorReport {
  kernel: { release: string; version: [number, number] | null; config: string | null };
  psi: DoctorFinding & { resources: ('cpu' | 'memory' | 'io')[] };
  cgroup: {
    version: 'v2' | 'hybrid' | 'v1' | 'none';
    /** Where the cgroup2 hierarchy is mounted (PSI of containers lives there). */
    unified: string | null;
    /** Where the v1 memory controller is mounted (hybrid and v1 hosts). */
    memoryV1: string | null;
    /** Where containers' cgroups are, e.g. "/sys/fs/cgroup/unified/docker/<id>/". */
    containers: string | null;
    /** What is missing for per-container pressure, in plain words. */
    notes: string[];
  };
  storage: {
    overlayfs: DoctorFinding;
    fuse: DoctorFinding;
    erofs: DoctorFinding;
    erofsFileBacked: DoctorFinding;
    erofsOnDemand: DoctorFinding;
    composefs: DoctorFinding;
    /** The engine's storage driver (its /info Driver), null when the engine was not reached. */
    engineDriver: string | null;
    snapshotters: { nydus: DoctorFinding; stargz: DoctorFinding };
    recommended: { backend: string; reason: string };
  };
  runtimes: {
    /** null when the engine was not reached (`error` says why). */
    registered: { name: string; kind: string; path?: string; isDefault: boolean }[] | null;
    /** Runtime binaries found on PATH (runc, crun, youki, runsc, kata). */
    installed: { kind: string; path: string }[];
    /** Those of them the engine has not registered (empty when the engine was not reached or is on another machine). */
    unregistered: { kind: string; path: string }[];
    error?: string;
  };
  gpu: { present: boolean; nvidia: string[]; renderNodes: string[]; passthrough: Availability; how: string; details: string[] };
  arch: { arch: string; advice: string | null };
  recommendations: string[];
}

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
  /** Distinct syscalls the recordings hold. */
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

/** The seccomp profile in use, in words (hb status, the HyperBox view). */
export function seccompText(s: SeccompInUse | undefined): string {
  if (!s || s.mode === 'default') return "the engine's default profile";
  if (s.mode === 'unconfined') return 'unconfined (no seccomp filter)';
  return `${s.file ?? 'a custom profile'}${s.allowed !== undefined ? ` (${s.allowed} syscalls allowed)` : ''}`;
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
  /** Distinct syscalls in the recordings (the floor); null without a recording. */
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
// Hot reload (customizations.hyperbox.reload.enabled, or hb watch)

/** client → engine: files the editor saved (absolute paths); a fast path beside the engine's own watcher, deduplicated with it. */
export interface ReloadSavedParams {
  folder: string;
  configFile?: string;
  paths: string[];
}
export const ReloadSaved = new NotificationType<ReloadSavedParams>('hyperbox/reload/saved');

/** One hot-reload action, or the app's end. */
export interface ReloadEvent {
  folder: string;
  configFile: string;
  /**
   * suspended: the container stopped; changes are queued and replayed when it runs again.
   * off: hot reload was turned off (ReloadToggle).
   */
  kind: 'reloaded' | 'crashed' | 'rebuild-offered' | 'started' | 'stopped' | 'suspended' | 'off' | 'not-trusted' | 'failed';
  /** reloaded: what was done. */
  action?: 'nothing' | 'restarted' | 'synced' | 'reinstalled' | 'rebuild-offered' | 'started';
  files?: string[];
  count?: number;
  ms?: number;
  /** reloaded: where the time went (ms): the batch settling, copying in, installing, restarting, until the app's port answered. */
  phases?: { wait: number; sync?: number; install?: number; restart?: number; serve?: number };
  /** Over the recent reloads. */
  p50?: number;
  p95?: number;
  /** crashed: the exit code and the app's last output; failed / not-trusted: the message. */
  exitCode?: number;
  output?: string;
  message?: string;
}
/** engine → client: hot reload did something (for the status bar, the view and the panel). */
export const ReloadChanged = new NotificationType<ReloadEvent>('hyperbox/reload/changed');

export interface ReloadToggleParams {
  folder: string;
  configFile?: string;
  /** Turn hot reload on or off for the folder (for this engine's life; the editor sends it again when the engine restarts). */
  enabled: boolean;
  /** The folder is trusted (Workspace Trust): turning it on then trusts the dev command it runs. */
  trusted: boolean;
}
export interface ReloadToggleResult {
  enabled: boolean;
  /** What happens now, in words (started, starts with the container, not trusted...). */
  message: string;
}
/** client → engine: turn hot reload on or off for a folder, overriding customizations.hyperbox.reload.enabled. */
export const ReloadToggle = new RequestType<ReloadToggleParams, ReloadToggleResult, void>('hyperbox/reload/toggle');
// Live settings and pressure subscriptions (src/engine/live/). The editor passes its settings;
// the engine decides (thresholds, what prewarming may do, whether traces reach containers), so the
// editor only renders.

/** The editor's settings the engine's live capabilities act on (each one optional: unchanged when absent). */
export interface LiveSettings {
  /** hyperbox.pressure.*: memory pressure thresholds, in percent of wall time (avg10). */
  pressure?: { memorySomeWarning: number; memoryFullError: number };
  /** hyperbox.traces.* (user settings: traces open a port on this machine). */
  traces?: {
    enabled: boolean;
    port?: number;
    /** hyperbox.traces.ebpf.*: machine-scope; the sidecar runs privileged. */
    ebpf?: { enabled: boolean; image?: string };
  };
  /** hyperbox.prewarm: build the next up's image while the host is calm (trusted folders only). */
  prewarm?: boolean;
}
/** client → engine: the settings changed (or the first time); answers the settings now in force. */
export const LiveSettingsUpdate = new RequestType<LiveSettings, Required<Pick<LiveSettings, 'pressure' | 'traces' | 'prewarm'>>, void>('hyperbox/live/settings');

/** A memory pressure level past a threshold, with the container concerned and what to do. */
export interface PressureAlert {
  level: 'warning' | 'error';
  /** Which figure crossed which threshold, e.g. memory some avg10 23.1 % ≥ 10 %. */
  figure: 'memory some avg10' | 'memory full avg10';
  value: number;
  threshold: number;
  /** The container under pressure (absent: the host as a whole). */
  container?: { containerId: string; name: string; folder?: string };
  /** raise-memory-limit: the container is near its limit; stop-idle-container: the host is short of memory. */
  action: 'raise-memory-limit' | 'stop-idle-container';
  /** For stop-idle-container: the running dev container that stalled least on CPU and is not the one under pressure. */
  idle?: { containerId: string; name: string; folder?: string };
  /** The sentence for the status bar's tooltip. */
  message: string;
}

/** PressureChanged: one sample and the alert it raises (null: below the thresholds). */
export interface PressureUpdate extends PressureSample {
  alert: PressureAlert | null;
}
/** client → engine: start receiving PressureChanged (sampling runs only while someone subscribes); answers a subscription id. */
export const PressureSubscribe = new RequestType<{ who: string }, { subscription: number }, void>('hyperbox/pressure/subscribe');
/** client → engine: stop one subscription; sampling stops with the last one. */
export const PressureUnsubscribe = new RequestType<{ subscription: number }, { subscribers: number }, void>('hyperbox/pressure/unsubscribe');
/** engine → client: about every second while subscribed: the host's and each dev container's pressure. */
export const PressureChanged = new NotificationType<PressureUpdate>('hyperbox/pressure/changed');

/** engine → client: traces are on, but a running dev container was made without them (not drift: the editor offers to recreate it). */
export const TracesRecreateOffer = new NotificationType<{ folder: string; configFile: string; containerId: string; reason: string }>('hyperbox/traces/recreateOffer');

/** What keeps the eBPF sidecar (hyperbox.traces.ebpf.enabled) from running beside a dev container. */
export interface TracesSidecarProblem {
  folder: string;
  containerId: string;
  /** trust: the folder is not trusted for it; image: its image is not on this machine; privileged: the engine refused a privileged container. */
  missing: 'trust' | 'image' | 'privileged';
  /** The sentence for the user: what is missing and what to do. */
  message: string;
}
/** engine → client: the eBPF sidecar the user's setting asks for does not run beside a container, and why. */
export const TracesSidecarProblemNotice = new NotificationType<TracesSidecarProblem>('hyperbox/traces/sidecarProblem');

/** What prewarming did for a folder, or why it did nothing (PrewarmRequest, hyperbox.prewarm). */
export interface PrewarmStatus {
  /** off: the setting is off; deferred: the host is under pressure (reason says which); ready: the image is built under `tag`. */
  state: 'off' | 'untrusted' | 'not-needed' | 'deferred' | 'ready' | 'failed';
  reason: string;
  /** The temporary tag the image is prewarmed under, until an up uses it. */
  tag?: string;
  /** How long the prewarm build took: what the next up saves. */
  buildMs?: number;
}
/**
 * client → engine: prewarm the folder's next up if it should be (trusted, setting on, host calm).
 * The editor sends Workspace Trust and the finding keys the user accepted for the folder (the build
 * must be among them, or in hb's trust store). Cancellable.
 */
export const PrewarmRequest = new RequestType<{ folder: string; configFile?: string; trusted: boolean; acceptedFindings?: string[] }, PrewarmStatus, void>('hyperbox/live/prewarm');
