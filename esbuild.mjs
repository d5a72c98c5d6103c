// One build script, several contexts:
//  - extension: the VS Code side (cjs, `vscode` external)
//  - engine:    the JSON-RPC engine process and the `hb` CLI (node)
//  - webviews:  the panels' browser apps, media/<panel>/main.ts -> dist/media/<panel>.js and .css
// Type checking is a separate step (`npm run typecheck`).
import * as esbuild from 'esbuild';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  legalComments: 'none',
  metafile: true,
  logLevel: process.argv.includes('--quiet') ? 'warning' : 'info',
  loader: { '.node': 'empty' },
  // prefer ES module builds: jsonc-parser's UMD build cannot be bundled
  mainFields: ['module', 'main'],
};

// The runtime's heavy modules live in files of their own, loaded on first use. In the engine and CLI
// bundles, a `require()` of src/engine/runtime/lazy.ts (dockerode) becomes `require('./docker.js')`,
// of lazy-build.ts (tar packing, .gitignore matching) `require('./docker-build.js')`, of lazy-ssh.ts
// (ssh2) `require('./docker-ssh.js')` and of lazy-compose.ts (js-yaml, for Compose files)
// `require('./docker-compose.js')`, from whichever engine folder it is written (`../lazy.js`,
// `../runtime/lazy-build.js`, ...). So starting the engine, or an `hb up` that builds and downloads
// nothing, never loads them.
const LAZY = { 'lazy.js': './docker.js', 'lazy-build.js': './docker-build.js', 'lazy-ssh.js': './docker-ssh.js', 'lazy-compose.js': './docker-compose.js' };
const lazyRuntime = {
  name: 'lazy-runtime',
  setup(build) {
    const runtimeDir = path.resolve('src', 'engine', 'runtime');
    build.onResolve({ filter: /^\.\.?\/.*lazy(-build|-ssh|-compose)?\.js$/ }, (args) =>
      path.resolve(args.resolveDir, path.dirname(args.path)) === runtimeDir ? { path: LAZY[path.posix.basename(args.path)], external: true } : undefined,
    );
  },
};
// The OTLP trace receiver (protobufjs and the generated OTLP messages) is dist/traces.js: in
// src/engine/traces, `require('./lazy.js')` becomes `require('./traces.js')`, loaded only when traces
// are turned on (the engine's TracesStart, `hb traces`).
const lazyTraces = {
  name: 'lazy-traces',
  setup(build) {
    build.onResolve({ filter: /^\.\/lazy\.js$/ }, (args) =>
      args.resolveDir.endsWith(path.join('src', 'engine', 'traces')) ? { path: './traces.js', external: true } : undefined,
    );
  },
};

/** A dependency's file with `eager` replaced by `lazy(eager)`; left as it is, with a warning, once the dependency changed. */
async function patched(file, pkg, eager, lazy) {
  const source = await readFile(file, 'utf8');
  if (!source.includes(eager)) return { contents: source, loader: 'js', warnings: [{ text: `${pkg} changed: "${eager}" not found in ${path.basename(file)}, left as it is` }] };
  return { contents: source.replace(eager, lazy(eager)), loader: 'js' };
}

