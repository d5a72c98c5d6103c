// dist/reload-watch.js: hot reload's workspace watcher in a worker thread (watch.ts). chokidar and
// the ignore rules run here; what changed goes to the engine's thread in lists posted once per
// turn of this thread's event loop (a burst of 5 000 files is a few dozen messages, not 5 000).
import { parentPort, workerData } from 'node:worker_threads';
import { loadIgnore } from './ignore';
import { watchInThread, type WatchWorkerData, type WatchWorkerMessage, type WorkspaceWatch } from './watch';

const port = parentPort;
if (!port) throw new Error('reload-watch.js runs as a worker thread of the engine (watch.ts), not on its own');

const { root, extra } = workerData as WatchWorkerData;
const post = (m: WatchWorkerMessage) => port.postMessage(m);
let changed: string[] = [];
let scheduled = false;
const send = () => {
  scheduled = false;
  if (!changed.length) return;
  post({ t: 'changes', paths: changed });
  changed = [];
};

let watch: WorkspaceWatch | undefined;
let closing = false;
port.on('message', (m) => {
  if (m !== 'close' || closing) return;
  closing = true;
  void (watch?.close() ?? Promise.resolve())
    .catch(() => undefined)
    .then(() => {
      post({ t: 'closed' });
      port.close();
    });
});

void loadIgnore(root, extra).then((ignore) => {
  if (closing) return;
  watch = watchInThread(
    root,
    ignore,
    (rel, dir, entry) => {
      changed.push(`${dir ? 'd' : entry ? 'n' : 'f'}${rel}`);
      if (!scheduled) {
        scheduled = true;
        setImmediate(send);
      }
    },
    (message) => post({ t: 'warn', message }),
    () => post({ t: 'polling' }),
  );
  void watch.ready.then(() => post({ t: 'ready' }));
});
