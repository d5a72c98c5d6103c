// Every `hb` command, in the order `hb --help` lists them. A command's module is loaded only
// when it runs (or for --help), so e.g. `hb config` does not load the Docker runtime's modules and
// starts as fast as Node allows (bench/config.mjs).
import type { Command } from './command';

export interface CommandEntry {
  name: string;
  load(): Command;
}

// require(), not import(): esbuild bundles each module with a lazy initialiser, so a module's
// code (and the Node built-ins it imports) runs only on its first require.

export const COMMANDS: CommandEntry[] = [
  { name: 'config', load: () => (require('./config.js') as typeof import('./config.js')).configCommand },
  { name: 'up', load: () => (require('./up.js') as typeof import('./up.js')).upCommand },
  { name: 'status', load: () => (require('./status.js') as typeof import('./status.js')).statusCommand },
  { name: 'ps', load: () => (require('./status.js') as typeof import('./status.js')).psCommand },
  { name: 'runtimes', load: () => (require('./runtimes.js') as typeof import('./runtimes.js')).runtimesCommand },
  { name: 'doctor', load: () => (require('./doctor.js') as typeof import('./doctor.js')).doctorCommand },
  { name: 'pressure', load: () => (require('./pressure.js') as typeof import('./pressure.js')).pressureCommand },
  { name: 'ports', load: () => (require('./ports.js') as typeof import('./ports.js')).portsCommand },
  { name: 'watch', load: () => (require('./watch.js') as typeof import('./watch.js')).watchCommand },
  { name: 'reload', load: () => (require('./watch.js') as typeof import('./watch.js')).reloadCommand },
  { name: 'exec', load: () => (require('./exec.js') as typeof import('./exec.js')).execCommand },
  { name: 'logs', load: () => (require('./exec.js') as typeof import('./exec.js')).logsCommand },
  { name: 'stop', load: () => (require('./stop.js') as typeof import('./stop.js')).stopCommand },
  { name: 'down', load: () => (require('./stop.js') as typeof import('./stop.js')).downCommand },
  { name: 'run-hooks', load: () => (require('./up.js') as typeof import('./up.js')).runHooksCommand },
  { name: 'rebuild', load: () => (require('./up.js') as typeof import('./up.js')).rebuildCommand },
  { name: 'detect', load: () => (require('./project.js') as typeof import('./project.js')).detectCommand },
  { name: 'profile', load: () => (require('./project.js') as typeof import('./project.js')).profileCommand },
  { name: 'traces', load: () => (require('./traces.js') as typeof import('./traces.js')).tracesCommand },
  { name: 'features', load: () => (require('./features.js') as typeof import('./features.js')).featuresCommand },
  { name: 'seccomp', load: () => (require('./seccomp.js') as typeof import('./seccomp.js')).seccompCommand },
  { name: 'init', load: () => (require('./project.js') as typeof import('./project.js')).initCommand },
];
