// Tar packing for build contexts (tar-stream) and workspace copies (tar-fs), loaded only when an image is built: dist/docker-build.js, loaded
// through `require('./lazy-build.js')` (see esbuild.mjs).
import * as tarFs from 'tar-fs';
import * as tarStream from 'tar-stream';

export { tarFs, tarStream };
