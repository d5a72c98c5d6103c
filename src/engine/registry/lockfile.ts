// devcontainer-lock.json, as the reference implementation reads and writes it: next to the config
// (".devcontainer-lock.json" beside a ".devcontainer.json"), one entry per Feature downloaded from
// a registry or a tarball URL — dependencies too — under the reference as written, sorted, with
// the version from its manifest, what it resolved to (registry/path@sha256:…) and its digest.
// A team that commits it installs the same Features: a locked digest is fetched instead of the tag.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { RuntimeError } from '../runtime/errors';
import type { FetchedFeature } from './features';

export interface LockEntry {
  version?: string;
  resolved: string;
  integrity: string;
  dependsOn?: string[];
}

export interface Lockfile {
  features: Record<string, LockEntry>;
}

export function lockfilePath(configFile: string): string {
  return path.join(path.dirname(configFile), path.basename(configFile).startsWith('.') ? '.devcontainer-lock.json' : 'devcontainer-lock.json');
}

/** The lockfile, or undefined when there is none (an empty file counts as none). */
export async function readLockfile(configFile: string): Promise<Lockfile | undefined> {
  const file = lockfilePath(configFile);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RuntimeError('config', `${file} could not be read (${(e as Error).message}).`);
  }
  if (!text.trim()) return undefined;
  try {
    const o = JSON.parse(text) as Lockfile;
    return { features: o && typeof o.features === 'object' && o.features ? o.features : {} };
  } catch (e) {
    throw new RuntimeError('config', `${file} is not valid JSON (${(e as Error).message}). Delete it to have it written again, or fix it.`);
  }
}

/** The lockfile's contents for the Features installed (only those downloaded), sorted by reference. */
export function lockEntries(features: { key: string; manifest: Record<string, unknown>; fetched?: FetchedFeature }[]): Lockfile {
  const out: Lockfile = { features: {} };
  for (const f of [...features].filter((f) => f.fetched).sort((a, b) => a.key.localeCompare(b.key))) {
    const deps = f.manifest.dependsOn && typeof f.manifest.dependsOn === 'object' ? Object.keys(f.manifest.dependsOn) : [];
    out.features[f.key] = { version: f.fetched!.version, resolved: f.fetched!.resolved, integrity: f.fetched!.integrity, ...(deps.length ? { dependsOn: deps } : {}) };
  }
  return out;
}

export const formatLockfile = (l: Lockfile) => JSON.stringify(l, null, 2) + '\n';

/**
 * Writes the lockfile when it differs from what is on disk. Frozen: a missing or different
 * lockfile is an error that says which Features differ, and nothing is written.
 */
export async function writeLockfile(configFile: string, next: Lockfile, o: { frozen?: boolean; previous?: Lockfile } = {}): Promise<boolean> {
  const file = lockfilePath(configFile);
  const text = formatLockfile(next);
  const before = await fs.readFile(file, 'utf8').catch(() => undefined);
  let same = false;
  if (before !== undefined) {
    try {
      same = formatLockfile(JSON.parse(before) as Lockfile) === text;
    } catch {
      same = false;
    }
  }
  if (same) return false;
  if (o.frozen) {
    if (before === undefined) throw new RuntimeError('config', `--frozen-lockfile: ${file} does not exist. Run \`hb up\` without --frozen-lockfile once to write it, and commit it.`);
    const prev = o.previous?.features ?? {};
    const diff = [...new Set([...Object.keys(prev), ...Object.keys(next.features)])]
      .filter((k) => JSON.stringify(prev[k]) !== JSON.stringify(next.features[k]))
      .map((k) => (!prev[k] ? `  + ${k} (${next.features[k].resolved}) is not in the lockfile` : !next.features[k] ? `  - ${k} is in the lockfile but not installed` : `  ~ ${k}: lockfile ${prev[k].version ?? '?'} ${prev[k].integrity.slice(0, 19)}, resolved ${next.features[k].version ?? '?'} ${next.features[k].integrity.slice(0, 19)}`));
    throw new RuntimeError('config', `--frozen-lockfile: ${file} does not match the Features resolved:\n${diff.join('\n')}\nUpdate it with \`hb features upgrade\` (or \`hb up\` without --frozen-lockfile) and commit it.`);
  }
  await fs.writeFile(file, text);
  return true;
}
