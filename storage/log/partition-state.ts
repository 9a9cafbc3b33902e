/**
 * The mutable state of one partition log, shared by its writer (appends, rolls), its reader and
 * its background jobs (retention, compaction). Only the writer moves `highWatermark` and adds
 * segments; only retention and compaction remove or replace sealed ones.
 */
import type { FileSystem } from '../io/file-system.js';
import type { LogConfig, ParsedFlushPolicy } from './config.js';
import type { SegmentFileCache } from './file-cache.js';
import type { ProducerStateTable } from './producer-state.js';
import type { Segment } from './segment.js';
import type { StreamIndex } from '../streams/stream-index.js';

export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly fs: FileSystem;
  readonly cache: SegmentFileCache;
  config: LogConfig;
  flush: ParsedFlushPolicy;
  /** In offset order; the last one is the active segment. Never empty. */
  segments: Segment[];
  /** The offset after the last acknowledged (visible) record. */
  highWatermark: number;
  /** The offset the next accepted batch gets: the high watermark plus batches queued for writing. */
  nextOffset: number;
  /** Idempotent producers' recent batches (duplicate detection). */
  producers: ProducerStateTable;
  /** Set by DeleteRecords: no record below it is served, even inside a segment not yet deleted.
   *  The log start offset is the larger of it and the first segment's base offset. */
  logStartFloor: number;
  /** The per-key stream index, when the topic keeps one (config.streamIndex). */
  streams: StreamIndex | null;
  /**
   * The active segment's index files and the producer snapshot on disk hold what memory holds, and
   * the segment has nothing unsynced: set by a trusted open of an untouched partition (or a new
   * one), cleared by the first append. A close then writes nothing, so a broker holding 10,000
   * idle partitions shuts down (and leaves its clean-shutdown marker) within its grace time.
   */
  filesCurrent: boolean;
}

export const PRODUCER_SNAPSHOT_FILE = 'producer-snapshot';

export function activeSegment(state: PartitionState): Segment {
  return state.segments[state.segments.length - 1]!;
}

/** The last segment whose base offset is <= offset (the one that holds it), or null when below the log. */
export function segmentHolding(state: PartitionState, offset: number): Segment | null {
  const { segments } = state;
  let low = 0;
  let high = segments.length - 1;
  let found: Segment | null = null;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (segments[middle]!.baseOffset <= offset) {
      found = segments[middle]!;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

export function segmentAfter(state: PartitionState, segment: Segment): Segment | null {
  const at = state.segments.indexOf(segment);
  if (at >= 0) return state.segments[at + 1] ?? null;
  return state.segments.find((candidate) => candidate.baseOffset > segment.baseOffset) ?? null;
}
