/**
 * Scrub: reads every segment of a data directory and reports damage, without opening the broker or
 * changing a byte (files are opened read-only; `spool check --data-dir` runs it). Recovery only
 * reads the segments from the recovery point on; damage inside a sealed segment shows up only when
 * it is read (as SPOOL_ERR_CORRUPT_BATCH) or here.
 *
 * Checked, per segment `<data>/topics/<topic>/<partition>/<base>.log`:
 *
 * | what                      | problem reported when                                                    |
 * |---------------------------|--------------------------------------------------------------------------|
 * | batch framing             | a batch is short, runs past EOF, or has an impossible batchLength        |
 * | batch content             | magic is not 2, or the CRC-32C does not match (the scan resumes after a  |
 * |                           | batch whose length is sane, so later damage is reported too)             |
 * | offsets within a segment  | a batch starts below the segment's base or the previous batch's end;     |
 * |                           | in the last (active) segment also any gap, since compaction, the only    |
 * |                           | source of gaps, never touches the active segment                         |
 * | offsets across segments   | a batch runs into the next segment's base offset (reported at that batch)|
 * | `.index`                  | size not a multiple of 8, entries not increasing, or an entry that does  |
 * |                           | not point at the start of the batch with its offset                      |
 * | `.timeindex`              | size not a multiple of 12, timestamps or offsets going backwards, an     |
 * |                           | offset past the segment's end, or a timestamp that is not the largest    |
 * |                           | of the batches before the entry's offset (what a time lookup relies on)  |
 *
 * On stream topics also each segment's `.keys` and the partition's `stream-metadata`
 * (storage/streams/stream-scrub.ts has their table).
 *
 * Indexes are checked for sealed segments, and for the active segment only after a clean shutdown
 * (`topics.clean-shutdown` present): after a crash the active segment's index files are stale by design
 * and rebuilt by recovery. A missing index of a sealed segment is reported (the broker rebuilds it
 * when the segment is first read). Leftover `.cleaned`/`.swap`/`.deleted`/`.tmp` files are settled
 * by recovery and not reported. A damaged batch's problem carries the first offset not known to be
 * intact: where `spool check --repair` (repair.ts) cuts. The directory must be a data directory
 * (data-dir.ts): a typo'd path is an error, never an empty, healthy log.
 */
import { join } from 'node:path';
import { batchLengthAt, BATCH_LENGTH_MIN, BATCH_LOG_OVERHEAD_BYTES, lastOffsetOf } from '../codec/record-batch.js';
import { type FileSystem, nodeFileSystem } from '../io/file-system.js';
import { storageLimits } from '../limits.js';
import { scanBatches } from './batch-scanner.js';
import { cleanShutdownMarkerPath } from './log-manager.js';
import { OFFSET_INDEX_ENTRY_BYTES } from './offset-index.js';
import { assertDataDirectory, topicsRoot } from './data-dir.js';
import { parseSegmentFileName, segmentFileName } from './segment-files.js';
import { decodeTimeIndexEntry, TIME_INDEX_ENTRY_BYTES } from './time-index.js';
import { checkKeysFile, checkStreamMetadata, readStreamIdKey } from '../streams/stream-scrub.js';

export interface ScrubProblem {
  topic: string;
  partition: number;
  /** The file's name, e.g. 00000000000000000000.log or 00000000000000000000.index. */
  segment: string;
  /** Byte position in that file. */
  position: number;
  problem: string;
  /** Damage in a `.log`: the first offset not known to be intact (where `spool check --repair` cuts). */
  offset?: number;
}

/** Reports a problem at a byte position of the file being checked (with the first offset not known intact, in a `.log`). */
type Reporter = (position: number, problem: string, offset?: number) => void;

export interface ScrubProgress {
  topic: string;
  partition: number;
  segment: string;
  segmentsDone: number;
  segmentsTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface ScrubReport {
  partitions: number;
  segments: number;
  batches: number;
  bytes: number;
  problems: ScrubProblem[];
}

export interface ScrubOptions {
  onProgress?: (progress: ScrubProgress) => void;
  fs?: FileSystem;
}

export interface PartitionDir {
  topic: string;
  partition: number;
  dir: string;
  bases: number[];
  sizes: number[];
}

interface BatchStart {
  baseOffset: number;
  lastOffset: number;
  /** The largest timestamp of the batches before this one (the time index's claim), -1 when none. */
  maxTimestampBefore: number;
}

/** The partition folders under `<data>/topics`, in order, with their live segments' bases and sizes. */
export async function listPartitions(fs: FileSystem, root: string): Promise<PartitionDir[]> {
  const found: PartitionDir[] = [];
  for (const topic of (await fs.readdir(root)).filter((name) => !name.startsWith('.')).sort()) {
    const partitions = (await fs.readdir(join(root, topic))).filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => a - b);
    for (const partition of partitions) {
      const dir = join(root, topic, String(partition));
      const bases = (await fs.readdir(dir))
        .map(parseSegmentFileName)
        .filter((parsed) => parsed !== null && parsed.state === '' && parsed.suffix === '.log')
        .map((parsed) => parsed!.baseOffset)
        .sort((a, b) => a - b);
      const sizes = await Promise.all(bases.map(async (base) => (await fs.stat(join(dir, segmentFileName(base, '.log'))))?.size ?? 0));
      found.push({ topic, partition, dir, bases, sizes });
    }
  }
  return found;
}

