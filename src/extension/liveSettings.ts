// The editor's settings the engine's live capabilities act on, as one LiveSettingsUpdate request
// (src/protocol): Ctx sends it once each engine session starts and again when one of them changes,
// whatever else is on or off (the pressure item, the panels). Pure, so the unit tests read it
// without VS Code: `get` is WorkspaceConfiguration.get of the hyperbox section.
import type { LiveSettings } from '../protocol';
import { Settings, SETTINGS_SECTION } from './contributions';

type Get = <T>(key: string, fallback: T) => T;

/** The pressure thresholds in the settings, in the engine's terms (an unusable value: the default). */
export function pressureThresholds(config: { get<T>(key: string): T | undefined }): { memorySomeWarning: number; memoryFullError: number } {
  const num = (key: string, fallback: number) => {
    const v = config.get<unknown>(key);
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100 ? v : fallback;
  };
  return { memorySomeWarning: num(Settings.pressureMemoryWarning, 10), memoryFullError: num(Settings.pressureMemoryError, 5) };
}

/** The settings that LiveSettingsUpdate carries, read through `get`. */
export function readLiveSettings(get: Get): LiveSettings {
  const port = get<number | null>(Settings.tracesPort, 4318);
  const image = get<string>(Settings.tracesEbpfImage, '').trim();
  return {
    pressure: pressureThresholds({ get: <T>(key: string) => get<T | undefined>(key, undefined) }),
    traces: {
      enabled: get<unknown>(Settings.tracesEnabled, false) === true,
      ...(typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? { port } : {}),
      ebpf: { enabled: get<unknown>(Settings.tracesEbpfEnabled, false) === true, ...(image ? { image } : {}) },
    },
    prewarm: get<unknown>(Settings.prewarm, false) === true,
  };
}

/** Whether a configuration change touches a setting LiveSettingsUpdate carries. */
export function affectsLiveSettings(affects: (section: string) => boolean): boolean {
  return [Settings.pressureMemoryWarning, Settings.pressureMemoryError, Settings.prewarm, Settings.tracesEnabled, Settings.tracesPort, Settings.tracesEbpfEnabled, Settings.tracesEbpfImage].some((s) =>
    affects(`${SETTINGS_SECTION}.${s}`),
  );
}
