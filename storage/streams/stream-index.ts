/**
 * A partition's stream index (ARCHITECTURE §2.6): key → offsets of that key's records, in order.
 * A stream's version of a record is its 0-based position among the key's records, counted from
 * the stream's version base when the cleaner set one (versionedOffsetsOf, stream-metadata.ts).
 *
 *   sealed segments   one `.keys` file each (sealed-keys.ts), loaded lazily, rebuilt from the
 *                     `.log` when missing or damaged
 *   active segment    ActiveKeys in memory, filled at first use (its `.keys` from the last clean
 *                     close, or its `.log`), then by appends
 *
 * Every part is derived from the log, so nothing here is synced: a crash loses at most the
 * `.keys` file of a segment sealed just before it, and the next use rebuilds it.
 *
 * Conditional appends call nextVersionOf() inside PartitionLog.append's synchronous stretch, after
 * prepare(): the count includes appends accepted but not yet written, so the order of decisions
 * is the order of the single writer and two appends can never both win one version.
 */
import { assert } from '../assert.js';
import type { FileSystem } from '../io/file-system.js';
import type { Segment } from '../log/segment.js';
import { KEYS_SUFFIX, segmentPath } from '../log/segment-files.js';
import { ActiveKeys } from './active-keys.js';
import { decodeKeyFileHeader, hashKey } from './key-file.js';
import { BufferSealedKeys, FileSealedKeys, type SealedKeys } from './sealed-keys.js';
import { keyFileExtentOf, rebuildKeyFile, scanSegmentKeys } from './segment-key-scan.js';
import type { StreamMetadataTable } from './stream-metadata.js';

export interface StreamPosition {
  version: number;
  offset: number;
}

export function keysPathOf(segment: Segment): string {
  return segmentPath(segment.dir, segment.baseOffset, KEYS_SUFFIX);
}

export class StreamIndex {
  private active = new ActiveKeys();
  private readonly sealed = new Map<Segment, SealedKeys>();
  private preparing: Promise<void> | null = null;
  /** The active segment until its table is loaded (deferActive, activeLoad). */
  private unloadedActive: Segment | null = null;
  private loadingActive: Promise<void> | null = null;
  /** Told when a `.keys` file had to be rebuilt (for the broker's log and the tests). */
  onRebuilt: (path: string) => void = () => {};

  constructor(
    private readonly fs: FileSystem,
    /** Per-stream metadata, soft deletes and erasures (stream-metadata.ts). */
    readonly metadata: StreamMetadataTable,
    /** The topic's partitions (fixed on a stream topic): a key's records live in partitionForKey's one. */
    readonly partitionCount: number,
  ) {}

  /**
   * At open: remembers the active segment; its table is loaded at first use (activeLoad), not
   * here, so a restart costs nothing per stream partition until a stream request or an append
   * reaches it (a 128 MiB active segment holds ~500,000 records to put in the table).
   */
  deferActive(segment: Segment): void {
    this.unloadedActive = segment;
  }

  /**
   * Null once the active table is loaded; else the (shared) promise of its load. Every user of
   * the table waits for it: prepare() (lookups, conditional appends, erasure, listing) and every
   * append to a stream topic (PartitionLog.append), so no record is added to a table not loaded.
   */
  activeLoad(): Promise<void> | null {
    const segment = this.unloadedActive;
    if (!segment) return null;
    this.loadingActive ??= this.loadActive(segment)
      .then(
        () => {
          this.unloadedActive = null;
        },
        (error: unknown) => {
          this.active = new ActiveKeys(); // a load that failed half-way is done again from the start
          throw error;
        },
      )
      .finally(() => {
        this.loadingActive = null;
      });
    return this.loadingActive;
  }

