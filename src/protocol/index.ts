// The one protocol between the extension (client) and the engine (server), and the shapes the
// `hb` CLI prints with --json. Each message is a typed constant; both sides import this file.
// Direction is noted on each: client → engine (request), engine → client (notification).
// One file per capability (core: shared shapes, the handshake, logs and progress; then config,
// project, runtime with ports, terminals and timelines, traces, pressure, doctor, seccomp, reload,
// live), all re-exported here: import from this index, not from the files.
// The message types come from vscode-jsonrpc's messages module, not its package root: the root is
// the whole JSON-RPC connection for Node (net, streams, 120 KB), which every `hb` command that
// only needs a constant from here (hb up, hb status) would otherwise load; they are the same
// classes the connection uses.

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
