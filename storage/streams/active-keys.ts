/**
 * The in-memory part of a partition's stream index: the keyed records of the active segment,
 * including appends accepted but not yet written (their versions are decided at accept time, in
 * the order the single writer will write them). Memory follows the active segment's size, not
 * the number of streams: at seal time the table moves to the segment's `.keys` file.
 *
 * Keys are held as latin1 strings: one char per byte, so the string is the exact key bytes.
 */
import { assert } from '../assert.js';
import type { SegmentKeys } from './key-file.js';

export class ActiveKeys {
  private readonly offsetsByKey = new Map<string, number[]>();
  /**
   * Records not yet written, in offset order, from `pendingStart`: what a failed write rewinds. Two
   * flat arrays rather than an object per record: a profile of a 200,000-record load spent more
   * time collecting those objects than indexing.
   */
  private pendingKeys: string[] = [];
  private pendingOffsets: number[] = [];
  private pendingStart = 0;
  private recordCount = 0;

  get size(): number {
    return this.recordCount;
  }

  /** An accepted append's record (rewound if its write fails). */
  add(key: string, offset: number): void {
    this.index(key, offset);
    this.pendingKeys.push(key);
    this.pendingOffsets.push(offset);
  }

  /** A record already in the log (the table loaded at open). */
  index(key: string, offset: number): void {
    const offsets = this.offsetsByKey.get(key);
    if (offsets) {
      assert(offsets[offsets.length - 1]! < offset, 'a key\'s offsets only grow');
      offsets.push(offset);
    } else {
      this.offsetsByKey.set(key, [offset]);
    }
    this.recordCount++;
  }

  /** The key's offsets in this table, ascending (do not modify). */
  offsetsOf(key: string): readonly number[] {
    return this.offsetsByKey.get(key) ?? [];
  }

  /** The records below `highWatermark` were written: they can no longer be rewound. */
  committed(highWatermark: number): void {
    while (this.pendingStart < this.pendingOffsets.length && this.pendingOffsets[this.pendingStart]! < highWatermark) this.pendingStart++;
    if (this.pendingStart === this.pendingOffsets.length) {
      this.pendingKeys = [];
      this.pendingOffsets = [];
      this.pendingStart = 0;
    }
  }

  /** A failed write: forgets every record at or above `offset` (never written). */
  rewindTo(offset: number): void {
    while (this.pendingOffsets.length > this.pendingStart && this.pendingOffsets[this.pendingOffsets.length - 1]! >= offset) {
      this.pendingOffsets.pop();
      const key = this.pendingKeys.pop()!;
      const offsets = this.offsetsByKey.get(key)!;
      offsets.pop();
      if (offsets.length === 0) this.offsetsByKey.delete(key);
      this.recordCount--;
    }
  }

  /**
   * The segment rolled at `nextBase`: takes out every record below it (the sealed segment's keys,
   * relative to `sealedBase`), keeping the ones above (appends queued for the new segment).
   */
  takeBelow(nextBase: number, sealedBase: number): SegmentKeys {
    const sealed: SegmentKeys = { keys: [], relativeOffsets: [] };
    for (const [key, offsets] of this.offsetsByKey) {
      let below = 0;
      while (below < offsets.length && offsets[below]! < nextBase) below++;
      if (below === 0) continue;
      sealed.keys.push(Buffer.from(key, 'latin1'));
      sealed.relativeOffsets.push(offsets.slice(0, below).map((offset) => offset - sealedBase));
      if (below === offsets.length) this.offsetsByKey.delete(key);
      else this.offsetsByKey.set(key, offsets.slice(below));
      this.recordCount -= below;
    }
    return sealed;
  }

  keys(): IterableIterator<string> {
    return this.offsetsByKey.keys();
  }
}
