/**
 * Growing delays for failed authentications, per client address. Each failure doubles the wait
 * the address's next attempt gets before it is even checked (base × 2^(failures-1), capped), so a
 * password guesser from one address is slowed to a crawl while every other address is answered at
 * once (the delay is a timer, never a busy wait: the event loop serves the others meanwhile).
 * Attempts from one address wait in turn, each its own delay: a guesser opening 1,000 connections
 * at once gets no more tries per second than one sending them one by one. A
 * success forgets the address; so does authFailureQuietMs without failures. The table is bounded
 * (the oldest address goes first): a flood of addresses costs memory up to the bound, no more.
 */
import type { BrokerLimits } from '../limits.js';

interface Failures {
  count: number;
  lastMs: number;
  /** The attempts waiting their turn: they wait one after another, never side by side. */
  queue: Promise<void>;
}

export type DelayLimits = Pick<BrokerLimits, 'authFailureDelayMsBase' | 'authFailureDelayMsMax' | 'authFailureQuietMs' | 'authFailureAddressesMax'>;

export class FailedLoginDelay {
  private readonly failures = new Map<string, Failures>();

  constructor(private readonly limits: DelayLimits, private readonly now: () => number = Date.now) {}

  /** How long an attempt from `address` waits before it is checked (0 for an address with no failures). */
  delayMs(address: string): number {
    const entry = this.failures.get(address);
    if (!entry) return 0;
    if (this.now() - entry.lastMs > this.limits.authFailureQuietMs) {
      this.failures.delete(address);
      return 0;
    }
    const exponent = Math.min(entry.count - 1, 30);
    return Math.min(this.limits.authFailureDelayMsMax, this.limits.authFailureDelayMsBase * 2 ** exponent);
  }

  failed(address: string): void {
    const entry = this.failures.get(address) ?? { count: 0, lastMs: 0, queue: Promise.resolve() };
    entry.count += 1;
    entry.lastMs = this.now();
    // Re-inserted last: the map's order is the order of last failure, the oldest first to go.
    this.failures.delete(address);
    this.failures.set(address, entry);
    if (this.failures.size > this.limits.authFailureAddressesMax) this.failures.delete(this.failures.keys().next().value!);
  }

  succeeded(address: string): void {
    this.failures.delete(address);
  }

  /** Waits for the address's turn and then its delay; resolves at once for an address with no failures. */
  wait(address: string): Promise<void> {
    const entry = this.failures.get(address);
    if (!entry || this.delayMs(address) === 0) return Promise.resolve();
    const turn = entry.queue.then(() => new Promise<void>((resolve) => setTimeout(resolve, this.delayMs(address)).unref()));
    entry.queue = turn;
    return turn;
  }
}
