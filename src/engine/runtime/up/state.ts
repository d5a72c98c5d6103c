// What HyperBox remembers about a container between runs, in the cache folder (it can always be
// rebuilt from the container itself): whether its create-time and start-time lifecycle commands
// are done, so an `up` of a running container needs no exec to check the markers, and the probed
// user environment (userEnvProbe) so hooks, exec and terminals do not probe again.
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { cacheDir, readJson, writeJson } from '../dirs';

export interface ContainerState {
  /** The container's creation time as the engine reports it (the create markers' value). */
  created: string;
  /** Create-time hooks all finished for this container. */
  createDone?: boolean;
  /** The start (State.StartedAt) whose postStartCommand finished. */
  startDone?: string;
  /**
   * Made stopped by prewarming (live/prewarm.ts) and never started: the next up starts it and does
   * what a new container needs (updateRemoteUserUID, the git config, the create-time hooks).
   * `savedMs`: the build and create time it saves; `chown`: the profile's cache volumes to give to
   * the remote user then.
   */
  prewarmed?: { savedMs: number; chown: string[] };
  /** The probed environment, for this user and probe. */
  env?: { user: string; probe: string; values: Record<string, string> };
}

const file = (env: NodeJS.ProcessEnv, id: string) => path.join(cacheDir(env), 'containers', `${id}.json`);

export async function readState(env: NodeJS.ProcessEnv, id: string, created: string): Promise<ContainerState> {
  const s = await readJson<ContainerState>(file(env, id));
  return s && s.created === created ? s : { created };
}

export async function writeState(env: NodeJS.ProcessEnv, id: string, state: ContainerState): Promise<void> {
  await writeJson(file(env, id), state).catch(() => undefined);
}

export async function forgetState(env: NodeJS.ProcessEnv, id: string): Promise<void> {
  await fs.unlink(file(env, id)).catch(() => undefined);
}

/** Where `hb up --wait-for` leaves the output of the lifecycle commands it did not wait for. */
export function lifecycleLogFile(env: NodeJS.ProcessEnv, id: string): string {
  return path.join(cacheDir(env), 'logs', `${id}.log`);
}
