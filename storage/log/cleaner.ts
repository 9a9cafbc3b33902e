/**
 * One cleaning of one partition: retention (delete whole sealed segments past retentionMs or
 * retentionBytes), then key compaction when the topic is compacted. The background cleaner runs it
 * over every partition; `POST /v1/topics/:topic/clean` runs it over one topic now. Only sealed
 * segments are ever cleaned: the active one is still being written.
 */
import type { PartitionLog } from './partition-log.js';

export interface CompactionSummary {
  segments: number;
  recordsKept: number;
  recordsDropped: number;
  bytesBefore: number;
  bytesAfter: number;
}

export interface PartitionCleaning {
  partition: number;
  /** Sealed segments deleted by retention, and the log start offset it moved from and to. */
  segmentsDeleted: number;
  logStartOffsetBefore: number;
  logStartOffset: number;
  /** null when the topic is not compacted, or nothing was old or dirty enough. */
  compaction: CompactionSummary | null;
  /** Sealed segments left: what later passes can clean. */
  sealedSegments: number;
}

/**
 * `forceCompaction` ignores minCleanableDirtyRatio (an operator asked for it now); minCompactionLagMs
 * still holds, since consumers may rely on seeing every record that young.
 */
export async function cleanPartition(log: PartitionLog, nowMs: number, forceCompaction: boolean): Promise<PartitionCleaning> {
  const logStartOffsetBefore = log.logStartOffset;
  const segmentsDeleted = await log.applyRetention(nowMs);
  const outcome = await log.compact(nowMs, forceCompaction);
  const compaction = outcome && outcome.cleaned.length > 0 ? summarize(outcome.cleaned) : null;
  return { partition: log.partition, segmentsDeleted, logStartOffsetBefore, logStartOffset: log.logStartOffset, compaction, sealedSegments: log.sealedSegments().length };
}

function summarize(cleaned: Array<{ keptRecords: number; droppedRecords: number; bytesBefore: number; bytesAfter: number }>): CompactionSummary {
  const summary: CompactionSummary = { segments: cleaned.length, recordsKept: 0, recordsDropped: 0, bytesBefore: 0, bytesAfter: 0 };
  for (const segment of cleaned) {
    summary.recordsKept += segment.keptRecords;
    summary.recordsDropped += segment.droppedRecords;
    summary.bytesBefore += segment.bytesBefore;
    summary.bytesAfter += segment.bytesAfter;
  }
  return summary;
}
