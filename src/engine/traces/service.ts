// The traces service over JSON-RPC: the editor turns the receiver on (TracesStart), queries the
// store and gets TracesChanged as spans arrive. The receiver (traces/hub.ts, shared with the live
// traces capability) loads its code (dist/traces.js) on the first start, so an engine with traces
// off never loads it.
import type { MessageConnection } from 'vscode-jsonrpc';
import { TracesChanged, TracesGet, TracesList, TracesServices, TracesStart, TracesStatusRequest, TracesStop } from '../../protocol';
import type { EngineLog, ServiceRegistration } from '../serviceTypes';
import { TRACES_OFF, tracesHub } from './hub';

export const registerTracesService: ServiceRegistration = {
  capabilities: ['traces'],
  register(conn: MessageConnection, log: EngineLog) {
    const hub = tracesHub;
    hub.configure({ onMessage: (m) => log.info(m), onChanged: (traces) => void conn.sendNotification(TracesChanged, { traces }).catch(() => undefined) });
    conn.onRequest(TracesStart, async ({ port }) => (await hub.start(port)).status());
    conn.onRequest(TracesStop, async () => {
      await hub.stop();
      return TRACES_OFF;
    });
    conn.onRequest(TracesStatusRequest, () => hub.current?.status() ?? TRACES_OFF);
    conn.onRequest(TracesList, async (q) => ({ traces: hub.current ? await hub.current.list(q) : [] }));
    conn.onRequest(TracesGet, async ({ traceId }) => (hub.current ? hub.current.get(traceId) : null));
    conn.onRequest(TracesServices, async () => ({ services: hub.current ? await hub.current.services() : [] }));
    return { dispose: () => hub.stop() };
  },
};
