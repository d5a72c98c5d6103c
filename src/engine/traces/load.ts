// Loads the trace receiver on first use: in the bundles, `./lazy.js` is dist/traces.js (esbuild.mjs).
export type TracesModule = typeof import('./lazy.js');

export function loadTraces(): TracesModule {
  return require('./lazy.js') as TracesModule;
}
