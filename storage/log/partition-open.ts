/**
 * Opens a partition folder: settles leftovers, recovers what may be damaged (see the decision table
 * in recovery.ts), and hands the active segment to a LogWriter.
 */
import { assert } from '../assert.js';
import { ioError } from '../errors.js';
import { type FileSystem, withFile } from '../io/file-system.js';
import { scanBatches } from './batch-scanner.js';
import { flushPolicyOf, type LogConfig } from './config.js';
import type { SegmentFileCache } from './file-cache.js';
import { LogWriter } from './log-writer.js';
import { OffsetIndex } from './offset-index.js';
import { PartitionLog } from './partition-log.js';
import { type PartitionState, PRODUCER_SNAPSHOT_FILE } from './partition-state.js';
import { ProducerStateTable } from './producer-state.js';
import { storageLimits } from '../limits.js';
import { basename, join } from 'node:path';
import type { ScannedBatch } from './batch-scanner.js';
import { readRecoveryPoint, writeRecoveryPoint } from './recovery-point.js';
import { resolveLeftovers } from './recovery.js';
import { Segment } from './segment.js';
import { StreamIndex } from '../streams/stream-index.js';
import { StreamMetadataTable } from '../streams/stream-metadata.js';
import { parseSegmentFileName } from './segment-files.js';
import { TimeIndex } from './time-index.js';

export interface OpenPartitionOptions {
  topic: string;
  partition: number;
  /** The topic's partitions: a stream topic (streamIndex) keeps each key in partitionForKey's one. */
  partitionCount: number;
  /** The data directory's erased-stream-id secret: given for a stream topic (streamIndex). */
  streamIdKey?: Buffer;
  dir: string;
  fs: FileSystem;
  cache: SegmentFileCache;
  config: LogConfig;
  /** The previous shutdown was clean: trust the files (decision table row 8). */
  cleanShutdown: boolean;
  /** Told what recovery did (truncations, dropped segments), for the broker's log. */
  onRecoveryEvent?: (event: RecoveryEvent) => void;
  /** Told after each acknowledged round of appends (after the partition's own long-polls). */
  onCommitted?: (log: PartitionLog) => void;
  /** Erases the copies of an erased stream's records in other topics (LogManagerOptions.eraseCopies). */
  eraseCopies?: (topic: string, key: Buffer) => Promise<void>;
}

export interface RecoveryEvent {
  topic: string;
  partition: number;
  path: string;
  action: 'truncated' | 'dropped-segment' | 'removed-leftover' | 'finished-swap';
  detail: string;
}

function segmentBases(names: string[]): number[] {
  const bases: number[] = [];
  for (const name of names) {
    const parsed = parseSegmentFileName(name);
    if (parsed && parsed.state === '' && parsed.suffix === '.log') bases.push(parsed.baseOffset);
  }
  return bases.sort((a, b) => a - b);
}

/** Row 9: scans a segment with CRC checks, truncates it after its last valid batch, rebuilds its indexes. */
async function recoverSegment(
  fs: FileSystem,
  segment: Segment,
  config: LogConfig,
  /** The last segment: never compacted, so its batches must be contiguous. */
  contiguous: boolean,
  onBatch: (batch: ScannedBatch) => void,
): Promise<{ truncated: boolean; detail: string }> {
  return withFile(fs, segment.logPath, 'r+', async (fd) => {
    const fileBytes = (await fs.fstat(fd)).size;
    segment.resetIndexes();
    segment.sizeBytes = 0;
    segment.nextOffset = segment.baseOffset;
    const result = await scanBatches(fs, fd, fileBytes, 0, { verifyCrc: true, minBaseOffset: segment.baseOffset, contiguous }, (batch) => {
      segment.trackBatch(batch.header, batch.position, batch.size, config.indexIntervalBytes);
      onBatch(batch);
    });
    assert(result.validEnd === segment.sizeBytes, 'scan end and tracked size agree');
    const truncated = result.validEnd < fileBytes;
    if (truncated) {
      await fs.ftruncate(fd, result.validEnd).catch((error: unknown) => {
        throw ioError(error, 'truncate', segment.logPath);
      });
    }
    await fs.fdatasync(fd);
    return { truncated, detail: `${result.stopReason ?? 'clean'}; kept ${result.validEnd} of ${fileBytes} bytes` };
  });
}

/** What a trusted open found: whether the files could be trusted, and whether they hold exactly what memory does. */
interface TrustedOpen {
  trusted: boolean;
  /** The index files say what the loaded indexes say (nothing was added by the scan): a close need not rewrite them. */
  indexesCurrent: boolean;
}

