/**
 * Retention (cleanupPolicy contains `delete`): whole sealed segments are deleted from the oldest on,
 *   - by time: while a segment's largest timestamp is older than now - retentionMs (-1 = forever);
 *   - by size: while the partition stays at or above retentionBytes without the segment (-1 = no limit).
 * The log start offset then moves to the first remaining segment. The active segment is never
 * deleted: a quiet topic keeps its last segment until it rolls (segmentBytes or segmentMs), as
 * Kafka does unless it rolls on retention; Spool documents this rather than roll from the cleaner.
 */
import type { PartitionState } from './partition-state.js';
import type { Segment } from './segment.js';
import { deleteOldestSegments } from './segment-lifecycle.js';

/**
 * A sealed segment's largest timestamp: from the last entry of its time index, or, when that entry
 * cannot be trusted (a damaged or cut-short file), by loading the segment's indexes, which
 * rebuilds them from the log. Null for a segment without timestamps.
 */
export async function sealedMaxTimestamp(state: PartitionState, segment: Segment): Promise<number | null> {
  const known = await segment.loadMaxTimestamp(state.fs);
  if (known !== null || segment.isEmpty) return known;
  const lease = await state.cache.acquire(segment);
  try {
    await segment.ensureIndexes(state.fs, lease.fd, state.config.indexIntervalBytes);
  } finally {
    lease.release();
  }
  return segment.maxTimestamp >= 0 ? segment.maxTimestamp : null;
}

/** Sealed segments wholly below the log start floor (DeleteRecords): gone whatever the policy. */
function belowFloorCount(state: PartitionState): number {
  let count = 0;
  while (count < state.segments.length - 1 && state.segments[count + 1]!.baseOffset <= state.logStartFloor) count++;
  return count;
}

/** How many of the oldest sealed segments retention wants gone now. */
export async function expiredSegmentCount(state: PartitionState, nowMs: number): Promise<number> {
  const { retentionMs, retentionBytes, cleanupPolicy } = state.config;
  const belowFloor = belowFloorCount(state);
  if (!cleanupPolicy.split(',').includes('delete')) return belowFloor;
  const sealed = state.segments.slice(0, -1);
  let byTime = 0;
  if (retentionMs >= 0) {
    for (const segment of sealed) {
      const maxTimestamp = await sealedMaxTimestamp(state, segment);
      if (maxTimestamp === null || maxTimestamp >= nowMs - retentionMs) break;
      byTime++;
    }
  }
  let bySize = 0;
  if (retentionBytes >= 0) {
    let total = state.segments.reduce((sum, segment) => sum + segment.sizeBytes, 0);
    for (const segment of sealed) {
      if (total - segment.sizeBytes < retentionBytes) break;
      total -= segment.sizeBytes;
      bySize++;
    }
  }
  return Math.max(byTime, bySize, belowFloor);
}

/** Deletes what retention wants gone; returns the number of segments deleted. */
export async function applyRetention(state: PartitionState, nowMs: number): Promise<number> {
  const count = await expiredSegmentCount(state, nowMs);
  if (count > 0) await deleteOldestSegments(state, count);
  return count;
}
