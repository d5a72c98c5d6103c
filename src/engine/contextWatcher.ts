// dist/context-watch.js: the build-context watcher process (runtime/contextWatch.ts), started
// detached by the drift check with the context folder and the socket to answer on.
import { runWatcher } from './runtime/build/contextWatch';

const [contextDir, socket] = process.argv.slice(2);
if (!contextDir || !socket) {
  process.stderr.write('usage: context-watch.js CONTEXT_FOLDER SOCKET\n');
  process.exit(2);
}
runWatcher(contextDir, socket).catch((e: Error) => {
  process.stderr.write(`context-watch: ${e.message}\n`);
  process.exit(1);
});
