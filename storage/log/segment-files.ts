/**
 * Names of the files of a partition folder (ARCHITECTURE §2):
 *
 *   00000000000000000000.log          record batches, back to back
 *   00000000000000000000.index        offset index
 *   00000000000000000000.timeindex    time index
 *   <any of the above>.cleaned        compaction output not yet committed     (recovery: delete)
 *   <any of the above>.swap           compaction output committed, not swapped (recovery: finish swap)
 *   <any of the above>.deleted        retired by retention, awaiting readers   (recovery: delete)
 *   recovery-point                    base offset of the first segment not known to be synced
 *   stream-metadata                   stream topics: per-stream metadata (storage/streams/stream-metadata.ts)
 *
 * The base offset is zero-padded to 20 digits, as in Kafka, so names sort in offset order.
 */
import { join } from 'node:path';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
/** A sealed segment's stream index (storage/streams/key-file.ts). */
export const KEYS_SUFFIX = '.keys';
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';
export const DELETED_SUFFIX = '.deleted';
export const TEMP_SUFFIX = '.tmp';
export const RECOVERY_POINT_FILE = 'recovery-point';

export const SEGMENT_SUFFIXES = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, KEYS_SUFFIX] as const;
export type SegmentSuffix = (typeof SEGMENT_SUFFIXES)[number];

export function segmentFileName(baseOffset: number, suffix: SegmentSuffix): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

export function segmentPath(dir: string, baseOffset: number, suffix: SegmentSuffix): string {
  return join(dir, segmentFileName(baseOffset, suffix));
}

/** Paths compaction writes a segment's replacement to, before the swap (segment-lifecycle.ts). */
export function cleanedPaths(dir: string, baseOffset: number): { log: string; index: string; timeIndex: string } {
  return {
    log: segmentPath(dir, baseOffset, LOG_SUFFIX) + CLEANED_SUFFIX,
    index: segmentPath(dir, baseOffset, INDEX_SUFFIX) + CLEANED_SUFFIX,
    timeIndex: segmentPath(dir, baseOffset, TIME_INDEX_SUFFIX) + CLEANED_SUFFIX,
  };
}

export interface ParsedSegmentFile {
  baseOffset: number;
  suffix: SegmentSuffix;
  /** `.cleaned`, `.swap`, `.deleted`, `.tmp`, or '' for a live file. */
  state: string;
}

const SEGMENT_FILE = /^(\d{20})(\.log|\.index|\.timeindex|\.keys)(\.cleaned|\.swap|\.deleted|\.tmp)?$/;

export function parseSegmentFileName(name: string): ParsedSegmentFile | null {
  const match = SEGMENT_FILE.exec(name);
  if (!match) return null;
  return { baseOffset: Number(match[1]), suffix: match[2] as SegmentSuffix, state: match[3] ?? '' };
}
