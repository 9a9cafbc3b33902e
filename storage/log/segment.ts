/**
 * One segment of a partition log: a `.log` file of back-to-back batches starting at `baseOffset`,
 * with its sparse offset and time indexes. The active (last) segment is appended to; sealed ones
 * are read-only and have their indexes loaded lazily (and dropped again) so that memory does not
 * grow with the size of the log.
 *
 * `sizeBytes` counts only bytes that are visible: written (and, with flush=always, synced). Readers
 * never look past it, so they never see a batch that is not yet acknowledged.
 */
import { type BatchHeader, lastOffsetOf } from '../codec/record-batch.js';
import { ioError } from '../errors.js';
import type { FileSystem } from '../io/file-system.js';
import { scanBatches } from './batch-scanner.js';
import type { CachedFile } from './file-cache.js';
import { OffsetIndex } from './offset-index.js';
import { segmentPath } from './segment-files.js';
import { decodeTimeIndexEntry, TIME_INDEX_ENTRY_BYTES, TimeIndex } from './time-index.js';

export class Segment implements CachedFile {
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  writable: boolean;
  sizeBytes: number;
  nextOffset: number;
  /** Largest record timestamp in the segment; -1 when empty or not yet known (sealed, not loaded). */
  maxTimestamp = -1;
  /** Wall-clock time the segment got its first batch in this process (for segmentMs rolls). */
  firstAppendMs = -1;
  offsetIndex: OffsetIndex | null = null;
  timeIndex: TimeIndex | null = null;
  private bytesSinceIndexEntry = 0;
  private indexesLoading: Promise<void> | null = null;

  constructor(
    readonly dir: string,
    readonly baseOffset: number,
    options: { sizeBytes: number; nextOffset: number; writable: boolean },
  ) {
    this.logPath = segmentPath(dir, baseOffset, '.log');
    this.indexPath = segmentPath(dir, baseOffset, '.index');
    this.timeIndexPath = segmentPath(dir, baseOffset, '.timeindex');
    this.sizeBytes = options.sizeBytes;
    this.nextOffset = options.nextOffset;
    this.writable = options.writable;
  }

  get isEmpty(): boolean {
    return this.sizeBytes === 0;
  }

  /** Starts with empty in-memory indexes (a new segment, or one about to be rebuilt by a scan). */
  resetIndexes(): void {
    this.offsetIndex = new OffsetIndex();
    this.timeIndex = new TimeIndex();
    this.bytesSinceIndexEntry = 0;
    this.maxTimestamp = -1;
  }

  /** Records a batch written at `position` (already on disk) in the in-memory state and indexes. */
  trackBatch(header: BatchHeader, position: number, size: number, indexIntervalBytes: number): void {
    const relativeOffset = header.baseOffset - this.baseOffset;
    if (this.offsetIndex && (position === 0 || this.bytesSinceIndexEntry >= indexIntervalBytes)) {
      if (position > 0) this.offsetIndex.append(relativeOffset, position);
      this.bytesSinceIndexEntry = 0;
      if (this.timeIndex && this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, relativeOffset);
    }
    this.bytesSinceIndexEntry += size;
    if (header.maxTimestamp > this.maxTimestamp) this.maxTimestamp = header.maxTimestamp;
    // Wall-clock time, not record time: replaying historic events must not roll a segment per batch.
    if (this.firstAppendMs < 0) this.firstAppendMs = Date.now();
    this.sizeBytes = position + size;
    this.nextOffset = lastOffsetOf(header) + 1;
  }

  /** Seals the time index with the segment's max timestamp and writes both indexes to disk. */
  async writeIndexFiles(fs: FileSystem): Promise<void> {
    if (!this.offsetIndex || !this.timeIndex) return;
    if (this.maxTimestamp >= 0) this.timeIndex.seal(this.maxTimestamp, this.lastRelativeOffset);
    try {
      await fs.writeFileAtomic(this.indexPath, this.offsetIndex.toBytes());
      await fs.writeFileAtomic(this.timeIndexPath, this.timeIndex.toBytes());
    } catch (error) {
      throw ioError(error, 'write index', this.indexPath);
    }
  }

