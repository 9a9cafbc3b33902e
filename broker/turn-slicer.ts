/**
 * Cuts a long loop on the event loop into slices: `pass()` lets the other connections' requests and
 * timers run once the loop has held the thread for `sliceMs`. For answers that walk every group or
 * every partition (listing 10,000 groups held the loop 1.2 s), so no one request stalls the broker.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

export class TurnSlicer {
  private sliceStarted = performance.now();

  constructor(private readonly sliceMs = 10) {}

  /** Resolves at once inside a slice; after `sliceMs` of work, on the next turn of the event loop. */
  async pass(): Promise<void> {
    if (performance.now() - this.sliceStarted < this.sliceMs) return;
    await nextTurn();
    this.sliceStarted = performance.now();
  }
}
