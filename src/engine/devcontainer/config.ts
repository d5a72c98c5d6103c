// The typed devcontainer.json the engine works with. `loadConfig` (runtime/container.ts) hands it
// out only for a config whose validation (validate.ts, against schema.ts) found no error, so every
// property has the type written here; properties the spec does not define were warned about and
// are not part of it. The compiler checks below keep this type and the schema's property lists
// the same, so a property added to one and not the other does not build.
import type { ResolvedConfig } from '../../protocol';
import type { SpecProperty, HyperboxProperty } from './schema';

/** A lifecycle command: a shell string, an argv array, or named commands run in parallel. */
export type LifecycleCommandValue = string | string[] | Record<string, string | string[]>;

export type PortAttributes = {
  label?: string;
  onAutoForward?: 'notify' | 'openBrowser' | 'openBrowserOnce' | 'openPreview' | 'silent' | 'ignore';
  elevateIfNeeded?: boolean;
  requireLocalPort?: boolean;
  protocol?: 'http' | 'https';
};

export type MountObject = {
  type: 'bind' | 'volume' | 'tmpfs';
  source?: string;
  target: string;
  readonly?: boolean;
  consistency?: string;
};

/** `customizations.hyperbox` (schemas/customizations-hyperbox.schema.json). */
export type HyperboxCustomizations = {
  runtime?: 'runc' | 'crun' | 'youki' | 'runsc' | 'kata' | 'kata-runtime';
  profile?: 'auto' | 'off';
  devCommand?: string;
  reload?: { enabled?: boolean; strategy?: 'framework-native' | 'restart' | 'rebuild' | 'off'; ignore?: string[] };
  seccomp?: { profile?: string };
  traces?: boolean | { enabled?: boolean; port?: number };
};

export type DevContainerConfig = {
  $schema?: string;
  name?: string;
  image?: string;
  build?: { dockerfile?: string; context?: string; args?: Record<string, string>; target?: string; cacheFrom?: string | string[]; options?: string[] };
  dockerFile?: string;
  context?: string;
  appPort?: number | string | (number | string)[];
  workspaceMount?: string;
  runArgs?: string[];
  dockerComposeFile?: string | string[];
  service?: string;
  runServices?: string[];
  workspaceFolder?: string;
  forwardPorts?: (number | string)[];
  portsAttributes?: Record<string, PortAttributes>;
  otherPortsAttributes?: PortAttributes;
  containerEnv?: Record<string, string>;
  remoteEnv?: Record<string, string | null>;
  containerUser?: string;
  remoteUser?: string;
  updateRemoteUserUID?: boolean;
  userEnvProbe?: 'none' | 'interactiveShell' | 'loginShell' | 'loginInteractiveShell';
  overrideCommand?: boolean;
  shutdownAction?: 'none' | 'stopContainer' | 'stopCompose';
  init?: boolean;
  privileged?: boolean;
  capAdd?: string[];
  securityOpt?: string[];
  mounts?: (string | MountObject)[];
  /** Feature id → its options (an object), or a version string / boolean as older configs write it. */
  features?: Record<string, Record<string, unknown> | string | boolean>;
  overrideFeatureInstallOrder?: string[];
  customizations?: { vscode?: { extensions?: string[]; settings?: Record<string, unknown>; [key: string]: unknown }; hyperbox?: HyperboxCustomizations; [tool: string]: Record<string, unknown> | undefined };
  hostRequirements?: { cpus?: number; memory?: string; storage?: string; gpu?: boolean | 'optional' | { cores?: number; memory?: string } };
  initializeCommand?: LifecycleCommandValue;
  onCreateCommand?: LifecycleCommandValue;
  updateContentCommand?: LifecycleCommandValue;
  postCreateCommand?: LifecycleCommandValue;
  postStartCommand?: LifecycleCommandValue;
  postAttachCommand?: LifecycleCommandValue;
  waitFor?: 'initializeCommand' | 'onCreateCommand' | 'updateContentCommand' | 'postCreateCommand' | 'postStartCommand';
  /** Deprecated: migrated into customizations.vscode when the config is resolved (resolve.ts). */
  extensions?: string[];
  /** Deprecated: migrated into customizations.vscode when the config is resolved (resolve.ts). */
  settings?: Record<string, unknown>;
  /** Deprecated: no longer used. */
  devPort?: number;
};

/** A resolved config that passed validation: what the engine's operations take. */
export type ValidConfig = ResolvedConfig & { config: DevContainerConfig };

/** The customizations.hyperbox of a config (an empty object when it has none). */
export function hyperboxOf(config: DevContainerConfig | undefined): HyperboxCustomizations {
  return config?.customizations?.hyperbox ?? {};
}

// the type and the schema name the same properties (a compile error otherwise)
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const specKeys: Same<keyof DevContainerConfig, SpecProperty> = true;
const hyperboxKeys: Same<keyof HyperboxCustomizations, HyperboxProperty> = true;
void specKeys;
void hyperboxKeys;
