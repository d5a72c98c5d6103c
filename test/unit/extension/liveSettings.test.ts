// The settings the editor passes to the engine's live capabilities, and which changes re-send them.
import { strict as assert } from 'node:assert';
import { affectsLiveSettings, readLiveSettings } from '../../../src/extension/liveSettings';

const from = (values: Record<string, unknown>) => (<T>(key: string, fallback: T): T => (key in values ? (values[key] as T) : fallback)) as <T>(key: string, fallback: T) => T;

describe('extension: live settings for the engine', () => {
  it('defaults: traces, the eBPF sidecar and prewarming off; thresholds 10 % / 5 %', () => {
    assert.deepEqual(readLiveSettings(from({})), {
      pressure: { memorySomeWarning: 10, memoryFullError: 5 },
      traces: { enabled: false, port: 4318, ebpf: { enabled: false } },
      prewarm: false,
    });
  });
  it('carries what the user set', () => {
    const s = readLiveSettings(from({ 'traces.enabled': true, 'traces.port': 4400, 'traces.ebpf.enabled': true, 'traces.ebpf.image': ' local/obi:1 ', prewarm: true, 'pressure.memoryWarning': 20 }));
    assert.deepEqual(s.traces, { enabled: true, port: 4400, ebpf: { enabled: true, image: 'local/obi:1' } });
    assert.equal(s.prewarm, true);
    assert.equal(s.pressure!.memorySomeWarning, 20);
  });
  it('re-sends on a change of one of them only', () => {
    assert.equal(affectsLiveSettings((k) => k === 'hyperbox.traces.port'), true);
    assert.equal(affectsLiveSettings((k) => k === 'hyperbox.autoStart'), false);
  });
});