  /**
   * The active segment's keyed records: from the `.keys` file a clean close wrote when it still
   * describes the segment exactly (decoding a 128 MiB log costs seconds, the file milliseconds);
   * otherwise from the log itself.
   */
  private async loadActive(segment: Segment): Promise<void> {
    const file = await this.fs.readFile(keysPathOf(segment));
    const header = file ? decodeKeyFileHeader(file, keyFileExtentOf(segment)) : null;
    if (file && header) this.active.loadKeyFile(file, header, segment.baseOffset);
    else await scanSegmentKeys(this.fs, segment, (key, offset) => this.active.index(key, offset));
  }

  /** At a clean close (writes drained): the active segment's table, for the next loadActive. */
  async saveActive(segment: Segment): Promise<void> {
    // Never loaded: nothing was appended since the open, and the file (if any) still says it all.
    if (this.unloadedActive) return;
    await this.fs.writeFileAtomic(keysPathOf(segment), this.active.takeBelow(segment.nextOffset, segment.baseOffset, keyFileExtentOf(segment)));
  }

  /** Loads (or rebuilds) the index of every sealed segment not loaded yet; forgets removed ones. */
  prepare(segments: readonly Segment[]): Promise<void> {
    const loading = this.activeLoad();
    if (loading) return loading.then(() => this.prepare(segments));
    const sealed = segments.slice(0, -1);
    for (const [segment, keys] of this.sealed) {
      if (!sealed.includes(segment)) {
        keys.close();
        this.sealed.delete(segment);
      }
    }
    if (sealed.every((segment) => this.sealed.has(segment))) return Promise.resolve();
    this.preparing ??= this.loadMissing(sealed).finally(() => {
      this.preparing = null;
    });
    return this.preparing.then(() => this.prepare(segments));
  }

  private async loadMissing(sealed: Segment[]): Promise<void> {
    for (const segment of sealed) {
      if (this.sealed.has(segment)) continue;
      const path = keysPathOf(segment);
      let file = await this.fs.readFile(path);
      let header = file ? decodeKeyFileHeader(file, keyFileExtentOf(segment)) : null;
      if (!file || !header) {
        file = await rebuildKeyFile(this.fs, segment);
        header = decodeKeyFileHeader(file, keyFileExtentOf(segment));
        await this.fs.writeFileAtomic(path, file);
        this.onRebuilt(path);
      }
      assert(header !== null, 'a key file just encoded decodes');
      if (!this.sealed.has(segment)) this.sealed.set(segment, new FileSealedKeys(path, file, header, segment.baseOffset));
    }
  }

  /** True when every sealed segment's index is loaded: lookups are then complete. */
  isReady(segments: readonly Segment[]): boolean {
    return this.unloadedActive === null && segments.slice(0, -1).every((segment) => this.sealed.has(segment));
  }

  /** Records an accepted append's keyed record (before it is written). */
  add(key: Buffer, offset: number): void {
    assert(this.unloadedActive === null, 'the active table is loaded before an append adds to it');
    this.active.add(key, offset);
  }

  committed(highWatermark: number): void {
    this.active.committed(highWatermark);
  }

  rewindTo(offset: number): void {
    this.active.rewindTo(offset);
  }

  /**
   * The writer sealed `segment` and starts the next one at `nextBase`: its records move from the
   * active table to a `.keys` file. Synchronous up to the write, so lookups never miss them.
   */
  async onSealed(segment: Segment, nextBase: number): Promise<void> {
    // Every roll today comes after the table's load (appends and erasure wait for it); should one
    // ever race it, the load must finish first, or it would put the sealed segment's offsets into
    // the next segment's table beside its `.keys` (duplicated events, wrong versions).
    if (this.loadingActive) await this.loadingActive.catch(() => undefined);
    if (this.unloadedActive) {
      // A roll with nothing appended since the open (appends load the table first): the sealed
      // segment's `.keys` from the last close describes it, or the next prepare() rebuilds it.
      this.unloadedActive = null;
      return;
    }
    // Encoded at once, in this synchronous stretch, straight from the table's arrays (no object
    // per key): lookups read the encoded bytes until the file is written.
    const file = this.active.takeBelow(nextBase, segment.baseOffset, keyFileExtentOf(segment));
    const header = decodeKeyFileHeader(file, keyFileExtentOf(segment));
    assert(header !== null, 'a key file just encoded decodes');
    this.sealed.set(segment, new BufferSealedKeys(file, header, segment.baseOffset));
    const path = keysPathOf(segment);
    await this.fs.writeFileAtomic(path, file);
    // Still the segment's index (retention may have removed it meanwhile): now read from the file.
    if (this.sealed.has(segment)) this.sealed.set(segment, new FileSealedKeys(path, file, header, segment.baseOffset));
  }

