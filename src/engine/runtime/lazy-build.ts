// Tar packing for build contexts (tar-stream), workspace copies and Feature downloads (tar-fs), the
// .gitignore matching of workspace copies (ignore), and the protobuf reader for a BuildKit build's
// progress (buildkitProgress.ts), loaded only when one of those runs:
// dist/docker-build.js, loaded through `require('./lazy-build.js')` (from src/engine/runtime) or
// `require('./lazy-build.js')` (from the engine's other folders); see esbuild.mjs.
import ignore from 'ignore';
import * as tarFs from 'tar-fs';
import * as tarStream from 'tar-stream';
import { Reader as ProtobufReader } from 'protobufjs/minimal';

export { ignore, ProtobufReader, tarFs, tarStream };
