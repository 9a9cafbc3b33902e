/**
 * Several conditional stream appends of one partition written together (PartitionLog.appendStreams):
 * each is decided on its own, and the accepted ones share one write of RecordBatches, packed so no
 * batch passes the topic's maxMessageBytes. One append's events always stay in one batch.
 */
import { BATCH_HEADER_BYTES, encodeRecordBatch, type RecordInput } from '../codec/record-batch.js';
import type { SpoolError } from '../errors.js';
import type { ExpectedVersion } from '../streams/expected-version.js';

export interface StreamAppendRequest {
  /** The stream id: the records' key. */
  key: Buffer;
  expectedVersion: ExpectedVersion;
  /** The events, each keyed with `key`. */
  records: RecordInput[];
}

/** Per append, in order: the versions and offsets it got, or why it was refused (nothing of it written). */
export type StreamAppendOutcome = { firstVersion: number; offsets: number[] } | { error: SpoolError };

/**
 * A record's bytes in a batch, from above: its fields plus the most its varints and attributes
 * take (5 varints of at most 10 bytes, one attribute byte, each header's two length varints).
 */
function recordBytesAtMost(record: RecordInput): number {
  let bytes = 51 + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const header of record.headers ?? []) bytes += 20 + Buffer.byteLength(header.key) + (header.value?.length ?? 0);
  return bytes;
}

/** The bytes of one batch holding `records`, from above. */
export function batchBytesAtMost(records: readonly RecordInput[]): number {
  return BATCH_HEADER_BYTES + records.reduce((sum, record) => sum + recordBytesAtMost(record), 0);
}

/**
 * Encodes the accepted appends' records, in order, as back-to-back batches of at most
 * `maxBatchBytes` (each append's records whole within one batch; each append fits alone, checked
 * by the caller with batchBytesAtMost).
 */
export function packBatches(appends: ReadonlyArray<readonly RecordInput[]>, maxBatchBytes: number): Buffer {
  const batches: Buffer[] = [];
  let pending: RecordInput[] = [];
  let pendingBytes = BATCH_HEADER_BYTES;
  for (const records of appends) {
    const bytes = batchBytesAtMost(records) - BATCH_HEADER_BYTES;
    if (pending.length > 0 && pendingBytes + bytes > maxBatchBytes) {
      batches.push(encodeRecordBatch(pending));
      pending = [];
      pendingBytes = BATCH_HEADER_BYTES;
    }
    for (const record of records) pending.push(record);
    pendingBytes += bytes;
  }
  if (pending.length > 0) batches.push(encodeRecordBatch(pending));
  return batches.length === 1 ? batches[0]! : Buffer.concat(batches);
}
