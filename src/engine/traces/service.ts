// The traces service over JSON-RPC: the editor turns the receiver on (TracesStart), queries the
// store and gets TracesChanged as spans arrive. The receiver's code (dist/traces.js) is loaded by
// the first TracesStart, so an engine with traces off never loads it.
import type { MessageConnection } from 'vscode-jsonrpc';
import { TracesChanged, TracesGet, TracesList, TracesServices, TracesStart, TracesStatusRequest, TracesStop, type TracesStatus } from '../../protocol';
import type { EngineLog, ServiceRegistration } from '../services';
import { loadTraces } from './load';
import type { TraceReceiver } from './receiver';

/** TracesChanged is sent at most this often. */
const CHANGED_INTERVAL_MS = 200;

const OFF: TracesStatus = { state: 'off', storedTraces: 0, storedSpans: 0, storedBytes: 0, evictedTraces: 0 };

export const registerTracesService: ServiceRegistration = {
  capabilities: ['traces'],
  register(conn: MessageConnection, log: EngineLog) {
    let receiver: TraceReceiver | undefined;
    let starting: Promise<TraceReceiver> | undefined;

    const stop = async () => {
      const r = receiver ?? (await starting?.catch(() => undefined));
      receiver = undefined;
      starting = undefined;
      await r?.close();
    };

    conn.onRequest(TracesStart, async ({ port }) => {
      if (receiver && (port === undefined || port === receiver.port)) return receiver.status();
      await stop();
      starting = loadTraces().TraceReceiver.start({
        port,
        onMessage: (m) => log.info(m),
        changedIntervalMs: CHANGED_INTERVAL_MS,
        onChanged: (traces) => void conn.sendNotification(TracesChanged, { traces }).catch(() => undefined),
      });
      receiver = await starting;
      const s = receiver.status();
      log.info(s.state === 'listening' ? `Receiving traces on ${s.host}:${s.port}.` : `Traces go to the receiver on ${s.host}:${s.port} (pid ${s.receiverPid}).`);
      return s;
    });
    conn.onRequest(TracesStop, async () => {
      await stop();
      return OFF;
    });
    conn.onRequest(TracesStatusRequest, () => receiver?.status() ?? OFF);
    conn.onRequest(TracesList, async (q) => ({ traces: receiver ? await receiver.list(q) : [] }));
    conn.onRequest(TracesGet, async ({ traceId }) => (receiver ? receiver.get(traceId) : null));
    conn.onRequest(TracesServices, async () => ({ services: receiver ? await receiver.services() : [] }));
  },
};