  /** Every offset of the key, ascending, over `segments` (prepared), pending appends included. */
  offsetsOf(key: Buffer, segments: readonly Segment[]): number[] {
    assert(this.isReady(segments), 'prepare() ran before a lookup');
    const offsets: number[] = [];
    const hash = hashKey(key); // once, for every sealed segment
    for (const segment of segments.slice(0, -1)) {
      for (const offset of this.sealed.get(segment)!.offsetsOf(key, hash)) offsets.push(offset);
    }
    for (const offset of this.active.offsetsOf(key)) offsets.push(offset);
    return offsets;
  }

  /**
   * The key's records that carry versions, ascending, and the version of the first: every record
   * from version 0 without a base; with one, the records at or above its offset from its version
   * (those below are invisible, removed by the cleaner or about to be).
   */
  versionedOffsetsOf(key: Buffer, segments: readonly Segment[]): { offsets: number[]; firstVersion: number } {
    const offsets = this.offsetsOf(key, segments);
    const base = this.metadata.baseOf(key.toString('latin1'));
    if (!base) return { offsets, firstVersion: 0 };
    let below = 0;
    while (below < offsets.length && offsets[below]! < base.offset) below++;
    return { offsets: below === 0 ? offsets : offsets.slice(below), firstVersion: base.version };
  }

  /**
   * The version the key's next record gets: versionedOffsetsOf's firstVersion plus its count,
   * counted without gathering the offsets (every conditional append asks, in the partition's
   * synchronous step).
   */
  nextVersionOf(key: Buffer, keyString: string, segments: readonly Segment[]): number {
    assert(this.isReady(segments), 'prepare() ran before a lookup');
    const base = this.metadata.baseOf(keyString);
    const below = base?.offset ?? -1;
    let count = 0;
    const countFrom = (offsets: readonly number[]) => {
      if (offsets.length === 0 || offsets[0]! >= below) count += offsets.length;
      else for (const offset of offsets) if (offset >= below) count++;
    };
    const hash = hashKey(key); // once, for every sealed segment
    for (let i = 0; i < segments.length - 1; i++) countFrom(this.sealed.get(segments[i]!)!.offsetsOf(key, hash));
    count += this.active.countFrom(key, below);
    return (base?.version ?? 0) + count;
  }

  /** Distinct keys starting with `prefix`, at most `limit`, sorted; `more` when some were left. */
  async listKeys(prefix: Buffer, limit: number, segments: readonly Segment[]): Promise<{ keys: Buffer[]; more: boolean }> {
    await this.prepare(segments);
    const found = new Map<string, Buffer>();
    let more = false;
    const consider = (key: Buffer): boolean => {
      if (key.length < prefix.length || key.compare(prefix, 0, prefix.length, 0, prefix.length) !== 0) return true;
      const name = key.toString('latin1');
      if (found.has(name)) return true;
      if (found.size === limit) {
        more = true;
        return false;
      }
      found.set(name, Buffer.from(key)); // the active table's keys are views of its arena
      return true;
    };
    for (const key of this.active.keys()) if (!consider(key)) break;
    for (const segment of segments.slice(0, -1)) {
      if (more) break;
      const keys = this.sealed.get(segment);
      if (!keys) continue;
      for await (const key of keys.keys()) if (!consider(key)) break;
    }
    return { keys: [...found.values()].sort(Buffer.compare), more };
  }

  close(): void {
    for (const keys of this.sealed.values()) keys.close();
    this.sealed.clear();
  }
}
