/**
 * Key compaction of sealed segments (cleanupPolicy `compact`), after Kafka's log cleaner:
 *   1. map every key to the offset of its latest record, over the sealed segments and the active one;
 *   2. rewrite each sealed segment keeping, in order and at their offsets, the records that are the
 *      latest for their key, records without a key, and tombstones younger than deleteRetentionMs;
 *   3. write the result as `<base>.*.cleaned`, synced, for the main thread to swap in.
 * A batch whose records all survive is copied byte for byte; others are re-encoded with their
 * original offsets (baseOffset + offsetDeltas) and compression. Runs in a worker thread, away from
 * the event loop: it reads through the log's batch scanner and writes with blocking calls.
 *
 * Every segment is read whole and checked (CRC, framing, offsets within the segment): a damaged
 * batch fails the pass with SPOOL_ERR_CORRUPT_BATCH naming the file, byte position and offset, and
 * every segment is left as it was (the cleaned files written so far are removed). Cutting a segment
 * at its damage is `spool check --repair`'s decision, never compaction's.
 */
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { compressionOf, type DecodedRecord, decodeRecordBatch, encodeRecordBatch, lastOffsetOf, readBatchHeader } from '../codec/record-batch.js';
import { ioError, StorageError } from '../errors.js';
import { nodeFileSystem } from '../io/file-system.js';
import { storageLimits } from '../limits.js';
import { scanBatches } from '../log/batch-scanner.js';
import { Segment } from '../log/segment.js';
import { cleanedPaths } from '../log/segment-files.js';

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
  active: { logPath: string; baseOffset: number; sizeBytes: number };
  nowMs: number;
  deleteRetentionMs: number;
  indexIntervalBytes: number;
  /**
   * Drop instead of compact, in every segment given: the records of each key (base64) below
   * `belowOffset` (null: all of them), keeping every other record. A stream's GDPR erasure and its
   * copies in dead-letter topics (erase.ts) drop all; the cleaner drops a stream's records below
   * its version base (stream-cleaning.ts).
   */
  drop?: DropKey[];
}

export interface DropKey {
  /** base64 */
  key: string;
  belowOffset: number | null;
}

/** Whether a record stays in its rewritten segment. */
type Keep = (record: DecodedRecord) => boolean;

/** A `.log` to read: its visible bytes, and the offset its batches must stay below (null: the active segment). */
interface SegmentSource {
  logPath: string;
  baseOffset: number;
  sizeBytes: number;
  extent: number | null;
}

const sourceOf = (segment: SegmentToClean): SegmentSource => ({ ...segment, extent: segment.nextOffset });

export interface CompactionResult {
  cleaned: Array<{ baseOffset: number; keptRecords: number; droppedRecords: number; bytesBefore: number; bytesAfter: number }>;
  /** The segments whose key map did not fit: left for a later pass. */
  skippedFrom: number | null;
}

/**
 * Calls `onBatch` with each batch of a segment, through the log's batch scanner (CRC, framing and
 * offsets checked as recovery checks them). Damage stops the pass: a cleaned segment must hold
 * every record its original holds, so a batch that cannot be read is an error naming the file, the
 * byte position and the first offset not read, never the silent end of the segment.
 */
async function forEachBatch(source: SegmentSource, onBatch: (bytes: Buffer) => void): Promise<void> {
  const fd = await nodeFileSystem.open(source.logPath, 'r').catch((error: unknown) => {
    throw ioError(error, 'open', source.logPath);
  });
  try {
    const fileBytes = (await nodeFileSystem.fstat(fd)).size;
    const damage = (position: number, offset: number, reason: string) =>
      new StorageError('SPOOL_ERR_CORRUPT_BATCH', `compaction stopped: ${source.logPath}: ${reason}`, { path: source.logPath, position, offset });
    if (fileBytes < source.sizeBytes) throw damage(fileBytes, source.baseOffset, `the file has ${fileBytes} bytes, the log ${source.sizeBytes}`);
    let beyondExtent: StorageError | null = null;
    let readUpTo = source.baseOffset;
    const scan = await scanBatches(nodeFileSystem, fd, source.sizeBytes, 0, { verifyCrc: true, minBaseOffset: source.baseOffset }, (batch) => {
      const lastOffset = lastOffsetOf(batch.header);
      if (source.extent !== null && lastOffset >= source.extent) {
        beyondExtent = damage(batch.position, readUpTo, `batch offsets ${batch.header.baseOffset}-${lastOffset} run past the segment's last offset ${source.extent - 1}`);
        return false;
      }
      onBatch(batch.bytes);
      readUpTo = lastOffset + 1;
    });
    if (beyondExtent) throw beyondExtent;
    if (scan.stopReason !== null) throw damage(scan.validEnd, scan.nextOffset, scan.stopReason);
  } finally {
    await nodeFileSystem.close(fd);
  }
}

