/**
 * Walks the batches of a `.log` file from a byte position, reading in chunks, for recovery, index
 * rebuilds, compaction and `spool check`. It stops at the first batch that is short, runs past the
 * end of the file, has a bad length or magic, fails its CRC (when asked to verify) or has a base
 * offset that does not increase: the bytes before it are the valid log.
 */
import { batchLengthAt, BATCH_HEADER_BYTES, BATCH_LENGTH_MIN, BATCH_LOG_OVERHEAD_BYTES, type BatchHeader, lastOffsetOf, MAGIC_V2, readBatchHeader, validateBatch } from '../codec/record-batch.js';
import { isSpoolError } from '../errors.js';
import type { FileSystem } from '../io/file-system.js';
import { storageLimits } from '../limits.js';

export interface ScannedBatch {
  header: BatchHeader;
  position: number;
  size: number;
  /** The batch's bytes: a view into the scanner's chunk, valid only during the callback. */
  bytes: Buffer;
}

export interface ScanOptions {
  /** Check every batch's CRC-32C (recovery, check); headers only otherwise (trusted files). */
  verifyCrc: boolean;
  /** The first batch's base offset must be at least this (the segment's base offset). */
  minBaseOffset: number;
  /** Each batch must start exactly where the previous one ended (the first at minBaseOffset). True
   *  for the active segment, which compaction (the only source of gaps) never touches: baseOffset is
   *  outside the CRC, so a damaged one is caught only by where it points. */
  contiguous?: boolean;
}

export interface ScanResult {
  /** Byte position where the valid log ends. */
  validEnd: number;
  /** Offset after the last valid batch, or minBaseOffset when none. */
  nextOffset: number;
  /** Why the scan stopped before the end of the file, or null when it reached it cleanly. */
  stopReason: string | null;
}

export async function scanBatches(
  fs: FileSystem,
  fd: number,
  fileBytes: number,
  fromPosition: number,
  options: ScanOptions,
  /** Return false to stop the scan early. */
  onBatch: (batch: ScannedBatch) => void | boolean | Promise<void | boolean>,
): Promise<ScanResult> {
  let chunk = Buffer.allocUnsafe(storageLimits.readChunkBytes);
  let chunkStart = fromPosition;
  let chunkLength = 0;
  let position = fromPosition;
  let nextOffset = options.minBaseOffset;
  const stop = (reason: string | null): ScanResult => ({ validEnd: position, nextOffset, stopReason: reason });

  /** Makes bytes [at, at + needed) of the file present in the chunk; false when the file ends first. */
  async function ensure(at: number, needed: number): Promise<boolean> {
    if (at >= chunkStart && at + needed <= chunkStart + chunkLength) return true;
    if (at + needed > fileBytes) return false;
    if (needed > chunk.length) chunk = Buffer.allocUnsafe(needed);
    chunkStart = at;
    chunkLength = await fs.read(fd, chunk, 0, Math.min(chunk.length, fileBytes - at), at);
    return chunkLength >= needed;
  }

  while (position < fileBytes) {
    if (!(await ensure(position, BATCH_HEADER_BYTES))) return stop(`batch header at ${position} runs past the end of the file`);
    const batchLength = batchLengthAt(chunk, position - chunkStart);
    if (batchLength < BATCH_LENGTH_MIN || batchLength > storageLimits.batchBytesMax) {
      return stop(`batch at ${position} has an impossible batchLength ${batchLength}`);
    }
    const size = BATCH_LOG_OVERHEAD_BYTES + batchLength;
    if (!(await ensure(position, size))) return stop(`batch at ${position} runs past the end of the file`);
    const at = position - chunkStart;
    let header: BatchHeader;
    try {
      header = options.verifyCrc ? validateBatch(chunk, at, at + size) : readBatchHeader(chunk, at);
    } catch (error) {
      if (isSpoolError(error)) return stop(`batch at ${position}: ${error.message}`);
      throw error;
    }
    if (header.magic !== MAGIC_V2) return stop(`batch at ${position} has magic ${header.magic}`);
    if (header.baseOffset < nextOffset) {
      return stop(`batch at ${position} has base offset ${header.baseOffset}, below the expected ${nextOffset}`);
    }
    if (options.contiguous && header.baseOffset !== nextOffset) {
      return stop(`batch at ${position} has base offset ${header.baseOffset}, not the expected ${nextOffset}`);
    }
    const proceed = await onBatch({ header, position, size, bytes: chunk.subarray(at, at + size) });
    nextOffset = lastOffsetOf(header) + 1;
    position += size;
    if (proceed === false) return stop(null);
  }
  return stop(null);
}
