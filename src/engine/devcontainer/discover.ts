// Finding a folder's dev container configs in every location the spec and the Dev Containers
// extension use: .devcontainer/devcontainer.json, .devcontainer.json and
// .devcontainer/<name>/devcontainer.json.
import * as path from 'node:path';
import { asyncFs, type ConfigFs } from './fsops';
import { ConfigReadError, fsError } from './parse';

export const CONFIG_LOCATIONS = ['.devcontainer/devcontainer.json', '.devcontainer.json', '.devcontainer/*/devcontainer.json'] as const;

async function exists(p: string, fs: ConfigFs): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw fsError(e, p, 'look at');
  }
}

/**
 * Every config in the folder, the default first: `.devcontainer/devcontainer.json`, then
 * `.devcontainer.json`, then named configs in alphabetical order.
 */
export async function discoverConfigs(folder: string, fs: ConfigFs = asyncFs): Promise<string[]> {
  let stat;
  try {
    stat = await fs.stat(folder);
  } catch (e) {
    const err = fsError(e, folder, 'open folder');
    if (err.code === 'not-found') throw new ConfigReadError(`The folder ${folder} does not exist. Check the path, or open the project folder itself.`, folder, 'not-found');
    throw err;
  }
  if (!stat.isDirectory()) {
    throw new ConfigReadError(`${folder} is a file, not a folder. Give the project folder, or use --config to name a config file.`, folder, 'not-dir');
  }
  try {
    await fs.readdir(folder);
  } catch (e) {
    throw fsError(e, folder, 'read folder');
  }
  const found: string[] = [];
  const primary = path.join(folder, '.devcontainer', 'devcontainer.json');
  const dotfile = path.join(folder, '.devcontainer.json');
  if (await exists(primary, fs)) found.push(primary);
  if (await exists(dotfile, fs)) found.push(dotfile);
  let entries: import('node:fs').Dirent[] = [];
  try {
    entries = await fs.readdirEntries(path.join(folder, '.devcontainer'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fsError(e, path.join(folder, '.devcontainer'), 'read folder');
  }
  const named: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const candidate = path.join(folder, '.devcontainer', entry.name, 'devcontainer.json');
    if (await exists(candidate, fs)) named.push(candidate);
  }
  named.sort();
  return [...found, ...named];
}

/** Human description of where a config was looked for, for "no config" messages. */
export function describeLocations(folder: string): string {
  return CONFIG_LOCATIONS.map((l) => path.join(folder, l)).join(', ');
}
