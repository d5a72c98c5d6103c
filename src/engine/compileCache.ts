// A V8 code cache for HyperBox's own bundles, so `hb` does not parse and compile its ~1 MB of
// JavaScript afresh on every run (about 30 ms of CPU for `hb up` on a 2-core machine).
//
// Node 22.1+ has this built in (module.enableCompileCache), and we use it there. VS Code 1.100
// and our minimum Node are 20, which lacks it, so for Node 20 we keep a small hook of our own
// instead of the v8-compile-cache package: that package stores the code V8 compiled before a
// module ran (its top level only), hashes every file on every start, and has not been updated
// since 2023. Ours stores the cache after the command ran, so the functions the command
// actually used are in it, and keys a file by its size and mtime.
//
// The cache is disposable: it lives in HyperBox's cache directory, every read or write error
// means "no cache", and V8 itself rejects data made by another V8 version, other flags, or for
// another source (then it is written again). HB_COMPILE_CACHE=0 turns it off.
import { isAscii } from 'node:buffer';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { cacheDir } from './runtime/dirs';

interface ModuleInternals {
  _compile(content: string, filename: string): unknown;
  require(id: string): unknown;
  exports: unknown;
}
interface ModuleStatics {
  prototype: ModuleInternals;
  wrap(content: string): string;
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  _cache: unknown;
  _extensions: Record<string, (module: ModuleInternals, filename: string) => unknown>;
  enableCompileCache?: (dir?: string) => unknown;
}

/** Where the cache of one bundle goes: its name, size and mtime, and the Node that compiled it. */
export function cacheFileFor(dir: string, file: string, stat: { size: number; mtimeMs: number }): string {
  return path.join(dir, `${path.basename(file)}-${stat.size}-${Math.round(stat.mtimeMs)}-${process.version}-${process.arch}.v8`);
}

/**
 * Caches the compiled code of the JavaScript files directly in `bundleDir` (dist/). Returns how:
 * `node` (Node's own cache), `hook` (ours), or `off`.
 */
export function enableCompileCache(bundleDir: string, env: NodeJS.ProcessEnv = process.env): 'node' | 'hook' | 'off' {
  if (env.HB_COMPILE_CACHE === '0') return 'off';
  const dir = path.join(cacheDir(env), 'v8');
  const M = Module as unknown as ModuleStatics;
  if (typeof M.enableCompileCache === 'function') {
    try {
      M.enableCompileCache(dir);
      return 'node';
    } catch {
      return 'off';
    }
  }
  // A bundle's text, read as Latin-1 when it is all ASCII (esbuild writes ASCII: it escapes
  // anything else), which is the same text and saves decoding UTF-8: about 1.5 ms for hb up's
  // 640 KB. Node's loader for .js files does only this and the ES module check our CommonJS
  // bundles never need.
  const loadJs = M._extensions['.js'];
  M._extensions['.js'] = function loadBundle(module: ModuleInternals, filename: string) {
    if (path.dirname(filename) !== bundleDir) return loadJs.call(this, module, filename);
    const bytes = fs.readFileSync(filename);
    return module._compile(isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8'), filename);
  };
  const original = M.prototype._compile;
  const toWrite: { file: string; bundle: string; script: vm.Script }[] = [];
  M.prototype._compile = function compileCached(this: ModuleInternals, content: string, filename: string) {
    if (path.dirname(filename) !== bundleDir) return original.call(this, content, filename);
    let cacheFile: string | undefined;
    let cachedData: Buffer | undefined;
    try {
      cacheFile = cacheFileFor(dir, filename, fs.statSync(filename));
      cachedData = fs.readFileSync(cacheFile);
    } catch {
      // no cache yet
    }
    const script = new vm.Script(M.wrap(content), { filename, cachedData });
    if (cacheFile && (!cachedData || script.cachedDataRejected)) toWrite.push({ file: cacheFile, bundle: path.basename(filename), script });
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    // the require a module gets from Node (lib/internal/modules/helpers.js makeRequireFunction)
    const req = ((id: string) => this.require(id)) as NodeJS.Require;
    const resolve = ((request: string, options?: unknown) => M._resolveFilename(request, this, false, options)) as NodeJS.RequireResolve;
    req.resolve = resolve;
    req.main = require.main;
    req.cache = M._cache as NodeJS.Require['cache'];
    req.extensions = M._extensions as unknown as NodeJS.Require['extensions'];
    return wrapper.call(this.exports, this.exports, req, this, filename, path.dirname(filename));
  };
  // after the command ran: the cache then holds the functions it compiled along the way
  process.once('exit', () => {
    for (const { file, bundle, script } of toWrite) {
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, file);
        // the caches of earlier builds of this bundle are of no more use
        const stem = `${bundle}-`;
        for (const old of fs.readdirSync(path.dirname(file))) {
          if (old.startsWith(stem) && old.endsWith('.v8') && old !== path.basename(file)) fs.rmSync(path.join(path.dirname(file), old), { force: true });
        }
      } catch {
        // the cache is an optimisation: a read-only or full disk only means none next time
      }
    }
  });
  return 'hook';
}
