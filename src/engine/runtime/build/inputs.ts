// Drift: a hash of every input that shapes a container — the config properties that go into it,
// the Dockerfile, .dockerignore and the context files its COPY/ADD lines name. The container
// carries the per-input hashes in a label; comparing them with the current ones says whether it
// is stale and what changed. File contents are read only when their stat changed since the last
// run (a small cache per dev container), and the context's files are not even stat'ed while its
// watcher (contextWatch.ts) vouches that nothing in it changed.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ResolvedConfig } from '../../../protocol';
import { contextFilter, walkContext, type ContextEntry, type ContextFilter } from './context';
import { armWatcher, unchangedSince } from './contextWatch';
import { cacheDir, readJson, writeJson } from '../dirs';
import { contextSources, globToRegExp } from './dockerfile';
import { canonical } from '../../util/canonical';
import { sha256 } from '../../util/sha256';
import { composeInputs } from '../create/compose';
import { featureInputs } from './features';
import { profileInputs } from '../create/profile';

/** Config properties whose change means the container must be recreated to apply it. */
export const SHAPING_PROPERTIES = [
  'image',
  'build',
  'dockerFile',
  'context',
  'features',
  'overrideFeatureInstallOrder',
  'dockerComposeFile',
  'service',
  'runServices',
  'containerEnv',
  'containerUser',
  'mounts',
  'workspaceMount',
  'workspaceFolder',
  'runArgs',
  'capAdd',
  'securityOpt',
  'privileged',
  'init',
  'overrideCommand',
  'appPort',
  'updateRemoteUserUID',
  'onCreateCommand',
  'updateContentCommand',
  'postCreateCommand',
] as const;

export type Inputs = Record<string, string>;

const short = (h: string) => h.slice(0, 16);
const sha = (data: string | Buffer) => sha256(data);

/** Per file: what its stat said when it was last read, and its content's hash. */
type FileCache = Record<string, [size: number, mtimeMs: number, ctimeMs: number, ino: number, hash: string]>;

interface SmallCache {
  /** The Dockerfile and .dockerignore. */
  files?: FileCache;
  /** The context's COPY/ADD inputs as last computed, and the watcher generation that vouches for them (contextWatch.ts). */
  watch?: { gen: string; context: string; dockerfilePath: string; dockerfile: string; ignore: string; sources: Inputs };
}

type Stat = { size: number; mtimeMs: number; ctimeMs: number; ino: number };

/**
 * Hashes files, reading a file's content only when its size, mtime, ctime or inode differ from
 * the last read. ctime cannot be set by a program (unlike mtime, which `touch -d` or an archive
 * tool can restore), so an edit that keeps size and mtime still shows.
 */
class Hasher {
  /** What this run saw: only these are written back, so the cache never outgrows the context. */
  readonly seen: FileCache = {};
  dirty = false;
  constructor(private readonly cache: FileCache) {}

  async file(abs: string, known?: Stat): Promise<string | undefined> {
    let st = known;
    if (!st) {
      try {
        st = await fs.stat(abs);
      } catch {
        return undefined;
      }
    }
    const hit = this.cache[abs];
    if (hit && hit.length === 5 && hit[0] === st.size && hit[1] === st.mtimeMs && hit[2] === st.ctimeMs && hit[3] === st.ino) {
      this.seen[abs] = hit;
      return hit[4];
    }
    let content: Buffer;
    try {
      content = await fs.readFile(abs);
    } catch {
      return undefined;
    }
    const h = sha(content);
    this.seen[abs] = [st.size, st.mtimeMs, st.ctimeMs, st.ino, h];
    this.dirty = true;
    return h;
  }
}

/** `items.map(fn)` with at most `limit` calls in flight (reading 100 000 files at once would run out of file handles). */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function relTo(from: string, to: string): string {
  const rel = path.relative(from, to).split(path.sep).join('/');
  return rel || '.';
}

/**
 * Computes the inputs of a resolved config. With nothing changed it reads no context file: the
 * context's watcher (contextWatch.ts, which explains why that is safe) vouches that nothing in the
 * context changed since the hashes were made; the Dockerfile and .dockerignore are checked
 * every time. Otherwise every file the COPY/ADD lines name is stat'ed, and read if it changed.
 */
