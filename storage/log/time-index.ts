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

export class TimeIndex {
  private readonly entries: TimeIndexEntry[] = [];

  /**
   * Loads entries; null when inconsistent (odd size, timestamps or offsets going backwards, or a
   * timestamp no index ever holds: a flipped high bit reads as a huge int64 that this class could
   * never write back, so the segment's close would fail instead of rebuilding the index).
   */
  static fromBytes(bytes: Buffer): TimeIndex | null {
    if (bytes.length % TIME_INDEX_ENTRY_BYTES !== 0) return null;
    const index = new TimeIndex();
    for (let at = 0; at < bytes.length; at += TIME_INDEX_ENTRY_BYTES) {
      const entry = decodeTimeIndexEntry(bytes, at);
      if (indexableTimestamp(entry.timestamp) !== entry.timestamp) return null;
      const last = index.last();
      if (last && (entry.timestamp < last.timestamp || entry.relativeOffset < last.relativeOffset)) return null;
      index.entries.push(entry);
    }
    return index;
  }

  get size(): number {
    return this.entries.length;
  }

  last(): TimeIndexEntry | null {
    return this.entries[this.entries.length - 1] ?? null;
  }

  /** Appends when the timestamp grew; equal or older timestamps add nothing. */
  maybeAppend(batchTimestamp: number, relativeOffset: number): void {
    const timestamp = indexableTimestamp(batchTimestamp);
    const last = this.last();
    if (last && timestamp <= last.timestamp) return;
    if (last && relativeOffset === last.relativeOffset) {
      last.timestamp = timestamp;
      return;
    }
    this.entries.push({ timestamp, relativeOffset });
  }

  /**
   * Ends a sealed segment's index with an entry for its last offset and its largest timestamp, even
   * when that timestamp did not grow: so the last 12 bytes of a sealed segment's file always name
   * both, and a file whose last entry names another offset is known to be cut short or damaged.
   */
  seal(batchTimestamp: number, relativeOffset: number): void {
    const timestamp = indexableTimestamp(batchTimestamp);
    const last = this.last();
    if (last && last.relativeOffset === relativeOffset) {
      last.timestamp = Math.max(last.timestamp, timestamp);
      return;
    }
    this.entries.push({ timestamp: Math.max(timestamp, last?.timestamp ?? timestamp), relativeOffset });
  }

  /** Relative offset to start a forward scan for timestamp T (0 when no entry is older than T). */
  lookup(timestamp: number): number {
    let low = 0;
    let high = this.entries.length - 1;
    let found = 0;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const entry = this.entries[middle]!;
      if (entry.timestamp < timestamp) {
        found = entry.relativeOffset;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  truncateToRelativeOffset(relativeOffset: number): void {
    while (this.entries.length > 0 && this.last()!.relativeOffset >= relativeOffset) this.entries.pop();
  }

  toBytes(): Buffer {
    const bytes = Buffer.allocUnsafe(this.entries.length * TIME_INDEX_ENTRY_BYTES);
    this.entries.forEach((entry, i) => {
      writeInt64(bytes, i * TIME_INDEX_ENTRY_BYTES, entry.timestamp);
      bytes.writeUInt32BE(entry.relativeOffset, i * TIME_INDEX_ENTRY_BYTES + 8);
    });
    return bytes;
  }
}
