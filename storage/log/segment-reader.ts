/**
 * Reads whole batches out of one segment: from the sparse index entry at or before the target
 * offset, scan batch headers forward to the batch holding the offset, then return back-to-back
 * batches up to maxBytes (always at least one whole batch, as Kafka does, so a consumer can make
 * progress past a batch larger than its maxBytes). Every returned batch has its CRC checked: a bad
 * one is SPOOL_ERR_CORRUPT_BATCH, never "no data". The batches walked from the index entry to the
 * target (up to indexIntervalBytes of them) are framed by their headers only (length, magic,
 * offsets): their records are not returned, so their CRC guards nothing the reader sees, and a read
 * of one event among thousands of others computed up to indexIntervalBytes / batch size of them.
 * Kafka's broker checks no CRC on fetch at all; recovery and `spool check` verify every batch of a
 * segment. (A damaged batchLength, outside the CRC, that happens to frame later batches exactly
 * would pass a batch over unseen, as it would for Kafka: the offsets still increase.)
 */
import { batchLengthAt, BATCH_HEADER_BYTES, BATCH_LENGTH_MIN, BATCH_LOG_OVERHEAD_BYTES, type BatchHeader, decodeRecordBatch, MAGIC_V2, readBatchFrame, validateBatch } from '../codec/record-batch.js';
import { StorageError, ioError, isSpoolError } from '../errors.js';
import { type FileSystem, SYNC_READ_BYTES_MAX } from '../io/file-system.js';
import { storageLimits } from '../limits.js';
import { scanBatches } from './batch-scanner.js';
import type { Segment } from './segment.js';

export interface SegmentRead {
  /** Whole batches, back to back. The first may start before the requested offset. */
  data: Buffer;
  /** The offset after the last returned batch. */
  nextOffset: number;
}

async function readAt(fs: FileSystem, segment: Segment, fd: number, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  // The last few KiB of the active segment were just written: the page cache has them.
  const recent = segment.writable && segment.sizeBytes - position <= SYNC_READ_BYTES_MAX;
  let filled = 0;
  while (filled < length) {
    let read: number;
    try {
      read = await fs.read(fd, buffer, filled, length - filled, position + filled, recent);
    } catch (error) {
      throw ioError(error, 'read', segment.logPath, { offset: position + filled });
    }
    if (read === 0) {
      throw new StorageError('SPOOL_ERR_CORRUPT_BATCH', `${segment.logPath} ends at ${position + filled}, before ${position + length}`, {
        path: segment.logPath,
      });
    }
    filled += read;
  }
  return buffer;
}

function corruptAt(segment: Segment, position: number, reason: string): never {
  throw new StorageError('SPOOL_ERR_CORRUPT_BATCH', `${segment.logPath} at byte ${position}: ${reason}`, {
    path: segment.logPath,
    position,
  });
}

/** validateBatch for a batch read back from disk: any failure is damage, reported through `damaged`. */
function validateStored(buffer: Buffer, position: number, at: number, size: number, damaged: (position: number, reason: string) => never): BatchHeader {
  try {
    return validateBatch(buffer, at, at + size);
  } catch (error) {
    if (isSpoolError(error)) damaged(position + at, error.message);
    throw error;
  }
}

/**
 * Thrown when an index entry does not point at the start of the batch it names: the index file was
 * damaged in a way its load-time checks cannot see. The caller rebuilds the index (a sealed
 * segment) or reads without it (the active segment) and tries again; see PartitionLog.read.
 */
export class IndexMismatchError extends Error {
  override name = 'IndexMismatchError';
}

/** Where to start reading for `relativeOffset`, and the base offset the batch there must have. */
function indexStart(segment: Segment, relativeOffset: number, useIndex: boolean): { position: number; baseOffset: number | null } {
  const entry = useIndex ? (segment.offsetIndex?.lookupEntry(relativeOffset) ?? null) : null;
  return entry ? { position: entry.position, baseOffset: segment.baseOffset + entry.relativeOffset } : { position: 0, baseOffset: null };
}

function checkIndexed(segment: Segment, position: number, expected: number | null, actual: number): void {
  if (expected !== null && actual !== expected) {
    throw new IndexMismatchError(`${segment.indexPath}: the entry for offset ${expected} points at byte ${position}, where the batch of offset ${actual} starts`);
  }
}

/**
 * Returns batches holding `offset` and after, or null when the segment has no batch at or after
 * `offset` below `limitBytes` (a gap left by compaction at its end: the caller moves to the next segment).
 *
 * baseOffset is outside the CRC, so besides each batch's CRC the offsets are checked too: within the
 * segment's range and increasing from batch to batch. A batch that fails is SPOOL_ERR_CORRUPT_BATCH.
 */
