// Tar packing for build contexts, loaded only when an image is built: dist/docker-build.js, loaded
// through `require('./lazy-build.js')` (see esbuild.mjs).
import * as tarFs from 'tar-fs';

export { tarFs };
