// What a capability adds to a new dev container (the types; contributions.ts applies them). Kept
// apart so a capability (seccomp.ts, traces.ts) can name them without importing the list of
// capabilities that imports it.
import type { ValidConfig } from '../devcontainer/config';
import type { LiveSettings } from '../../protocol';
import type { Engine } from '../runtime/engine/docker';
import type { ApiMount } from '../runtime/create/mounts';
import type { Reporter } from '../runtime/report';

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

/** What a capability adds to a new container. Every field is optional. */
export interface ContainerContribution {
  /** Variables set in the container; a contribution's value wins over the config's. */
  env?: Record<string, string>;
  /** Variables set only when the request does not set them already (the config's value wins). */
  envDefaults?: Record<string, string>;
  /** Extra mounts; one whose target is already mounted is an error (Docker refuses two). */
  mounts?: ApiMount[];
  labels?: Record<string, string>;
  /**
   * Security options ("seccomp=<profile JSON>", "apparmor=...", "no-new-privileges"). A seccomp or
   * apparmor option replaces the one already asked for (runArgs, securityOpt), and `up` says so.
   */
  securityOpt?: string[];
  /** Linux capabilities to add (CAP_ prefix optional, as Docker takes them). */
  capAdd?: string[];
  /** The OCI runtime the capability needs; an error when another one was chosen. */
  runtime?: string;
  devices?: DeviceMapping[];
}

export interface ContributionContext {
  /** The config as read (config, configFile, workspaceFolder). */
  resolved: ValidConfig;
  engine?: Engine;
  env: NodeJS.ProcessEnv;
  report: Reporter;
  /** The folder is trusted for certain (the editor's Workspace Trust, hb up --trust); false when unknown. */
  trusted?: boolean;
  /** The editor's settings (live/settings.ts); absent for hb, which has none. */
  settings?: LiveSettings;
}

export interface ContainerContributor {
  /** Names the capability in messages (e.g. "seccomp"). */
  name: string;
  /** What to add to a container made now for this config; undefined for nothing. Throw a RuntimeError to stop the up. */
  contribute(ctx: ContributionContext): Promise<ContainerContribution | undefined> | ContainerContribution | undefined;
}
