/**
 * The `.keys` file of a sealed segment: every keyed record of the segment, sorted by key hash, so
 * that one stream's records in the segment are found with a binary search and a read or two
 * (ARCHITECTURE §2.6). Derived data: written at seal time from the active segment's in-memory
 * table, rebuilt from the `.log` when missing or damaged. All integers big-endian.
 *
 * | off | size | field                                                                         |
 * |-----|------|-------------------------------------------------------------------------------|
 * |   0 |    4 | magic 'SPKY'                                                                  |
 * |   4 |    2 | format version (1)                                                            |
 * |   6 |    2 | reserved, 0 (checked: the CRC covers only what follows the header)           |
 * |   8 |    8 | logBytes: size of the `.log` this file describes (a mismatch means stale)     |
 * |  16 |    4 | recordExtent: nextOffset - baseOffset of the segment                          |
 * |  20 |    4 | entryCount                                                                    |
 * |  24 |    4 | keysBytes: size of the keys section                                           |
 * |  28 |    4 | CRC-32C of every byte after the header                                        |
 * |  32 |  16n | entries: hashHigh u32, hashLow u32, relativeOffset u32, keyPosition u32,      |
 * |     |      | sorted by (hash, keyPosition, relativeOffset): one key's entries are adjacent  |
 * |     |      | and in offset order                                                           |
 * |   … |    … | keys section: each distinct key once, length u32 then its bytes               |
 *
 * Two keys may share a hash: entries carry the position of their key's bytes, and a lookup
 * compares the bytes, so collisions are told apart exactly.
 */
import { crc32c } from '../codec/crc32c.js';

export const KEY_FILE_MAGIC = 0x53504b59;
export const KEY_FILE_VERSION = 1;
export const KEY_FILE_HEADER_BYTES = 32;
export const KEY_ENTRY_BYTES = 16;

export interface KeyHash {
  high: number;
  low: number;
}

