// Where the engine script comes from. Resolution order: the HYPERBOX_ENGINE_PATH environment
// variable, then the `hyperbox.engine.path` setting (machine scope: only user settings count),
// then the engine bundled with the extension. Pure: callers pass the environment and the setting.
import * as path from 'node:path';
import { ENGINE_PATH_ENV, SETTINGS_SECTION, Settings } from './contributions';

export type EngineSource = 'environment' | 'setting' | 'bundled';

export interface EnginePathChoice {
  path: string;
  source: EngineSource;
  /** Where the path came from, for logs and error messages. */
  origin: string;
}

export interface EnginePathInput {
  env: Record<string, string | undefined>;
  /** The setting's user-level (global) value; workspace values must never be passed here. */
  setting: unknown;
  extensionPath: string;
  homeDir: string;
}

export class EnginePathError extends Error {}

const ORIGINS: Record<EngineSource, string> = {
  environment: `the ${ENGINE_PATH_ENV} environment variable`,
  setting: `the "${SETTINGS_SECTION}.${Settings.enginePath}" setting (user settings)`,
  bundled: 'the engine bundled with the extension',
};

export function bundledEnginePath(extensionPath: string): string {
  return path.join(extensionPath, 'dist', 'engine.js');
}

/** The engine path to use, or an EnginePathError that names the override and how to fix it. */
export function resolveEnginePath(input: EnginePathInput): EnginePathChoice {
  const fromEnv = input.env[ENGINE_PATH_ENV]?.trim();
  if (fromEnv) return { path: absolute(fromEnv, 'environment', input.homeDir), source: 'environment', origin: ORIGINS.environment };
  if (input.setting !== undefined && input.setting !== null && typeof input.setting !== 'string') {
    throw new EnginePathError(
      `${ORIGINS.setting} must be a path (a string), not ${JSON.stringify(input.setting)}. Fix it in your user settings, or remove it to use the bundled engine.`,
    );
  }
  const fromSetting = typeof input.setting === 'string' ? input.setting.trim() : '';
  if (fromSetting) return { path: absolute(fromSetting, 'setting', input.homeDir), source: 'setting', origin: ORIGINS.setting };
  return { path: bundledEnginePath(input.extensionPath), source: 'bundled', origin: ORIGINS.bundled };
}

function absolute(p: string, source: EngineSource, home: string): string {
  if (p === '~' || p.startsWith('~/')) p = path.join(home, p.slice(1));
  if (!path.isAbsolute(p)) {
    throw new EnginePathError(
      `${ORIGINS[source]} is "${p}", a relative path. Give the absolute path of the engine script (for example /opt/hyperbox/dist/engine.js), or remove it to use the bundled engine.`,
    );
  }
  return path.normalize(p);
}
