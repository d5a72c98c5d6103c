// State that follows changes made outside HyperBox: the engine's event stream (Docker events),
// filtered to dev containers (the devcontainer.local_folder label), turned into ContainerEvent.
// A `docker stop` from a terminal thus shows as stopped without anyone asking. The stream is
// opened again (from the last event's time, so nothing is missed) when the engine restarts.
import type { ContainerEvent } from '../../../protocol';
import type { Engine } from '../engine/docker';
import { LABEL_CONFIG_FILE, LABEL_LOCAL_FOLDER } from '../create/labels';

const ACTIONS = ['create', 'start', 'stop', 'die', 'kill', 'pause', 'unpause', 'destroy', 'restart'] as const;

/** One raw event as the Engine API sends it (a JSON object per line). */
export interface RawEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** The ContainerEvent for a raw event, or undefined for events that are not about a dev container's state. */
export function toContainerEvent(raw: RawEvent): ContainerEvent | undefined {
  if (raw.Type && raw.Type !== 'container') return undefined;
  const action = (raw.Action ?? raw.status ?? '') as ContainerEvent['action'];
  if (!(ACTIONS as readonly string[]).includes(action)) return undefined;
  const attrs = raw.Actor?.Attributes ?? {};
  const folder = attrs[LABEL_LOCAL_FOLDER];
  const id = raw.Actor?.ID ?? raw.id;
  if (!folder || !id) return undefined;
  const state: ContainerEvent['state'] =
    action === 'start' || action === 'unpause' || action === 'restart'
      ? 'running'
      : action === 'pause'
        ? 'paused'
        : action === 'destroy'
          ? 'missing'
          : 'stopped';
  const ev: ContainerEvent = {
    containerId: id,
    name: attrs.name ?? id.slice(0, 12),
    folder,
    configFile: attrs[LABEL_CONFIG_FILE] ?? null,
    action,
    state,
    time: new Date(raw.timeNano ? raw.timeNano / 1e6 : (raw.time ?? Date.now() / 1000) * 1000).toISOString(),
  };
  if (action === 'die' && attrs.exitCode !== undefined && /^-?\d+$/.test(attrs.exitCode)) ev.exitCode = Number(attrs.exitCode);
  return ev;
}

/** Splits a stream of concatenated JSON objects (one per line, possibly cut anywhere) into objects. */
export class JsonLines {
  private pending = '';
  push(chunk: string, onObject: (o: unknown) => void): void {
    this.pending += chunk;
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl).trim();
      this.pending = this.pending.slice(nl + 1);
      if (!line) continue;
      try {
        onObject(JSON.parse(line));
      } catch {
        // not JSON: ignore the line
      }
    }
  }
}

export interface EventWatch {
  /** Resolves once the first subscription is open (or rejects when the engine cannot be asked). */
  ready: Promise<void>;
  close(): void;
}

/**
 * Follows the engine's events about dev containers until closed. `onError` hears about lost
 * connections (the watch keeps trying, with a capped backoff).
 */
export function watchContainerEvents(engine: Engine, onEvent: (e: ContainerEvent) => void, onError?: (e: Error) => void): EventWatch {
  let closed = false;
  let current: NodeJS.ReadableStream | undefined;
  let since: number | undefined;
  let delay = 250;
  let timer: NodeJS.Timeout | undefined;
  let firstResolve!: () => void;
  let firstReject!: (e: Error) => void;
  let first = true;
  const ready = new Promise<void>((res, rej) => {
    firstResolve = res;
    firstReject = rej;
  });
  ready.catch(() => undefined);

  const open = async () => {
    if (closed) return;
    try {
      const opts: Record<string, unknown> = {
        filters: JSON.stringify({ type: ['container'], event: [...ACTIONS], label: [LABEL_LOCAL_FOLDER] }),
      };
      if (since !== undefined) opts.since = String(since);
      const stream = (await (engine.docker.getEvents as unknown as (o: unknown) => Promise<NodeJS.ReadableStream>).call(engine.docker, opts));
      if (closed) {
        (stream as unknown as { destroy?: () => void }).destroy?.();
        return;
      }
      current = stream;
      delay = 250;
      if (first) {
        first = false;
        firstResolve();
      }
      const lines = new JsonLines();
      stream.on('data', (chunk: Buffer) =>
        lines.push(chunk.toString('utf8'), (o) => {
          const raw = o as RawEvent;
          if (raw.time) since = raw.time;
          const ev = toContainerEvent(raw);
          if (ev) onEvent(ev);
        }),
      );
      const again = () => {
        if (current !== stream) return;
        current = undefined;
        if (!closed) schedule();
      };
      stream.on('end', again);
      stream.on('close', again);
      stream.on('error', (e: Error) => {
        onError?.(e);
        again();
      });
    } catch (e) {
      if (first) {
        first = false;
        firstReject(e as Error);
      } else onError?.(e as Error);
      schedule();
    }
  };
  const schedule = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void open();
    }, delay);
    timer.unref?.();
    delay = Math.min(delay * 2, 10_000);
  };
  void open();
  return {
    ready,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      (current as unknown as { destroy?: () => void } | undefined)?.destroy?.();
      current = undefined;
    },
  };
}
