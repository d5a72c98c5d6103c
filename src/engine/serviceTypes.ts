// What a service of the engine is (registered in services.ts) and the log every service writes to:
// apart from the registry, so the services import these types without importing the list of
// services that imports them.
import type { MessageConnection } from 'vscode-jsonrpc';

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
