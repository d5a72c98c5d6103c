// Whether the editor asks the engine to prewarm a folder now (hyperbox.prewarm), and what it tells
// the user of the engine's answer. Pure: no run-time `vscode` (prewarm.ts does the asking).
import type { ContainerSummary, PrewarmStatus } from '../protocol';

export interface PrewarmFacts {
  /** VS Code's Workspace Trust. */
  workspaceTrusted: boolean;
  /** hyperbox.prewarm. */
  enabled: boolean;
  engineRunning: boolean;
  /** The folder's config is chosen and has no errors. */
  usable: boolean;
  /** The config's kind (ResolvedConfig.kind): Dockerfile configs are prewarmed, and image configs' missing containers. */
  kind?: string | null;
  summary?: ContainerSummary;
  /** An up, stop or remove of the folder is under way. */
  busy: boolean;
  /**
   * The folder's container was there earlier in this window and is gone now: the user removed it
   * (HyperBox: Remove, hb down, docker rm). Prewarming does not make it again; a Dockerfile
   * config's image is still prepared.
   */
  removed?: boolean;
}

export type PrewarmDecision =
  /** Ask the engine; `situation` names what is prewarmed for (the same one is asked once); `container`: whether a missing container may be made. */
  | { ask: true; situation: string; container: boolean }
  | { ask: false; why: string };

/**
 * Whether to ask the engine to prewarm a folder now, and why not. Whether the host is calm and
 * whether the build is in a trust record the engine decides (and answers why not).
 */
export function prewarmDecision(f: PrewarmFacts): PrewarmDecision {
  if (!f.enabled) return { ask: false, why: 'hyperbox.prewarm is off' };
  if (!f.workspaceTrusted) return { ask: false, why: 'the workspace is not trusted (Restricted Mode)' };
  if (!f.engineRunning) return { ask: false, why: 'the engine is not running' };
  if (!f.usable) return { ask: false, why: 'the config is not chosen or has errors' };
  if (f.kind !== 'dockerfile' && f.kind !== 'image') return { ask: false, why: `only image and Dockerfile configs are prewarmed (this one is ${f.kind ?? 'not known yet'})` };
  if (f.busy) return { ask: false, why: 'an operation on the container is under way' };
  const s = f.summary;
  if (!s) return { ask: false, why: "the container's state is not known yet" };
  if (s.state !== 'missing' && s.state !== 'stale') return { ask: false, why: `the container is ${s.state}: nothing to prepare` };
  // an image config has no image of its own to build: a stale container is rebuilt by its up
  if (f.kind === 'image' && s.state !== 'missing') return { ask: false, why: 'the container is stale: an image config has nothing to prepare for its rebuild' };
  if (f.kind === 'image' && f.removed) return { ask: false, why: 'you removed the container in this window: prewarming does not make it again' };
  return { ask: true, situation: `${s.state}\n${s.containerId ?? ''}\n${[...s.drift.changed].sort().join('\n')}${f.removed ? '\nremoved' : ''}`, container: !f.removed };
}

/** The user-facing line for an answer of the engine (undefined: nothing worth saying). */
export function describePrewarm(folderName: string, s: PrewarmStatus): { level: 'info' | 'warn'; text: string; status?: string } | undefined {
  switch (s.state) {
    case 'ready':
      return {
        level: 'info',
        text: `Prewarmed ${folderName}: ${s.reason}${s.buildMs !== undefined ? ` The build took ${(s.buildMs / 1000).toFixed(1)} s, which the next start saves.` : ''}`,
        status: `$(zap) HyperBox: ${folderName}'s next start is prewarmed`,
      };
    case 'deferred':
      return { level: 'info', text: `Prewarming ${folderName} waits: ${s.reason} HyperBox asks again in a minute.`, status: `$(watch) HyperBox: prewarming ${folderName} deferred (machine under pressure)` };
    case 'untrusted':
      return { level: 'info', text: `Prewarming ${folderName} skipped: ${s.reason}` };
    case 'failed':
      return { level: 'warn', text: `Prewarming ${folderName} failed: ${s.reason}` };
    default:
      return undefined;
  }
}