  /** Loads a sealed segment's indexes, rebuilding them from the log when missing or inconsistent. */
  ensureIndexes(fs: FileSystem, fd: number, indexIntervalBytes: number): Promise<void> {
    if (this.offsetIndex && this.timeIndex) return Promise.resolve();
    this.indexesLoading ??= this.loadIndexes(fs, fd, indexIntervalBytes).finally(() => {
      this.indexesLoading = null;
    });
    return this.indexesLoading;
  }

  private async loadIndexes(fs: FileSystem, fd: number, indexIntervalBytes: number): Promise<void> {
    const [indexBytes, timeBytes] = await Promise.all([fs.readFile(this.indexPath), fs.readFile(this.timeIndexPath)]);
    const offsetIndex = indexBytes ? OffsetIndex.fromBytes(indexBytes, this.sizeBytes) : null;
    const timeIndex = timeBytes ? TimeIndex.fromBytes(timeBytes) : null;
    const lastTime = timeIndex?.last();
    // A sealed time index ends with the segment's last offset (seal()); one that does not was cut short.
    const timeIndexFits = lastTime !== null && lastTime !== undefined && lastTime.relativeOffset === this.lastRelativeOffset;
    if (offsetIndex && timeIndex && (timeIndexFits || this.isEmpty)) {
      this.offsetIndex = offsetIndex;
      this.timeIndex = timeIndex;
      this.maxTimestamp = lastTime?.timestamp ?? -1;
      return;
    }
    await this.rebuildIndexes(fs, fd, indexIntervalBytes);
  }

  /** Rebuilds both indexes by scanning the log's batch headers, and writes them out. */
  async rebuildIndexes(fs: FileSystem, fd: number, indexIntervalBytes: number): Promise<void> {
    const size = this.sizeBytes;
    const nextOffset = this.nextOffset;
    this.resetIndexes();
    await scanBatches(fs, fd, size, 0, { verifyCrc: false, minBaseOffset: this.baseOffset }, (batch) =>
      this.trackBatch(batch.header, batch.position, batch.size, indexIntervalBytes),
    );
    // A sealed segment's extent is known from its neighbours; a scan does not shrink it.
    this.sizeBytes = size;
    this.nextOffset = nextOffset;
    await this.writeIndexFiles(fs);
  }

  /** Relative offset of the segment's last offset (its extent, for a sealed segment). */
  get lastRelativeOffset(): number {
    return this.nextOffset - 1 - this.baseOffset;
  }

  /**
   * The max timestamp of a sealed segment, read from the last time-index entry without a scan, or
   * null when unknown: no file, or a last entry that does not seal the segment (cut short or
   * damaged: trusting it would let retention delete the segment early). Loading the indexes
   * (ensureIndexes) rebuilds them and then knows.
   */
  async loadMaxTimestamp(fs: FileSystem): Promise<number | null> {
    if (this.maxTimestamp >= 0 || this.timeIndex) return this.maxTimestamp;
    const bytes = await fs.readFile(this.timeIndexPath);
    if (!bytes || bytes.length < TIME_INDEX_ENTRY_BYTES || bytes.length % TIME_INDEX_ENTRY_BYTES !== 0) return null;
    const last = decodeTimeIndexEntry(bytes, bytes.length - TIME_INDEX_ENTRY_BYTES);
    if (last.relativeOffset !== this.lastRelativeOffset) return null;
    this.maxTimestamp = last.timestamp;
    return this.maxTimestamp;
  }

  /** Forgets a sealed segment's indexes once its file is closed: they are reloaded on demand, so
   *  memory follows the open-file cache, not the size of the log. */
  onDescriptorClosed(): void {
    if (this.writable) return;
    this.offsetIndex = null;
    this.timeIndex = null;
  }
}
