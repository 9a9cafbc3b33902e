/**
 * Key compaction of sealed segments (cleanupPolicy `compact`), after Kafka's log cleaner:
 *   1. map every key to the offset of its latest record, over the sealed segments and the active one;
 *   2. rewrite each sealed segment keeping, in order and at their offsets, the records that are the
 *      latest for their key, records without a key, and tombstones younger than deleteRetentionMs;
 *   3. write the result as `<base>.*.cleaned`, synced, for the main thread to swap in.
 * A batch whose records all survive is copied byte for byte; others are re-encoded with their
 * original offsets (baseOffset + offsetDeltas) and compression. Runs in a worker thread: it uses
 * blocking file I/O on purpose, away from the event loop.
 */
import { closeSync, fdatasyncSync, openSync, readSync, writeSync, fstatSync } from 'node:fs';
import { compressionOf, decodeRecordBatch, encodeRecordBatch, readBatchHeader } from '../codec/record-batch.js';
import { storageLimits } from '../limits.js';
import { Segment } from '../log/segment.js';
import { CLEANED_SUFFIX } from '../log/segment-files.js';

export interface SegmentToClean {
  dir: string;
  baseOffset: number;
  logPath: string;
  sizeBytes: number;
  nextOffset: number;
}

export interface CompactionJob {
  segments: SegmentToClean[];
  /** The active segment: read for the key map only. */
  active: { logPath: string; sizeBytes: number };
  nowMs: number;
  deleteRetentionMs: number;
  indexIntervalBytes: number;
}

export interface CompactionResult {
  cleaned: Array<{ baseOffset: number; keptRecords: number; droppedRecords: number; bytesBefore: number; bytesAfter: number }>;
  /** The segments whose key map did not fit: left for a later pass. */
  skippedFrom: number | null;
}

/** Calls `onBatch` with each batch's bytes in a file, reading in chunks. */
function forEachBatch(path: string, sizeBytes: number, onBatch: (bytes: Buffer, position: number) => void): void {
  const fd = openSync(path, 'r');
  try {
    const size = Math.min(sizeBytes, fstatSync(fd).size);
    let position = 0;
    const header = Buffer.allocUnsafe(12);
    while (position + 12 <= size) {
      readSync(fd, header, 0, 12, position);
      const batchSize = 12 + header.readInt32BE(8);
      if (batchSize < 61 || position + batchSize > size) break;
      const bytes = Buffer.allocUnsafe(batchSize);
      readSync(fd, bytes, 0, batchSize, position);
      onBatch(bytes, position);
      position += batchSize;
    }
  } finally {
    closeSync(fd);
  }
}

const keyOf = (key: Buffer) => key.toString('latin1');

function buildKeyMap(job: CompactionJob): { latest: Map<string, number>; fits: number } {
  const latest = new Map<string, number>();
  let fits = job.segments.length;
  const sources = [...job.segments.map((segment) => ({ logPath: segment.logPath, sizeBytes: segment.sizeBytes })), job.active];
  sources.forEach((source, index) => {
    if (latest.size > storageLimits.compactionKeysMax && index < fits) fits = index;
    forEachBatch(source.logPath, source.sizeBytes, (bytes) => {
      for (const record of decodeRecordBatch(bytes).records) if (record.key) latest.set(keyOf(record.key), record.offset);
    });
  });
  return { latest, fits };
}

function writeAll(fd: number, bytes: Buffer): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
}

function rewriteSegment(segment: SegmentToClean, job: CompactionJob, latest: Map<string, number>): CompactionResult['cleaned'][number] {
  const out = openSync(segment.logPath + CLEANED_SUFFIX, 'w');
  const tracker = new Segment(segment.dir, segment.baseOffset, { sizeBytes: 0, nextOffset: segment.baseOffset, writable: false });
  tracker.resetIndexes();
  let position = 0;
  let kept = 0;
  let dropped = 0;
  const horizon = job.nowMs - job.deleteRetentionMs;
  try {
    forEachBatch(segment.logPath, segment.sizeBytes, (bytes) => {
      const batch = decodeRecordBatch(bytes);
      const survivors = batch.records.filter((record) => {
        if (!record.key) return true;
        if (latest.get(keyOf(record.key)) !== record.offset) return false;
        return record.value !== null || record.timestamp >= horizon;
      });
      kept += survivors.length;
      dropped += batch.records.length - survivors.length;
      if (survivors.length === 0) return;
      let output = bytes;
      if (survivors.length !== batch.records.length) {
        const baseOffset = survivors[0]!.offset;
        output = encodeRecordBatch(survivors, {
          baseOffset,
          compression: compressionOf(batch.header),
          offsetDeltas: survivors.map((record) => record.offset - baseOffset),
        });
      }
      writeAll(out, output);
      tracker.trackBatch(readBatchHeader(output), position, output.length, job.indexIntervalBytes);
      position += output.length;
    });
    fdatasyncSync(out);
  } finally {
    closeSync(out);
  }
  tracker.nextOffset = segment.nextOffset;
  writeIndexFile(segment.logPath.replace(/\.log$/, '.index') + CLEANED_SUFFIX, tracker.offsetIndex!.toBytes());
  if (tracker.maxTimestamp >= 0) tracker.timeIndex!.seal(tracker.maxTimestamp, Math.max(0, tracker.lastRelativeOffset));
  writeIndexFile(segment.logPath.replace(/\.log$/, '.timeindex') + CLEANED_SUFFIX, tracker.timeIndex!.toBytes());
  return { baseOffset: segment.baseOffset, keptRecords: kept, droppedRecords: dropped, bytesBefore: segment.sizeBytes, bytesAfter: position };
}

function writeIndexFile(path: string, bytes: Buffer): void {
  const fd = openSync(path, 'w');
  try {
    writeAll(fd, bytes);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function runCompaction(job: CompactionJob): CompactionResult {
  const { latest, fits } = buildKeyMap(job);
  const cleaned = job.segments.slice(0, fits).map((segment) => rewriteSegment(segment, job, latest));
  return { cleaned, skippedFrom: fits < job.segments.length ? job.segments[fits]!.baseOffset : null };
}
