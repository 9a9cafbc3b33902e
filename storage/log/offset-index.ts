/**
 * The sparse offset index of a segment (`.index`), after Kafka's:
 *
 *   entry (8 bytes):  relativeOffset uint32 | position uint32
 *
 * relativeOffset is a batch's baseOffset minus the segment's base offset; position is the batch's
 * byte position in the `.log`. An entry is added each time more than indexIntervalBytes were
 * appended since the last one. Lookup: the greatest entry <= target, then scan batches forward.
 * The index is derived data: when it is missing, short or inconsistent it is rebuilt from the log.
 */
export const OFFSET_INDEX_ENTRY_BYTES = 8;

export interface OffsetIndexEntry {
  relativeOffset: number;
  position: number;
}

export class OffsetIndex {
  private buffer: Buffer;
  private count = 0;

  constructor(initialEntries = 64) {
    this.buffer = Buffer.allocUnsafe(initialEntries * OFFSET_INDEX_ENTRY_BYTES);
  }

  /** Loads entries from file bytes; returns null when the bytes are not a consistent index for a
   *  log of `logBytes` bytes (odd size, entries not increasing, a position past the end). */
  static fromBytes(bytes: Buffer, logBytes: number): OffsetIndex | null {
    if (bytes.length % OFFSET_INDEX_ENTRY_BYTES !== 0) return null;
    const index = new OffsetIndex(Math.max(1, bytes.length / OFFSET_INDEX_ENTRY_BYTES));
    let previous: OffsetIndexEntry | null = null;
    for (let at = 0; at < bytes.length; at += OFFSET_INDEX_ENTRY_BYTES) {
      const entry = { relativeOffset: bytes.readUInt32BE(at), position: bytes.readUInt32BE(at + 4) };
      if (entry.position >= logBytes) return null;
      if (previous && (entry.relativeOffset <= previous.relativeOffset || entry.position <= previous.position)) return null;
      index.append(entry.relativeOffset, entry.position);
      previous = entry;
    }
    return index;
  }

  get entries(): number {
    return this.count;
  }

  append(relativeOffset: number, position: number): void {
    if (this.count * OFFSET_INDEX_ENTRY_BYTES === this.buffer.length) {
      const grown = Buffer.allocUnsafe(this.buffer.length * 2);
      this.buffer.copy(grown);
      this.buffer = grown;
    }
    const at = this.count * OFFSET_INDEX_ENTRY_BYTES;
    this.buffer.writeUInt32BE(relativeOffset, at);
    this.buffer.writeUInt32BE(position, at + 4);
    this.count++;
  }

  entry(i: number): OffsetIndexEntry {
    const at = i * OFFSET_INDEX_ENTRY_BYTES;
    return { relativeOffset: this.buffer.readUInt32BE(at), position: this.buffer.readUInt32BE(at + 4) };
  }

  last(): OffsetIndexEntry | null {
    return this.count === 0 ? null : this.entry(this.count - 1);
  }

  /** Byte position to start scanning from for `relativeOffset`: the greatest entry <= it, else 0. */
  lookup(relativeOffset: number): number {
    return this.lookupEntry(relativeOffset)?.position ?? 0;
  }

  /** The greatest entry <= `relativeOffset`, or null when there is none (start at byte 0). */
  lookupEntry(relativeOffset: number): OffsetIndexEntry | null {
    let low = 0;
    let high = this.count - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.buffer.readUInt32BE(middle * OFFSET_INDEX_ENTRY_BYTES) <= relativeOffset) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found < 0 ? null : this.entry(found);
  }

  /** Drops entries at or past `position` (after a truncation). */
  truncateToPosition(position: number): void {
    while (this.count > 0 && this.entry(this.count - 1).position >= position) this.count--;
  }

  toBytes(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.count * OFFSET_INDEX_ENTRY_BYTES));
  }
}
