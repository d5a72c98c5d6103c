// One build script, several contexts:
//  - extension: the VS Code side (cjs, `vscode` external)
//  - engine:    the JSON-RPC engine process and the `hb` CLI (node)
// Type checking is a separate step (`npm run typecheck`).
import * as esbuild from 'esbuild';
import { writeFile, mkdir } from 'node:fs/promises';

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
    entryPoints: { engine: 'src/engine/main.ts', cli: 'src/engine/cli.ts' },
    outdir: 'dist',
    // heavy, rarely needed modules are split into their own files and loaded on first use
    splitting: false,
  },
];

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
    const ctx = await esbuild.context({ ...options, plugins: [watchReporter(name)] });
    await ctx.watch();
  } else {
    const result = await esbuild.build(options);
    metas[name] = result.metafile;
  }
}
if (!watch) {
  await writeFile('dist/meta.json', JSON.stringify(metas));
}
