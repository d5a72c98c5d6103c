import { NotificationType, RequestType } from 'vscode-jsonrpc/lib/common/messages';

// Hot reload (customizations.hyperbox.reload.enabled, or hb watch)

/** client → engine: files the editor saved (absolute paths); a fast path beside the engine's own watcher, deduplicated with it. */
export interface ReloadSavedParams {
  folder: string;
  configFile?: string;
  paths: string[];
}
export const ReloadSaved = new NotificationType<ReloadSavedParams>('hyperbox/reload/saved');

/** One hot-reload action, or the app's end. */
export interface ReloadEvent {
  folder: string;
  configFile: string;
  /**
   * suspended: the container stopped; changes are queued and replayed when it runs again.
   * off: hot reload was turned off (ReloadToggle).
   */
  kind: 'reloaded' | 'crashed' | 'rebuild-offered' | 'started' | 'stopped' | 'suspended' | 'off' | 'not-trusted' | 'failed';
  /** reloaded: what was done. */
  action?: 'nothing' | 'restarted' | 'synced' | 'reinstalled' | 'rebuild-offered' | 'started';
  files?: string[];
  count?: number;
  ms?: number;
  /** reloaded: where the time went (ms): the batch settling, copying in, installing, restarting, until the app's port answered. */
  phases?: { wait: number; sync?: number; install?: number; restart?: number; serve?: number };
  /** Over the recent reloads. */
  p50?: number;
  p95?: number;
  /** crashed: the exit code and the app's last output; failed / not-trusted: the message. */
  exitCode?: number;
  output?: string;
  message?: string;
}
/** engine → client: hot reload did something (for the status bar, the view and the panel). */
export const ReloadChanged = new NotificationType<ReloadEvent>('hyperbox/reload/changed');

export interface ReloadToggleParams {
  folder: string;
  configFile?: string;
  /** Turn hot reload on or off for the folder (for this engine's life; the editor sends it again when the engine restarts). */
  enabled: boolean;
  /** The folder is trusted (Workspace Trust): turning it on then trusts the dev command it runs. */
  trusted: boolean;
}
export interface ReloadToggleResult {
  enabled: boolean;
  /** What happens now, in words (started, starts with the container, not trusted...). */
  message: string;
}
/** client → engine: turn hot reload on or off for a folder, overriding customizations.hyperbox.reload.enabled. */
export const ReloadToggle = new RequestType<ReloadToggleParams, ReloadToggleResult, void>('hyperbox/reload/toggle');
