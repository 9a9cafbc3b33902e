/**
 * One cleaning of one partition: retention (delete whole sealed segments past retentionMs or
 * retentionBytes), then key compaction when the topic is compacted, then, on a stream topic, the
 * stream cleaner (the events stream metadata hides leave the disk: compaction/stream-cleaning.ts).
 * The background cleaner runs it
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
  /** null when the topic keeps no streams. */
  streams: StreamCleaningSummary | null;
}

export interface StreamCleaningSummary {
  /** Streams whose version base moved past their hidden events. */
  streamsRebased: number;
  segmentsRewritten: number;
  recordsDropped: number;
}

/**
 * `force` (an operator asked for it now) ignores minCleanableDirtyRatio and the stream cleaner's
 * `streamCleanMinHiddenEvents` (any hidden event goes); minCompactionLagMs still holds, since
 * consumers may rely on seeing every record that young.
 */
export async function cleanPartition(log: PartitionLog, nowMs: number, force: boolean, streamCleanMinHiddenEvents: number): Promise<PartitionCleaning> {
  const logStartOffsetBefore = log.logStartOffset;
  const segmentsDeleted = await log.applyRetention(nowMs);
  const outcome = await log.compact(nowMs, force);
  const compaction = outcome && outcome.cleaned.length > 0 ? summarize(outcome.cleaned) : null;
  const streams = log.config.streamIndex ? await log.cleanStreams(nowMs, force ? 1 : streamCleanMinHiddenEvents) : null;
  return { partition: log.partition, segmentsDeleted, logStartOffsetBefore, logStartOffset: log.logStartOffset, compaction, sealedSegments: log.sealedSegments().length, streams };
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