// Inside dist/docker.js: dockerode's BuildKit support (a gRPC session, .proto files read at run
// time) is left out: HyperBox gives the engine's BuildKit the context as a tar, with no session
// (image.ts), reads its progress itself (buildkitProgress.ts), and builds Dockerfiles that need a
// session (secrets, ssh) through the docker CLI. docker-modem's ssh transport is left out too:
// HyperBox's own (lazy-ssh.ts, with ssh2) is dist/docker-ssh.js, loaded only for an ssh:// engine.
const slimDockerode = {
  name: 'slim-dockerode',
  setup(build) {
    build.onResolve({ filter: /^\.\/(session|buildkit)$/ }, (args) =>
      args.importer.includes(`${path.sep}dockerode${path.sep}`) ? { path: 'dockerode-buildkit', namespace: 'hb-shim' } : undefined,
    );
    // dockerode packs build contexts itself only when given a folder; HyperBox sends its own stream
    build.onResolve({ filter: /^(tar-fs|@balena\/dockerignore)$/ }, (args) =>
      args.importer.includes(`${path.sep}dockerode${path.sep}`) ? { path: 'dockerode-context', namespace: 'hb-shim' } : undefined,
    );
    build.onResolve({ filter: /^\.\/ssh$/ }, (args) =>
      args.importer.includes(`${path.sep}docker-modem${path.sep}`) ? { path: 'docker-modem-ssh', namespace: 'hb-shim' } : undefined,
    );
    // docker-modem formats every request's options (util.inspect with showHidden, no depth limit:
    // the agent and its sockets too) for its `debug` log even when that log is off, a few ms per
    // request; formatted only when DEBUG turns the log on
    build.onLoad({ filter: /[\\/]docker-modem[\\/]lib[\\/]modem\.js$/ }, (args) => patched(args.path, 'docker-modem', "debug('Sending: %s', util.inspect(options, {", (eager) => `debug.enabled && ${eager}`));
    // Node modules an engine on a unix socket never uses, loaded when first used instead of with
    // dockerode (every hb command that talks to the engine): https and tls (about 6 ms; docker-modem
    // calls only their `request`) and zlib (gzip of a build context dockerode packs itself).
    build.onLoad({ filter: /[\\/]docker-modem[\\/]lib[\\/]http\.js$/ }, (args) =>
      patched(args.path, 'docker-modem', "var nativeHttps = require('https'),", () => "var nativeHttps = { request: function () { return require('https').request.apply(this, arguments); } },"),
    );
    build.onLoad({ filter: /[\\/]dockerode[\\/]lib[\\/]util\.js$/ }, (args) =>
      patched(args.path, 'dockerode', "var zlib = require('zlib');", () => "var zlib = { createGzip: function () { return require('zlib').createGzip.apply(this, arguments); } };"),
    );
    // the `debug` package (and supports-color, which probes the terminal) is set up only when
    // DEBUG asks for a log; otherwise docker-modem gets a log that is off, as `debug` would give it
    build.onResolve({ filter: /^debug$/ }, (args) =>
      args.importer.includes(`${path.sep}docker-modem${path.sep}`) ? { path: 'debug-when-asked', namespace: 'hb-shim', pluginData: { resolveDir: args.resolveDir } } : undefined,
    );
    build.onLoad({ filter: /^debug-when-asked$/, namespace: 'hb-shim' }, (args) => ({
      contents:
        "module.exports = function (namespace) { if (process.env.DEBUG) return require('debug')(namespace); const off = function () {}; off.enabled = false; off.namespace = namespace; return off; };",
      loader: 'js',
      resolveDir: args.pluginData.resolveDir,
    }));
    build.onLoad({ filter: /.*/, namespace: 'hb-shim' }, (args) => ({
      contents:
        args.path === 'dockerode-buildkit'
          ? "module.exports = function () { throw new Error('dockerode\\'s BuildKit session is not bundled; HyperBox sends BuildKit builds their context as a tar (image.ts).'); };"
          : args.path === 'dockerode-context'
            ? "module.exports = function () { throw new Error('dockerode context packing is not bundled; pass a tar stream.'); };"
            : // HyperBox connects to ssh:// engines with its own transport (dist/docker-ssh.js, from lazy-ssh.ts)
            "module.exports = function () { throw new Error('docker-modem\\'s ssh transport is not bundled; HyperBox passes its own agent for ssh:// engines.'); };",
      loader: 'js',
    }));
  },
};

// `hb` loads a command's code only when that command runs: in src/engine/cli/commands.ts,
// `require('./config.js')` becomes `require('./cli-config.js')`, a bundle of its own, so `hb config`
// parses a small file instead of every command's code (bench/config.mjs).
const CLI_COMMAND_MODULES = ['config', 'up', 'status', 'stop', 'exec', 'project', 'ports', 'runtimes', 'traces', 'doctor', 'pressure', 'features', 'seccomp', 'watch'];
const lazyCommands = {
  name: 'lazy-commands',
  setup(build) {
    build.onResolve({ filter: /^\.\/[a-z]+\.js$/ }, (args) => {
      const name = args.path.slice(2, -3);
      return args.importer.endsWith(path.join('src', 'engine', 'cli', 'commands.ts')) && CLI_COMMAND_MODULES.includes(name)
        ? { path: `./cli-${name}.js`, external: true }
        : undefined;
    });
  },
};

// jsonc-parser's modules have no side effects, but its package does not say so: without this, a
// bundle that only parses (hb up, hb status) also sets up its formatter (format.js builds some
// 1200 indentation strings at load).
const pureJsonc = {
  name: 'pure-jsonc',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData?.pureJsonc || !(args.path === 'jsonc-parser' || args.importer.includes(`${path.sep}jsonc-parser${path.sep}`))) return undefined;
      const r = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { pureJsonc: true } });
      return r.errors.length ? undefined : { ...r, sideEffects: false };
    });
  },
};

