import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32c } from '../../../storage/codec/crc32c.js';
import { decodeKeyFileHeader, decodeKeyFileTable, encodeKeyFile, KEY_ENTRY_BYTES, KEY_FILE_HEADER_BYTES, type SegmentKeys } from '../../../storage/streams/key-file.js';
import { FileSealedKeys } from '../../../storage/streams/sealed-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'spool-key-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const extent = { logBytes: 123_456, recordExtent: 5_000 };

/** Distinct keys, each with ascending distinct relative offsets, no offset shared between keys. */
const segmentKeys = fc
  .uniqueArray(fc.uint8Array({ minLength: 0, maxLength: 24 }), { minLength: 0, maxLength: 40, selector: (key) => Buffer.from(key).toString('hex') })
  .chain((keys) =>
    fc.uniqueArray(fc.integer({ min: 0, max: 4_999 }), { minLength: keys.length, maxLength: keys.length * 4 }).map((offsets): SegmentKeys => {
      const table: SegmentKeys = { keys: keys.map((key) => Buffer.from(key)), relativeOffsets: keys.map(() => []) };
      offsets.forEach((offset, i) => table.relativeOffsets[i % keys.length]!.push(offset));
      table.relativeOffsets.forEach((list) => list.sort((a, b) => a - b));
      return table;
    }),
  );

function asMap(table: SegmentKeys): Map<string, number[]> {
  return new Map(table.keys.map((key, i) => [key.toString('hex'), table.relativeOffsets[i]!]));
}

describe('key file codec', () => {
  it('round-trips every key and its offsets, and finds each by lookup', () => {
    fc.assert(
      fc.property(segmentKeys, (table) => {
        const file = encodeKeyFile(table, extent);
        const header = decodeKeyFileHeader(file, extent)!;
        expect(header).not.toBeNull();
        expect(asMap(decodeKeyFileTable(file, header))).toEqual(asMap(table));
        const path = join(dir, 'round-trip.keys');
        writeFileSync(path, file);
        const sealed = new FileSealedKeys(path, file, header, 1000);
        try {
          table.keys.forEach((key, i) => expect(sealed.offsetsOf(key)).toEqual(table.relativeOffsets[i]!.map((offset) => 1000 + offset)));
          expect(sealed.offsetsOf(Buffer.from('never-a-key-here-at-all-xx'))).toEqual([]);
        } finally {
          sealed.close();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses truncated, corrupted or stale files', () => {
    fc.assert(
      fc.property(segmentKeys.filter((table) => table.keys.length > 0), fc.nat(), (table, seed) => {
        const file = encodeKeyFile(table, extent);
        expect(decodeKeyFileHeader(file.subarray(0, seed % file.length), extent)).toBeNull();
        const flipped = Buffer.from(file);
        flipped[seed % file.length]! ^= 0x01;
        expect(decodeKeyFileHeader(flipped, extent)).toBeNull();
        expect(decodeKeyFileHeader(file, { ...extent, logBytes: extent.logBytes + 1 })).toBeNull();
        expect(decodeKeyFileHeader(file, { ...extent, recordExtent: extent.recordExtent - 1 })).toBeNull();
      }),
    );
  });

  it('tells apart two keys that share a hash by their bytes', () => {
    // Forge a collision: every entry gets the first entry's hash (the order by key position holds).
    const table: SegmentKeys = { keys: [Buffer.from('alpha'), Buffer.from('beta'), Buffer.from('gamma')], relativeOffsets: [[1, 4], [2], [3, 5]] };
    const file = encodeKeyFile(table, extent);
    const entries = file.readUInt32BE(20);
    const high = file.readUInt32BE(KEY_FILE_HEADER_BYTES);
    const low = file.readUInt32BE(KEY_FILE_HEADER_BYTES + 4);
    for (let i = 0; i < entries; i++) {
      file.writeUInt32BE(high, KEY_FILE_HEADER_BYTES + i * KEY_ENTRY_BYTES);
      file.writeUInt32BE(low, KEY_FILE_HEADER_BYTES + i * KEY_ENTRY_BYTES + 4);
    }
    file.writeUInt32BE(crc32c(file.subarray(KEY_FILE_HEADER_BYTES)), 28);
    const header = decodeKeyFileHeader(file, extent)!;
    const path = join(dir, 'collision.keys');
    writeFileSync(path, file);
    const sealed = new FileSealedKeys(path, file, header, 0);
    try {
      // The key whose hash every entry now carries: only its own offsets, not its colliders'.
      const owner = table.keys.find((key) => sealed.offsetsOf(key).length > 0)!;
      const index = table.keys.indexOf(owner);
      expect(sealed.offsetsOf(owner)).toEqual(table.relativeOffsets[index]);
    } finally {
      sealed.close();
    }
  });

  it('under one shared hash, finds each key its own offsets and a prefix or extension of a stored key none', () => {
    // Keys that are prefixes of each other, the last one stored shortest (a read at the file's end).
    const table: SegmentKeys = { keys: ['alpha', 'alphabet', 'beta', 'al'].map((key) => Buffer.from(key)), relativeOffsets: [[1, 4], [2], [3, 6], [5]] };
    const file = encodeKeyFile(table, extent);
    const entries = file.readUInt32BE(20);
    const shared = { high: 7, low: 9 };
    for (let i = 0; i < entries; i++) {
      file.writeUInt32BE(shared.high, KEY_FILE_HEADER_BYTES + i * KEY_ENTRY_BYTES);
      file.writeUInt32BE(shared.low, KEY_FILE_HEADER_BYTES + i * KEY_ENTRY_BYTES + 4);
    }
    file.writeUInt32BE(crc32c(file.subarray(KEY_FILE_HEADER_BYTES)), 28);
    const path = join(dir, 'prefixes.keys');
    writeFileSync(path, file);
    const sealed = new FileSealedKeys(path, file, decodeKeyFileHeader(file, extent)!, 0);
    try {
      table.keys.forEach((key, i) => expect(sealed.offsetsOf(key, shared)).toEqual(table.relativeOffsets[i]));
      for (const stranger of ['a', 'alp', 'alphab', 'alphabets', 'alx', 'al\0', '']) expect(sealed.offsetsOf(Buffer.from(stranger), shared)).toEqual([]);
    } finally {
      sealed.close();
    }
  });
});
