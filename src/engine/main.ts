// The HyperBox engine: a JSON-RPC server on stdio. stdout carries protocol messages only;
// anything else (logs, stray console output) goes to stderr or to LogMessage notifications.
import { format } from 'node:util';
import { createMessageConnection, StreamMessageWriter, type Message, type RequestMessage, type ResponseMessage } from 'vscode-jsonrpc/node';
import { Initialize, LogMessage, Ping, PROTOCOL_VERSION, Shutdown, type LogLevel } from '../protocol';
import { answerBatch, answerUnparsable, checkMessage } from './rpc/params';
import { ResyncingMessageReader } from './rpc/reader';
import { SERVICES } from './services';
import type { EngineLog } from './serviceTypes';
import { VERSION } from './version';

// Nothing but the protocol may reach stdout: route console output to stderr.
const toStderr = (...args: unknown[]) => process.stderr.write(format(...args) + '\n');
console.log = toStderr;
console.info = toStderr;
console.debug = toStderr;

const started = Date.now();

// Shutdown is answered before the engine exits: the process ends once that answer is written.
let shutdownId: RequestMessage['id'] | undefined;
class ShutdownAwareWriter extends StreamMessageWriter {
  override async write(message: Message): Promise<void> {
    await super.write(message);
    if (shutdownId !== undefined && (message as ResponseMessage).id === shutdownId) process.exit(0);
  }
}
const writer = new ShutdownAwareWriter(process.stdout);
// The reader skips input that is not a message and finds the next one (see rpc/reader.ts); every
// message's shape and parameters are checked there, in one place, before a handler sees them, and
// a malformed one that carries an id is answered (rpc/params.ts).
const reader = new ResyncingMessageReader(process.stdin, {
  observe: (m) => {
    if ((m as RequestMessage).method === Shutdown.method && (m as RequestMessage).id != null) shutdownId = (m as RequestMessage).id;
  },
  gate: { check: checkMessage, answerBatch, answerUnparsable, reply: (r) => void writer.write(r).catch(() => undefined) },
});
const conn = createMessageConnection(reader, writer);

// One path per log line: a LogMessage notification once a client has said hello (Initialize); before
// that, or for a peer that never does, stderr as `[level] message`, which the editor shows at that level.
let clientReady = false;
function send(level: LogLevel, message: string): void {
  if (clientReady) conn.sendNotification(LogMessage, { level, message }).catch(() => undefined);
  else process.stderr.write(`[${level}] ${message}\n`);
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

conn.onRequest(Initialize, () => {
  clientReady = true;
  return {
  version: VERSION,
  protocolVersion: PROTOCOL_VERSION,
  capabilities: SERVICES.flatMap((s) => s.capabilities),
  pid: process.pid,
  node: process.version,
  };
});
conn.onRequest(Ping, () => ({ uptimeMs: Date.now() - started, rssBytes: process.memoryUsage().rss }));
const disposables = SERVICES.map((service) => service.register(conn, log)).filter((d) => !!d);
/** How long the services may take to end their work (forwards, watchers) before the engine exits anyway. */
const DISPOSE_MS = 1500;
let disposing: Promise<void> | undefined;
function disposeServices(): Promise<void> {
  disposing ??= Promise.race([
    Promise.allSettled(disposables.map((d) => d.dispose())).then(() => undefined),
    new Promise<void>((r) => setTimeout(r, DISPOSE_MS).unref()),
  ]);
  return disposing;
}
conn.onRequest(Shutdown, async () => {
  // normally the writer exits once the answer is out; this is the fallback if it cannot be written
  setTimeout(() => process.exit(0), DISPOSE_MS + 2000).unref();
  await disposeServices();
});

conn.onError(([error]) => log.error(`protocol error: ${error.message}`));
const exit = () => void disposeServices().then(() => process.exit(0));
conn.onClose(exit);
conn.listen();
// The client closing our stdin means it is gone: exit rather than linger.
process.stdin.on('end', exit);
