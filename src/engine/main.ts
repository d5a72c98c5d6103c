// The HyperBox engine: a JSON-RPC server on stdio. stdout carries protocol messages only;
// anything else (logs, stray console output) goes to stderr or to LogMessage notifications.
import { format } from 'node:util';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { Initialize, LogMessage, Ping, PROTOCOL_VERSION, Shutdown, type LogLevel } from '../protocol';
import { SERVICES, type EngineLog } from './services';
import { VERSION } from './version';

// Nothing but the protocol may reach stdout: route console output to stderr.
const toStderr = (...args: unknown[]) => process.stderr.write(format(...args) + '\n');
console.log = toStderr;
console.info = toStderr;
console.debug = toStderr;

const started = Date.now();
const conn = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));

function send(level: LogLevel, message: string): void {
  process.stderr.write(`[${level}] ${message}\n`);
  conn.sendNotification(LogMessage, { level, message }).catch(() => undefined);
}
const log: EngineLog = {
  info: (m) => send('info', m),
  warn: (m) => send('warn', m),
  error: (m) => send('error', m),
  debug: (m) => send('debug', m),
};

// A bug in one request must not take the engine down: report it and keep serving.
process.on('uncaughtException', (e) => log.error(`uncaught: ${e?.stack ?? e}`));
process.on('unhandledRejection', (e) => log.error(`unhandled rejection: ${(e as Error)?.stack ?? e}`));

conn.onRequest(Initialize, () => ({
  version: VERSION,
  protocolVersion: PROTOCOL_VERSION,
  capabilities: SERVICES.flatMap((s) => s.capabilities),
  pid: process.pid,
  node: process.version,
}));
conn.onRequest(Ping, () => ({ uptimeMs: Date.now() - started, rssBytes: process.memoryUsage().rss }));
conn.onRequest(Shutdown, () => {
  setImmediate(() => process.exit(0));
});
for (const service of SERVICES) service.register(conn, log);

conn.onError(([error]) => log.error(`protocol error: ${error.message}`));
conn.onClose(() => process.exit(0));
conn.listen();
// The client closing our stdin means it is gone: exit rather than linger.
process.stdin.on('end', () => process.exit(0));
