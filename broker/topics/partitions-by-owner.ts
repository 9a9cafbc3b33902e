/**
 * quotaPartitionsPerPrincipal: the partitions held by the topics each principal created (the
 * `created_by` of metadata/topic-store.ts), reserved before a creation or growth awaits and given
 * back on failure or deletion, as TopicService does for partitionsMax. Topics older than the
 * column name no one and count for no one. 0: no quota.
 */
import { quotaExceeded } from '../security/quotas.js';

export class PartitionsByOwner {
  private readonly counts = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Adds (or, negative, removes) partitions of a topic `owner` created. */
  add(owner: string | null, partitions: number): void {
    if (owner === null) return;
    const count = (this.counts.get(owner) ?? 0) + partitions;
    if (count > 0) this.counts.set(owner, count);
    else this.counts.delete(owner);
  }

  /** 429 SPOOL_ERR_QUOTA_EXCEEDED when `partitions` more would take `owner` past the quota. */
  checkRoom(owner: string | null, partitions: number, topic: string): void {
    if (this.max === 0 || owner === null) return;
    const held = this.counts.get(owner) ?? 0;
    if (held + partitions <= this.max) return;
    const message = `the topics of ${owner} hold ${held} partitions of ${this.max} (quotaPartitionsPerPrincipal): ${partitions} more for topic ${topic} do not fit; delete some first`;
    throw quotaExceeded('quotaPartitionsPerPrincipal', this.max, owner, message, 1000, { topic });
  }
}
