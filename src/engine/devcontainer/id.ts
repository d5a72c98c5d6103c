// ${devcontainerId}: an identifier unique to a dev container and stable across rebuilds, derived,
// as the Dev Container spec describes, from the labels that tie a container to its folder and
// config: the SHA-256 of the labels as JSON with keys in sorted order, written in base 32 and
// left-padded with zeros to 52 characters.
import { sha256Hex } from '../util/sha256';

export const LABEL_LOCAL_FOLDER = 'devcontainer.local_folder';
export const LABEL_CONFIG_FILE = 'devcontainer.config_file';

/** The labels the reference implementation puts on a dev container to find it again. */
export function idLabels(localFolder: string, configFile: string): Record<string, string> {
  return { [LABEL_LOCAL_FOLDER]: localFolder, [LABEL_CONFIG_FILE]: configFile };
}

export function devcontainerIdFromLabels(labels: Record<string, string>): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(labels).sort()) sorted[key] = labels[key];
  const digest = sha256Hex(JSON.stringify(sorted));
  return BigInt(`0x${digest}`).toString(32).padStart(52, '0');
}

export function devcontainerId(localFolder: string, configFile: string): string {
  return devcontainerIdFromLabels(idLabels(localFolder, configFile));
}