/** FNV-1a of `bytes[start, end)`: cheap for short ids, and spreads `order-00000001`-like ids well. */
export function fnv1a(bytes: Buffer, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

/** 64 bits of hash: CRC-32C (hardware) and FNV-1a, two unrelated functions. */
export function hashKey(key: Buffer): KeyHash {
  return { high: keyHashHigh(key), low: keyHashLow(key) };
}

/** hashKey's halves one at a time, for writers that keep them in typed arrays (ActiveKeys). */
export function keyHashHigh(key: Buffer): number {
  return crc32c(key);
}

export function keyHashLow(key: Buffer): number {
  return fnv1a(key, 0, key.length);
}

export function compareHash(a: KeyHash, b: KeyHash): number {
  return a.high !== b.high ? a.high - b.high : a.low - b.low;
}

export interface KeyFileHeader {
  logBytes: number;
  recordExtent: number;
  entryCount: number;
  keysBytes: number;
}

/** One segment's keys: each distinct key with its records' relative offsets, in offset order. */
export interface SegmentKeys {
  keys: Buffer[];
  relativeOffsets: number[][];
}

/**
 * Encodes a segment's keys into the file layout above, from JS arrays (an object per key): the
 * reference layout. The broker writes its files from the compact table (ActiveKeys.takeBelow),
 * byte for byte the same (test/storage/streams/active-keys.test.ts).
 */
export function encodeKeyFile(segment: SegmentKeys, header: Pick<KeyFileHeader, 'logBytes' | 'recordExtent'>): Buffer {
  const order = segment.keys.map((key, index) => ({ key, index, hash: hashKey(key) }));
  order.sort((a, b) => compareHash(a.hash, b.hash) || a.index - b.index);
  const entryCount = segment.relativeOffsets.reduce((sum, offsets) => sum + offsets.length, 0);
  const keysBytes = segment.keys.reduce((sum, key) => sum + 4 + key.length, 0);
  const file = allocKeyFile(entryCount, keysBytes);
  const keysStart = keysSectionPosition(entryCount);
  let entryAt = keyEntryPosition(0);
  let keyPosition = 0;
  for (const { key, index, hash } of order) {
    file.writeUInt32BE(key.length, keysStart + keyPosition);
    key.copy(file, keysStart + keyPosition + 4);
    for (const relativeOffset of segment.relativeOffsets[index]!) {
      file.writeUInt32BE(hash.high, entryAt);
      file.writeUInt32BE(hash.low, entryAt + 4);
      file.writeUInt32BE(relativeOffset, entryAt + 8);
      file.writeUInt32BE(keyPosition, entryAt + 12);
      entryAt += KEY_ENTRY_BYTES;
    }
    keyPosition += 4 + key.length;
  }
  writeKeyFileHeader(file, { ...header, entryCount, keysBytes });
  return file;
}

/** A file of that many entries and keys bytes, header and body still to write. */
export function allocKeyFile(entryCount: number, keysBytes: number): Buffer {
  return Buffer.alloc(KEY_FILE_HEADER_BYTES + entryCount * KEY_ENTRY_BYTES + keysBytes);
}

/** Writes the header of a file whose entries and keys are written: last, as its CRC covers them. */
export function writeKeyFileHeader(file: Buffer, header: KeyFileHeader): void {
  file.writeUInt32BE(KEY_FILE_MAGIC, 0);
  file.writeUInt16BE(KEY_FILE_VERSION, 4);
  file.writeBigUInt64BE(BigInt(header.logBytes), 8);
  file.writeUInt32BE(header.recordExtent, 16);
  file.writeUInt32BE(header.entryCount, 20);
  file.writeUInt32BE(header.keysBytes, 24);
  file.writeUInt32BE(crc32c(file.subarray(KEY_FILE_HEADER_BYTES)), 28);
}

/**
 * Checks a whole key file (magic, version, sizes, CRC) and that it describes the segment as it is
 * now; null when it does not (missing parts, damage, or a stale file of a compacted segment).
 */
export function decodeKeyFileHeader(file: Buffer, expected: Pick<KeyFileHeader, 'logBytes' | 'recordExtent'>): KeyFileHeader | null {
  if (file.length < KEY_FILE_HEADER_BYTES) return null;
  if (file.readUInt32BE(0) !== KEY_FILE_MAGIC || file.readUInt16BE(4) !== KEY_FILE_VERSION || file.readUInt16BE(6) !== 0) return null;
  const header: KeyFileHeader = {
    logBytes: Number(file.readBigUInt64BE(8)),
    recordExtent: file.readUInt32BE(16),
    entryCount: file.readUInt32BE(20),
    keysBytes: file.readUInt32BE(24),
  };
  if (file.length !== KEY_FILE_HEADER_BYTES + header.entryCount * KEY_ENTRY_BYTES + header.keysBytes) return null;
  if (header.logBytes !== expected.logBytes || header.recordExtent !== expected.recordExtent) return null;
  if (crc32c(file.subarray(KEY_FILE_HEADER_BYTES)) !== file.readUInt32BE(28)) return null;
  return header;
}

/**
 * Every entry of a checked file, in file order (one key's entries adjacent, in offset order), its
 * key as a position in `file`: nothing is allocated per entry (the active table's load runs this
 * for every record of the active segment).
 */
export function forEachKeyFileEntry(
  file: Buffer,
  header: KeyFileHeader,
  visit: (keyStart: number, keyEnd: number, relativeOffset: number) => void,
): void {
  const keysStart = keysSectionPosition(header.entryCount);
  for (let at = KEY_FILE_HEADER_BYTES; at < keysStart; at += KEY_ENTRY_BYTES) {
    const keyAt = keysStart + file.readUInt32BE(at + 12);
    visit(keyAt + 4, keyAt + 4 + file.readUInt32BE(keyAt), file.readUInt32BE(at + 8));
  }
}

/** Every key of a checked file with its relative offsets. */
export function decodeKeyFileTable(file: Buffer, header: KeyFileHeader): SegmentKeys {
  const table: SegmentKeys = { keys: [], relativeOffsets: [] };
  let lastKeyStart = -1;
  let offsets: number[] = [];
  forEachKeyFileEntry(file, header, (keyStart, keyEnd, relativeOffset) => {
    if (keyStart !== lastKeyStart) {
      table.keys.push(file.subarray(keyStart, keyEnd));
      offsets = [];
      table.relativeOffsets.push(offsets);
      lastKeyStart = keyStart;
    }
    offsets.push(relativeOffset);
  });
  return table;
}

/** Where entry `index` starts in the file. */
export function keyEntryPosition(index: number): number {
  return KEY_FILE_HEADER_BYTES + index * KEY_ENTRY_BYTES;
}

/** Where the keys section starts in a file of `entryCount` entries. */
export function keysSectionPosition(entryCount: number): number {
  return KEY_FILE_HEADER_BYTES + entryCount * KEY_ENTRY_BYTES;
}
