/**
 * Growing delays for failed authentications, counted twice: per client network (an IPv4 address,
 * an IPv6 /64, since one host commonly owns a whole /64) and per target (the user or token id a
 * guess was aimed at). Each failure doubles the wait the next attempt against either gets before
 * it is even checked (base × 2^(failures-1), capped, the larger of the two), so a guesser is slowed
 * to a crawl whether it spreads over many targets from one network or many networks at one target,
 * while other clients are answered at once (the delay is a timer, never a busy wait). Attempts
 * from one network wait in turn: 1,000 connections at once get no more tries per second than one
 * sending them one by one. Attempts at one target from several networks are not queued together
 * (the target's rightful user would wait behind every queued guess), each waits the target's
 * delay: at most authFailureDelayMsMax for the rightful user.
 *
 * Failures fade with time (one forgotten per authFailureForgetMs, all after authFailureQuietMs
 * without failures), not with someone else's success: a success forgets only the failures aimed
 * at the target that just proved its credentials, so a guesser alternating wrong guesses with a
 * valid request of its own token keeps its delay. The table is bounded (the oldest failure goes
 * first): a flood of addresses or names costs memory up to the bound, no more.
 */
import type { BrokerLimits } from '../limits.js';
import { addressNetwork } from './ip-address.js';

/** One authentication attempt: where it came from and, once known, whom it claims to be. */
export interface LoginAttempt {
  address: string;
  /** `user:<name>` or `token:<id>`; undefined when the attempt names nobody readable. */
  target?: string | undefined;
}

interface Failures {
  /** Failures by their other side (the target for a network, the network for a target). */
  counts: Map<string, { count: number; lastMs: number }>;
  /** The attempts waiting their turn: they wait one after another, never side by side. */
  queue: Promise<void>;
}

/** Sources remembered per network or target: a bound on one entry's memory. */
const COUNTS_PER_ENTRY_MAX = 64;

export type DelayLimits = Pick<BrokerLimits, 'authFailureDelayMsBase' | 'authFailureDelayMsMax' | 'authFailureQuietMs' | 'authFailureAddressesMax'> &
  Partial<Pick<BrokerLimits, 'authFailureForgetMs'>>;

export class FailedLoginDelay {
  private readonly failures = new Map<string, Failures>();

  constructor(private readonly limits: DelayLimits, private readonly now: () => number = Date.now) {}

  /** How long `attempt` waits before it is checked (0 when neither its network nor its target failed lately). */
  delayMs(attempt: LoginAttempt | string): number {
    const count = Math.max(...keysOf(asAttempt(attempt)).map(([key]) => this.count(key)));
    if (count === 0) return 0;
    const exponent = Math.min(count - 1, 30);
    return Math.min(this.limits.authFailureDelayMsMax, this.limits.authFailureDelayMsBase * 2 ** exponent);
  }

  failed(attempt: LoginAttempt | string): void {
    for (const [key, source] of keysOf(asAttempt(attempt))) {
      const entry = this.failures.get(key) ?? { counts: new Map(), queue: Promise.resolve() };
      const count = this.decayed(entry.counts.get(source)) + 1;
      entry.counts.delete(source);
      entry.counts.set(source, { count, lastMs: this.now() });
      if (entry.counts.size > COUNTS_PER_ENTRY_MAX) entry.counts.delete(entry.counts.keys().next().value!);
      // Re-inserted last: the map's order is the order of last failure, the oldest first to go.
      this.failures.delete(key);
      this.failures.set(key, entry);
      if (this.failures.size > this.limits.authFailureAddressesMax) this.failures.delete(this.failures.keys().next().value!);
    }
  }

  /** The target proved its credentials: its own failures go, the network's failures at other targets stay. */
  succeeded(attempt: LoginAttempt | string): void {
    const { address, target } = asAttempt(attempt);
    if (target === undefined) return;
    this.failures.delete(`target ${target}`);
    this.failures.get(`network ${addressNetwork(address)}`)?.counts.delete(target);
  }

  /** Waits for the attempt's turn and then its delay; resolves at once when nothing failed lately. */
  wait(attempt: LoginAttempt | string): Promise<void> {
    const found = asAttempt(attempt);
    if (this.delayMs(found) === 0) return Promise.resolve();
    // Attempts queue per network only: queued behind a target's attempts, its rightful user would
    // wait for every guess a flood had queued; the target's count still sets each attempt's delay.
    const network = this.failures.get(keysOf(found)[0]![0]);
    const delay = () => new Promise<void>((resolve) => setTimeout(resolve, this.delayMs(found)).unref());
    if (!network) return delay();
    const turn = network.queue.then(delay);
    network.queue = turn;
    return turn;
  }

  private count(key: string): number {
    const entry = this.failures.get(key);
    if (!entry) return 0;
    let total = 0;
    for (const [source, counted] of entry.counts) {
      const left = this.decayed(counted);
      if (left === 0) entry.counts.delete(source);
      total += left;
    }
    if (entry.counts.size === 0) this.failures.delete(key);
    return total;
  }

  /** What is left of a count after the time since its last failure. */
  private decayed(counted: { count: number; lastMs: number } | undefined): number {
    if (!counted) return 0;
    const elapsed = this.now() - counted.lastMs;
    if (elapsed > this.limits.authFailureQuietMs) return 0;
    const forgetMs = this.limits.authFailureForgetMs ?? this.limits.authFailureQuietMs;
    return Math.max(0, counted.count - Math.floor(elapsed / forgetMs));
  }
}

function asAttempt(attempt: LoginAttempt | string): LoginAttempt {
  return typeof attempt === 'string' ? { address: attempt } : attempt;
}

/** The table keys an attempt counts under, each with the other side it is counted by. */
function keysOf({ address, target }: LoginAttempt): Array<[string, string]> {
  const network = addressNetwork(address);
  const keys: Array<[string, string]> = [[`network ${network}`, target ?? '']];
  if (target !== undefined) keys.push([`target ${target}`, network]);
  return keys;
}
