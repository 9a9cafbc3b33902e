/**
 * Repair of a stopped broker's data directory (`spool check --repair`). A damaged batch inside a
 * sealed segment is never reached by recovery (which reads from the recovery point on), so every
 * read of its partition from before the damage fails with SPOOL_ERR_CORRUPT_BATCH, for ever. Repair
 * makes the partition readable again by giving up what cannot be read:
 *
 * | found by the scrub (scrub.ts)                      | repair                                                      |
 * |----------------------------------------------------|-------------------------------------------------------------|
 * | damage in a `.log` (framing, magic, CRC, offsets)  | cut the partition at the first damaged batch: its segment   |
 * |                                                    | is truncated there and every later segment removed; the     |
 * |                                                    | removed bytes are first kept, synced, in one quarantine     |
 * |                                                    | file; reported with the offsets lost                        |
 * | a damaged or missing index of a sealed segment     | rebuilt from its `.log`                                     |
 * | a damaged index of the active segment              | removed: the next start rebuilds it                         |
 * | a damaged or stale `.keys` (stream topics)         | removed: the broker rebuilds it from the log at first use   |
 * | a partition with an unfinished compaction swap     | left alone (start and stop the broker once, then repair)    |
 *
 * After a cut or an index removal the clean-shutdown marker is removed, so the next start runs
 * recovery over the active segment. Order makes an interrupted repair safe to run again: the
 * quarantine file is complete and synced before anything is removed; later segments go before the
 * cut segment is truncated, so no gap is left in front of kept segments.
 *
 * The caller makes sure no broker runs on the directory (the data directory lock).
 */
import { join } from 'node:path';
import { ioError } from '../errors.js';
import { type FileSystem, nodeFileSystem, withFile } from '../io/file-system.js';
import { storageLimits } from '../limits.js';
import { assertDataDirectory, QUARANTINE_FOLDER, topicsRoot } from './data-dir.js';
import { cleanShutdownMarkerPath } from './log-manager.js';
import { listPartitions, type PartitionDir, type ScrubProblem, scrubPartition, wasShutDownCleanly } from './scrub.js';
import { Segment } from './segment.js';
import { INDEX_SUFFIX, KEYS_SUFFIX, LOG_SUFFIX, parseSegmentFileName, SWAP_SUFFIX, segmentFileName, TIME_INDEX_SUFFIX } from './segment-files.js';

export interface PartitionCut {
  topic: string;
  partition: number;
  /** The `.log` cut, the byte position of its first damaged batch, and what the damage is. */
  segment: string;
  position: number;
  problem: string;
  firstLostOffset: number;
  /** The last offset the removed bytes reached as far as they could be read, or null when unknown
   *  (the damage itself hides how many offsets it held). Gaps left by compaction count as lost. */
  lastLostOffset: number | null;
  /** The quarantine file: the bytes cut from `segment` at `position`, then each later `.log` whole. */
  quarantine: string;
  quarantinedBytes: number;
  removedSegments: string[];
}

export interface RepairReport {
  cuts: PartitionCut[];
  /** Index files rebuilt (sealed segments) or removed (the active segment), as `topic/partition/name`. */
  indexes: string[];
  /** Partitions left alone, and why. */
  skipped: Array<{ topic: string; partition: number; reason: string }>;
}

export interface RepairOptions {
  fs?: FileSystem;
  /** Names the quarantine file; defaults to now. */
  nowMs?: number;
}

/** The first damaged batch of a partition: its segment's index in the partition and the scrub's problem. */
function firstLogDamage(partition: PartitionDir, problems: ScrubProblem[]): { index: number; problem: ScrubProblem } | null {
  const damage = problems
    .filter((problem) => problem.offset !== undefined && problem.segment.endsWith(LOG_SUFFIX))
    .sort((a, b) => a.segment.localeCompare(b.segment) || a.position - b.position)[0];
  if (!damage) return null;
  return { index: partition.bases.findIndex((base) => segmentFileName(base, LOG_SUFFIX) === damage.segment), problem: damage };
}

/** Copies byte ranges of files, back to back, into `path` (written to a temporary name, synced, renamed). */
async function writeQuarantine(fs: FileSystem, path: string, sources: Array<{ path: string; from: number; to: number }>): Promise<number> {
  const temp = `${path}.tmp`;
  let written = 0;
  await withFile(fs, temp, 'w', async (out) => {
    const chunk = Buffer.allocUnsafe(storageLimits.readChunkBytes);
    for (const source of sources) {
      await withFile(fs, source.path, 'r', async (fd) => {
        for (let at = source.from; at < source.to; ) {
          const read = await fs.read(fd, chunk, 0, Math.min(chunk.length, source.to - at), at);
          if (read === 0) break; // the file is shorter than listed: keep what there is
          await fs.writev(out, [chunk.subarray(0, read)], written).catch((error: unknown) => {
            throw ioError(error, 'write', temp);
          });
          at += read;
          written += read;
        }
      });
    }
    await fs.fdatasync(out).catch((error: unknown) => {
      throw ioError(error, 'fdatasync', temp);
    });
  });
  await fs.rename(temp, path).catch((error: unknown) => {
    throw ioError(error, 'rename', temp, { to: path });
  });
  await fs.fsyncDirectory(join(path, '..'));
  return written;
}

function segmentFiles(dir: string, base: number): string[] {
  return ([TIME_INDEX_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX] as const).map((suffix) => join(dir, segmentFileName(base, suffix)));
}

