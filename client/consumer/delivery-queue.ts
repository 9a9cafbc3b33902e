/**
 * Batches fetched by partition readers, waiting for the consumer's handler: first in, first out,
 * one batch per reader at most (a reader waits for its batch to be handled before queueing the
 * next), so memory is bounded by partitions × maxBytes.
 */
import type { Batch } from './message.js';
import type { PartitionReader } from './partition-reader.js';

export interface QueuedBatch {
  reader: PartitionReader;
  batch: Batch;
  epoch: number;
  done(): void;
}

export class DeliveryQueue {
  private readonly entries: QueuedBatch[] = [];
  private takers: Array<(entry: QueuedBatch | null) => void> = [];
  private closed = false;

  /** Queues a batch; resolves once the consumer has handled (or dropped) it. */
  put(reader: PartitionReader, batch: Batch, epoch: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((done) => {
      const entry = { reader, batch, epoch, done };
      const taker = this.takers.shift();
      if (taker) taker(entry);
      else this.entries.push(entry);
    });
  }

  /** The next batch, or null once closed. */
  take(): Promise<QueuedBatch | null> {
    const entry = this.entries.shift();
    if (entry) return Promise.resolve(entry);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.takers.push(resolve));
  }

  /** Drops the batches a reader queued (it is stopping): they are not handed to the handler. */
  drop(reader: PartitionReader): void {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i]!.reader !== reader) continue;
      const [entry] = this.entries.splice(i, 1);
      entry!.done();
    }
  }

  /** Releases every waiter: queued batches are dropped (their readers are stopping). */
  close(): void {
    this.closed = true;
    for (const entry of this.entries.splice(0)) entry.done();
    for (const taker of this.takers.splice(0)) taker(null);
  }
}
