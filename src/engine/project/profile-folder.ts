// The language profile of a folder: detection, the folder's own config (so entries it already
// covers are skipped) and what is known about the container. The I/O around buildProfile.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DetectionResult, LanguageProfile, ResolvedConfig } from '../../protocol';
import { resolveConfig } from '../devcontainer/resolve';
import { detectProject } from './detect';
import { asRecord, asString } from './manifests';
import { buildProfile, type ProfileContext } from './profile';

export interface ProfileFolderOptions {
  memoryLimitBytes?: number | null;
  inotify?: boolean | null;
  /** A detection already made for the folder (saves walking it again). */
  detection?: DetectionResult;
  /** The folder's config as the caller resolved it (hb up's: the one the container is made from), instead of reading the folder's again. */
  resolved?: ResolvedConfig;
  env?: NodeJS.ProcessEnv;
}

function mountTarget(m: unknown): string | null {
  if (typeof m === 'string') {
    const hit = /(?:^|,)\s*(?:target|destination|dst)=([^,]+)/.exec(m);
    return hit ? hit[1].trim() : null;
  }
  return asString(asRecord(m).target);
}

export async function profileFolder(folder: string, options: ProfileFolderOptions = {}): Promise<{ profile: LanguageProfile; detection: DetectionResult }> {
  const detection = options.detection ?? (await detectProject(folder));
  const root = detection.folder;
  const resolved = options.resolved && path.resolve(options.resolved.workspaceFolder) === path.resolve(root) ? options.resolved : await resolveConfig({ folder: root, env: options.env });
  let config: ProfileContext['config'] = null;
  if (resolved.config && resolved.configFile) {
    const c = resolved.config;
    const hyperbox = asRecord(asRecord(c.customizations).hyperbox);
    config = {
      file: path.relative(root, resolved.configFile) || resolved.configFile,
      containerEnv: asRecord(c.containerEnv) as Record<string, string>,
      remoteEnv: asRecord(c.remoteEnv) as Record<string, string | null>,
      mountTargets: (Array.isArray(c.mounts) ? c.mounts : []).map(mountTarget).filter((t): t is string => !!t),
      profile: asString(hyperbox.profile) ?? undefined,
    };
  }
  let yarnBerry: boolean | null = null;
  if (detection.packageManager === 'yarn') {
    yarnBerry = await fs.lstat(path.join(root, '.yarnrc.yml')).then(
      () => true,
      () => null,
    );
  }
  const profile = buildProfile(detection, { config, memoryLimitBytes: options.memoryLimitBytes, inotify: options.inotify, yarnBerry });
  return { profile, detection };
}
