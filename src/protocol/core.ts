import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc/lib/common/messages';

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
