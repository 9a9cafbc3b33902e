/**
 * Reading a stream's records by their offsets (the stream index gives them), at a cost that
 * follows the events asked for, not the partition around them:
 *
 * - The wanted offsets are cut into groups (planGroups): offsets close together are one read of
 *   about the bytes between them; a wide gap starts a new group, since a read through the sparse
 *   index scans at most indexIntervalBytes to its batch where reading through the gap would
 *   CRC-check every byte of it. The bytes per offset come from the first read (one batch).
 *   A stream written alone is one read; a stream spread among thousands is one small read per
 *   event, where a fixed 64 KiB step read, CRC-checked and decoded ~250 other records per event.
 * - Groups are read READS_IN_FLIGHT at a time: each is an I/O hop to the thread pool, and 100
 *   hops one after another were most of a spread stream's read time.
 * - Only the batches holding a wanted offset are decoded, and within one only the wanted records
 *   (decodeRecordsAt): the last 10 events of a 100-event batch materialize 10 records, and an
 *   event among 50 other streams' in a batch of coalesced appends materializes one.
 */
import { batchSizeAt, type DecodedRecord, decodeRecordsAt, forEachBounded, lastOffsetOf, type PartitionLog, readBatchHeader, storageLimits } from '../../storage/index.js';
import { BrokerError } from '../errors.js';

/** The most one read asks for while the wanted offsets are close together. */
const READ_STEP_BYTES = 64 * 1024;
/** The widest gap between two wanted offsets one read spans (see the top). */
const GAP_BYTES = storageLimits.indexIntervalBytes;
/** Reads of one request in flight: libuv's thread pool has 4 threads by default, more would queue. */
const READS_IN_FLIGHT = 4;

/** The records at `offsets` (ascending, all below the high watermark), read through the codec. */
export async function readRecordsAt(log: PartitionLog, offsets: readonly number[]): Promise<DecodedRecord[]> {
  const found: DecodedRecord[] = new Array(offsets.length);
  if (offsets.length === 0) return found;
  // The first read asks for one batch: what it holds tells the bytes per offset around the stream.
  const first = await log.read(offsets[0]!, 1);
  const picked = pickRecords(first.data, offsets, 0, offsets.length, found);
  if (picked.count === 0) missing(log, offsets[0]!);
  const sizes = { bytesPerOffset: first.data.length / picked.spanOffsets, batchBytes: Math.min(first.data.length, READ_STEP_BYTES) };
  await forEachBounded(planGroups(offsets, picked.count, sizes.bytesPerOffset), READS_IN_FLIGHT, (group) => readGroup(log, offsets, group, sizes, found));
  return found;
}

interface Group {
  /** offsets[from, to) */
  from: number;
  to: number;
}

/** Cuts offsets[from..] into groups: a new one at a gap wider than GAP_BYTES or past READ_STEP_BYTES. */
function planGroups(offsets: readonly number[], from: number, bytesPerOffset: number): Group[] {
  const groups: Group[] = [];
  let start = from;
  for (let i = from + 1; i <= offsets.length; i++) {
    const ends =
      i === offsets.length ||
      (offsets[i]! - offsets[i - 1]!) * bytesPerOffset > GAP_BYTES ||
      (offsets[i]! - offsets[start]! + 1) * bytesPerOffset > READ_STEP_BYTES;
    if (!ends) continue;
    if (start < offsets.length) groups.push({ from: start, to: i });
    start = i;
  }
  return groups;
}

/**
 * Reads one group's records into `found`; reads again from the first one missing when a read fell
 * short of the estimate. A read asks for at least one batch's bytes as the first read saw them: an
 * event in a batch of many (coalesced appends) is then read with its batch in one pread, where a
 * window of its own bytes made the reader read the batch a second time, whole.
 */
async function readGroup(log: PartitionLog, offsets: readonly number[], group: Group, sizes: { bytesPerOffset: number; batchBytes: number }, found: DecodedRecord[]): Promise<void> {
  let next = group.from;
  let estimate = sizes.bytesPerOffset;
  while (next < group.to) {
    const maxBytes = Math.max(sizes.batchBytes, Math.ceil((offsets[group.to - 1]! - offsets[next]! + 1) * estimate));
    const read = await log.read(offsets[next]!, maxBytes);
    const picked = pickRecords(read.data, offsets, next, group.to, found);
    if (picked.count === 0) missing(log, offsets[next]!);
    next += picked.count;
    estimate = Math.max(estimate, read.data.length / picked.spanOffsets); // fell short: the records here are larger
  }
}

/**
 * Puts into found[from..] the records of `data` (whole batches, CRC-checked by the read, so not again) at
 * offsets[from, to), in order, stopping at the first one it does not hold; answers how many it
 * put and how many offsets the batches it walked span. Batches holding none are passed over by
 * their headers.
 */
function pickRecords(data: Buffer, offsets: readonly number[], from: number, to: number, found: DecodedRecord[]): { count: number; spanOffsets: number } {
  let next = from;
  let position = 0;
  let firstBase = -1;
  let lastOffset = -1;
  const answer = () => ({ count: next - from, spanOffsets: Math.max(1, lastOffset - firstBase + 1) });
  while (position < data.length && next < to) {
    const size = batchSizeAt(data, position);
    const header = readBatchHeader(data, position);
    if (firstBase < 0) firstBase = header.baseOffset;
    lastOffset = lastOffsetOf(header);
    if (offsets[next]! <= lastOffset) {
      if (offsets[next]! < header.baseOffset) return answer(); // not in the log: missing() names it
      for (const record of decodeRecordsAt(data.subarray(position, position + size), header, offsets, next, to)) found[next++] = record;
      if (next < to && offsets[next]! <= lastOffset) return answer(); // a gap where the offset should be
    }
    position += size;
  }
  return answer();
}

function missing(log: PartitionLog, offset: number): never {
  throw new BrokerError('SPOOL_ERR_INTERNAL', `the stream index names offset ${offset}, which the log does not hold`, { offset, partition: log.partition });
}
