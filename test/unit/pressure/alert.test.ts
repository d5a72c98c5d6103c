// The status bar's memory pressure verdict, decided in the engine from the user's thresholds.
import { strict as assert } from 'node:assert';
import { pressureAlert } from '../../../src/engine/pressure/alert';
import type { ContainerPressure, PressureFigures, PressureSample, PsiResource } from '../../../src/protocol';

const line = (avg10: number, delta = 0) => ({ avg10, avg60: 0, avg300: 0, total: 0, delta });
const res = (some: number, full = 0, delta = 0): PsiResource => ({ some: line(some, delta), full: line(full, delta) });
const fig = (memSome: number, memFull = 0, extra: Partial<PressureFigures> = {}): PressureFigures => ({ memory: res(memSome, memFull), cpu: res(0), io: res(0), missing: [], ...extra });
const ctr = (id: string, f: PressureFigures, extra: Partial<ContainerPressure> = {}): ContainerPressure => ({ containerId: id, name: `hb-${id}`, folder: `/w/${id}`, ...f, ...extra });
const sample = (host: PressureFigures, containers: ContainerPressure[]): PressureSample => ({ time: '', intervalMs: 1000, host, containers });
const T = { memorySomeWarning: 10, memoryFullError: 5 };
const GiB = 1024 ** 3;

describe('pressure: the status bar alert', () => {
  it('is null below both thresholds', () => {
    assert.equal(pressureAlert(sample(fig(9.9, 4.9), [ctr('a', fig(9.9, 4.9))]), T), null);
  });

  it('names a container near its limit and says to raise it', () => {
    const a = pressureAlert(sample(fig(1), [ctr('a', fig(12, 0, { memoryUsage: { usage: 0.95 * GiB, limit: GiB } })), ctr('b', fig(0))]), T)!;
    assert.equal(a.level, 'warning');
    assert.equal(a.container?.name, 'hb-a');
    assert.equal(a.action, 'raise-memory-limit');
    assert.match(a.message, /973 MiB of its 1024 MiB limit.*Raise its memory limit/);
  });

  it('is an error when every task stalls (full) and prefers it over a higher "some" elsewhere', () => {
    const a = pressureAlert(sample(fig(0), [ctr('a', fig(50)), ctr('b', fig(11, 6))]), T)!;
    assert.equal(a.level, 'error');
    assert.equal(a.figure, 'memory full avg10');
    assert.equal(a.container?.containerId, 'b');
  });

  it('suggests stopping the idle container when the machine is short of memory', () => {
    const busy = ctr('busy', { ...fig(0), cpu: res(30, 0, 500_000) });
    const idle = ctr('idle', fig(0), { memoryUsage: { usage: GiB, limit: null } });
    const a = pressureAlert(sample(fig(20), [busy, idle]), T)!;
    assert.equal(a.container, undefined, 'the host as a whole');
    assert.equal(a.action, 'stop-idle-container');
    assert.equal(a.idle?.name, 'hb-idle');
    assert.match(a.message, /this machine.*Stop the idle dev container hb-idle \(\/w\/idle\)/);
  });

  it('leaves out containers that are gone', () => {
    assert.equal(pressureAlert(sample(fig(0), [ctr('a', fig(90), { gone: true })]), T), null);
  });
});
