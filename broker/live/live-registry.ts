/**
 * The broker's live subscribers, across the per-topic tail and pattern subscriptions: the bound on
 * their number (liveSubscribersMax, answered 429 past it) and, per topic, how many follow it. The
 * counts are kept up to date as subscriptions add and drop topics, so a produce answer reads its
 * receiver count in O(1), as Redis PUBLISH answers it.
 *
 * Each subscriber also holds one of its principal's quotaLiveSubscribersPerPrincipal
 * (security/quotas.ts), so one principal cannot take every slot of liveSubscribersMax.
 *
 * A subscriber that *names* a topic (the per-topic tail, or `?topic=`) also keeps a temporary
 * topic alive; one that only matches it by a wildcard pattern does not (a `#` monitor would
 * otherwise pin every reply topic forever).
 */
import { BrokerError } from '../errors.js';
import type { Quotas } from '../security/quotas.js';

function adjust(counts: Map<string, number>, topic: string, delta: number): void {
  const next = (counts.get(topic) ?? 0) + delta;
  if (next > 0) counts.set(topic, next);
  else counts.delete(topic);
}

export class LiveSubscriber {
  readonly abort = new AbortController();
  private following = new Set<string>();
  private released = false;

  constructor(
    private readonly registry: LiveRegistry,
    /** Topics the subscription names exactly. */
    readonly named: ReadonlySet<string>,
    /** Gives back the principal's quota slot. */
    readonly releaseQuota: () => void,
  ) {}

  /** The topics the subscription reads now (its sources' topics). */
  follow(topics: Iterable<string>): void {
    if (this.released) return;
    const next = new Set(topics);
    for (const topic of this.following) if (!next.has(topic)) adjust(this.registry.followers, topic, -1);
    for (const topic of next) if (!this.following.has(topic)) adjust(this.registry.followers, topic, 1);
    this.following = next;
  }

  release(): void {
    if (this.released) return;
    this.follow([]);
    this.released = true;
    this.registry.remove(this);
  }
}

export class LiveRegistry {
  /** @internal topic → subscribers following it; maintained by LiveSubscriber. */
  readonly followers = new Map<string, number>();
  private readonly namers = new Map<string, number>();
  private readonly open = new Set<LiveSubscriber>();

  constructor(
    private readonly max: number,
    /** Told when a subscriber that named topics goes away (temporary topics start their idle clock). */
    private readonly onReleased: (named: ReadonlySet<string>) => void = () => {},
    /** quotaLiveSubscribersPerPrincipal; none: no quota. */
    private readonly quotas: Pick<Quotas, 'take'> | null = null,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /**
   * A new subscriber of `principal`: 429 SPOOL_ERR_TOO_MANY_SUBSCRIBERS past the bound, 429
   * SPOOL_ERR_QUOTA_EXCEEDED past the principal's quota.
   */
  admit(named: Iterable<string>, principal: string): LiveSubscriber {
    if (this.open.size >= this.max) {
      throw new BrokerError('SPOOL_ERR_TOO_MANY_SUBSCRIBERS', `${this.max} live subscribers already`, { limit: 'liveSubscribersMax', max: this.max, retryAfterMs: 1000 });
    }
    const releaseQuota = this.quotas?.take('liveSubscribers', principal) ?? (() => {});
    const subscriber = new LiveSubscriber(this, new Set(named), releaseQuota);
    for (const topic of subscriber.named) adjust(this.namers, topic, 1);
    this.open.add(subscriber);
    return subscriber;
  }

  /** Live subscribers following `topic` now. */
  subscribers(topic: string): number {
    return this.followers.get(topic) ?? 0;
  }

  /** Whether a live subscriber names `topic` (and so keeps a temporary topic alive). */
  isNamed(topic: string): boolean {
    return this.namers.has(topic);
  }

  /** Ends every subscription (the broker is closing: live tails never go idle by themselves). */
  abortAll(): void {
    for (const subscriber of this.open) subscriber.abort.abort();
  }

  /** @internal called by LiveSubscriber.release(). */
  remove(subscriber: LiveSubscriber): void {
    if (!this.open.delete(subscriber)) return;
    subscriber.releaseQuota();
    for (const topic of subscriber.named) adjust(this.namers, topic, -1);
    this.onReleased(subscriber.named);
  }
}