// `import * as path from 'node:path'` in a CommonJS bundle gives each importing module its own copy
// of the module object (esbuild's __toESM: a getter per property): some 50 copies in hb up, a few
// ms and 200 KB of garbage per run. HyperBox's own imports of the builtins it imports that way go
// through one ES module per builtin instead, which re-exports it once.
const SHARED_BUILTINS = /^node:(path|os|fs|net|http)$/;
const sharedBuiltins = {
  name: 'shared-builtins',
  setup(build) {
    const src = path.resolve('src') + path.sep;
    build.onResolve({ filter: SHARED_BUILTINS }, (args) =>
      args.kind === 'import-statement' && args.importer.startsWith(src) ? { path: args.path, namespace: 'hb-builtin' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'hb-builtin' }, (args) => ({ contents: `export * from ${JSON.stringify(args.path)};`, loader: 'js' }));
  },
};

const contexts = [
  {
    name: 'extension',
    ...common,
    entryPoints: { extension: 'src/extension/main.ts' },
    outdir: 'dist',
    external: ['vscode'],
  },
  {
    name: 'engine',
    ...common,
    entryPoints: {
      engine: 'src/engine/main.ts',
      cli: 'src/engine/cli.ts',
      // the build-context watcher the drift check starts (runtime/contextWatch.ts)
      'context-watch': 'src/engine/contextWatcher.ts',
      // hot reload's workspace watcher, a worker thread of the engine or hb watch (reload/watch.ts)
      'reload-watch': 'src/engine/reload/watchWorker.ts',
      ...Object.fromEntries(CLI_COMMAND_MODULES.map((m) => [`cli-${m}`, `src/engine/cli/${m}.ts`])),
    },
    outdir: 'dist',
    // heavy, rarely needed modules are split into their own files and loaded on first use
    splitting: false,
    plugins: [pureJsonc, sharedBuiltins, lazyRuntime, lazyTraces, lazyCommands],
  },
  {
    name: 'docker',
    ...common,
    entryPoints: { docker: 'src/engine/runtime/lazy.ts' },
    outdir: 'dist',
    plugins: [slimDockerode],
  },
  {
    name: 'traces',
    ...common,
    entryPoints: { traces: 'src/engine/traces/lazy.ts' },
    outdir: 'dist',
  },
  {
    name: 'docker-build',
    ...common,
    entryPoints: { 'docker-build': 'src/engine/runtime/lazy-build.ts' },
    outdir: 'dist',
  },
  {
    name: 'docker-compose',
    ...common,
    entryPoints: { 'docker-compose': 'src/engine/runtime/lazy-compose.ts' },
    outdir: 'dist',
  },
  {
    name: 'docker-ssh',
    ...common,
    entryPoints: { 'docker-ssh': 'src/engine/runtime/lazy-ssh.ts' },
    outdir: 'dist',
  },
];

// Webview apps: one folder per panel under media/, each a plain TypeScript DOM app (no framework)
// whose main.ts imports its CSS; built for the browser into dist/media/<panel>.js and .css, the
// only folder a webview may load from (src/extension/panels/panel.ts).
const WEBVIEWS = ['devContainer', 'traces', 'pressure', 'seccomp'];
contexts.push({
  name: 'webviews',
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['chrome120'],
  sourcemap: production ? false : 'linked',
  minify: production,
  legalComments: 'none',
  metafile: true,
  logLevel: common.logLevel,
  entryPoints: Object.fromEntries(WEBVIEWS.map((w) => [w, `media/${w}/main.ts`])),
  outdir: 'dist/media',
});

/** Prints the lines the esbuild problem matchers expect, with errors in file:line:col form. */
function watchReporter(name) {
  return {
    name: 'watch-reporter',
    setup(build) {
      build.onStart(() => console.log(`[watch] build started (${name})`));
      build.onEnd((result) => {
        for (const { text, location } of result.errors) {
          console.error(`✘ [ERROR] ${text}`);
          if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
        }
        console.log(`[watch] build finished (${name})`);
      });
    },
  };
}

await mkdir('dist', { recursive: true });
const metas = {};
for (const { name, ...options } of contexts) {
  if (watch) {
    const ctx = await esbuild.context({ ...options, plugins: [...(options.plugins ?? []), watchReporter(name)] });
    await ctx.watch();
  } else {
    const result = await esbuild.build(options);
    metas[name] = result.metafile;
  }
}
if (!watch) {
  await writeFile('dist/meta.json', JSON.stringify(metas));
}
