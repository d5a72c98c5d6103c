// The YAML parser for Compose files (js-yaml), loaded only when a Compose config is read:
// dist/docker-compose.js, loaded through `require('./lazy-compose.js')` (see esbuild.mjs).
import * as yaml from 'js-yaml';

export { yaml };
