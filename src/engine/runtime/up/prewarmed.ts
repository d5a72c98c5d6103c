// The hand-over between prewarming (live/prewarm.ts) and up: the temporary tag an image is
// prewarmed under, the build time it took (kept in the cache folder), and up's use of it. Apart
// from prewarm.ts so that up, which uses a prewarmed image, does not import the prewarming that
// itself runs up.
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { canonical } from '../../util/canonical';
import { sha256 } from '../../util/sha256';
import { cacheDir, readJson, writeJson } from '../dirs';
import type { Engine } from '../engine/docker';
import { inspectImage } from '../build/image';
import type { Inputs } from '../build/inputs';

/** The temporary tag of the image prewarmed for these inputs. */
export function prewarmTag(devcontainerId: string, inputs: Inputs): string {
  return `hb-prewarm-${devcontainerId.slice(0, 12).toLowerCase()}:${sha256(canonical(inputs)).slice(0, 16)}`;
}

/** Where the build time of a prewarmed image is kept (the cache folder), for the up that uses it. */
const timeFile = (env: NodeJS.ProcessEnv, tag: string) => path.join(cacheDir(env), 'prewarm', `${tag.replace(/[^a-z0-9.-]/gi, '_')}.json`);

/** Keeps how long the prewarm build of `tag` took, for the up that uses it. */
export async function recordPrewarmBuild(env: NodeJS.ProcessEnv, tag: string, buildMs: number): Promise<void> {
  await writeJson(timeFile(env, tag), { buildMs });
}

/** How long the prewarm build of `tag` took, when known. */
export async function readPrewarmBuildMs(env: NodeJS.ProcessEnv, tag: string): Promise<number | undefined> {
  return (await readJson<{ buildMs: number }>(timeFile(env, tag)))?.buildMs;
}

/**
 * In `up`, before building `imageName` for these inputs: when an image was prewarmed for exactly
 * them, it becomes `imageName` (re-tagged, the temporary tags dropped) and the build time it saved
 * is answered; else undefined (build as usual).
 */
export async function usePrewarmed(engine: Engine, env: NodeJS.ProcessEnv, devcontainerId: string, inputs: Inputs, imageName: string): Promise<{ savedMs?: number; tag: string } | undefined> {
  const tag = prewarmTag(devcontainerId, inputs);
  if (!(await inspectImage(engine, tag))) return undefined;
  const ms = await readPrewarmBuildMs(env, tag);
  const [repo, t] = imageName.includes(':') ? [imageName.slice(0, imageName.lastIndexOf(':')), imageName.slice(imageName.lastIndexOf(':') + 1)] : [imageName, 'latest'];
  await engine.docker.getImage(tag).tag({ repo, tag: t });
  // untag only: the image stays under imageName
  await engine.docker.getImage(tag).remove().catch(() => undefined);
  await fs.rm(timeFile(env, tag), { force: true });
  return { savedMs: ms, tag };
}
