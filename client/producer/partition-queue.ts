/**
 * One partition's share of a producer: the open batch that records join, the sealed batches
 * waiting to be sent (in order), and what is in flight. Idempotent producers number records per
 * partition (Kafka's baseSequence), assigned when a batch is first sent and kept across retries.
 */
import type { RecordInput } from '../../storage/codec/index.js';
import type { RecordMetadata } from '../types.js';

/** Someone waiting for a record's offset: send() keeps these; push() leaves them out. */
export interface Completion {
  resolve(index: number, metadata: RecordMetadata): void;
  reject(error: unknown): void;
}

export class PendingBatch {
  readonly records: RecordInput[] = [];
  /** Parallel to records: who waits for each, and at which index of their send() call. */
  readonly completions: Array<Completion | undefined> = [];
  readonly indexes: number[] = [];
  bytes = 0;
  /** The encoded batch, kept so a retry sends the same bytes (and the same sequence). */
  encoded: Buffer | null = null;
  baseSequence = -1;

  add(record: RecordInput, size: number, completion?: Completion, index = 0): void {
    this.records.push(record);
    this.completions.push(completion);
    this.indexes.push(index);
    this.bytes += size;
  }

  get count(): number {
    return this.records.length;
  }

  succeed(topic: string, partition: number, baseOffset: number): void {
    for (let i = 0; i < this.completions.length; i++) {
      this.completions[i]?.resolve(this.indexes[i]!, { topic, partition, offset: baseOffset + i });
    }
  }

  fail(error: unknown): void {
    for (const completion of new Set(this.completions)) completion?.reject(error);
  }
}

export class PartitionQueue {
  open: PendingBatch | null = null;
  readonly sealed: PendingBatch[] = [];
  inFlight = 0;
  nextSequence = 0;
  /** Cancels the open batch's linger timer. */
  cancelLinger: (() => void) | null = null;
  /** The open batch has lingered enough, but a request is in flight: it goes when that returns. */
  ripe = false;

  constructor(readonly topic: string, readonly partition: number) {}

  /** Closes the open batch; it joins the send queue. */
  seal(): PendingBatch | null {
    const batch = this.open;
    this.cancelLinger?.();
    this.cancelLinger = null;
    this.ripe = false;
    if (!batch) return null;
    this.open = null;
    this.sealed.push(batch);
    return batch;
  }

  get idle(): boolean {
    return this.open === null && this.sealed.length === 0 && this.inFlight === 0;
  }
}