export async function computeInputs(resolved: ResolvedConfig, env: NodeJS.ProcessEnv = process.env): Promise<Inputs> {
  const config = resolved.config ?? {};
  const inputs: Inputs = {};
  for (const key of SHAPING_PROPERTIES) {
    if (config[key] !== undefined) inputs[`devcontainer.json ${key}`] = short(sha(canonical(config[key])));
  }
  // local Features (features.ts) and compose files (compose.ts): their contents
  Object.assign(inputs, await featureInputs(resolved));
  if (resolved.kind === 'compose') Object.assign(inputs, await composeInputs(resolved));
  // the language profile's plan (profile.ts): turning it off, or a new stack, changes the container
  Object.assign(inputs, await profileInputs(resolved, env));
  if (resolved.kind !== 'dockerfile' || !resolved.paths.dockerfile || !resolved.paths.context) return inputs;

  // two files per dev container: the small one vouched for by the watcher, read at every check;
  // the per-file stat cache (large for a large context), read only when the context is walked
  const base = path.join(cacheDir(env), 'inputs', resolved.devcontainerId!);
  const configDir = path.dirname(resolved.configFile!);
  const dockerfile = resolved.paths.dockerfile;
  const context = resolved.paths.context;
  const small = (await readJson<SmallCache>(`${base}.json`)) ?? {};
  const hasher = new Hasher(small.files ?? {});
  const dfHash = await hasher.file(dockerfile);
  inputs[`Dockerfile ${relTo(configDir, dockerfile)}`] = dfHash ? short(dfHash) : 'missing';
  const ignoreHash = (await hasher.file(path.join(context, '.dockerignore'))) ?? '';
  if (ignoreHash) inputs['.dockerignore'] = short(ignoreHash);
  if (!dfHash) return inputs;

  // the same Dockerfile and .dockerignore, and the watcher saw nothing happen in the context since
  const w = small.watch;
  if (w && w.context === context && w.dockerfilePath === dockerfile && w.dockerfile === dfHash && w.ignore === ignoreHash && (await unchangedSince(context, w.gen, env))) {
    Object.assign(inputs, w.sources);
    if (hasher.dirty) await writeJson(`${base}.json`, { ...small, files: hasher.seen }).catch(() => undefined);
    return inputs;
  }

  // arm the watcher before reading anything: a change from here on is an event it reports
  const gen = await armWatcher(context, env);
  const smallFiles = hasher.seen;
  const big = new Hasher(((await readJson<{ files?: FileCache }>(`${base}.files.json`)) ?? {}).files ?? {});
  const sourceInputs: Inputs = {};
  const text = await fs.readFile(dockerfile, 'utf8');
  const sources = contextSources(text);
  if (sources.length) {
    const dfRel = path.relative(context, dockerfile).split(path.sep).join('/');
    const filter = await contextFilter(context, dfRel.startsWith('..') ? [] : [dfRel]);
    let all: ContextEntry[] | undefined;
    for (const src of sources) {
      const entries = await sourceEntries(context, filter, src.source, async () => (all ??= await walkContext(context, filter)));
      const lines = await mapLimit(entries, 32, async (e) => `${e.rel}\0${e.link !== undefined ? `link:${e.link}` : await big.file(path.join(context, e.rel), e)}`);
      const key = `${src.keyword} ${src.source}`;
      sourceInputs[key] = short(sha(`${sourceInputs[key] ?? ''}\n${lines.join('\n')}`));
    }
  }
  Object.assign(inputs, sourceInputs);
  if (big.dirty) await writeJson(`${base}.files.json`, { files: big.seen }).catch(() => undefined);
  const next: SmallCache = { files: smallFiles, watch: gen ? { gen, context, dockerfilePath: dockerfile, dockerfile: dfHash, ignore: ignoreHash, sources: sourceInputs } : undefined };
  await writeJson(`${base}.json`, next).catch(() => undefined);
  return inputs;
}

async function sourceEntries(context: string, filter: ContextFilter, source: string, walkAll: () => Promise<ContextEntry[]>): Promise<ContextEntry[]> {
  const clean = path.posix.normalize(source.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (/[*?[]/.test(clean)) {
    const re = globToRegExp(clean);
    const all = await walkAll();
    // a pattern matches files, or folders whose contents are then copied
    return all.filter((e) => {
      if (re.test(e.rel)) return true;
      const parts = e.rel.split('/');
      for (let i = 1; i < parts.length; i++) if (re.test(parts.slice(0, i).join('/'))) return true;
      return false;
    });
  }
  if (clean === '.' || clean === '') return walkAll();
  if (clean.startsWith('..')) return [];
  return walkContext(context, filter, clean);
}

/** What changed between the inputs a container was made from and the current ones. */
export function diffInputs(old: Inputs, current: Inputs): string[] {
  const changed: string[] = [];
  for (const [k, v] of Object.entries(current)) {
    if (!(k in old)) changed.push(`${k} (added)`);
    else if (old[k] !== v) changed.push(k);
  }
  for (const k of Object.keys(old)) if (!(k in current)) changed.push(`${k} (removed)`);
  return changed;
}

export function parseInputsLabel(label: string | undefined): Inputs | undefined {
  if (!label) return undefined;
  try {
    const v = JSON.parse(label);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Inputs) : undefined;
  } catch {
    return undefined;
  }
}
