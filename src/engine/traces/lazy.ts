// The receiver and everything it needs (protobufjs, the OTLP messages) in a file of its own:
// bundled as dist/traces.js and loaded by load.ts only when traces are turned on, so the engine and
// `hb` start without it (see esbuild.mjs).
export { DEFAULT_TRACES_PORT, TraceReceiver, queryJson, queryString, type ReceiverOptions } from './receiver';
export { loadToken, tokenFile } from './token';