const keyOf = (key: Buffer) => key.toString('latin1');

async function buildKeyMap(job: CompactionJob): Promise<{ latest: Map<string, number>; fits: number }> {
  const latest = new Map<string, number>();
  let fits = job.segments.length;
  const sources = [...job.segments.map(sourceOf), { ...job.active, extent: null }];
  for (const [index, source] of sources.entries()) {
    if (latest.size > storageLimits.compactionKeysMax && index < fits) fits = index;
    await forEachBatch(source, (bytes) => {
      for (const record of decodeRecordBatch(bytes).records) if (record.key) latest.set(keyOf(record.key), record.offset);
    });
  }
  return { latest, fits };
}

function writeAll(fd: number, bytes: Buffer): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
}

/** Compaction keeps a keyed record only as its key's latest, and a tombstone only while young. */
function keepLatest(latest: Map<string, number>, job: CompactionJob): Keep {
  const horizon = job.nowMs - job.deleteRetentionMs;
  return (record) => {
    if (!record.key) return true;
    if (latest.get(keyOf(record.key)) !== record.offset) return false;
    return record.value !== null || record.timestamp >= horizon;
  };
}

function keepAllBut(drop: DropKey[]): Keep {
  const below = new Map(drop.map(({ key, belowOffset }) => [keyOf(Buffer.from(key, 'base64')), belowOffset ?? Infinity]));
  return (record) => !record.key || record.offset >= (below.get(keyOf(record.key)) ?? -1);
}

async function rewriteSegment(segment: SegmentToClean, job: CompactionJob, keep: Keep): Promise<CompactionResult['cleaned'][number]> {
  const paths = cleanedPaths(segment.dir, segment.baseOffset);
  const out = openSync(paths.log, 'w');
  const tracker = new Segment(segment.dir, segment.baseOffset, { sizeBytes: 0, nextOffset: segment.baseOffset, writable: false });
  tracker.resetIndexes();
  let position = 0;
  let kept = 0;
  let dropped = 0;
  try {
    await forEachBatch(sourceOf(segment), (bytes) => {
      const batch = decodeRecordBatch(bytes);
      const survivors = batch.records.filter(keep);
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
  writeIndexFile(paths.index, tracker.offsetIndex!.toBytes());
  if (tracker.maxTimestamp >= 0) tracker.timeIndex!.seal(tracker.maxTimestamp, Math.max(0, tracker.lastRelativeOffset));
  writeIndexFile(paths.timeIndex, tracker.timeIndex!.toBytes());
  return { baseOffset: segment.baseOffset, keptRecords: kept, droppedRecords: dropped, bytesBefore: segment.sizeBytes, bytesAfter: position };
}

async function holdsAnyDropped(segment: SegmentToClean, keep: Keep): Promise<boolean> {
  let found = false;
  await forEachBatch(sourceOf(segment), (bytes) => {
    found ||= !decodeRecordBatch(bytes).records.every(keep);
  });
  return found;
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

/** A failed pass leaves every segment as it was: no cleaned file of it remains to be swapped in. */
export async function runCompaction(job: CompactionJob): Promise<CompactionResult> {
  try {
    let keep: Keep;
    let fits = job.segments.length;
    if (job.drop) {
      keep = keepAllBut(job.drop);
    } else {
      const map = await buildKeyMap(job);
      keep = keepLatest(map.latest, job);
      fits = map.fits;
    }
    const cleaned = [];
    for (const segment of job.segments.slice(0, fits)) {
      // A drop pass may be given segments without a record to drop (a dead-letter topic's): scanned, not copied.
      if (job.drop && !(await holdsAnyDropped(segment, keep))) {
        cleaned.push({ baseOffset: segment.baseOffset, keptRecords: 0, droppedRecords: 0, bytesBefore: segment.sizeBytes, bytesAfter: segment.sizeBytes });
        continue;
      }
      cleaned.push(await rewriteSegment(segment, job, keep));
    }
    return { cleaned, skippedFrom: fits < job.segments.length ? job.segments[fits]!.baseOffset : null };
  } catch (error) {
    for (const segment of job.segments) {
      for (const path of Object.values(cleanedPaths(segment.dir, segment.baseOffset))) rmSync(path, { force: true });
    }
    throw error;
  }
}
