/**
 * Crash recovery of a partition folder, as an explicit decision table (ARCHITECTURE §2.3). Each row
 * has a test in test/storage/log/recovery.test.ts.
 *
 * | # | found on open                                           | decision                                                      |
 * |---|---------------------------------------------------------|---------------------------------------------------------------|
 * | 1 | `*.deleted`                                              | unlink: retention had decided to delete it                    |
 * | 2 | `*.cleaned`                                              | unlink: compaction output that was never committed            |
 * | 3 | `*.tmp`                                                  | unlink: an atomic file write that did not finish              |
 * | 4 | `B.log.swap`                                             | finish the swap: rename over `B.log`, drop B's indexes        |
 * | 5 | `B.index.swap` / `B.timeindex.swap` without `B.log.swap` | unlink: the log was swapped already; indexes are rebuilt      |
 * | 6 | an index file without its `.log`                         | unlink                                                        |
 * | 7 | no segment at all                                        | create an empty segment at offset 0                           |
 * | 8 | clean-shutdown marker present                            | trust files: read the active segment's index, scan only the   |
 * |   |                                                          | batch headers after its last entry; no CRC pass               |
 * | 9 | no marker: segments from the recovery point on (at least | scan with CRC; the first batch that is short, runs past EOF,  |
 * |   | the active one)                                          | has a bad length, magic or CRC, a zero-filled header, an      |
 * |   |                                                          | offset that goes backwards or, in the active segment (never   |
 * |   |                                                          | compacted), does not follow the previous batch exactly (the   |
 * |   |                                                          | baseOffset is outside the CRC) ends the log: truncate there,  |
 * |   |                                                          | rebuild its indexes, and drop later segments (they would      |
 * |   |                                                          | leave a gap in offsets)                                       |
 * |10 | sealed segment below the recovery point                  | not read at start (it was synced when sealed): its time does  |
 * |   |                                                          | not count. Its indexes are checked when first opened (odd     |
 * |   |                                                          | size, entries not increasing, a position past EOF: rebuilt;   |
 * |   |                                                          | an entry a read finds not pointing at its batch: rebuilt);    |
 * |   |                                                          | its batches' CRCs are checked on every read and by `spool     |
 * |   |                                                          | check`                                                        |
 * |11 | stream topic: the active segment's `.keys` matches its    | at first use of the index (not at open): load the active      |
 * |   | `.log` (size and extent in its header, CRC)              | table from it (written by a clean close); otherwise rebuild   |
 * |   |                                                          | the table by decoding the active `.log`                       |
 * |12 | stream topic: a sealed segment's `.keys` missing, short, | rebuilt from its `.log` when the index is first used, written |
 * |   | failing its CRC, or naming another size or extent (stale | atomically (storage/streams/stream-index.ts); the log is the  |
 * |   | after compaction, repair or a crash before it was written)| only source of truth                                          |
 * |   | `.keys` without its `.log`                               | row 6: unlink                                                 |
 * |13 | stream topic: a key's records below its version base     | invisible: versions count from the base (stream-index.ts      |
 * |   | (`stream-metadata`) still in a segment or its `.keys`    | versionedOffsetsOf), whether the `.keys` was rebuilt or not   |
 * |14 | stream topic: a base still marked `removing` (a crash    | the stream cleaner's drop pass runs again in the background   |
 * |   | during the cleaner's pass)                               | at open (compaction/stream-cleaning.ts; rows 2 and 4 settled  |
 * |   |                                                          | its swap files first)                                         |
 */
import { join } from 'node:path';
import { ioError } from '../errors.js';
import type { FileSystem } from '../io/file-system.js';
import { CLEANED_SUFFIX, DELETED_SUFFIX, parseSegmentFileName, SWAP_SUFFIX, TEMP_SUFFIX } from './segment-files.js';

export interface LeftoverReport {
  removed: string[];
  swapped: string[];
  /** The folder's names once settled (none: a new partition), so the caller need not list it again. */
  names: string[];
}

async function unlink(fs: FileSystem, path: string): Promise<void> {
  await fs.unlink(path).catch((error: unknown) => {
    throw ioError(error, 'unlink', path);
  });
}

/** Rows 1-6: settles files left behind by an interrupted deletion, compaction or atomic write. */
export async function resolveLeftovers(fs: FileSystem, dir: string): Promise<LeftoverReport> {
  const report: LeftoverReport = { removed: [], swapped: [], names: [] };
  const names = await fs.readdir(dir);
  const present = new Set(names);
  for (const name of names) {
    const parsed = parseSegmentFileName(name);
    if (name.endsWith(TEMP_SUFFIX) || (parsed && (parsed.state === DELETED_SUFFIX || parsed.state === CLEANED_SUFFIX))) {
      await unlink(fs, join(dir, name));
      report.removed.push(name);
    }
  }
  for (const name of names) {
    const parsed = parseSegmentFileName(name);
    if (!parsed || parsed.state !== SWAP_SUFFIX) continue;
    const stem = name.slice(0, -SWAP_SUFFIX.length);
    if (parsed.suffix === '.log') {
      const path = join(dir, stem);
      await fs.rename(join(dir, name), path).catch((error: unknown) => {
        throw ioError(error, 'rename', path);
      });
      const base = stem.slice(0, -'.log'.length);
      for (const index of [`${base}.index`, `${base}.timeindex`, `${base}.index.swap`, `${base}.timeindex.swap`]) {
        if (present.has(index)) await unlink(fs, join(dir, index));
      }
      report.swapped.push(stem);
    } else if (!present.has(`${stem.slice(0, stem.lastIndexOf('.'))}.log.swap`)) {
      await unlink(fs, join(dir, name));
      report.removed.push(name);
    }
  }
  // Listed again only when the steps above changed the folder: a clean start lists each
  // partition's folder once (with 10,000 partitions, every file operation counts).
  const changed = report.removed.length > 0 || report.swapped.length > 0;
  const after = changed ? new Set(await fs.readdir(dir)) : present;
  for (const name of after) {
    const parsed = parseSegmentFileName(name);
    if (!parsed || parsed.state !== '' || parsed.suffix === '.log') continue;
    if (!after.has(name.slice(0, name.lastIndexOf('.')) + '.log')) {
      await unlink(fs, join(dir, name));
      report.removed.push(name);
      after.delete(name);
    }
  }
  if (report.removed.length > 0 || report.swapped.length > 0) await fs.fsyncDirectory(dir);
  report.names = [...after];
  return report;
}