export async function readFromSegment(
  fs: FileSystem,
  fd: number,
  segment: Segment,
  offset: number,
  maxBytes: number,
  limitBytes: number,
  useIndex = true,
): Promise<SegmentRead | null> {
  const start = indexStart(segment, offset - segment.baseOffset, useIndex);
  let position = start.position;
  let indexedBase = start.baseOffset;
  let previousLast = segment.baseOffset - 1;
  /** Damage where the index pointed is the index's fault: the caller retries without it. */
  const damaged = (at: number, reason: string): never => {
    if (indexedBase !== null) throw new IndexMismatchError(`${segment.indexPath}: the entry for offset ${indexedBase} points at byte ${at}: ${reason}`);
    return corruptAt(segment, at, reason);
  };
  const windowBytes = Math.max(maxBytes, BATCH_HEADER_BYTES) + storageLimits.indexIntervalBytes;
  while (position < limitBytes) {
    let buffer = await readAt(fs, segment, fd, position, Math.min(windowBytes, limitBytes - position));
    let at = 0;
    let first = -1;
    let end = 0;
    let nextOffset = offset;
    while (at + BATCH_HEADER_BYTES <= buffer.length) {
      const batchLength = batchLengthAt(buffer, at);
      if (batchLength < BATCH_LENGTH_MIN) damaged(position + at, `impossible batchLength ${batchLength}`);
      const size = BATCH_LOG_OVERHEAD_BYTES + batchLength;
      if (at + size > buffer.length) {
        if (first >= 0) break; // enough: the next batch does not fit in this read
        if (position + at + size > limitBytes) damaged(position + at, `batch runs past the segment's end ${limitBytes}`);
        // The target batch is larger than the window: read it whole.
        position += at;
        at = 0;
        buffer = await readAt(fs, segment, fd, position, size);
      }
      // A batch passed over on the way to the target is framed by its header alone; only the
      // batches returned are CRC-checked (see the top).
      const header = readBatchFrame(buffer, at);
      const lastOffset = header.baseOffset + header.lastOffsetDelta;
      const returned = lastOffset >= offset;
      if (returned) validateStored(buffer, position, at, size, damaged);
      else if (header.magic !== MAGIC_V2 || header.lastOffsetDelta < 0) damaged(position + at, `no batch header: magic ${header.magic}, lastOffsetDelta ${header.lastOffsetDelta}`);
      checkIndexed(segment, position + at, indexedBase, header.baseOffset);
      indexedBase = null;
      if (header.baseOffset <= previousLast || lastOffset >= segment.nextOffset) {
        corruptAt(segment, position + at, `batch offsets ${header.baseOffset}-${lastOffset} do not follow ${previousLast} within the segment's ${segment.baseOffset}-${segment.nextOffset - 1}`);
      }
      previousLast = lastOffset;
      if (returned) {
        if (first < 0) first = at;
        end = at + size;
        nextOffset = lastOffset + 1;
        if (end - first >= maxBytes) break;
      }
      at += size;
    }
    if (first >= 0) return { data: buffer.subarray(first, end), nextOffset };
    if (at === 0) damaged(position, 'no whole batch header');
    position += at;
  }
  return null;
}

/** The offset of the first record with timestamp >= `timestamp` in this segment, or null. */
export async function findOffsetByTime(
  fs: FileSystem,
  fd: number,
  segment: Segment,
  timestamp: number,
  limitBytes: number,
  useIndex = true,
): Promise<number | null> {
  const relativeOffset = useIndex ? (segment.timeIndex?.lookup(timestamp) ?? 0) : 0;
  const start = indexStart(segment, relativeOffset, useIndex);
  let found: number | null = null;
  const scanOptions = { verifyCrc: true, minBaseOffset: segment.baseOffset };
  const result = await scanBatches(fs, fd, limitBytes, start.position, scanOptions, (batch) => {
    checkIndexed(segment, batch.position, start.baseOffset, batch.header.baseOffset);
    start.baseOffset = null;
    if (batch.header.maxTimestamp < timestamp) return true;
    const record = decodeRecordBatch(batch.bytes).records.find((candidate) => candidate.timestamp >= timestamp);
    if (record) found = record.offset;
    return record === undefined;
  });
  if (result.stopReason !== null) {
    checkIndexed(segment, result.validEnd, start.baseOffset, -1);
    corruptAt(segment, result.validEnd, result.stopReason);
  }
  return found;
}
