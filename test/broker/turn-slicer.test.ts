import { describe, expect, it } from 'vitest';
import { TurnSlicer } from '../../broker/turn-slicer.js';

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('TurnSlicer', () => {
  it('lets callbacks queued on the event loop run during a long loop, once a slice is used up', async () => {
    let ranAtStep = -1;
    let step = 0;
    setImmediate(() => (ranAtStep = step));
    const slicer = new TurnSlicer(5);
    for (step = 0; step < 20; step++) {
      await slicer.pass();
      busy(2);
    }
    // Without the slicer the callback runs only after the 40 ms loop: at step 20.
    expect(ranAtStep).toBeGreaterThan(0);
    expect(ranAtStep).toBeLessThan(20);
  });

  it('does not leave the turn inside a slice', async () => {
    let ran = false;
    setImmediate(() => (ran = true));
    const slicer = new TurnSlicer(60_000);
    for (let step = 0; step < 1000; step++) await slicer.pass();
    expect(ran).toBe(false);
  });
});
