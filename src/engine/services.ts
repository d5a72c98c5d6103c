// Every service the engine offers over JSON-RPC. Each service folder exports a `register`
// function; this list is the one place they are wired, and it names the capabilities the
// handshake reports.
import type { MessageConnection } from 'vscode-jsonrpc';
import { registerConfigService } from './devcontainer/service';
import { registerProjectService } from './project/service';
import { registerRuntimeService } from './runtime/service';
import { registerSeccompService } from './seccomp/service';
import { registerTerminalService } from './runtime/terminalService';
import { registerTracesService } from './traces/service';

export interface ServiceRegistration {
  /** Capability names reported in the handshake. */
  capabilities: string[];
  /** Registers the handlers; what it returns is disposed when the engine shuts down. */
  register(conn: MessageConnection, log: EngineLog): void | { dispose(): Promise<void> };
}

export interface EngineLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

export const SERVICES: ServiceRegistration[] = [registerConfigService, registerRuntimeService, registerProjectService, registerTerminalService, registerTracesService, registerSeccompService];
