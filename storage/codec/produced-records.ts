/**
 * The produce path's walk over a batch's records (the block after the 61-byte header, decompressed
 * if need be), as Kafka's LogValidator does for v2: only what must hold for the batch to be
 * readable and its offsets and times right, with no per-record object and no call per field.
 *
 *   record = length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *            keyLength varint | key | valueLength varint | value |
 *            headerCount varint | (keyLength varint | key | valueLength varint | value)*
 *
 * It answers the largest record timestamp when every record is well formed, or null when it is
 * not sure: a field it does not take on the fast path (a varint of 5 bytes or more, a length out
 * of bounds, a null header key, an offset delta out of order...). The caller then walks the batch
 * again with the full reader (record-batch.ts), which accepts it or throws the precise
 * SPOOL_ERR_CORRUPT_BATCH / SPOOL_ERR_INVALID_BATCH. So this walk may refuse more than the full
 * one, never less, and every error message stays the full walk's.
 *
 * Why it exists: kcat's 1 MB batches of 9,000 100-byte records cost the generic record cursor
 * (a layout object written per record, a reader method per field) about 85 ns a record, the
 * largest share of the broker's CPU on a produce after the kernel's copies.
 */
import type { BatchHeader } from './record-batch.js';

/** Answered by zigzagAt for a varint it does not decode here: never a value it decodes (those are below 2^27). */
const NOT_SURE = 2 ** 53;

/** Where the varint zigzagAt read last ended (module state, so reading a field allocates nothing). */
let after = 0;

/** The zigzag varint at `position`, of at most 4 bytes and ending before `end`; NOT_SURE otherwise. */
function zigzagAt(block: Buffer, position: number, end: number): number {
  // One and two bytes (a null key, no headers, lengths and deltas below 8192) here: small enough
  // to be inlined at every field.
  if (position + 1 < end) {
    const first = block[position]!;
    if (first < 0x80) {
      after = position + 1;
      return (first >>> 1) ^ -(first & 1);
    }
    const second = block[position + 1]!;
    if (second < 0x80) {
      after = position + 2;
      const raw = (first & 0x7f) | (second << 7);
      return (raw >>> 1) ^ -(raw & 1);
    }
  }
  return longZigzagAt(block, position, end);
}

function longZigzagAt(block: Buffer, position: number, end: number): number {
  let raw = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (position >= end) return NOT_SURE;
    const byte = block[position++]!;
    raw |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      after = position;
      return (raw >>> 1) ^ -(raw & 1);
    }
  }
  return NOT_SURE;
}

/**
 * The position after the key or value whose length varint is at `position` (-1: null, where
 * `nullable`), within `end`; -1 when the fast path does not take it.
 */
function skipField(block: Buffer, position: number, end: number, nullable: boolean): number {
  const length = zigzagAt(block, position, end);
  if (length === NOT_SURE || length < (nullable ? -1 : 0)) return -1;
  const next = after + Math.max(length, 0);
  return next <= end ? next : -1;
}

/**
 * The largest timestamp of the records in `block` (the batch's maxTimestamp under log-append
 * time), when all `header.recordsCount` records are well formed, have offset deltas 0, 1, 2...,
 * times in 0..2^53-1 ms, and fill the block exactly; null when not sure (walk again with the full
 * reader). Expects a header that passed checkProducedBatch's header rules.
 */
export function producedRecordsLargestTimestamp(block: Buffer, header: BatchHeader, logAppendTime: boolean): number | null {
  // Read once here: the loop and the lines after it touch no object.
  const { recordsCount, baseTimestamp, maxTimestamp } = header;
  if (recordsCount < 1) return null;
  const blockEnd = block.length;
  let position = 0;
  let largest = -1;
  for (let index = 0; index < recordsCount; index++) {
    const length = zigzagAt(block, position, blockEnd);
    if (length < 0 || length === NOT_SURE) return null;
    const recordEnd = after + length;
    // The last record ends the block, and only the last: checked here, in the loop, rather than
    // after it (see the note at the end of this file).
    if (recordEnd > blockEnd || (recordEnd === blockEnd) !== (index === recordsCount - 1)) return null;
    const timestampDelta = zigzagAt(block, after + 1, recordEnd); // after the attributes byte (unused in v2)
    if (timestampDelta === NOT_SURE) return null;
    if (zigzagAt(block, after, recordEnd) !== index) return null; // offsetDelta
    position = skipField(block, after, recordEnd, true); // key
    if (position >= 0) position = skipField(block, position, recordEnd, true); // value
    if (position < 0) return null;
    const headerCount = zigzagAt(block, position, recordEnd);
    if (headerCount < 0 || headerCount > length) return null;
    position = after;
    for (let i = 0; i < headerCount && position >= 0; i++) {
      position = skipField(block, position, recordEnd, false); // a header's key is never null
      if (position >= 0) position = skipField(block, position, recordEnd, true);
    }
    if (position !== recordEnd) return null;
    if (logAppendTime) continue; // every record's time is the batch's maxTimestamp
    const timestamp = baseTimestamp + timestampDelta;
    if (timestamp < 0 || timestamp > Number.MAX_SAFE_INTEGER) return null;
    if (timestamp > largest) largest = timestamp;
  }
  return logAppendTime ? maxTimestamp : largest;
}

// The walk runs once per batch, over thousands of records: V8 optimizes it while the first batch is
// walked (on-stack replacement), before any line after its loop ever ran, and that code, without
// type feedback for those lines, was thrown away at the end of every later batch (measured: a
// deoptimization per produced batch). So the loop checks the block's end itself, and nothing after
// it compares or reads a property.
