/**
 * Reading a stream's records by their offsets (the stream index gives them), at a cost that
 * follows the events asked for, not the partition around them:
 *
 * - Each read asks the log for about the bytes from the next wanted offset to the last one it
 *   reaches through small gaps (readBytesFor), estimated from the bytes per offset the previous
 *   read showed.
 *   A stream written alone (its offsets consecutive) is one read; a stream interleaved with
 *   thousands of others is one small read per event (its batch, found through the sparse index),
 *   where a fixed 64 KiB step read, CRC-checked and decoded ~250 other streams' records per event.
 * - Only the batches holding a wanted offset are decoded, and within one only the records from
 *   the first wanted offset on: the last 10 events of a 100-event batch materialize 10 records.
 */
import { batchSizeAt, type DecodedRecord, decodeRecordBatchesWithin, lastOffsetOf, type PartitionLog, readBatchHeader, storageLimits } from '../../storage/index.js';
import { BrokerError } from '../errors.js';

/** The most one read asks for while the wanted offsets are close together. */
const READ_STEP_BYTES = 64 * 1024;
/** The widest gap between two wanted offsets one read spans (see readBytesFor). */
const GAP_BYTES = storageLimits.indexIntervalBytes;

/** The records at `offsets` (ascending, all below the high watermark), read through the codec. */
export async function readRecordsAt(log: PartitionLog, offsets: readonly number[]): Promise<DecodedRecord[]> {
  const found: DecodedRecord[] = [];
  let bytesPerOffset = 0; // unknown before the first read: it asks for one batch
  while (found.length < offsets.length) {
    const next = found.length;
    const read = await log.read(offsets[next]!, readBytesFor(offsets, next, bytesPerOffset));
    const spanOffsets = pickRecords(read.data, offsets, found);
    if (found.length === next) missing(log, offsets[next]!);
    bytesPerOffset = read.data.length / Math.max(1, spanOffsets);
  }
  return found;
}

/**
 * maxBytes for a read from offsets[next]: up to the last wanted offset reached through gaps of at
 * most GAP_BYTES each (within READ_STEP_BYTES in all). A wider gap is cheaper as a second read:
 * a read through the sparse index scans at most indexIntervalBytes to its batch, while reading
 * through the gap CRC-checks every byte of it.
 */
function readBytesFor(offsets: readonly number[], next: number, bytesPerOffset: number): number {
  if (bytesPerOffset === 0) return 1;
  const first = offsets[next]!;
  let last = next;
  while (
    last + 1 < offsets.length &&
    (offsets[last + 1]! - offsets[last]!) * bytesPerOffset <= GAP_BYTES &&
    (offsets[last + 1]! - first + 1) * bytesPerOffset <= READ_STEP_BYTES
  ) {
    last++;
  }
  return Math.max(1, Math.ceil((offsets[last]! - first + 1) * bytesPerOffset));
}

/**
 * Appends to `found` the records of `data` (whole batches, CRC-checked by the read) at the wanted
 * offsets from offsets[found.length] on; answers how many offsets the batches span. Batches
 * holding none of them are passed over by their headers.
 */
function pickRecords(data: Buffer, offsets: readonly number[], found: DecodedRecord[]): number {
  let position = 0;
  let firstBase = -1;
  let lastOffset = -1;
  while (position < data.length && found.length < offsets.length) {
    const size = batchSizeAt(data, position);
    const header = readBatchHeader(data, position);
    if (firstBase < 0) firstBase = header.baseOffset;
    lastOffset = lastOffsetOf(header);
    const wanted = offsets[found.length]!;
    if (wanted <= lastOffset) {
      if (wanted < header.baseOffset) return lastOffset - firstBase + 1; // a gap: missing() names it
      const batch = data.subarray(position, position + size);
      const [decoded] = decodeRecordBatchesWithin(batch, storageLimits.batchBytesMax, wanted).batches;
      for (const record of decoded!.records) {
        if (found.length === offsets.length || offsets[found.length]! > lastOffset) break;
        if (record.offset === offsets[found.length]) found.push(record);
        else if (record.offset > offsets[found.length]!) return lastOffset - firstBase + 1; // a gap
      }
      if (found.length < offsets.length && offsets[found.length]! <= lastOffset) return lastOffset - firstBase + 1;
    }
    position += size;
  }
  return firstBase < 0 ? 1 : lastOffset - firstBase + 1;
}

function missing(log: PartitionLog, offset: number): never {
  throw new BrokerError('SPOOL_ERR_INTERNAL', `the stream index names offset ${offset}, which the log does not hold`, { offset, partition: log.partition });
}
