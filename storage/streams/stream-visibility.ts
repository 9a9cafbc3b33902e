/**
 * Which of a stream's events reads see: those its metadata does not hide (docs/event-sourcing.md
 * "Metadata and soft deletes"). One place for the rule: the broker's reads and info use it, and
 * the cleaner (stream-cleaning.ts) removes exactly what it hides. Versions stay positions among
 * the key's versioned records (from the stream's version base); metadata only moves the first
 * visible version up:
 *
 *   truncateBefore   versions below it (a soft delete sets it past the last version)
 *   maxCount         all but the last maxCount
 *   maxAgeMs         events whose record timestamp is older than now - maxAgeMs
 *
 * The age cut is a binary search over the visible versions (a record read per step): the broker
 * stamps stream appends as it writes them, so a stream's timestamps rise with its versions. A
 * record produced by other means with an older client timestamp may sit after a younger one; the
 * search then treats the stream as cut at one of them, never showing an event older than the cut
 * before a younger one.
 */
import { decodeRecordBatchesWithin } from '../codec/record-batch.js';
import { StorageError } from '../errors.js';
import type { PartitionLog } from '../log/partition-log.js';
import type { StreamMetadata } from './stream-metadata.js';

export interface StreamView {
  /** Offsets of the key's versioned records from firstVersion on, in version order. */
  offsets: number[];
  firstVersion: number;
  /** The stream's last version (-1: never written), hidden events included. */
  lastVersion: number;
  /** The first version reads see; lastVersion + 1 when they see none. */
  visibleFrom: number;
  deleted: boolean;
  metadata: StreamMetadata;
}

export async function streamView(log: PartitionLog, key: Buffer, nowMs: number): Promise<StreamView> {
  const { offsets, firstVersion } = await log.streamOffsets(key);
  const lastVersion = firstVersion + offsets.length - 1;
  const table = log.streamMetadata;
  const keyString = key.toString('latin1');
  const metadata = table.metadataOf(keyString);
  let visibleFrom = Math.max(firstVersion, metadata.truncateBefore ?? 0);
  if (metadata.maxCount !== undefined) visibleFrom = Math.max(visibleFrom, lastVersion + 1 - metadata.maxCount);
  visibleFrom = Math.min(visibleFrom, lastVersion + 1);
  if (metadata.maxAgeMs !== undefined && visibleFrom <= lastVersion) {
    visibleFrom = await firstYoungEnough(log, offsets, firstVersion, visibleFrom, lastVersion + 1, nowMs - metadata.maxAgeMs);
  }
  return { offsets, firstVersion, lastVersion, visibleFrom, deleted: table.isSoftDeleted(keyString, lastVersion), metadata };
}

/** The first version in [low, high) whose record's timestamp is >= cutoff (high when none). */
async function firstYoungEnough(log: PartitionLog, offsets: number[], firstVersion: number, low: number, high: number, cutoff: number): Promise<number> {
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if ((await recordTimestampAt(log, offsets[middle - firstVersion]!)) >= cutoff) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** The timestamp of the record at `offset` (below the high watermark): one read of its batch. */
async function recordTimestampAt(log: PartitionLog, offset: number): Promise<number> {
  const { data } = await log.read(offset, 1);
  for (const batch of decodeRecordBatchesWithin(data, 1, offset).batches) {
    for (const record of batch.records) if (record.offset === offset) return record.timestamp;
  }
  throw new StorageError('SPOOL_ERR_CORRUPT_BATCH', `the stream index names offset ${offset}, which the log does not hold`, { topic: log.topic, partition: log.partition, offset });
}
