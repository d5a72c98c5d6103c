// Podman's Docker-compatible API (`podman system service`), where it answers differently from
// Docker in ways a user would see:
//  - a container's inspect names every runtime "oci": Podman's own API (libpod) says which one
//    (crun, runc) really runs it;
//  - /info lists every runtime containers.conf knows of, installed or not (kata, runsc, krun ...
//    with the first path it would look at): on this machine only those whose binary exists are real.
import { existsSync } from 'node:fs';
import type { ContainerInspectInfo } from 'dockerode';
import type { Engine, EngineInfo } from './docker';
import { isLocalEngine } from './endpoint';

export const isPodman = (info: Pick<EngineInfo, 'name'> | undefined) => !!info && /podman/i.test(info.name);

/** The runtime Podman runs the container with, when its compat inspect says only "oci". */
export async function fixPodmanInspect(engine: Engine, info: ContainerInspectInfo | undefined): Promise<void> {
  if (!info || info.HostConfig?.Runtime !== 'oci') return;
  try {
    if (!isPodman(await engine.info())) return;
    const own = await new Promise<{ OCIRuntime?: string } | undefined>((resolve, reject) =>
      engine.docker.modem.dial({ path: `/v4.0.0/libpod/containers/${info.Id}/json`, method: 'GET', statusCodes: { 200: true, 404: 'no such container' } }, (err, data) =>
        err ? reject(err) : resolve(data as { OCIRuntime?: string } | undefined),
      ),
    );
    if (own?.OCIRuntime) info.HostConfig.Runtime = own.OCIRuntime;
  } catch {
    // an older Podman or a proxy without the libpod API: "oci" it stays
  }
}

/** Podman's runtimes that are installed on this machine (an engine elsewhere: all it lists). */
export function installedPodmanRuntimes<L extends { runtimes: { isDefault?: boolean; path?: string }[] }>(list: L, engine: Engine, env: NodeJS.ProcessEnv, exists: (p: string) => boolean = existsSync): L {
  if (!isLocalEngine(engine.endpoint, env)) return list;
  return { ...list, runtimes: list.runtimes.filter((r) => r.isDefault || !r.path?.startsWith('/') || exists(r.path)) };
}
