// The named volumes of a dev container: made (and marked) by HyperBox when a new container names
// one that does not exist, so `hb down --volumes` can tell them from a user's own volumes and the
// shared cache volumes of the language profile, which it keeps.
import type { ContainerInspectInfo } from 'dockerode';
import type { KeptVolume } from '../../../protocol';
import type { Engine } from '../engine/docker';
import { LABEL_VOLUME_FOR } from './labels';
import type { ApiMount } from './mounts';

/** Named volumes in `docker run -v` binds: `name:/target[:opts]` (a source without a slash). */
function bindVolumes(binds: string[] | undefined): string[] {
  return (binds ?? []).map((b) => b.split(':')[0]).filter((s) => s && !s.includes('/') && !s.startsWith('.') && !s.startsWith('~'));
}

/**
 * Creates the named volumes of a new container that do not exist yet, marked as made for
 * `devcontainerId` (with the driver and options the mount asks for, as the engine would have
 * used). `skip`: volumes someone else owns (the profile's shared caches). Returns the names made.
 */
export async function createContainerVolumes(
  engine: Engine,
  host: { Mounts?: ApiMount[]; Binds?: string[] },
  devcontainerId: string,
  skip: string[],
): Promise<string[]> {
  const wanted = new Map<string, ApiMount | undefined>();
  for (const m of host.Mounts ?? []) if (m.Type === 'volume' && m.Source && !wanted.has(m.Source)) wanted.set(m.Source, m);
  for (const name of bindVolumes(host.Binds)) if (!wanted.has(name)) wanted.set(name, undefined);
  const made: string[] = [];
  for (const [name, mount] of wanted) {
    if (skip.includes(name)) continue;
    const exists = await engine.docker
      .getVolume(name)
      .inspect()
      .then(
        () => true,
        (e: { statusCode?: number }) => {
          if (e.statusCode === 404) return false;
          throw e;
        },
      );
    if (exists) continue;
    const driver = mount?.VolumeOptions?.DriverConfig;
    await engine.docker.createVolume({
      Name: name,
      ...(driver?.Name ? { Driver: driver.Name } : {}),
      ...(driver?.Options ? { DriverOpts: driver.Options } : {}),
      Labels: { ...(mount?.VolumeOptions?.Labels ?? {}), [LABEL_VOLUME_FOR]: devcontainerId },
    });
    made.push(name);
  }
  return made;
}

/**
 * The container's named-or-anonymous volumes, sorted for hb down --volumes: `ours` (made by
 * HyperBox for this container: removable), `shared` (the language profile's caches: kept, with
 * why), `others` (anonymous ones, which go with the container, or a user's own, which stay).
 */
export async function classifyVolumes(
  engine: Engine,
  inspect: ContainerInspectInfo,
  devcontainerId: string,
  profileVolumes: string[],
): Promise<{ ours: string[]; shared: KeptVolume[]; others: string[] }> {
  const ours: string[] = [];
  const shared: KeptVolume[] = [];
  const others: string[] = [];
  for (const m of inspect.Mounts ?? []) {
    if (m.Type !== 'volume' || !m.Name) continue;
    const name = m.Name;
    if (profileVolumes.includes(name)) {
      shared.push({ name, reason: 'the language profile\'s cache, shared by the dev containers of other projects' });
      continue;
    }
    const info = await engine.docker
      .getVolume(name)
      .inspect()
      .catch(() => undefined);
    if (((info?.Labels ?? {}) as Record<string, string>)[LABEL_VOLUME_FOR] === devcontainerId) ours.push(name);
    else others.push(name);
  }
  return { ours, shared, others };
}

/** Why a user's own volume stays. */
export function notOurs(name: string): KeptVolume {
  return { name, reason: `not made by HyperBox for this container (docker volume create, or another tool made it); "docker volume rm ${name}" removes it` };
}
