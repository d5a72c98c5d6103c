// `hb features outdated`: for each Feature the config names from a registry, the version the
// lockfile holds, the newest its reference allows ("…:1" → the newest 1.x.y) and the newest
// published, from the registry's tag list.
import type { ResolvedConfig } from '../../protocol';
import { RegistryClient } from './client';
import { readLockfile } from './lockfile';
import { isPartialVersion, latestVersion, parseRef, resolveTag } from './reference';

export interface OutdatedRow {
  feature: string;
  /** The lockfile's version (undefined without a lockfile entry). */
  current?: string;
  /** The newest version the reference allows. */
  wanted?: string;
  /** The newest version published. */
  latest?: string;
}

export async function outdatedFeatures(resolved: ResolvedConfig, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<OutdatedRow[]> {
  const features = resolved.config?.features;
  if (!features || typeof features !== 'object') return [];
  const lock = resolved.configFile ? await readLockfile(resolved.configFile) : undefined;
  const client = new RegistryClient({ env, signal });
  const rows: OutdatedRow[] = [];
  for (const key of Object.keys(features)) {
    const ref = parseRef(key);
    if (!ref) continue; // local Features and tarball URLs have no versions to compare
    const tags = await client.tags(ref);
    const latest = latestVersion(tags);
    let wanted: string | undefined;
    if (ref.digest) wanted = undefined;
    else if (ref.tag === 'latest') wanted = latest;
    else if (isPartialVersion(ref.tag!)) wanted = resolveTag(ref.tag!, tags.filter((t) => t.split('.').length === 3));
    else wanted = ref.tag;
    rows.push({ feature: key, current: lock?.features[key]?.version, wanted, latest });
  }
  return rows;
}
