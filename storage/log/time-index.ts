/**
 * The sparse time index of a segment (`.timeindex`), after Kafka's:
 *
 *   entry (12 bytes):  timestamp int64 | relativeOffset uint32
 *
 * An entry says: the largest timestamp seen up to the batch at relativeOffset is `timestamp`.
 * Timestamps are monotonic in the file: an entry is added only when the segment's max timestamp
 * grew. On sealing, a final entry records the segment's max timestamp, which retention reads from
 * the last 12 bytes without scanning. Lookup for time T: the greatest entry with timestamp < T gives
 * an offset from which a forward scan finds the first record with timestamp >= T.
 */
import { readInt64, writeInt64 } from '../codec/int64.js';

export const TIME_INDEX_ENTRY_BYTES = 12;

export interface TimeIndexEntry {
  timestamp: number;
  relativeOffset: number;
}

export function decodeTimeIndexEntry(bytes: Buffer, at = 0): TimeIndexEntry {
  return { timestamp: readInt64(bytes, at), relativeOffset: bytes.readUInt32BE(at + 8) };
}

/**
 * Produce refuses timestamps outside 0..2^53-1, but batches stored before that rule may carry any
 * int64 (one with maxTimestamp 2^63-1 made every later roll fail writing this file): such a
 * timestamp is indexed as the nearest safe integer, which keeps entries monotonic.
 */
function indexableTimestamp(timestamp: number): number {
  return Math.min(Math.max(timestamp, -Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
}

/**
 * Entries in two typed arrays, not an object each: a broker holding 10 M events over two topics had
 * ~900,000 of them, tens of MB of heap objects (and a HeapNumber per timestamp past 2^31).
 */
export class TimeIndex {
  private timestamps = new Float64Array(16);
  private relativeOffsets = new Uint32Array(16);
  private count = 0;

  /**
   * Loads entries; null when inconsistent (odd size, timestamps or offsets going backwards, or a
   * timestamp no index ever holds: a flipped high bit reads as a huge int64 that this class could
   * never write back, so the segment's close would fail instead of rebuilding the index).
   */
  static fromBytes(bytes: Buffer): TimeIndex | null {
    if (bytes.length % TIME_INDEX_ENTRY_BYTES !== 0) return null;
    const index = new TimeIndex();
    index.reserve(bytes.length / TIME_INDEX_ENTRY_BYTES);
    for (let at = 0; at < bytes.length; at += TIME_INDEX_ENTRY_BYTES) {
      const timestamp = readInt64(bytes, at);
      const relativeOffset = bytes.readUInt32BE(at + 8);
      if (indexableTimestamp(timestamp) !== timestamp) return null;
      const last = index.count - 1;
      if (last >= 0 && (timestamp < index.timestamps[last]! || relativeOffset < index.relativeOffsets[last]!)) return null;
      index.push(timestamp, relativeOffset);
    }
    return index;
  }

  get size(): number {
    return this.count;
  }

  last(): TimeIndexEntry | null {
    const last = this.count - 1;
    return last < 0 ? null : { timestamp: this.timestamps[last]!, relativeOffset: this.relativeOffsets[last]! };
  }

  /** Appends when the timestamp grew; equal or older timestamps add nothing. */
  maybeAppend(batchTimestamp: number, relativeOffset: number): void {
    const timestamp = indexableTimestamp(batchTimestamp);
    const last = this.count - 1;
    if (last >= 0 && timestamp <= this.timestamps[last]!) return;
    if (last >= 0 && relativeOffset === this.relativeOffsets[last]) {
      this.timestamps[last] = timestamp;
      return;
    }
    this.push(timestamp, relativeOffset);
  }

  /**
   * Ends a sealed segment's index with an entry for its last offset and its largest timestamp, even
   * when that timestamp did not grow: so the last 12 bytes of a sealed segment's file always name
   * both, and a file whose last entry names another offset is known to be cut short or damaged.
   */
  seal(batchTimestamp: number, relativeOffset: number): void {
    const timestamp = indexableTimestamp(batchTimestamp);
    const last = this.count - 1;
    if (last >= 0 && this.relativeOffsets[last] === relativeOffset) this.timestamps[last] = Math.max(this.timestamps[last]!, timestamp);
    else this.push(last >= 0 ? Math.max(timestamp, this.timestamps[last]!) : timestamp, relativeOffset);
    this.resize(this.count); // a sealed segment's index grows no more: no doubling slack kept
  }

  /** Relative offset to start a forward scan for timestamp T (0 when no entry is older than T). */
  lookup(timestamp: number): number {
    let low = 0;
    let high = this.count - 1;
    let found = 0;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.timestamps[middle]! < timestamp) {
        found = this.relativeOffsets[middle]!;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  truncateToRelativeOffset(relativeOffset: number): void {
    while (this.count > 0 && this.relativeOffsets[this.count - 1]! >= relativeOffset) this.count--;
  }

  toBytes(): Buffer {
    const bytes = Buffer.allocUnsafe(this.count * TIME_INDEX_ENTRY_BYTES);
    for (let i = 0; i < this.count; i++) {
      writeInt64(bytes, i * TIME_INDEX_ENTRY_BYTES, this.timestamps[i]!);
      bytes.writeUInt32BE(this.relativeOffsets[i]!, i * TIME_INDEX_ENTRY_BYTES + 8);
    }
    return bytes;
  }

  private push(timestamp: number, relativeOffset: number): void {
    this.reserve(this.count + 1);
    this.timestamps[this.count] = timestamp;
    this.relativeOffsets[this.count] = relativeOffset;
    this.count++;
  }

  /** Room for `entries` in all; capacities double, so a segment's index grows in O(log n) copies. */
  private reserve(entries: number): void {
    if (entries > this.timestamps.length) this.resize(Math.max(entries, 2 * this.timestamps.length));
  }

  private resize(capacity: number): void {
    if (capacity === this.timestamps.length) return;
    const timestamps = new Float64Array(capacity);
    timestamps.set(this.timestamps.subarray(0, this.count));
    const relativeOffsets = new Uint32Array(capacity);
    relativeOffsets.set(this.relativeOffsets.subarray(0, this.count));
    this.timestamps = timestamps;
    this.relativeOffsets = relativeOffsets;
  }
}