/** Row 8: a cleanly closed active segment: indexes from disk, headers scanned after the last entry. */
async function openTrustedSegment(
  fs: FileSystem,
  segment: Segment,
  config: LogConfig,
  onBatch: (batch: ScannedBatch) => void,
): Promise<TrustedOpen> {
  return withFile(fs, segment.logPath, 'r', async (fd) => {
    const fileBytes = (await fs.fstat(fd)).size;
    const [indexBytes, timeBytes] = await Promise.all([fs.readFile(segment.indexPath), fs.readFile(segment.timeIndexPath)]);
    // An empty segment's indexes are empty: a partition never written is closed without writing
    // them (LogWriter.close), so they are missing from it on a trusted start.
    const orEmpty = (bytes: Buffer | null) => bytes ?? (fileBytes === 0 ? Buffer.alloc(0) : null);
    const [offsetBytes, timeIndexBytes] = [orEmpty(indexBytes), orEmpty(timeBytes)];
    const offsetIndex = offsetBytes ? OffsetIndex.fromBytes(offsetBytes, Math.max(fileBytes, 1)) : null;
    const timeIndex = timeIndexBytes ? TimeIndex.fromBytes(timeIndexBytes) : null;
    if (!offsetIndex || !timeIndex) return { trusted: false, indexesCurrent: false };
    const loaded = { offsetEntries: offsetIndex.entries, timeEntries: timeIndex.size };
    const lastEntry = offsetIndex.last();
    const from = lastEntry?.position ?? 0;
    segment.offsetIndex = offsetIndex;
    segment.timeIndex = timeIndex;
    segment.maxTimestamp = timeIndex.last()?.timestamp ?? -1;
    const sealedMaxTimestamp = segment.maxTimestamp;
    segment.sizeBytes = from;
    segment.nextOffset = segment.baseOffset + (lastEntry?.relativeOffset ?? 0);
    const result = await scanBatches(fs, fd, fileBytes, from, { verifyCrc: false, minBaseOffset: segment.nextOffset, contiguous: true }, (batch) => {
      segment.trackBatch(batch.header, batch.position, batch.size, config.indexIntervalBytes);
      onBatch(batch);
    });
    // close() sealed the time index with the segment's last offset; an index that ends elsewhere
    // was cut short, and its last timestamp would understate the segment's largest one.
    const sealedTimeIndex = segment.isEmpty || timeIndex.last()?.relativeOffset === segment.lastRelativeOffset;
    const trusted = result.stopReason === null && segment.sizeBytes === fileBytes && sealedTimeIndex;
    const indexesCurrent =
      trusted && offsetIndex.entries === loaded.offsetEntries && timeIndex.size === loaded.timeEntries && segment.maxTimestamp === sealedMaxTimestamp;
    return { trusted, indexesCurrent };
  });
}

