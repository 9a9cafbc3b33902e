/**
 * Quotas per principal, after Kafka's client quotas (produce and fetch byte rates, KIP-13) and
 * its connection limits: every setting 0 means off, which is the default.
 *
 *   produce / fetch bytes per second   a bucket per principal that refills at the rate and holds
 *                                      one second of it; a request is served and its bytes taken,
 *                                      which may leave the bucket in debt. The debt says how long
 *                                      the principal must wait: Kafka answers throttle_time_ms and
 *                                      delays its response by that long and mutes the
 *                                      principal's connections until it is paid (KIP-219); HTTP
 *                                      refuses the next request while in debt with 429
 *                                      SPOOL_ERR_QUOTA_EXCEEDED and Retry-After. An HTTP fetch
 *                                      takes its maxBytes before reading, and gives back the rest
 *   controller mutations per second    partitions a principal creates, adds or deletes (Kafka's
 *                                      controller_mutation_rate, KIP-599), the same bucket: a
 *                                      topic operation is refused while in debt (Kafka:
 *                                      THROTTLING_QUOTA_EXCEEDED with throttle_time_ms on the
 *                                      versions that know it, a throttled answer on older ones;
 *                                      HTTP: 429 with Retry-After), and counted once it is done
 *   connections per principal          authenticated connections open at once, Kafka and HTTP
 *                                      together: one more is refused at SaslAuthenticate (a TLS
 *                                      certificate's principal: the Kafka connection is closed as
 *                                      it opens), an HTTP one is answered 429 and closed
 *                                      (http-connection-quota.ts)
 *   live subscribers per principal     SSE live tails, pattern subscriptions and stream feeds open
 *                                      at once (beside liveSubscribersMax): 429 past it
 *   long-polls per principal           fetches (HTTP and Kafka) and queue receives waiting at once
 *                                      (beside longPollsMax): HTTP 429, Kafka answers what there is
 *                                      with throttle_time_ms for the wait it asked for
 *
 * The principal is the authenticated one, or User:ANONYMOUS on an open broker (as Kafka's default
 * quota applies to unauthenticated clients). Buckets are kept per principal, bounded like the
 * principals themselves (the idle ones go first).
 */
import { BrokerError } from '../errors.js';

/** Quotas on a rate: bytes produced, bytes fetched, partitions created, added or deleted. */
export type RateQuota = 'produce' | 'fetch' | 'mutations';

/** What a principal holds a number of at once (each 0: no quota). */
export type CountQuota = 'connections' | 'liveSubscribers' | 'longPolls';

export interface QuotaSettings {
  quotaProduceBytesPerSec: number;
  quotaFetchBytesPerSec: number;
  quotaConnectionsPerPrincipal: number;
  quotaLiveSubscribersPerPrincipal: number;
  quotaLongPollsPerPrincipal: number;
  quotaControllerMutationsPerSec: number;
}

/**
 * The longest one wait: a Kafka response delayed, a muted connection before its debt is checked
 * again, HTTP's Retry-After. About Kafka's own cap (its quota window, 11 s), and well below
 * clients' request timeouts (30 s in KafkaJS and librdkafka), so a throttled answer is never taken
 * for a lost one. A larger debt is still paid in full, a wait at a time.
 */
export const THROTTLE_MS_MAX = 10_000;
const BUCKETS_MAX = 10_000;

interface Bucket {
  tokens: number;
  atMs: number;
}

const SETTING: Readonly<Record<RateQuota, keyof QuotaSettings>> = { produce: 'quotaProduceBytesPerSec', fetch: 'quotaFetchBytesPerSec', mutations: 'quotaControllerMutationsPerSec' };
const UNIT: Readonly<Record<RateQuota, string>> = { produce: 'bytes', fetch: 'bytes', mutations: 'partition mutations' };
const COUNTED: Readonly<Record<CountQuota, { setting: keyof QuotaSettings; what: string }>> = {
  connections: { setting: 'quotaConnectionsPerPrincipal', what: 'connections' },
  liveSubscribers: { setting: 'quotaLiveSubscribersPerPrincipal', what: 'live subscriptions' },
  longPolls: { setting: 'quotaLongPollsPerPrincipal', what: 'waiting long-polls' },
};

export class Quotas {
  private readonly buckets: Record<RateQuota, Map<string, Bucket>> = { produce: new Map(), fetch: new Map(), mutations: new Map() };
  private readonly counts: Record<CountQuota, Map<string, number>> = { connections: new Map(), liveSubscribers: new Map(), longPolls: new Map() };

  constructor(
    private readonly settings: QuotaSettings,
    private readonly now: () => number = Date.now,
  ) {}

