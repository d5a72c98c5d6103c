// Project detection: the walker (the only I/O) followed by the pure rules. The one entry point the
// engine service and `hb detect` share.
import type { DetectionResult } from '../../protocol';
import { detectFromSnapshot } from './rules';
import { walkFolder, type WalkFs, type WalkLimits } from './walk';

export { DetectError } from './walk';

export interface DetectOptions {
  limits?: Partial<WalkLimits>;
  /** For tests: the file-system calls the walker makes. */
  fs?: WalkFs;
}

export async function detectProject(folder: string, options: DetectOptions = {}): Promise<DetectionResult> {
  const started = performance.now();
  const { root, snapshot, stats } = await walkFolder(folder, options.limits, options.fs);
  const answer = detectFromSnapshot(snapshot);
  return {
    folder: root,
    ...answer,
    stats: { ...stats, elapsedMs: Math.round((performance.now() - started) * 100) / 100 },
  };
}
