/**
 * Where a produced record goes: its explicit partition; else murmur2(key) % partitions, Kafka's
 * default partitioner (so every Kafka-compatible client agrees); else, for key-less records, one
 * partition per request chosen round-robin across requests (sticky within a request, as Kafka's
 * sticky partitioner is within a batch), which keeps batches large and partitions even.
 */
import { partitionForKey } from '../../storage/index.js';

export class KeylessSpreader {
  private next = 0;

  /** The partition for the key-less records of one request. */
  pick(partitionCount: number): number {
    const partition = this.next % partitionCount;
    this.next = (this.next + 1) % 1_000_000_007;
    return partition;
  }
}

export function partitionOf(key: Buffer | null, explicit: number | undefined, partitionCount: number, keyless: () => number): number {
  if (explicit !== undefined) return explicit;
  if (key !== null) return partitionForKey(key, partitionCount);
  return keyless();
}
