// dockerode and .dockerignore matching, loaded on first use: the engine must start without them,
// so nothing imports this file statically. esbuild builds it as its own file, dist/docker.js, and
// rewrites `require('./lazy.js')` in the engine and CLI bundles to load that file (see esbuild.mjs).
import Docker from 'dockerode';
import dockerignore from '@balena/dockerignore';

export { Docker, dockerignore };
