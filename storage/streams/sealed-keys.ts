/**
 * The stream index of one sealed segment, as lookups see it: either its `.keys` file (the normal
 * case) or, from the roll until that file is written, its encoded bytes in memory.
 *
 * File lookups read synchronously (readSync on a descriptor held open). That is a measured choice:
 * a conditional append must be decided in one synchronous stretch of the event loop, or two
 * appends could both see the same version; a lookup is one or two reads of ~1-2 KiB from the page
 * cache (about 2 µs each here), cheaper than a thread-pool hop. Memory per segment is the fences:
 * one hash every FENCE_STRIDE entries (8 bytes per 64 records), never the number of streams.
 */
import { closeSync, openSync, read, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { ioError } from '../errors.js';
import {
  compareHash,
  hashKey,
  KEY_ENTRY_BYTES,
  keyEntryPosition,
  type KeyFileHeader,
  keysSectionPosition,
  type KeyHash,
} from './key-file.js';

/** Entries between two fences: a lookup reads about this many entries (1 KiB). */
export const FENCE_STRIDE = 64;
/** Listing reads the keys section in chunks this size. */
const KEYS_CHUNK_BYTES = 256 * 1024;
const readAsync = promisify(read);

/**
 * Buffers every lookup reads into, the entries and a key (a conditional append looks in every
 * sealed segment, so none is allocated per lookup): lookups run synchronously, one at a time.
 */
const entriesScratch = Buffer.allocUnsafe(FENCE_STRIDE * KEY_ENTRY_BYTES);
let keyScratch = Buffer.allocUnsafe(1024);
function keyScratchOf(bytes: number): Buffer {
  if (keyScratch.length < bytes) keyScratch = Buffer.allocUnsafe(Math.max(bytes, 2 * keyScratch.length));
  return keyScratch;
}

export interface SealedKeys {
  /** Absolute offsets of the key's records in the segment, ascending (`hash`: hashKey(key), computed once for many segments). */
  offsetsOf(key: Buffer, hash?: KeyHash): number[];
  /** Every distinct key in the segment (read off the event loop: a segment has ~100,000s). */
  keys(): AsyncIterable<Buffer>;
  close(): void;
}

/**
 * Lookups in a checked `.keys` layout: a binary search of the fences, then the entries after the
 * fence found. Where the bytes come from is the subclass's: the file, or the encoded buffer.
 */
abstract class KeyFileLookup implements SealedKeys {
  private readonly fenceHigh: Uint32Array;
  private readonly fenceLow: Uint32Array;

  /** `file` was checked by decodeKeyFileHeader; only the fences are kept from it. */
  constructor(
    file: Buffer,
    protected readonly header: KeyFileHeader,
    private readonly baseOffset: number,
  ) {
    const fences = Math.ceil(header.entryCount / FENCE_STRIDE);
    this.fenceHigh = new Uint32Array(fences);
    this.fenceLow = new Uint32Array(fences);
    for (let fence = 0; fence < fences; fence++) {
      const at = keyEntryPosition(fence * FENCE_STRIDE);
      this.fenceHigh[fence] = file.readUInt32BE(at);
      this.fenceLow[fence] = file.readUInt32BE(at + 4);
    }
  }

  abstract keys(): AsyncIterable<Buffer>;
  abstract close(): void;
  /** Exactly `length` bytes of the file at `position` into `into`. */
  protected abstract read(into: Buffer, length: number, position: number): void;

  offsetsOf(key: Buffer, hash: KeyHash = hashKey(key)): number[] {
    const found: number[] = [];
    // One key's entries are adjacent (sorted by hash, then offset): its bytes are compared once.
    let checkedPosition = -1;
    let matches = false;
    let index = this.firstCandidate(hash);
    const chunk = entriesScratch;
    while (index < this.header.entryCount) {
      const count = Math.min(FENCE_STRIDE, this.header.entryCount - index);
      this.read(chunk, count * KEY_ENTRY_BYTES, keyEntryPosition(index));
      // Entries read in place (no object per entry): a lookup passes up to FENCE_STRIDE of them.
      for (let at = 0; at < count * KEY_ENTRY_BYTES; at += KEY_ENTRY_BYTES) {
        const high = chunk.readUInt32BE(at);
        const low = chunk.readUInt32BE(at + 4);
        if (high > hash.high || (high === hash.high && low > hash.low)) return found;
        if (high !== hash.high || low !== hash.low) continue;
        const keyPosition = chunk.readUInt32BE(at + 12);
        if (keyPosition !== checkedPosition) {
          checkedPosition = keyPosition;
          matches = this.keyEquals(keyPosition, key);
        }
        if (matches) found.push(this.baseOffset + chunk.readUInt32BE(at + 8));
      }
      index += count;
    }
    return found;
  }

  /** The first entry that may hold `hash`: the fence before the first fence not below it. */
  private firstCandidate(hash: KeyHash): number {
    let low = 0;
    let high = this.fenceHigh.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareHash({ high: this.fenceHigh[middle]!, low: this.fenceLow[middle]! }, hash) < 0) low = middle + 1;
      else high = middle;
    }
    return Math.max(0, low - 1) * FENCE_STRIDE;
  }

  /** Whether the key stored at `keyPosition` is `key`: its length and bytes in one read. */
  private keyEquals(keyPosition: number, key: Buffer): boolean {
    const keysStart = keysSectionPosition(this.header.entryCount);
    const at = keysStart + keyPosition;
    const length = Math.min(4 + key.length, keysStart + this.header.keysBytes - at);
    if (length < 4) return false;
    const stored = keyScratchOf(length);
    this.read(stored, length, at);
    return stored.readUInt32BE(0) === key.length && length === 4 + key.length && stored.compare(key, 0, key.length, 4, length) === 0;
  }
}