/** Scans one `.log`, resuming after batches whose framing is sane but whose CRC or magic is not. */
async function scrubLog(
  fs: FileSystem,
  path: string,
  base: number,
  active: boolean,
  report: Reporter,
): Promise<{ batches: Map<number, BatchStart>; nextOffset: number; maxTimestamp: number }> {
  const batches = new Map<number, BatchStart>();
  const fd = await fs.open(path, 'r');
  try {
    const fileBytes = (await fs.fstat(fd)).size;
    let from = 0;
    let expected = base;
    let afterDamage = false;
    let maxTimestamp = -1;
    while (from < fileBytes) {
      const result = await scanBatches(fs, fd, fileBytes, from, { verifyCrc: true, minBaseOffset: expected }, (batch) => {
        const { baseOffset } = batch.header;
        if (active && !afterDamage && baseOffset !== expected) report(batch.position, `batch at offset ${baseOffset} leaves a gap after offset ${expected - 1}`, expected);
        afterDamage = false;
        batches.set(batch.position, { baseOffset, lastOffset: lastOffsetOf(batch.header), maxTimestampBefore: maxTimestamp });
        maxTimestamp = Math.max(maxTimestamp, batch.header.maxTimestamp);
        expected = lastOffsetOf(batch.header) + 1;
      });
      if (result.stopReason === null) break;
      report(result.validEnd, result.stopReason, expected);
      const header = Buffer.alloc(BATCH_LOG_OVERHEAD_BYTES);
      const read = await fs.read(fd, header, 0, header.length, result.validEnd);
      const batchLength = read === header.length ? batchLengthAt(header, 0) : -1;
      const size = BATCH_LOG_OVERHEAD_BYTES + batchLength;
      const framed = batchLength >= BATCH_LENGTH_MIN && batchLength <= storageLimits.batchBytesMax && result.validEnd + size <= fileBytes;
      if (!framed || /below the expected/.test(result.stopReason)) break; // nowhere trustworthy to resume
      from = result.validEnd + size;
      afterDamage = true;
    }
    return { batches, nextOffset: expected, maxTimestamp };
  } finally {
    await fs.close(fd);
  }
}

function checkOffsetIndex(bytes: Buffer, base: number, batches: Map<number, BatchStart>, report: Reporter): void {
  if (bytes.length % OFFSET_INDEX_ENTRY_BYTES !== 0) report(bytes.length, `size ${bytes.length} is not a multiple of ${OFFSET_INDEX_ENTRY_BYTES}`);
  let previous = -1;
  for (let at = 0; at + OFFSET_INDEX_ENTRY_BYTES <= bytes.length; at += OFFSET_INDEX_ENTRY_BYTES) {
    const relativeOffset = bytes.readUInt32BE(at);
    const position = bytes.readUInt32BE(at + 4);
    const batch = batches.get(position);
    if (relativeOffset <= previous) report(at, `entry offset ${base + relativeOffset} does not increase`);
    if (!batch) report(at, `entry for offset ${base + relativeOffset} points at byte ${position}, where no batch starts`);
    else if (batch.baseOffset !== base + relativeOffset) report(at, `entry for offset ${base + relativeOffset} points at the batch of offset ${batch.baseOffset}`);
    previous = relativeOffset;
  }
}

/**
 * Each time-index entry (T, offset) claims that T is the largest timestamp of the batches before
 * the batch starting at that offset, or, for the segment's last offset, of the whole segment.
 */
function checkTimeIndex(
  bytes: Buffer,
  base: number,
  log: { batches: Map<number, BatchStart>; maxTimestamp: number },
  extent: number,
  report: Reporter,
): void {
  if (bytes.length % TIME_INDEX_ENTRY_BYTES !== 0) report(bytes.length, `size ${bytes.length} is not a multiple of ${TIME_INDEX_ENTRY_BYTES}`);
  const before = new Map([...log.batches.values()].map((batch) => [batch.baseOffset, batch.maxTimestampBefore]));
  let previous: { timestamp: number; relativeOffset: number } | null = null;
  for (let at = 0; at + TIME_INDEX_ENTRY_BYTES <= bytes.length; at += TIME_INDEX_ENTRY_BYTES) {
    const entry = decodeTimeIndexEntry(bytes, at);
    const offset = base + entry.relativeOffset;
    if (previous && (entry.timestamp < previous.timestamp || entry.relativeOffset < previous.relativeOffset)) report(at, 'entries go backwards');
    if (offset >= extent) report(at, `entry names offset ${offset}, past the segment's last offset ${extent - 1}`);
    else if (before.get(offset) !== entry.timestamp && !(offset === extent - 1 && entry.timestamp === log.maxTimestamp)) {
      report(at, `entry says the records before offset ${offset} are at most ${entry.timestamp} ms, the log says ${before.get(offset) ?? 'no batch starts there'}`);
    }
    previous = entry;
  }
}

