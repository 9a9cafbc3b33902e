/**
 * Several conditional stream appends of one partition written together (PartitionLog.appendStreams):
 * each is decided on its own, and the accepted ones share one write of RecordBatches, packed so no
 * batch passes the topic's maxMessageBytes. One append's events always stay in one batch.
 */
import { assert } from '../assert.js';
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

/** A keyed record of an append, by its batch (span) and its offset delta there: what the stream index adds. */
export interface KeyedRecord {
  spanIndex: number;
  offsetDelta: number;
  key: Buffer;
}

/**
 * A record's bytes in a batch, from above: its fields plus the most its varints and attributes
 * take (5 varints of at most 10 bytes, one attribute byte, each header's two length varints). A
 * header key counts 3 bytes a UTF-16 unit, the most UTF-8 takes for one (a pair takes 4 for two):
 * Buffer.byteLength of every header key was a tenth of a coalesced append's packing.
 */
function recordBytesAtMost(record: RecordInput): number {
  let bytes = 51 + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  const headers = record.headers;
  if (headers) for (let i = 0; i < headers.length; i++) bytes += 20 + 3 * headers[i]!.key.length + (headers[i]!.value?.length ?? 0);
  return bytes;
}

/** The bytes of one batch holding `records`, from above. */
export function batchBytesAtMost(records: readonly RecordInput[]): number {
  return BATCH_HEADER_BYTES + records.reduce((sum, record) => sum + recordBytesAtMost(record), 0);
}

/** An accepted append to pack: its stream's key, its records, and batchBytesAtMost of them. */
export interface AcceptedAppend {
  key: Buffer;
  records: readonly RecordInput[];
  batchBytes: number;
}

/**
 * Encodes the accepted appends' records, in order, as back-to-back batches of at most
 * `maxBatchBytes` (each append's records whole within one batch; each append fits alone, checked
 * by the caller with batchBytesAtMost), and where each record went: the batches are the broker's
 * own encoding, so the partition takes their keys from here rather than walking them again.
 */
export function packBatches(appends: readonly AcceptedAppend[], maxBatchBytes: number): { data: Buffer; keyed: KeyedRecord[] } {
  const batches: Buffer[] = [];
  const keyed: KeyedRecord[] = [];
  let pending: RecordInput[] = [];
  let pendingBytes = BATCH_HEADER_BYTES;
  for (const { key, records, batchBytes } of appends) {
    const bytes = batchBytes - BATCH_HEADER_BYTES;
    if (pending.length > 0 && pendingBytes + bytes > maxBatchBytes) {
      batches.push(encodeRecordBatch(pending));
      pending = [];
      pendingBytes = BATCH_HEADER_BYTES;
    }
    for (const record of records) {
      // The index takes `key` for every record: a record keyed otherwise would put it in the wrong stream.
      assert(record.key === key || (record.key != null && key.equals(record.key)), 'an append\'s records are keyed with its stream');
      keyed.push({ spanIndex: batches.length, offsetDelta: pending.length, key });
      pending.push(record);
    }
    pendingBytes += bytes;
  }
  if (pending.length > 0) batches.push(encodeRecordBatch(pending));
  return { data: batches.length === 1 ? batches[0]! : Buffer.concat(batches), keyed };
}
