// dist/reload-watch.js: hot reload's workspace watcher in a worker thread (watch.ts). The watcher
// and the ignore rules run here; what changed goes to the engine's thread in lists: at once when
// nothing was posted for POST_MS, else POST_MS after the last post (a save is not held; a burst
// of 5 000 files is a few dozen messages, not one per turn of this thread's loop).
import { parentPort, workerData } from 'node:worker_threads';
import { loadIgnore } from './ignore';
import { watchInThread, type WatchWorkerData, type WatchWorkerMessage, type WorkspaceWatch } from './watch';

const port = parentPort;
if (!port) throw new Error('reload-watch.js runs as a worker thread of the engine (watch.ts), not on its own');

const { root, extra } = workerData as WatchWorkerData;
const post = (m: WatchWorkerMessage) => port.postMessage(m);
/** The least time between two posts of changes. */
const POST_MS = 10;
let changed: string[] = [];
let scheduled = false;
let postedAt = 0;
const send = () => {
  scheduled = false;
  if (!changed.length) return;
  postedAt = Date.now();
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
        const wait = postedAt + POST_MS - Date.now();
        if (wait > 0) setTimeout(send, wait);
        else setImmediate(send);
      }
    },
    (message) => post({ t: 'warn', message }),
    () => post({ t: 'polling' }),
  );
  void watch.ready.then(() => post({ t: 'ready' }));
});
