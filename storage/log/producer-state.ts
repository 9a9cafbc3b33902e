/**
 * Idempotent producers, per partition (after Kafka's ProducerStateManager). A producer stamps each
 * batch with its producerId, epoch and a baseSequence that grows by recordsCount per batch. The
 * broker remembers the last few batches of each producer, so a retry of a batch whose answer was
 * lost is answered with the original offsets instead of being written twice.
 *
 *   same epoch, baseSequence = last + 1      → new batch: append
 *   same epoch, (base, last) seen recently   → duplicate: answer the original offsets
 *   same epoch, anything else                → SPOOL_ERR_OUT_OF_ORDER_SEQUENCE
 *   older epoch                              → SPOOL_ERR_PRODUCER_FENCED
 *   newer epoch, or a producer not known     → accepted as the start of a new sequence; with
 *                                              `fromZero` (HTTP) only at baseSequence 0, else
 *                                              SPOOL_ERR_OUT_OF_ORDER_SEQUENCE (unknownProducer)
 *
 * The table survives restarts through a snapshot (`producer-snapshot`, JSON) written when a
 * segment is sealed and on clean shutdown; batches after the snapshot's offset are replayed from
 * the log during recovery. Bounded: the least recently active producers are forgotten first.
 */
import { type BatchHeader, lastOffsetOf, PRODUCER_BATCHES_REMEMBERED } from '../codec/record-batch.js';

export { PRODUCER_BATCHES_REMEMBERED };
import { StorageError } from '../errors.js';


export interface ProducerBatch {
  baseSequence: number;
  lastSequence: number;
  baseOffset: number;
  lastOffset: number;
}

interface ProducerEntry {
  producerId: number;
  epoch: number;
  batches: ProducerBatch[];
}

export interface SnapshotFile {
  offset: number;
  producers: ProducerEntry[];
}

export type ProducerCheck = { kind: 'append' } | { kind: 'duplicate'; batch: ProducerBatch; pending: Promise<void> | null };

function lastSequenceOf(header: BatchHeader): number {
  return header.baseSequence + header.recordsCount - 1;
}

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();
  /** Appends not yet acknowledged, by `${producerId}:${baseSequence}`: a retry waits for the original. */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly maxProducers: number) {}

  get size(): number {
    return this.producers.size;
  }

  /** Classifies a batch; throws for a fenced epoch or a sequence out of order. */
  check(header: BatchHeader, context: Record<string, unknown>, fromZero = false): ProducerCheck {
    if (header.producerId < 0 || header.baseSequence < 0) return { kind: 'append' };
    const entry = this.producers.get(header.producerId);
    if (!entry || header.producerEpoch > entry.epoch) {
      if (!fromZero || header.baseSequence === 0) return { kind: 'append' };
      throw new StorageError(
        'SPOOL_ERR_OUT_OF_ORDER_SEQUENCE',
        `producer ${header.producerId} epoch ${header.producerEpoch} is new to this partition and must start at sequence 0, not ${header.baseSequence}`,
        { ...context, producerId: header.producerId, expectedSequence: 0, unknownProducer: true },
      );
    }
    if (header.producerEpoch < entry.epoch) {
      throw new StorageError('SPOOL_ERR_PRODUCER_FENCED', `producer ${header.producerId} epoch ${header.producerEpoch} is older than ${entry.epoch}`, {
        ...context,
        producerId: header.producerId,
      });
    }
    const lastSequence = lastSequenceOf(header);
    const seen = entry.batches.find((batch) => batch.baseSequence === header.baseSequence && batch.lastSequence === lastSequence);
    if (seen) return { kind: 'duplicate', batch: seen, pending: this.pending.get(`${header.producerId}:${header.baseSequence}`) ?? null };
    const last = entry.batches[entry.batches.length - 1];
    if (!last || header.baseSequence === last.lastSequence + 1) return { kind: 'append' };
    throw new StorageError(
      'SPOOL_ERR_OUT_OF_ORDER_SEQUENCE',
      `producer ${header.producerId} sent sequence ${header.baseSequence}, expected ${last.lastSequence + 1}`,
      { ...context, producerId: header.producerId, expectedSequence: last.lastSequence + 1 },
    );
  }

  /** Records an accepted batch (its baseOffset already assigned). */
  record(header: BatchHeader, acknowledged: Promise<void> | null): void {
    if (header.producerId < 0 || header.baseSequence < 0) return;
    let entry = this.producers.get(header.producerId);
    if (!entry || header.producerEpoch > entry.epoch) {
      entry = { producerId: header.producerId, epoch: header.producerEpoch, batches: [] };
    }
    this.producers.delete(header.producerId); // re-insert: Map order is the LRU order
    this.producers.set(header.producerId, entry);
    entry.batches.push({
      baseSequence: header.baseSequence,
      lastSequence: lastSequenceOf(header),
      baseOffset: header.baseOffset,
      lastOffset: lastOffsetOf(header),
    });
    if (entry.batches.length > PRODUCER_BATCHES_REMEMBERED) entry.batches.shift();
    if (acknowledged) {
      const key = `${header.producerId}:${header.baseSequence}`;
      this.pending.set(key, acknowledged);
      const forget = () => {
        if (this.pending.get(key) === acknowledged) this.pending.delete(key);
      };
      acknowledged.then(forget, forget);
    }
    while (this.producers.size > this.maxProducers) this.producers.delete(this.producers.keys().next().value!);
  }

  /** Forgets batches at or past `offset` (their appends failed and the log end was rewound). */
  rewindTo(offset: number): void {
    for (const [producerId, entry] of this.producers) {
      entry.batches = entry.batches.filter((batch) => batch.baseOffset < offset);
      if (entry.batches.length === 0) this.producers.delete(producerId);
    }
  }

  toSnapshot(offset: number): Buffer {
    const producers = [...this.producers.values()]
      .map((entry) => ({ ...entry, batches: entry.batches.filter((batch) => batch.lastOffset < offset) }))
      .filter((entry) => entry.batches.length > 0);
    return Buffer.from(JSON.stringify({ offset, producers } satisfies SnapshotFile));
  }

  /** Loads a snapshot; returns the offset from which batches must be replayed, or 0 when none. */
  loadSnapshot(bytes: Buffer | null): number {
    if (!bytes) return 0;
    try {
      const snapshot = JSON.parse(bytes.toString('utf8')) as SnapshotFile;
      for (const entry of snapshot.producers) this.producers.set(entry.producerId, entry);
      return snapshot.offset;
    } catch {
      return 0; // a damaged snapshot only costs duplicate detection for batches before it
    }
  }
}
