// The last `up` timeline of each folder and config, in the cache folder
// (<cache>/timelines/<hash of folder and config>.json), written by whoever ran the up (the
// editor's engine or `hb`) and read by the editor. Writes are asynchronous and off the up's
// critical path; a read in the same process waits for a write still under way.
import * as path from 'node:path';
import type { RuntimeTarget, UpTimeline } from '../../../protocol';
import { discoverConfigs } from '../../devcontainer/discover';
import { sha256Hex } from '../../util/sha256';
import { cacheDir, readJson, writeJson } from '../dirs';

/** Names a folder and config, for the file name and the engine's map of ups under way. */
export function timelineKey(folder: string, configFile: string | null): string {
  return sha256Hex(`${path.resolve(folder)}\0${configFile ? path.resolve(folder, configFile) : ''}`).slice(0, 32);
}

export function timelineFile(env: NodeJS.ProcessEnv, folder: string, configFile: string | null): string {
  return path.join(cacheDir(env), 'timelines', `${timelineKey(folder, configFile)}.json`);
}

const writing = new Map<string, Promise<void>>();

/** Saves the timeline (the last write wins); resolves once it is on disk. Never rejects. */
export function saveTimeline(env: NodeJS.ProcessEnv, timeline: UpTimeline): Promise<void> {
  const file = timelineFile(env, timeline.folder, timeline.configFile);
  const before = writing.get(file) ?? Promise.resolve();
  const next = before.then(() => writeJson(file, timeline)).catch(() => undefined);
  writing.set(file, next);
  void next.then(() => {
    if (writing.get(file) === next) writing.delete(file);
  });
  return next;
}

/** The last timeline saved for the folder and config, or null when there is none. */
export async function loadTimeline(env: NodeJS.ProcessEnv, folder: string, configFile: string | null): Promise<UpTimeline | null> {
  const file = timelineFile(env, folder, configFile);
  await writing.get(file);
  const t = await readJson<UpTimeline>(file);
  return t && Array.isArray(t.entries) && typeof t.totalMs === 'number' ? t : null;
}

/**
 * The timeline of the folder's last up (the config given, else the folder's default one): the one
 * under way in this engine, else the last one saved (by this engine or by hb). Null when none.
 */
export async function findTimeline(env: NodeJS.ProcessEnv, target: RuntimeTarget, running: ReadonlyMap<string, { snapshot(): UpTimeline }>): Promise<UpTimeline | null> {
  const folder = path.resolve(target.folder);
  const configFile = target.configFile ? path.resolve(folder, target.configFile) : await defaultConfigFile(folder);
  const live = running.get(timelineKey(folder, configFile));
  if (live) return live.snapshot();
  return loadTimeline(env, folder, configFile);
}

/** The config an up without --config uses (the folder's default), for the file name of a failed up's timeline. */
export async function defaultConfigFile(folder: string): Promise<string | null> {
  return (await discoverConfigs(folder).catch(() => []))[0] ?? null;
}
