import { NotificationType, RequestType } from 'vscode-jsonrpc/lib/common/messages';
import type { PressureSample } from './pressure';

// Live settings and pressure subscriptions (src/engine/live/). The editor passes its settings;
// the engine decides (thresholds, what prewarming may do, whether traces reach containers), so the
// editor only renders.

/** The editor's settings the engine's live capabilities act on (each one optional: unchanged when absent). */
export interface LiveSettings {
  /** hyperbox.pressure.*: memory pressure thresholds, in percent of wall time (avg10). */
  pressure?: { memorySomeWarning: number; memoryFullError: number };
  /** hyperbox.traces.* (user settings: traces open a port on this machine). */
  traces?: {
    enabled: boolean;
    port?: number;
    /** hyperbox.traces.ebpf.*: machine-scope; the sidecar runs privileged. */
    ebpf?: { enabled: boolean; image?: string };
  };
  /** hyperbox.prewarm: build the next up's image while the host is calm (trusted folders only). */
  prewarm?: boolean;
}
/** client → engine: the settings changed (or the first time); answers the settings now in force. */
export const LiveSettingsUpdate = new RequestType<LiveSettings, Required<Pick<LiveSettings, 'pressure' | 'traces' | 'prewarm'>>, void>('hyperbox/live/settings');

/** A memory pressure level past a threshold, with the container concerned and what to do. */
export interface PressureAlert {
  level: 'warning' | 'error';
  /** Which figure crossed which threshold, e.g. memory some avg10 23.1 % ≥ 10 %. */
  figure: 'memory some avg10' | 'memory full avg10';
  value: number;
  threshold: number;
  /** The container under pressure (absent: the host as a whole). */
  container?: { containerId: string; name: string; folder?: string };
  /** raise-memory-limit: the container is near its limit; stop-idle-container: the host is short of memory. */
  action: 'raise-memory-limit' | 'stop-idle-container';
  /** For stop-idle-container: the running dev container that stalled least on CPU and is not the one under pressure. */
  idle?: { containerId: string; name: string; folder?: string };
  /** The sentence for the status bar's tooltip. */
  message: string;
}

/** PressureChanged: one sample and the alert it raises (null: below the thresholds). */
export interface PressureUpdate extends PressureSample {
  alert: PressureAlert | null;
}
/** client → engine: start receiving PressureChanged (sampling runs only while someone subscribes); answers a subscription id. */
export const PressureSubscribe = new RequestType<{ who: string }, { subscription: number }, void>('hyperbox/pressure/subscribe');
/** client → engine: stop one subscription; sampling stops with the last one. */
export const PressureUnsubscribe = new RequestType<{ subscription: number }, { subscribers: number }, void>('hyperbox/pressure/unsubscribe');
/** engine → client: about every second while subscribed: the host's and each dev container's pressure. */
export const PressureChanged = new NotificationType<PressureUpdate>('hyperbox/pressure/changed');

/** engine → client: traces are on, but a running dev container was made without them (not drift: the editor offers to recreate it). */
export const TracesRecreateOffer = new NotificationType<{ folder: string; configFile: string; containerId: string; reason: string }>('hyperbox/traces/recreateOffer');

/** What keeps the eBPF sidecar (hyperbox.traces.ebpf.enabled) from running beside a dev container. */
export interface TracesSidecarProblem {
  folder: string;
  containerId: string;
  /** trust: the folder is not trusted for it; image: its image is not on this machine; privileged: the engine refused a privileged container. */
  missing: 'trust' | 'image' | 'privileged';
  /** The sentence for the user: what is missing and what to do. */
  message: string;
}
/** engine → client: the eBPF sidecar the user's setting asks for does not run beside a container, and why. */
export const TracesSidecarProblemNotice = new NotificationType<TracesSidecarProblem>('hyperbox/traces/sidecarProblem');

/** What prewarming did for a folder, or why it did nothing (PrewarmRequest, hyperbox.prewarm). */
export interface PrewarmStatus {
  /** off: the setting is off; deferred: the host is under pressure (reason says which); ready: the image is built under `tag` (and the container made, when `containerId`). */
  state: 'off' | 'untrusted' | 'not-needed' | 'deferred' | 'ready' | 'failed';
  reason: string;
  /** The temporary tag the image is prewarmed under, until an up uses it. */
  tag?: string;
  /** How long the prewarm build took: what the next up saves. */
  buildMs?: number;
  /** The container made stopped for a folder that had none (the next up starts it). */
  containerId?: string;
}
/**
 * client → engine: prewarm the folder's next up if it should be (trusted, setting on, host calm).
 * The editor sends Workspace Trust and the finding keys the user accepted for the folder (the build
 * must be among them, or in hb's trust store). Cancellable.
 */
export const PrewarmRequest = new RequestType<
  {
    folder: string;
    configFile?: string;
    trusted: boolean;
    acceptedFindings?: string[];
    /** The editor's hyperbox.runtime setting, as its up would pass it (RuntimeUpParams.runtime): the container made is the one its up would make. */
    runtime?: string;
    /** false: the user removed the folder's container in this window; prepare the image only, never the container again. */
    container?: boolean;
  },
  PrewarmStatus,
  void
>('hyperbox/live/prewarm');