  private rate(kind: RateQuota): number {
    return this.settings[SETTING[kind]];
  }

  /** The bucket of a principal, refilled up to now (one second of the rate at most). */
  private bucket(kind: RateQuota, principal: string): Bucket {
    const rate = this.rate(kind);
    const buckets = this.buckets[kind];
    const now = this.now();
    let bucket = buckets.get(principal);
    if (!bucket) {
      if (buckets.size >= BUCKETS_MAX) buckets.delete(buckets.keys().next().value!);
      bucket = { tokens: rate, atMs: now };
    }
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.atMs) * rate) / 1000);
    bucket.atMs = now;
    // Least recently used last: the map's first key is the one to drop.
    buckets.delete(principal);
    buckets.set(principal, bucket);
    return bucket;
  }

  /** Takes `bytes` from the principal's bucket; answers the throttle time in ms (0: within the quota). */
  record(kind: RateQuota, principal: string, bytes: number): number {
    if (this.rate(kind) === 0) return 0;
    const bucket = this.bucket(kind, principal);
    bucket.tokens -= bytes;
    return this.debtMs(kind, bucket);
  }

  /**
   * Gives back bytes taken ahead of a read that turned out smaller (an HTTP fetch takes its
   * maxBytes before it waits, so concurrent fetches cannot all pass the check and then all read);
   * a negative count takes the bytes read past them.
   */
  giveBack(kind: RateQuota, principal: string, bytes: number): void {
    if (this.rate(kind) === 0 || bytes === 0) return;
    const bucket = this.bucket(kind, principal);
    bucket.tokens = Math.min(this.rate(kind), bucket.tokens + bytes);
  }

  /** How long the principal must wait before its debt is paid (0: not in debt, or the quota is off). */
  throttleMs(kind: RateQuota, principal: string): number {
    if (this.rate(kind) === 0) return 0;
    return this.debtMs(kind, this.bucket(kind, principal));
  }

  private debtMs(kind: RateQuota, bucket: Bucket): number {
    return bucket.tokens >= 0 ? 0 : Math.min(THROTTLE_MS_MAX, Math.ceil((-bucket.tokens * 1000) / this.rate(kind)));
  }

  /** Throws 429 SPOOL_ERR_QUOTA_EXCEEDED naming the quota while the principal is in debt (HTTP). */
  check(kind: RateQuota, principal: string): void {
    const waitMs = this.throttleMs(kind, principal);
    if (waitMs === 0) return;
    const setting = SETTING[kind];
    throw quotaExceeded(setting, this.settings[setting], principal, `${principal} is over its ${kind} quota of ${this.settings[setting]} ${UNIT[kind]} per second (${setting}): wait ${waitMs} ms`, waitMs);
  }

  /** Whether the quota on `kind` is set (not 0). */
  counting(kind: CountQuota): boolean {
    return this.settings[COUNTED[kind].setting] > 0;
  }

  /** hold(), or 429 SPOOL_ERR_QUOTA_EXCEEDED naming the setting when the principal holds its maximum (HTTP). */
  take(kind: CountQuota, principal: string): () => void {
    const release = this.hold(kind, principal);
    if (release === null) throw this.refusal(kind, principal);
    return release;
  }

  private refusal(kind: CountQuota, principal: string): BrokerError {
    const { setting, what } = COUNTED[kind];
    const max = this.settings[setting];
    return quotaExceeded(setting, max, principal, `${principal} holds its maximum of ${max} ${what} (${setting}): end one first`, 1000);
  }

  /**
   * Counts one more `kind` held by `principal` (a connection of either listener, a live
   * subscriber, a waiting long-poll); answers its release (idempotent), or null when the principal
   * holds its maximum already.
   */
  hold(kind: CountQuota, principal: string): (() => void) | null {
    const max = this.settings[COUNTED[kind].setting];
    if (max === 0) return () => {};
    const counts = this.counts[kind];
    const held = counts.get(principal) ?? 0;
    if (held >= max) return null;
    counts.set(principal, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (counts.get(principal) ?? 1) - 1;
      if (left === 0) counts.delete(principal);
      else counts.set(principal, left);
    };
  }
}

/** 429 SPOOL_ERR_QUOTA_EXCEEDED naming the setting (`limit`) and its value (`max`); Retry-After from `retryAfterMs`. */
export function quotaExceeded(setting: string, max: number, principal: string, message: string, retryAfterMs: number, context: Record<string, string> = {}): BrokerError {
  return new BrokerError('SPOOL_ERR_QUOTA_EXCEEDED', message, { ...context, principal, limit: setting, max, retryAfterMs });
}
