// The runtime service over JSON-RPC: the editor's way to bring dev containers up, stop and
// remove them, with Progress / RuntimeOutput notifications and cancellation. The same functions
// back `hb up/status/stop/down/ps`. Nothing heavy is loaded until the first request.
import type { CancellationToken, MessageConnection } from 'vscode-jsonrpc';
import {
  Capability,
  Progress,
  RUNTIME_ERROR,
  RuntimeDown,
  RuntimeList,
  RuntimeOutput,
  RuntimeRunHooks,
  type RuntimeRunHooksParams,
  RuntimeStatus,
  RuntimeStop,
  RuntimeTimeline,
  RuntimeTimelineChanged,
  RuntimeTrustPreview,
  RuntimeUp,
} from '../../protocol';
import type { EngineLog, ServiceRegistration } from '../serviceTypes';
import { toResponseError } from '../rpc/errors';
import { registerLive } from '../live/service';
import { LIFECYCLE_HOOKS, type LifecycleHook } from './build/metadata';
import { down, list, status, stop } from './ops';
import type { Reporter } from './report';
import { Throttle, type Timeline } from './up/timeline';
import { findTimeline, timelineKey } from './up/timelineStore';
import { acceptedTrust } from './create/trust';
import { previewTrust, up } from './up/up';

/** RuntimeTimelineChanged is sent at most this often per up (and at once when it ends). */
const TIMELINE_INTERVAL_MS = 100;

/** The error code of runtime failures on the wire (from the protocol); `data.code` carries the RuntimeError code. */
export { RUNTIME_ERROR };


export function abortSignal(token: CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

export function reporter(conn: MessageConnection, log: EngineLog, token: string | undefined): Reporter {
  const progress = (message: string) => {
    if (token !== undefined) void conn.sendNotification(Progress, { token, message }).catch(() => undefined);
  };
  return {
    step: (m) => progress(m),
    info: (m) => {
      progress(m);
      log.info(m);
    },
    warn: (m) => {
      progress(m);
      log.warn(m);
    },
    output: (source, text) => {
      if (token !== undefined) void conn.sendNotification(RuntimeOutput, { token, source, text }).catch(() => undefined);
    },
  };
}

export const registerRuntimeService: ServiceRegistration = {
  capabilities: [Capability.runtime, Capability.timeline, Capability.remove, Capability.ports],
  register(conn, log) {
    // Docker events and the live capabilities such as port forwarding (live/service.ts)
    const live = registerLive(conn, log);
    // the timelines of the ups under way here, by folder and config (timelineStore.ts keeps the last of each)
    const running = new Map<string, Timeline>();
    const upRequest = async (params: RuntimeRunHooksParams, token: CancellationToken, runHooks?: LifecycleHook[]) => {
      let key: string | undefined;
      let keyConfig: string | null = null;
      const changed = new Throttle<Timeline>((t) => void conn.sendNotification(RuntimeTimelineChanged, t.snapshot()).catch(() => undefined), TIMELINE_INTERVAL_MS);
      try {
        const report = reporter(conn, log, params.progressToken);
        const outcome = await up({
          client: 'editor',
          onTimeline: (t, final) => {
            // the config file is known once the config is read: file the timeline under it
            if (key === undefined || keyConfig !== t.configFile) {
              if (key && running.get(key) === t) running.delete(key);
              key = timelineKey(t.folder, t.configFile);
              keyConfig = t.configFile;
              running.set(key, t);
            }
            changed.push(t);
            if (final) {
              changed.flush();
              // another up of the same folder (waiting for the lock) may have taken the slot
              if (t.outcome !== 'running' && running.get(key) === t) running.delete(key);
            }
          },
          folder: params.folder,
          configFile: params.configFile,
          env: process.env,
          // Workspace Trust; with the findings accepted before (auto-start), a new finding stops the up
          trusted: params.trusted && Array.isArray(params.acceptedFindings) ? acceptedTrust(params.acceptedFindings.map(String)) : params.trusted === true,
          report,
          signal: abortSignal(token),
          waitFor: params.waitFor,
          rebuild: params.rebuild,
          noCache: params.noCache,
          defaultRuntime: params.runtime,
          runHooks,
          settings: live.settings(),
        });
        if (outcome.rest) {
          // the commands after waitFor keep running here; their output keeps flowing as notifications
          const rest = outcome.rest;
          void rest().then(
            () => report.info(`Lifecycle commands ${outcome.result.pendingHooks.join(', ')} finished.`),
            (e) => log.error((e as Error).message),
          );
        }
        live.served(outcome.result);
        return outcome.result;
      } catch (e) {
        throw toResponseError(e);
      }
    };
    conn.onRequest(RuntimeUp, (params, token) => upRequest(params, token));
    conn.onRequest(RuntimeRunHooks, (params, token) => upRequest(params, token, params.hooks ?? [...LIFECYCLE_HOOKS]));
    conn.onRequest(RuntimeStatus, (params) =>
      status({ folder: params.folder, configFile: params.configFile, env: process.env }).then(
        (summary) => {
          // the editor works on this project: its container's live work follows the container
          live.served(summary);
          return summary;
        },
        (e) => Promise.reject(toResponseError(e)),
      ),
    );
    // what an up would ask to trust, found without running anything (the editor's Restricted Mode)
    conn.onRequest(RuntimeTrustPreview, (params, token) =>
      previewTrust({ folder: params.folder, configFile: params.configFile, env: process.env, report: reporter(conn, log, params.progressToken), signal: abortSignal(token) }).catch((e) =>
        Promise.reject(toResponseError(e)),
      ),
    );
    conn.onRequest(RuntimeStop, (params) =>
      stop({ folder: params.folder, configFile: params.configFile, env: process.env, report: reporter(conn, log, params.progressToken) }).catch((e) =>
        Promise.reject(toResponseError(e)),
      ),
    );
    conn.onRequest(RuntimeDown, (params) =>
      down({
        folder: params.folder,
        configFile: params.configFile,
        env: process.env,
        volumes: params.volumes,
        report: reporter(conn, log, params.progressToken),
        // the editor names the Compose volumes the user agreed to delete
        confirmVolumes: async (volumes) => volumes.every((v) => params.confirmVolumes?.includes(v)),
      }).catch((e) =>
        Promise.reject(toResponseError(e)),
      ),
    );
    conn.onRequest(RuntimeTimeline, (params) => findTimeline(process.env, params, running).catch((e) => Promise.reject(toResponseError(e))));
    conn.onRequest(RuntimeList, () => list(process.env).then((containers) => ({ containers }), (e) => Promise.reject(toResponseError(e))));
    return { dispose: () => live.shutdown() };
  },
};
