// Which of a folder's dev container configs a project uses. Pure: discovery happens in the engine,
// remembering in workspaceState; this decides.
import * as path from 'node:path';

export type ConfigChoice =
  | { kind: 'none' }
  | { kind: 'chosen'; configFile: string; reason: 'only' | 'remembered' | 'default' }
  /** Several configs and no default or remembered one: the user must pick. */
  | { kind: 'ask'; candidates: string[] };

/** The two locations a folder's default config can have, in the order the spec reads them. */
export function defaultConfigLocations(folder: string): string[] {
  return [path.join(folder, '.devcontainer', 'devcontainer.json'), path.join(folder, '.devcontainer.json')];
}

/**
 * `found` is the engine's discovery result (default first); `remembered` a path relative to the
 * folder, saved when the user picked one.
 */
export function chooseConfig(folder: string, found: readonly string[], remembered: string | undefined): ConfigChoice {
  if (found.length === 0) return { kind: 'none' };
  if (remembered !== undefined) {
    const abs = path.resolve(folder, remembered);
    if (found.includes(abs)) return { kind: 'chosen', configFile: abs, reason: found.length === 1 ? 'only' : 'remembered' };
  }
  if (found.length === 1) return { kind: 'chosen', configFile: found[0], reason: 'only' };
  const fallback = defaultConfigLocations(folder).find((d) => found.includes(d));
  if (fallback) return { kind: 'chosen', configFile: fallback, reason: 'default' };
  return { kind: 'ask', candidates: [...found] };
}

/**
 * Whether `file` sits at one of the locations a config can have in `folder`:
 * `.devcontainer/devcontainer.json`, `.devcontainer.json`, `.devcontainer/<name>/devcontainer.json`.
 */
export function isConfigLocation(folder: string, file: string): boolean {
  const rel = path.relative(folder, file);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return false;
  const parts = rel.split(path.sep);
  if (parts.length === 1) return parts[0] === '.devcontainer.json';
  if (parts[0] !== '.devcontainer' || parts[parts.length - 1] !== 'devcontainer.json') return false;
  return parts.length === 2 || parts.length === 3;
}

/** A short label for a config in pickers and the status tooltip: its path inside the folder. */
export function configLabel(folder: string, file: string): string {
  const rel = path.relative(folder, file);
  return rel && !rel.startsWith('..') ? rel.split(path.sep).join('/') : file;
}
