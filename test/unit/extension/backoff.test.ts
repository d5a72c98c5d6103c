import { strict as assert } from 'node:assert';
import { DEFAULT_RESTART_POLICY, RestartPolicy, describeDuration } from '../../../src/extension/backoff';

describe('restart backoff', () => {
  it('doubles the delay for each crash, up to the cap, and gives up after 5 restarts in 3 minutes', () => {
    const policy = new RestartPolicy();
    assert.equal(DEFAULT_RESTART_POLICY.maxRestarts, 5);
    assert.equal(DEFAULT_RESTART_POLICY.windowMs, 180_000);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const d = policy.onCrash(1000 + i * 1000);
      assert.equal(d.restart, true, `crash ${i + 1} should restart`);
      if (d.restart) {
        delays.push(d.delayMs);
        assert.equal(d.attempt, i + 1);
      }
    }
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000]);
    const sixth = policy.onCrash(7000);
    assert.equal(sixth.restart, false);
    if (!sixth.restart) assert.equal(sixth.crashes, 6);
  });

  it('caps the delay', () => {
    const policy = new RestartPolicy({ maxRestarts: 10, windowMs: 1e9, initialDelayMs: 100, maxDelayMs: 300 });
    const delays = Array.from({ length: 5 }, (_, i) => policy.onCrash(i)).map((d) => (d.restart ? d.delayMs : -1));
    assert.deepEqual(delays, [100, 200, 300, 300, 300]);
  });

  it('forgets crashes older than the window', () => {
    const policy = new RestartPolicy({ maxRestarts: 2, windowMs: 60_000, initialDelayMs: 100, maxDelayMs: 1000 });
    assert.equal(policy.onCrash(0).restart, true);
    assert.equal(policy.onCrash(10_000).restart, true);
    // the first crash has left the window: this is the second within it, not the third
    const d = policy.onCrash(61_000);
    assert.equal(d.restart, true);
    if (d.restart) assert.equal(d.delayMs, 200);
    assert.equal(policy.onCrash(62_000).restart, false);
  });

  it('starts over after reset (a restart the user asked for)', () => {
    const policy = new RestartPolicy({ maxRestarts: 1, windowMs: 60_000, initialDelayMs: 100, maxDelayMs: 1000 });
    policy.onCrash(0);
    assert.equal(policy.onCrash(1).restart, false);
    policy.reset();
    assert.equal(policy.onCrash(2).restart, true);
  });

  it('describes durations for messages', () => {
    assert.equal(describeDuration(180_000), '3 minutes');
    assert.equal(describeDuration(60_000), '1 minute');
    assert.equal(describeDuration(30_000), '30 seconds');
    assert.equal(describeDuration(200), '0.2 seconds');
  });
});
