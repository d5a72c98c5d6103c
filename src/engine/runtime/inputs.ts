// Drift: a hash of every input that shapes a container — the config properties that go into it,
// the Dockerfile, .dockerignore and the context files its COPY/ADD lines name. The container
// carries the per-input hashes in a label; comparing them with the current ones says whether it
// is stale and what changed. File contents are read only when their size or mtime changed since
// the last run (a small cache per dev container), so a second `up` costs a few stats.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ResolvedConfig } from '../../protocol';
import { contextFilter, walkContext, type ContextEntry, type ContextFilter } from './context';
import { cacheDir, readJson, writeJson } from './dirs';
import { contextSources, globToRegExp } from './dockerfile';
import { composeInputs } from './compose';
import { featureInputs } from './features';
import { profileInputs } from './profile';

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
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** JSON with sorted keys, so equal values hash equally. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .filter((k) => obj[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

type FileCache = Record<string, [size: number, mtimeMs: number, hash: string]>;

class Hasher {
  dirty = false;
  constructor(private readonly cache: FileCache) {}

  async file(abs: string, known?: { size: number; mtimeMs: number }): Promise<string | undefined> {
    let st = known;
    if (!st) {
      try {
        st = await fs.stat(abs);
      } catch {
        return undefined;
      }
    }
    const hit = this.cache[abs];
    if (hit && hit[0] === st.size && hit[1] === st.mtimeMs) return hit[2];
    let content: Buffer;
    try {
      content = await fs.readFile(abs);
    } catch {
      return undefined;
    }
    const h = sha(content);
    this.cache[abs] = [st.size, st.mtimeMs, h];
    this.dirty = true;
    return h;
  }
}

function relTo(from: string, to: string): string {
  const rel = path.relative(from, to).split(path.sep).join('/');
  return rel || '.';
}

/** Computes the inputs of a resolved config. Reads only what changed since the last call. */
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

  const cacheFile = path.join(cacheDir(env), 'inputs', `${resolved.devcontainerId}.json`);
  const cache = (await readJson<FileCache>(cacheFile)) ?? {};
  const hasher = new Hasher(cache);
  const configDir = path.dirname(resolved.configFile!);
  const dockerfile = resolved.paths.dockerfile;
  const context = resolved.paths.context;
  const dfHash = await hasher.file(dockerfile);
  inputs[`Dockerfile ${relTo(configDir, dockerfile)}`] = dfHash ? short(dfHash) : 'missing';
  const ignoreHash = await hasher.file(path.join(context, '.dockerignore'));
  if (ignoreHash) inputs['.dockerignore'] = short(ignoreHash);

  if (dfHash) {
    const text = await fs.readFile(dockerfile, 'utf8');
    const sources = contextSources(text);
    if (sources.length) {
      const dfRel = path.relative(context, dockerfile).split(path.sep).join('/');
      const filter = await contextFilter(context, dfRel.startsWith('..') ? [] : [dfRel]);
      let all: ContextEntry[] | undefined;
      for (const src of sources) {
        const entries = await sourceEntries(context, filter, src.source, async () => (all ??= await walkContext(context, filter)));
        const lines: string[] = [];
        for (const e of entries) {
          const h = e.link !== undefined ? `link:${e.link}` : await hasher.file(path.join(context, e.rel), e);
          lines.push(`${e.rel}\0${h}`);
        }
        const key = `${src.keyword} ${src.source}`;
        inputs[key] = short(sha(`${inputs[key] ?? ''}\n${lines.join('\n')}`));
      }
    }
  }
  if (hasher.dirty) {
    // forget files that no longer exist so the cache cannot grow without bound
    for (const f of Object.keys(cache)) {
      try {
        await fs.access(f);
      } catch {
        delete cache[f];
      }
    }
    await writeJson(cacheFile, cache).catch(() => undefined);
  }
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
