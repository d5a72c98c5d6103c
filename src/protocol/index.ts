// The one protocol between the extension (client) and the engine (server), and the shapes the
// `hb` CLI prints with --json. Each message is a typed constant; both sides import this file.
// Direction is noted on each: client → engine (request), engine → client (notification).
// One file per capability (core: shared shapes, the handshake, logs and progress; then config,
// project, runtime with ports, terminals and timelines, traces, pressure, doctor, seccomp, reload,
// live), all re-exported here: import from this index, not from the files.

export const PROTOCOL_VERSION = 1;
export * from './core';
export * from './config';
export * from './project';
export * from './runtime';
export * from './traces';
export * from './pressure';
export * from './doctor';
export * from './seccomp';
export * from './text';
export * from './reload';
export * from './live';
