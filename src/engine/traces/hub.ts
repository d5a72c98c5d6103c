// The engine's one trace receiver, shared by the traces service (TracesStart/Stop and the queries)
// and the live traces capability (live/traces.ts), which starts it for a container that sends
// traces and relays the container's 127.0.0.1:<port> to it. The receiver's code is loaded on the
// first start only (load.ts).
import type { TracesStatus, TraceSummary } from '../../protocol';
import { loadTraces } from './load';
import type { TraceReceiver } from './receiver';

/** TracesChanged is sent at most this often. */
export const CHANGED_INTERVAL_MS = 200;

export const TRACES_OFF: TracesStatus = { state: 'off', storedTraces: 0, storedSpans: 0, storedBytes: 0, evictedTraces: 0 };

export class TracesHub {
  private receiver: TraceReceiver | undefined;
  private starting: Promise<TraceReceiver> | undefined;
  private readonly listeners = new Set<(r: TraceReceiver | undefined) => void>();
  private onMessage: (m: string) => void = () => undefined;
  private onChanged: (traces: TraceSummary[]) => void = () => undefined;

  /** Where the receiver's messages and change notices go (the engine's connection). */
  configure(o: { onMessage: (m: string) => void; onChanged: (traces: TraceSummary[]) => void }): void {
    this.onMessage = o.onMessage;
    this.onChanged = o.onChanged;
  }

  get current(): TraceReceiver | undefined {
    return this.receiver;
  }

  /** Starts the receiver on `port` (default 4318), or answers the one running on that port (any port when undefined). */
  async start(port?: number): Promise<TraceReceiver> {
    if (this.receiver && (port === undefined || port === this.receiver.port)) return this.receiver;
    if (this.starting && port === undefined) return this.starting;
    await this.stop();
    const starting = loadTraces().TraceReceiver.start({
      port,
      onMessage: (m) => this.onMessage(m),
      changedIntervalMs: CHANGED_INTERVAL_MS,
      onChanged: (traces) => this.onChanged(traces),
    });
    this.starting = starting;
    try {
      const r = await starting;
      if (this.starting !== starting) {
        await r.close();
        throw new Error('Traces were turned off while the receiver started.');
      }
      this.receiver = r;
      const s = r.status();
      this.onMessage(s.state === 'listening' ? `Receiving traces on ${s.host}:${s.port}.` : `Traces go to the receiver on ${s.host}:${s.port} (pid ${s.receiverPid}).`);
      this.emit();
      return r;
    } finally {
      if (this.starting === starting) this.starting = undefined;
    }
  }

  async stop(): Promise<void> {
    const r = this.receiver ?? (await this.starting?.catch(() => undefined));
    this.receiver = undefined;
    this.starting = undefined;
    if (r) {
      await r.close();
      this.emit();
    }
  }

  /** Called with the receiver whenever it starts or stops; returns the function that stops that. */
  onChange(fn: (r: TraceReceiver | undefined) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    for (const l of this.listeners) l(this.receiver);
  }
}

/** The engine's receiver (one engine per process). */
export const tracesHub = new TracesHub();
