// The editor's settings the engine's live capabilities act on, as one LiveSettingsUpdate request
// (src/protocol): sent once the engine runs and again when one of them changes. Pure, so the unit
// tests read it without VS Code: `get` is WorkspaceConfiguration.get of the hyperbox section.
import type { LiveSettings } from '../protocol';
import { Settings, SETTINGS_SECTION } from './contributions';

type Get = <T>(key: string, fallback: T) => T;

/** The settings that LiveSettingsUpdate carries, read through `get`. */
export function readLiveSettings(get: Get): LiveSettings {
  const port = get<number | null>(Settings.tracesPort, 4318);
  const image = get<string>(Settings.tracesEbpfImage, '').trim();
  return {
    pressure: { memorySomeWarning: get(Settings.pressureMemoryWarning, 10), memoryFullError: get(Settings.pressureMemoryError, 5) },
    traces: {
      enabled: get(Settings.tracesEnabled, false),
      ...(typeof port === 'number' ? { port } : {}),
      ebpf: { enabled: get(Settings.tracesEbpfEnabled, false), ...(image ? { image } : {}) },
    },
    prewarm: get(Settings.prewarm, false),
  };
}

/** Whether a configuration change touches a setting LiveSettingsUpdate carries. */
export function affectsLiveSettings(affects: (section: string) => boolean): boolean {
  return [Settings.pressureMemoryWarning, Settings.pressureMemoryError, Settings.prewarm, Settings.tracesEnabled, Settings.tracesPort, Settings.tracesEbpfEnabled, Settings.tracesEbpfImage].some((s) =>
    affects(`${SETTINGS_SECTION}.${s}`),
  );
}
