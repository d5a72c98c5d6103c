// Image metadata (the `devcontainer.metadata` label) merged with devcontainer.json, as the Dev
// Container spec describes: entries apply in order (image first, the config last); booleans like
// `privileged` and `init` are true when any entry sets them; lists like `capAdd` are unions;
// `containerEnv`/`remoteEnv` merge per variable; `mounts` merge per target; lifecycle commands
// are all kept and run in order; single values (remoteUser, ...) take the last one given.
import type { DevContainerConfig } from '../../devcontainer/config';
import { CONTAINER_HOOKS, type ContainerHook } from '../../../protocol';

export const LIFECYCLE_HOOKS = CONTAINER_HOOKS;
export type LifecycleHook = ContainerHook;
export type CommandSpec = string | string[] | Record<string, string | string[]>;

/** The properties an entry of image metadata may carry (and that a config contributes to it). */
export const METADATA_PROPERTIES = [
  'id',
  'init',
  'privileged',
  'capAdd',
  'securityOpt',
  'entrypoint',
  'mounts',
  'customizations',
  ...LIFECYCLE_HOOKS,
  'waitFor',
  'remoteUser',
  'containerUser',
  'userEnvProbe',
  'remoteEnv',
  'containerEnv',
  'overrideCommand',
  'portsAttributes',
  'otherPortsAttributes',
  'forwardPorts',
  'shutdownAction',
  'updateRemoteUserUID',
  'hostRequirements',
] as const;

export type MetadataEntry = Record<string, unknown>;

export interface MountSpec {
  type?: string;
  source?: string;
  target?: string;
  [k: string]: unknown;
}

export interface MergedConfig {
  init: boolean;
  privileged: boolean;
  capAdd: string[];
  securityOpt: string[];
  entrypoints: string[];
  /** String or object mounts, one per target (the last one wins). */
  mounts: (string | MountSpec)[];
  hooks: Record<LifecycleHook, { command: CommandSpec; origin: string }[]>;
  waitFor: LifecycleHook;
  remoteUser?: string;
  containerUser?: string;
  userEnvProbe: 'none' | 'loginShell' | 'interactiveShell' | 'loginInteractiveShell';
  remoteEnv: Record<string, string | null>;
  containerEnv: Record<string, string>;
  overrideCommand?: boolean;
  forwardPorts: (number | string)[];
  shutdownAction?: string;
  updateRemoteUserUID?: boolean;
}

/** The config's own entry: the metadata properties it sets. */
export function configEntry(config: DevContainerConfig): MetadataEntry {
  const entry: MetadataEntry = {};
  for (const key of METADATA_PROPERTIES) {
    // id and entrypoint are a Feature's, never devcontainer.json's
    if (key === 'id' || key === 'entrypoint' || config[key] === undefined) continue;
    (entry as Record<string, unknown>)[key] = config[key];
  }
  return entry;
}

/** Parses a `devcontainer.metadata` label (a JSON array, or one object). Bad JSON gives []. */
export function parseMetadataLabel(label: string | undefined): MetadataEntry[] {
  if (!label) return [];
  try {
    const parsed = JSON.parse(label);
    if (Array.isArray(parsed)) return parsed.filter((e) => e && typeof e === 'object');
    return parsed && typeof parsed === 'object' ? [parsed] : [];
  } catch {
    return [];
  }
}

function mountTarget(m: string | MountSpec): string | undefined {
  if (typeof m !== 'string') return m.target;
  for (const part of m.split(',')) {
    const [k, v] = part.split('=');
    if (k === 'target' || k === 'dst' || k === 'destination') return v;
  }
  return undefined;
}

const isEmptyCommand = (c: unknown) =>
  c === undefined || c === null || c === '' || (Array.isArray(c) && c.length === 0) || (typeof c === 'object' && !Array.isArray(c) && Object.keys(c).length === 0);

/** Merges entries in order; `origins[i]` names entry i for messages ("devcontainer.json", "image metadata"). */
export function mergeMetadata(entries: MetadataEntry[], origins: string[]): MergedConfig {
  const merged: MergedConfig = {
    init: false,
    privileged: false,
    capAdd: [],
    securityOpt: [],
    entrypoints: [],
    mounts: [],
    hooks: { onCreateCommand: [], updateContentCommand: [], postCreateCommand: [], postStartCommand: [], postAttachCommand: [] },
    waitFor: 'updateContentCommand',
    userEnvProbe: 'loginInteractiveShell',
    remoteEnv: {},
    containerEnv: {},
    forwardPorts: [],
  };
  const mountsByTarget = new Map<string, string | MountSpec>();
  const untargeted: (string | MountSpec)[] = [];
  entries.forEach((e, i) => {
    const origin = origins[i] ?? (typeof e.id === 'string' ? `Feature "${e.id}"` : 'image metadata');
    if (e.init === true) merged.init = true;
    if (e.privileged === true) merged.privileged = true;
    for (const c of (e.capAdd as string[]) ?? []) if (!merged.capAdd.includes(c)) merged.capAdd.push(c);
    for (const s of (e.securityOpt as string[]) ?? []) if (!merged.securityOpt.includes(s)) merged.securityOpt.push(s);
    if (typeof e.entrypoint === 'string') merged.entrypoints.push(e.entrypoint);
    for (const m of (e.mounts as (string | MountSpec)[]) ?? []) {
      const t = mountTarget(m);
      if (t) {
        mountsByTarget.delete(t);
        mountsByTarget.set(t, m);
      } else untargeted.push(m);
    }
    for (const hook of Object.keys(merged.hooks) as LifecycleHook[]) {
      if (!isEmptyCommand(e[hook])) merged.hooks[hook].push({ command: e[hook] as CommandSpec, origin });
    }
    if (typeof e.waitFor === 'string') merged.waitFor = e.waitFor as LifecycleHook;
    if (typeof e.remoteUser === 'string') merged.remoteUser = e.remoteUser;
    if (typeof e.containerUser === 'string') merged.containerUser = e.containerUser;
    if (typeof e.userEnvProbe === 'string') merged.userEnvProbe = e.userEnvProbe as MergedConfig['userEnvProbe'];
    Object.assign(merged.remoteEnv, (e.remoteEnv as Record<string, string | null>) ?? {});
    Object.assign(merged.containerEnv, (e.containerEnv as Record<string, string>) ?? {});
    if (typeof e.overrideCommand === 'boolean') merged.overrideCommand = e.overrideCommand;
    for (const p of (e.forwardPorts as (number | string)[]) ?? []) if (!merged.forwardPorts.includes(p)) merged.forwardPorts.push(p);
    if (typeof e.shutdownAction === 'string') merged.shutdownAction = e.shutdownAction;
    if (typeof e.updateRemoteUserUID === 'boolean') merged.updateRemoteUserUID = e.updateRemoteUserUID;
  });
  merged.mounts = [...untargeted, ...mountsByTarget.values()];
  return merged;
}
