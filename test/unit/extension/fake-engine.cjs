// A misbehaving stand-in for the engine, for the client's tests of what the real engine does not
// do on purpose. The test passes the method names from the typed protocol constants in the
// environment (HB_METHOD_*), and the behaviour in FAKE_ENGINE_MODE:
//   log     answer the handshake after sending a log message at every level and two stderr lines
//   silent  never answer the handshake
//   exit    write to stderr and exit with code 3 at once
'use strict';
const { createMessageConnection, StreamMessageReader, StreamMessageWriter } = require('vscode-jsonrpc/node');

const mode = process.env.FAKE_ENGINE_MODE;
if (mode === 'exit') {
  process.stderr.write('fake engine: giving up at once\n');
  process.exit(3);
}
const conn = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
conn.onRequest(process.env.HB_METHOD_INITIALIZE, async () => {
  if (mode === 'silent') return new Promise(() => undefined);
  for (const level of ['trace', 'debug', 'info', 'warn', 'error']) {
    await conn.sendNotification(process.env.HB_METHOD_LOG, { level, message: `a ${level} message` });
  }
  process.stderr.write('[info] a copy of a log message\nsomething the runtime printed\n');
  // report how it was started, for the client's tests
  const capabilities = ['fake', `ELECTRON_RUN_AS_NODE=${process.env.ELECTRON_RUN_AS_NODE}`, `execPath=${process.execPath}`];
  return { version: '9.9.9-fake', protocolVersion: Number(process.env.HB_PROTOCOL_VERSION), capabilities, pid: process.pid, node: process.version };
});
conn.onRequest(process.env.HB_METHOD_SHUTDOWN, () => setImmediate(() => process.exit(0)));
conn.listen();
process.stdin.on('end', () => process.exit(0));
