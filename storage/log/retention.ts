/**
 * Retention (cleanupPolicy contains `delete`): whole sealed segments are deleted from the oldest on,
 *   - by time: while a segment's largest timestamp is older than now - retentionMs (-1 = forever);
 *   - by size: while the partition stays at or above retentionBytes without the segment (-1 = no limit).
 * The log start offset then moves to the first remaining segment. The active segment is never
 * deleted: a quiet topic keeps its last segment until it rolls (segmentBytes or segmentMs), as
 * Kafka does unless it rolls on retention; Spool documents this rather than roll from the cleaner.
 */
import type { PartitionState } from './partition-state.js';
import { deleteOldestSegments } from './segment-lifecycle.js';

/** How many of the oldest sealed segments retention wants gone now. */
export async function expiredSegmentCount(state: PartitionState, nowMs: number): Promise<number> {
  const { retentionMs, retentionBytes, cleanupPolicy } = state.config;
  if (!cleanupPolicy.split(',').includes('delete')) return 0;
  const sealed = state.segments.slice(0, -1);
  let byTime = 0;
  if (retentionMs >= 0) {
    for (const segment of sealed) {
      const maxTimestamp = await segment.loadMaxTimestamp(state.fs);
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
  return Math.max(byTime, bySize);
}

/** Deletes what retention wants gone; returns the number of segments deleted. */
export async function applyRetention(state: PartitionState, nowMs: number): Promise<number> {
  const count = await expiredSegmentCount(state, nowMs);
  if (count > 0) await deleteOldestSegments(state, count);
  return count;
}
