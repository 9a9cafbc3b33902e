/**
 * Removing chosen records from sealed segments, for the erase worker (erase.ts: every record of an
 * erased stream, and its copies in dead-letter topics) and the stream cleaner (stream-cleaning.ts:
 * a stream's records below its version base). The compaction worker thread rewrites each segment
 * without them (other records keep their offsets and bytes; a consumer sees the dropped offsets
 * skipped, as after compaction), and each rewritten segment is swapped in through the same
 * crash-safe steps as a compacted one (segment-lifecycle.ts). A segment that lost every record
 * stays as an empty segment holding its offsets, as a compacted one does. On a stream topic the
 * rewritten segments' `.keys` files, which still name the dropped records, are rebuilt from their
 * new logs before this resolves.
 */
import { CLEANED_SUFFIX } from '../log/segment-files.js';
import { activeSegment, type PartitionState } from '../log/partition-state.js';
import type { Segment } from '../log/segment.js';
import { swapInCleanedSegment } from '../log/segment-lifecycle.js';
import { runWorker } from './compaction.js';
import type { DropKey } from './compactor.js';

export interface DropOutcome {
  segmentsRewritten: number;
  recordsDropped: number;
}

/** The sealed segments of the log holding at least one of `offsets`. */
export function sealedSegmentsHolding(state: PartitionState, offsets: readonly number[]): Segment[] {
  return state.segments.slice(0, -1).filter((segment) => offsets.some((offset) => offset >= segment.baseOffset && offset < segment.nextOffset));
}

/**
 * Rewrites `segments` (sealed segments of the log) without the records `drop` names. A segment in
 * which nothing was dropped is left as it was (its rewritten copy is discarded).
 */
export async function dropRecords(state: PartitionState, segments: readonly Segment[], drop: DropKey[]): Promise<DropOutcome> {
  const outcome: DropOutcome = { segmentsRewritten: 0, recordsDropped: 0 };
  if (segments.length === 0 || drop.length === 0) return outcome;
  const active = activeSegment(state);
  const result = await runWorker({
    segments: segments.map((segment) => ({ dir: segment.dir, baseOffset: segment.baseOffset, logPath: segment.logPath, sizeBytes: segment.sizeBytes, nextOffset: segment.nextOffset })),
    active: { logPath: active.logPath, baseOffset: active.baseOffset, sizeBytes: active.sizeBytes },
    nowMs: Date.now(),
    deleteRetentionMs: state.config.deleteRetentionMs,
    indexIntervalBytes: state.config.indexIntervalBytes,
    drop,
  }, { topic: state.topic, partition: state.partition });
  for (const cleaned of result.cleaned) {
    const segment = segments.find((candidate) => candidate.baseOffset === cleaned.baseOffset)!;
    if (cleaned.droppedRecords === 0) {
      for (const path of [segment.logPath, segment.indexPath, segment.timeIndexPath]) await state.fs.unlink(path + CLEANED_SUFFIX);
      continue;
    }
    await swapInCleanedSegment(state, segment);
    outcome.segmentsRewritten++;
    outcome.recordsDropped += cleaned.droppedRecords;
  }
  if (outcome.segmentsRewritten > 0) await state.streams?.prepare(state.segments);
  return outcome;
}
