// "The dev container is out of date": which saved files can make a container stale, and when to
// offer a rebuild for it. Pure (paths and state only); rebuildOffer.ts listens to saves, asks the
// engine for the container's state and shows the notification.
import * as path from 'node:path';
import type { ContainerSummary, ResolvedConfig } from '../protocol';

/** What is known of a project's config: enough to tell whether a saved file shapes its container. */
export type SaveScope = Pick<ResolvedConfig, 'configFile' | 'kind' | 'paths' | 'workspaceFolder'>;

const inside = (dir: string, file: string) => {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

/**
 * Whether saving `file` may change what the engine's drift compares (ContainerSummary.drift): the
 * config itself, anything in its .devcontainer folder (Dockerfile, local Features, compose files),
 * the Dockerfile and compose files it names, for a Dockerfile build the build context, whose
 * files COPY and ADD lines take in, and the files at the top of the workspace folder, from which the
 * language profile is detected (package.json, pyproject.toml, go.mod...). The engine decides
 * whether the container really is stale.
 */
export function savedFileMatters(file: string, scope: SaveScope): boolean {
  const { configFile, paths } = scope;
  if (!configFile) return false;
  if (file === configFile) return true;
  // a .devcontainer.json at the root has no folder of its own: its folder is the whole workspace
  if (path.basename(configFile) === 'devcontainer.json' && inside(path.dirname(configFile), file)) return true;
  if (paths.dockerfile === file || paths.composeFiles?.includes(file)) return true;
  if (scope.workspaceFolder && path.dirname(file) === scope.workspaceFolder) return true;
  return scope.kind === 'dockerfile' && !!paths.context && inside(paths.context, file);
}

/** What made a stale container stale, for a sentence: a few of the changes, then how many more. */
export function describeDrift(summary: Pick<ContainerSummary, 'drift' | 'message'>, max = 3): string {
  const changed = summary.drift.changed;
  if (changed.length === 0) return summary.message ?? 'its configuration changed since it was made.';
  const shown = changed.slice(0, max).join(', ');
  return `${changed.length > max ? `${shown} and ${changed.length - max} more` : shown} changed since it was made.`;
}

export interface RebuildOffer {
  /** "The dev container of app is out of date: ...". */
  message: string;
}

/**
 * Decides, after a save, whether to offer a rebuild: only when the container is stale, and once per
 * drift — the same changes are not offered again (whatever the answer) until the container is
 * rebuilt or something else changes.
 */
export class RebuildOffers {
  /** Per folder: the drift last offered. */
  private readonly offered = new Map<string, string>();

  decide(folder: string, folderName: string, summary: ContainerSummary | undefined): RebuildOffer | undefined {
    if (!summary) return undefined;
    if (summary.state !== 'stale') {
      // up to date (or gone): a later drift, even the same one, is news again
      if (summary.state !== 'error') this.offered.delete(folder);
      return undefined;
    }
    const key = summary.drift.changed.length ? [...summary.drift.changed].sort().join('\n') : `message:${summary.message ?? ''}`;
    if (this.offered.get(folder) === key) return undefined;
    this.offered.set(folder, key);
    return { message: `The dev container of ${folderName} is out of date: ${describeDrift(summary)} Rebuild it to apply the changes.` };
  }

  /** The folder's container is being rebuilt: whatever drift comes next is new. */
  forget(folder: string): void {
    this.offered.delete(folder);
  }
}
