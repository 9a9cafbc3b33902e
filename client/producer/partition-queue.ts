/**
 * One partition's share of a producer: the open batch that records join, the sealed batches
 * waiting to be sent (in order), and the requests in flight (in the order they were sent).
 * Idempotent producers number records per partition (Kafka's baseSequence), assigned when a batch
 * is first sent and kept across retries; a new producer id starts the numbering again at 0.
 */
import { encodeRecordBatch, type RecordInput } from '../../storage/codec/index.js';
import type { RecordMetadata } from '../types.js';

/** Someone waiting for a record's offset: send() keeps these; push() leaves them out. */
export interface Completion {
  resolve(index: number, metadata: RecordMetadata): void;
  reject(error: unknown): void;
}

/** Records of a send() call, resolved together. */
export class SendCompletion implements Completion {
  private remaining: number;
  private readonly results: RecordMetadata[];
  private settled = false;

  constructor(count: number, private readonly done: (results: RecordMetadata[]) => void, private readonly failed: (error: unknown) => void) {
    this.remaining = count;
    this.results = new Array(count);
  }

  resolve(index: number, metadata: RecordMetadata): void {
    this.results[index] = metadata;
    if (--this.remaining === 0 && !this.settled) {
      this.settled = true;
      this.done(this.results);
    }
  }

  reject(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.failed(error);
  }
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

/** The producer id and epoch an idempotent producer stamps its batches with. */
export interface Identity {
  producerId: number;
  producerEpoch: number;
}

/** A produce request out for one partition. */
export class InFlightRequest {
  /** Resolves once the request is settled: true when its batches were written. */
  readonly settled: Promise<boolean>;
  /** The partition's requests that were in flight ahead of this one when it was last sent. */
  ahead: InFlightRequest[] = [];
  private settle!: (written: boolean) => void;

  constructor(
    readonly batches: PendingBatch[],
    /** The identity its batches are numbered under (null: not idempotent). */
    public identity: Identity | null,
  ) {
    this.settled = new Promise((resolve) => (this.settle = resolve));
  }

  finish(written: boolean): void {
    this.settle(written);
  }

  get bytes(): number {
    return this.batches.reduce((sum, batch) => sum + batch.bytes, 0);
  }
}

/** Lanes (client/http.ts) are handed out in turn, spreading partitions over the lanes' connections. */
let lanesGiven = 0;

export class PartitionQueue {
  /** The connection lane of the partition's pipelined requests (idempotent producers). */
  readonly lane = lanesGiven++;
  open: PendingBatch | null = null;
  readonly sealed: PendingBatch[] = [];
  /** Requests in flight, oldest first. */
  readonly requests: InFlightRequest[] = [];
  /** The next baseSequence, counted for `sequenceOf`. */
  nextSequence = 0;
  sequenceOf: Identity | null = null;
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

  get inFlight(): number {
    return this.requests.length;
  }

  get batchesInFlight(): number {
    return this.requests.reduce((sum, request) => sum + request.batches.length, 0);
  }

  /** Numbers the batches of a request under its identity (nothing to number without one) and encodes them. */
  encode(request: InFlightRequest, compression: number): void {
    const identity = request.identity;
    if (identity && this.sequenceOf !== identity) {
      this.sequenceOf = identity;
      this.nextSequence = 0;
    }
    for (const batch of request.batches) {
      if (identity) {
        batch.baseSequence = this.nextSequence;
        this.nextSequence += batch.count;
      }
      batch.encoded = encodeRecordBatch(batch.records, { compression, ...(identity ? { ...identity, baseSequence: batch.baseSequence } : {}) });
    }
  }

  get idle(): boolean {
    return this.open === null && this.sealed.length === 0 && this.requests.length === 0;
  }
}
