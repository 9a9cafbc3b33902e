/**
 * Partition counts of topics, fetched once and cached: the producer partitions keyed records by
 * murmur2(key) % partitions without asking the broker per record. A topic the broker does not know
 * is not cached, so a topic created later is found on the next attempt.
 */
import type { Admin } from './admin.js';

export class TopicMetadata {
  private readonly counts = new Map<string, number>();
  private readonly loading = new Map<string, Promise<number>>();

  constructor(private readonly admin: Admin) {}

  /** The cached count, or undefined when it must be loaded first. */
  cached(topic: string): number | undefined {
    return this.counts.get(topic);
  }

  partitionCount(topic: string): Promise<number> {
    const known = this.counts.get(topic);
    if (known !== undefined) return Promise.resolve(known);
    let pending = this.loading.get(topic);
    if (!pending) {
      pending = this.admin.describeTopic(topic).then(
        (description) => {
          this.counts.set(topic, description.partitions);
          this.loading.delete(topic);
          return description.partitions;
        },
        (error: unknown) => {
          this.loading.delete(topic);
          throw error;
        },
      );
      this.loading.set(topic, pending);
    }
    return pending;
  }

  forget(topic: string): void {
    this.counts.delete(topic);
  }
}