/**
 * A batch whose offsets run into the next segment's base (a baseOffset, outside the CRC, damaged
 * upwards): reported at that batch, since the bytes from it on cannot be trusted.
 */
function checkExtent(batches: Map<number, BatchStart>, base: number, next: number, report: Reporter): void {
  let expected = base;
  for (const [position, batch] of [...batches].sort(([a], [b]) => a - b)) {
    if (batch.lastOffset >= next) {
      report(position, `batch offsets ${batch.baseOffset}-${batch.lastOffset} run into the next segment at ${next}`, expected);
      return;
    }
    expected = batch.lastOffset + 1;
  }
}

export interface PartitionScrub {
  problems: ScrubProblem[];
  batches: number;
  /** The offset after the last batch read (past damage where the scan could resume). */
  endOffset: number;
}

/** Checks every segment of one partition; `onSegment` is told after each. */
export async function scrubPartition(
  fs: FileSystem,
  partition: PartitionDir,
  cleanShutdown: boolean,
  onSegment: (index: number) => void = () => {},
  /** The data directory's stream-id secret (stream-metadata's key check), when there is one. */
  streamIdKey: Buffer | null = null,
): Promise<PartitionScrub> {
  const { topic, dir, bases } = partition;
  const result: PartitionScrub = { problems: [], batches: 0, endOffset: bases[0] ?? 0 };
  const reporter = (segment: string): Reporter => (position, problem, offset) =>
    result.problems.push({ topic, partition: partition.partition, segment, position, problem, ...(offset === undefined ? {} : { offset }) });
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i]!;
    const active = i === bases.length - 1;
    const logName = segmentFileName(base, '.log');
    const scanned = await scrubLog(fs, join(dir, logName), base, active, reporter(logName));
    const next = bases[i + 1];
    if (next !== undefined && scanned.nextOffset > next) checkExtent(scanned.batches, base, next, reporter(logName));
    if (!active || cleanShutdown) {
      const keysName = segmentFileName(base, '.keys');
      const extent = { logBytes: partition.sizes[i]!, recordExtent: (next ?? scanned.nextOffset) - base };
      const keysProblem = await checkKeysFile(fs, join(dir, keysName), extent);
      if (keysProblem) reporter(keysName)(0, keysProblem);
      for (const suffix of ['.index', '.timeindex'] as const) {
        const name = segmentFileName(base, suffix);
        const bytes = await fs.readFile(join(dir, name));
        if (!bytes) reporter(name)(0, 'missing');
        else if (suffix === '.index') checkOffsetIndex(bytes, base, scanned.batches, reporter(name));
        else checkTimeIndex(bytes, base, scanned, next ?? scanned.nextOffset, reporter(name));
      }
    }
    result.batches += scanned.batches.size;
    result.endOffset = scanned.nextOffset;
    onSegment(i);
  }
  for (const { file, position, problem } of await checkStreamMetadata(fs, dir, streamIdKey)) reporter(file)(position, problem);
  return result;
}

/** Whether the broker last stopped cleanly (its marker is present): the active segment's indexes are then checked too. */
export async function wasShutDownCleanly(fs: FileSystem, dataDir: string): Promise<boolean> {
  return (await fs.stat(cleanShutdownMarkerPath(topicsRoot(dataDir)))) !== null;
}

/** Checks every partition of a data directory (SPOOL_ERR_NOT_A_DATA_DIR when it is none). */
export async function scrubDataDir(dataDir: string, options: ScrubOptions = {}): Promise<ScrubReport> {
  const fs = options.fs ?? nodeFileSystem;
  await assertDataDirectory(fs, dataDir);
  const cleanShutdown = await wasShutDownCleanly(fs, dataDir);
  const partitions = await listPartitions(fs, topicsRoot(dataDir));
  const streamIdKey = await readStreamIdKey(fs, topicsRoot(dataDir));
  const result: ScrubReport = { partitions: partitions.length, segments: 0, batches: 0, bytes: 0, problems: [] };
  const segmentsTotal = partitions.reduce((sum, partition) => sum + partition.bases.length, 0);
  const bytesTotal = partitions.reduce((sum, partition) => sum + partition.sizes.reduce((a, b) => a + b, 0), 0);
  for (const partition of partitions) {
    const scrubbed = await scrubPartition(fs, partition, cleanShutdown, (i) => {
      result.segments++;
      result.bytes += partition.sizes[i]!;
      const { topic } = partition;
      const segment = segmentFileName(partition.bases[i]!, '.log');
      options.onProgress?.({ topic, partition: partition.partition, segment, segmentsDone: result.segments, segmentsTotal, bytesDone: result.bytes, bytesTotal });
    }, streamIdKey);
    result.batches += scrubbed.batches;
    result.problems.push(...scrubbed.problems);
  }
  return result;
}
