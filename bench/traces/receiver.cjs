// The receiver side of bench/traces/ingest.mjs, in a process of its own: the engine's receiver
// exactly as the engine loads it (dist/traces.js), listening on 127.0.0.1 with a bounded store. It
// answers the parent's questions about its CPU time, memory and store over the IPC channel.
'use strict';
const path = require('node:path');

const [, , repo, configDir, maxSpans] = process.argv;
const { TraceReceiver } = require(path.join(repo, 'dist', 'traces.js'));

TraceReceiver.start({ port: 0, env: { HB_CONFIG_DIR: configDir }, limits: { maxSpans: Number(maxSpans) } }).then((receiver) => {
  process.on('message', (m) => {
    if (m === 'usage') {
      const before = process.memoryUsage();
      let afterGc;
      if (global.gc) {
        global.gc();
        afterGc = process.memoryUsage();
      }
      process.send({ cpu: process.cpuUsage(), rss: before.rss, heapUsed: before.heapUsed, before, afterGc, stats: receiver.status() });
    } else if (m === 'stop') {
      receiver.close().then(() => process.exit(0));
    }
  });
  process.send({ port: receiver.port });
});