export async function openPartitionLog(options: OpenPartitionOptions): Promise<PartitionLog> {
  const { fs, dir, config, topic, partition } = options;
  const report = (action: RecoveryEvent['action'], path: string, detail: string) =>
    options.onRecoveryEvent?.({ topic, partition, path, action, detail });
  // The folder is listed once (resolveLeftovers), and made only when it holds nothing: a clean
  // start of a partition is then 8 file operations (listing, producer snapshot, two indexes,
  // open/fstat/read/close of the active segment), where it was 13.
  const leftovers = await resolveLeftovers(fs, dir);
  for (const name of leftovers.removed) report('removed-leftover', name, 'interrupted deletion, compaction or write');
  for (const name of leftovers.swapped) report('finished-swap', name, 'compaction swap completed');
  if (leftovers.names.length === 0) {
    await fs.mkdir(dir).catch((error: unknown) => {
      throw ioError(error, 'mkdir', dir);
    });
  }

  let bases = segmentBases(leftovers.names);
  // A partition made just now holds one empty segment: nothing to recover, whatever the marker says.
  const created = bases.length === 0;
  if (created) {
    const fresh = new Segment(dir, 0, { sizeBytes: 0, nextOffset: 0, writable: true });
    await withFile(fs, fresh.logPath, 'w', async () => {});
    await fs.fsyncDirectory(dir);
    bases = [0];
  }
  const segments: Segment[] = [];
  for (let i = 0; i < bases.length; i++) {
    const last = i === bases.length - 1;
    const segment = new Segment(dir, bases[i]!, { sizeBytes: 0, nextOffset: last ? bases[i]! : bases[i + 1]!, writable: last });
    // The active segment's size comes from its own open below (trusted or recovered), not a stat.
    if (!last) segment.sizeBytes = (await fs.stat(segment.logPath))?.size ?? 0;
    segments.push(segment);
  }

  const active = segments[segments.length - 1]!;
  const producers = new ProducerStateTable(storageLimits.producersPerPartitionMax);
  const snapshotOffset = producers.loadSnapshot(await fs.readFile(join(dir, PRODUCER_SNAPSHOT_FILE)));
  const replay = (batch: ScannedBatch) => {
    if (batch.header.baseOffset >= snapshotOffset) producers.record(batch.header, null);
  };
  const opened = options.cleanShutdown || created ? await openTrustedSegment(fs, active, config, replay) : { trusted: false, indexesCurrent: false };
  if (!opened.trusted) {
    // Row 9: everything from the recovery point on, and always the active segment. (A trusted
    // start never needs the recovery point: one file fewer to read per partition.)
    const recoveryPoint = await readRecoveryPoint(fs, dir);
    const firstAboveRecoveryPoint = segments.findIndex((segment) => segment.baseOffset >= recoveryPoint);
    const firstToScan = firstAboveRecoveryPoint === -1 ? segments.length - 1 : firstAboveRecoveryPoint;
    for (let i = firstToScan; i < segments.length; i++) {
      const segment = segments[i]!;
      const extent = segment.nextOffset;
      const isLast = i === segments.length - 1;
      // Only compaction leaves gaps, and it never writes the active segment; a swap finished just
      // now (leftovers) is the one way a compacted segment can be found last.
      const compacted = leftovers.swapped.includes(basename(segment.logPath));
      const result = await recoverSegment(fs, segment, config, isLast && !compacted, replay);
      if (result.truncated) report('truncated', segment.logPath, result.detail);
      if (!isLast && (result.truncated || segment.nextOffset > extent)) {
        for (const dropped of segments.splice(i + 1)) {
          for (const path of [dropped.logPath, dropped.indexPath, dropped.timeIndexPath]) await fs.unlink(path);
          report('dropped-segment', dropped.logPath, `follows the damage in ${segment.logPath}`);
        }
        segment.writable = true;
        break;
      }
      if (!isLast) {
        segment.nextOffset = extent;
        await segment.writeIndexFiles(fs);
      }
    }
    // Unchanged (the usual case after a crash: the active segment is the one it named) needs no
    // atomic rewrite, two fsyncs per partition saved.
    const tailBase = segments[segments.length - 1]!.baseOffset;
    if (tailBase !== recoveryPoint) await writeRecoveryPoint(fs, dir, tailBase);
  }

  const tail = segments[segments.length - 1]!;
  tail.writable = true;
  const state: PartitionState = {
    topic,
    partition,
    dir,
    fs,
    cache: options.cache,
    config: Object.freeze({ ...config }),
    flush: flushPolicyOf(config),
    segments,
    highWatermark: tail.nextOffset,
    logStartFloor: 0,
    nextOffset: tail.nextOffset,
    producers,
    streams: null,
    // Nothing replayed past the snapshot and no index entry added: the files already say it all.
    filesCurrent: opened.indexesCurrent && snapshotOffset === tail.nextOffset,
  };
  if (config.streamIndex) {
    state.streams = new StreamIndex(fs, await StreamMetadataTable.load(fs, dir, options.streamIdKey!), options.partitionCount);
    state.streams.deferActive(tail); // loaded at first use: a restart does not grow with the streams
  }
  producers.rewindTo(tail.nextOffset); // a snapshot may name batches a truncation removed
  let log: PartitionLog | null = null;
  const writer = new LogWriter(state, (highWatermark) => {
    if (!log) return;
    log.onCommitted(highWatermark);
    options.onCommitted?.(log);
  });
  const { eraseCopies } = options;
  log = new PartitionLog(state, writer, eraseCopies ? (key) => eraseCopies(options.topic, key) : undefined);
  // An erasure a crash interrupted goes on in the background (its id is refused meanwhile).
  if (state.streams?.metadata.pendingErasures().length) log.resumeErasures().catch(() => {});
  // So does a stream cleaner pass (its bases are durable: the versions are right meanwhile).
  if (state.streams?.metadata.removalPending) log.cleanStreams(Date.now(), Infinity).catch(() => {});
  return log;
}