async function cutPartition(fs: FileSystem, dataDir: string, partition: PartitionDir, damage: { index: number; problem: ScrubProblem }, endOffset: number, nowMs: number): Promise<PartitionCut> {
  const { topic, dir, bases, sizes } = partition;
  const { problem, index } = damage;
  const firstLostOffset = problem.offset!;
  const folder = join(dataDir, QUARANTINE_FOLDER, topic, String(partition.partition));
  await fs.mkdir(folder).catch((error: unknown) => {
    throw ioError(error, 'mkdir', folder);
  });
  const stamp = new Date(nowMs).toISOString().replace(/[:.]/g, '-');
  const quarantine = join(folder, `${String(firstLostOffset).padStart(20, '0')}-${stamp}.log`);
  const later = bases.slice(index + 1);
  const sources = [
    { path: join(dir, problem.segment), from: problem.position, to: sizes[index]! },
    ...later.map((base, i) => ({ path: join(dir, segmentFileName(base, LOG_SUFFIX)), from: 0, to: sizes[index + 1 + i]! })),
  ];
  const quarantinedBytes = await writeQuarantine(fs, quarantine, sources);
  for (const base of [...later].reverse()) for (const path of segmentFiles(dir, base)) await fs.unlink(path);
  await fs.fsyncDirectory(dir);
  await withFile(fs, join(dir, problem.segment), 'r+', async (fd) => {
    await fs.ftruncate(fd, problem.position).catch((error: unknown) => {
      throw ioError(error, 'truncate', join(dir, problem.segment));
    });
    await fs.fdatasync(fd);
  });
  for (const path of segmentFiles(dir, bases[index]!).slice(0, 2)) await fs.unlink(path);
  await fs.fsyncDirectory(dir);
  return {
    topic,
    partition: partition.partition,
    segment: problem.segment,
    position: problem.position,
    problem: problem.problem,
    firstLostOffset,
    lastLostOffset: endOffset > firstLostOffset ? endOffset - 1 : null,
    quarantine,
    quarantinedBytes,
    removedSegments: later.map((base) => segmentFileName(base, LOG_SUFFIX)),
  };
}

/**
 * Rebuilds (sealed) or removes (active) the damaged index files of the segments a cut keeps, and
 * removes their damaged `.keys` files (the broker rebuilds those from the log at first use).
 */
async function repairIndexes(fs: FileSystem, partition: PartitionDir, problems: ScrubProblem[], keptSegments: number): Promise<string[]> {
  const repaired: string[] = [];
  const damaged = problems.map((problem) => parseSegmentFileName(problem.segment)).filter((parsed) => parsed !== null && parsed.suffix !== LOG_SUFFIX);
  for (const parsed of damaged.filter((candidate) => candidate!.suffix === KEYS_SUFFIX)) {
    const name = segmentFileName(parsed!.baseOffset, KEYS_SUFFIX);
    await fs.unlink(join(partition.dir, name));
    repaired.push(`${partition.topic}/${partition.partition}/${name}`);
  }
  const bases = new Set(damaged.filter((parsed) => parsed!.suffix !== KEYS_SUFFIX).map((parsed) => parsed!.baseOffset));
  for (const base of bases) {
    const index = partition.bases.indexOf(base);
    if (index < 0 || index >= keptSegments) continue;
    const names = [segmentFileName(base, INDEX_SUFFIX), segmentFileName(base, TIME_INDEX_SUFFIX)];
    if (index === partition.bases.length - 1) {
      for (const name of names) await fs.unlink(join(partition.dir, name));
    } else {
      const next = partition.bases[index + 1]!;
      const segment = new Segment(partition.dir, base, { sizeBytes: partition.sizes[index]!, nextOffset: next, writable: false });
      await withFile(fs, segment.logPath, 'r', (fd) => segment.rebuildIndexes(fs, fd, storageLimits.indexIntervalBytes));
    }
    repaired.push(...names.map((name) => `${partition.topic}/${partition.partition}/${name}`));
  }
  return repaired;
}

async function hasUnfinishedSwap(fs: FileSystem, dir: string): Promise<boolean> {
  return (await fs.readdir(dir)).some((name) => parseSegmentFileName(name)?.state === SWAP_SUFFIX);
}

/** Repairs every damaged partition of a stopped broker's data directory (see the table above). */
export async function repairDataDir(dataDir: string, options: RepairOptions = {}): Promise<RepairReport> {
  const fs = options.fs ?? nodeFileSystem;
  await assertDataDirectory(fs, dataDir);
  const cleanShutdown = await wasShutDownCleanly(fs, dataDir);
  const report: RepairReport = { cuts: [], indexes: [], skipped: [] };
  for (const partition of await listPartitions(fs, topicsRoot(dataDir))) {
    const { topic } = partition;
    if (await hasUnfinishedSwap(fs, partition.dir)) {
      report.skipped.push({ topic, partition: partition.partition, reason: 'an unfinished compaction swap: start and stop the broker once, then repair' });
      continue;
    }
    const scrubbed = await scrubPartition(fs, partition, cleanShutdown);
    const damage = firstLogDamage(partition, scrubbed.problems);
    if (damage) report.cuts.push(await cutPartition(fs, dataDir, partition, damage, scrubbed.endOffset, options.nowMs ?? Date.now()));
    report.indexes.push(...(await repairIndexes(fs, partition, scrubbed.problems, damage ? damage.index : partition.bases.length)));
  }
  if (report.cuts.length > 0 || report.indexes.length > 0) {
    await fs.unlink(cleanShutdownMarkerPath(topicsRoot(dataDir)));
    await fs.fsyncDirectory(dataDir);
  }
  return report;
}
