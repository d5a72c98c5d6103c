// Pressure as a live capability: one PressureSampler (pressure/sampler.ts) for the engine. Each
// served dev container is added when it runs and removed when it stops, is recreated or removed;
// the sampler runs only while a client subscribes (the Pressure panel, the status-bar item), and
// each sample goes out as PressureChanged with the alert the thresholds (the editor's settings)
// raise, so the editor only renders.
import type { MessageConnection } from 'vscode-jsonrpc';
import { PressureSubscribe, PressureUnsubscribe, type PressureUpdate } from '../../protocol';
import { DEFAULT_THRESHOLDS, pressureAlert, type PressureThresholds } from '../pressure/alert';
import { PressureSampler } from '../pressure/sampler';
import type { LiveCapability, LiveContainer } from './host';

export class PressureCapability implements LiveCapability {
  readonly name = 'pressure';
  private sampler?: PressureSampler;
  private readonly subscribers = new Map<number, string>();
  private nextId = 1;
  thresholds: PressureThresholds = { ...DEFAULT_THRESHOLDS };

  constructor(
    private readonly notify: (u: PressureUpdate) => void,
    private readonly makeSampler: () => PressureSampler = () => new PressureSampler(),
  ) {}

  private get s(): PressureSampler {
    if (!this.sampler) {
      this.sampler = this.makeSampler();
      this.sampler.subscribe((sample) => this.notify({ ...sample, alert: pressureAlert(sample, this.thresholds) }));
    }
    return this.sampler;
  }

  start(c: LiveContainer) {
    const pid = c.info.State.Pid;
    if (!pid) return;
    this.s.addContainer({ containerId: c.id, name: c.info.Name.replace(/^\//, ''), folder: c.project.folder, pid });
    return () => this.sampler?.removeContainer(c.id);
  }

  /** The containers sampled now. */
  containers(): string[] {
    return this.sampler?.containerIds() ?? [];
  }

  /** A client watches from now on; the first one starts sampling (one sample at once, then every second). */
  subscribe(who: string): number {
    const id = this.nextId++;
    this.subscribers.set(id, who);
    if (this.subscribers.size === 1) this.s.start();
    return id;
  }

  /** One client stops watching; sampling pauses with the last. Answers how many still watch. */
  unsubscribe(id: number): number {
    this.subscribers.delete(id);
    if (!this.subscribers.size) this.sampler?.stop();
    return this.subscribers.size;
  }

  get sampling(): boolean {
    return !!this.sampler?.running;
  }

  shutdown(): void {
    this.subscribers.clear();
    this.sampler?.dispose();
    this.sampler = undefined;
  }

  register(conn: MessageConnection): void {
    conn.onRequest(PressureSubscribe, ({ who }) => ({ subscription: this.subscribe(who) }));
    conn.onRequest(PressureUnsubscribe, ({ subscription }) => ({ subscribers: this.unsubscribe(subscription) }));
  }
}
