// Every service the engine offers over JSON-RPC. Each service folder exports a `register`
// function; this list is the one place they are wired, and it names the capabilities the
// handshake reports.
import type { ServiceRegistration } from './serviceTypes';
import { registerConfigService } from './devcontainer/service';
import { registerProjectService } from './project/service';
import { registerRuntimeService } from './runtime/service';
import { registerSeccompService } from './seccomp/service';
import { registerTerminalService } from './runtime/terminal/terminalService';
import { registerTracesService } from './traces/service';

export const SERVICES: ServiceRegistration[] = [registerConfigService, registerRuntimeService, registerProjectService, registerTerminalService, registerTracesService, registerSeccompService];
