// The running dev containers to sample, with their init process on this host (inspect State.Pid):
// a folder's (found by its Dev Containers labels, as hb status finds it) or every one. Used by
// `hb pressure`; the live-capability host gets the same facts from the containers it manages.
import * as path from 'node:path';
import { findContainer, loadConfig } from '../runtime/container';
import type { Engine } from '../runtime/engine/docker';
import { RuntimeError } from '../runtime/errors';
import { LABEL_LOCAL_FOLDER } from '../runtime/create/labels';
import type { PressureTarget } from './sampler';

async function targetOf(engine: Engine, id: string): Promise<PressureTarget | undefined> {
  try {
    const info = await engine.docker.getContainer(id).inspect();
    if (!info.State.Running || !info.State.Pid) return undefined;
    const folder = info.Config.Labels?.[LABEL_LOCAL_FOLDER];
    return { containerId: info.Id, name: info.Name.replace(/^\//, ''), pid: info.State.Pid, ...(folder ? { folder } : {}) };
  } catch (e) {
    // removed between the list and the inspect: not running any more
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

/** Every running dev container (containers with the devcontainer.local_folder label). */
export async function allDevContainerTargets(engine: Engine): Promise<PressureTarget[]> {
  const list = await engine.docker.listContainers({ filters: JSON.stringify({ label: [LABEL_LOCAL_FOLDER], status: ['running'] }) });
  const targets = await Promise.all(list.map((c) => targetOf(engine, c.Id)));
  return targets.filter((t): t is PressureTarget => !!t).sort((a, b) => (a.folder ?? '').localeCompare(b.folder ?? '') || a.name.localeCompare(b.name));
}

/** The running dev container of a folder, or an error saying how to get one. */
export async function folderTarget(engine: Engine, folder: string, configFile: string | undefined, env: NodeJS.ProcessEnv): Promise<PressureTarget> {
  const resolved = await loadConfig(path.resolve(folder), configFile, env);
  const found = await findContainer(engine, resolved.workspaceFolder, resolved.configFile!);
  if (!found) throw new RuntimeError('not-found', `${resolved.workspaceFolder} has no dev container. Run hb up first.`);
  const target = await targetOf(engine, found.Id);
  if (!target) throw new RuntimeError('not-running', `The dev container of ${resolved.workspaceFolder} (${found.Names[0]?.replace(/^\//, '') ?? found.Id.slice(0, 12)}) is stopped. Run hb up to start it.`);
  return target;
}
