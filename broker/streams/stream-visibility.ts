/**
 * Which of a stream's events reads see: those its metadata does not hide (docs/event-sourcing.md
 * "Metadata and deletes"). Versions stay positions among all the key's records; metadata only
 * moves the first visible version up:
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
import type { PartitionLog, StreamMetadata, StreamMetadataView } from '../../storage/index.js';
import { readRecordsAt } from './stream-records.js';

export interface StreamView {
  /** Offsets of the key's records from firstVersion on, in version order. */
  offsets: number[];
  firstVersion: number;
  /** The stream's last version (-1: never written), hidden events included. */
  lastVersion: number;
  /** The first version reads see; lastVersion + 1 when they see none. */
  visibleFrom: number;
  deleted: boolean;
  metadata: StreamMetadata;
}

export function metadataView(metadata: StreamMetadata): StreamMetadataView {
  return { maxCount: metadata.maxCount ?? null, maxAgeMs: metadata.maxAgeMs ?? null, truncateBefore: metadata.truncateBefore ?? null };
}

export async function viewOf(log: PartitionLog, key: Buffer, nowMs: number): Promise<StreamView> {
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
    const [record] = await readRecordsAt(log, [offsets[middle - firstVersion]!]);
    if (record!.timestamp >= cutoff) high = middle;
    else low = middle + 1;
  }
  return low;
}
