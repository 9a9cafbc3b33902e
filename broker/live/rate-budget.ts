/**
 * A sampled live tail (`?maxRecordsPerSec=`): a token bucket that lets a stream send at most that
 * many records a second, for a viewer that only draws the newest few (the web console). When the
 * topic runs faster, the stream skips ahead to the newest records instead of falling behind, so a
 * busy topic costs the broker a few small reads a second per viewer, not a firehose.
 *
 * Tokens refill continuously up to one second's worth; the stream waits for a quarter of a
 * second's worth before sending again, so it wakes (reads and decodes the newest batch) at most
 * ~4 times a second, however fast the topic: as often as the console draws.
 */
export class RateBudget {
  private tokens: number;
  private refilledAtMs: number;
  /** Tokens worth waking up for: a quarter of a second's worth (at least one record). */
  private readonly chunk: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(Number.isInteger(perSecond) && perSecond > 0)) throw new RangeError(`a rate budget is a positive whole number of records per second, not ${perSecond}`);
    this.tokens = perSecond;
    this.refilledAtMs = now();
    this.chunk = Math.max(1, Math.floor(perSecond / 4));
  }

  /** Whole records that may be sent now. */
  available(): number {
    const now = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.refilledAtMs) * this.perSecond) / 1000);
    this.refilledAtMs = now;
    return Math.floor(this.tokens);
  }

  take(count: number): void {
    this.tokens -= count;
  }

  /** Waits until a chunk's worth is available (or the signal aborts). */
  async ready(signal: AbortSignal): Promise<void> {
    // A loop: a timer may fire a fraction of a millisecond before the refill it waited for.
    for (let missing = this.chunk - this.available(); missing > 0 && !signal.aborted; missing = this.chunk - this.available()) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.ceil((missing * 1000) / this.perSecond));
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }
}