/**
 * A just-sealed segment's encoded `.keys`, until the file is written: lookups see the sealed
 * records from the roll on, at the cost of the encoded bytes (16 per record) for that while.
 */
export class BufferSealedKeys extends KeyFileLookup {
  constructor(private readonly file: Buffer, header: KeyFileHeader, baseOffset: number) {
    super(file, header, baseOffset);
  }

  async *keys(): AsyncIterable<Buffer> {
    const end = this.file.length;
    for (let at = keysSectionPosition(this.header.entryCount); at < end; at += 4 + this.file.readUInt32BE(at)) {
      yield this.file.subarray(at + 4, at + 4 + this.file.readUInt32BE(at));
    }
  }

  close(): void {}

  protected read(into: Buffer, length: number, position: number): void {
    this.file.copy(into, 0, position, position + length);
  }
}

export class FileSealedKeys extends KeyFileLookup {
  private fd: number;

  constructor(
    private readonly path: string,
    file: Buffer,
    header: KeyFileHeader,
    baseOffset: number,
  ) {
    super(file, header, baseOffset);
    try {
      this.fd = openSync(path, 'r');
    } catch (error) {
      throw ioError(error, 'open', path);
    }
  }

  async *keys(): AsyncIterable<Buffer> {
    const start = keysSectionPosition(this.header.entryCount);
    let chunk = Buffer.allocUnsafe(KEYS_CHUNK_BYTES);
    let position = 0;
    while (position < this.header.keysBytes) {
      const length = Math.min(chunk.length, this.header.keysBytes - position);
      const { bytesRead } = await readAsync(this.fd, chunk, 0, length, start + position).catch((error: unknown) => {
        throw ioError(error, 'read', this.path);
      });
      let at = 0;
      while (at + 4 <= bytesRead && at + 4 + chunk.readUInt32BE(at) <= bytesRead) {
        const keyLength = chunk.readUInt32BE(at);
        yield Buffer.from(chunk.subarray(at + 4, at + 4 + keyLength));
        at += 4 + keyLength;
      }
      if (at === 0) chunk = Buffer.allocUnsafe(4 + chunk.readUInt32BE(0)); // one key larger than the chunk
      position += at;
    }
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  protected read(into: Buffer, length: number, position: number): void {
    try {
      const bytesRead = readSync(this.fd, into, 0, length, position);
      if (bytesRead !== length) throw new Error(`short read: ${bytesRead} of ${length} bytes at ${position}`);
    } catch (error) {
      throw ioError(error, 'read', this.path);
    }
  }
}
