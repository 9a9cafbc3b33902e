/**
 * RecordBatch v2 codec: round trips of any batch, and any truncation or single-byte corruption
 * ends in a typed error, never in a wrong record.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRecordBatch,
  decodeRecordBatches,
  decodeRecordBatchesWithin,
  decodeRecordsAt,
  encodeRecordBatch,
  type RecordInput,
  readBatchHeader,
  setBaseOffset,
  splitBatches,
  validateBatch,
} from '../../../storage/codec/record-batch.js';
import { crc32c } from '../../../storage/codec/crc32c.js';
import { Compression } from '../../../storage/codec/compression.js';
import { StorageError } from '../../../storage/errors.js';

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((array) => Buffer.from(array));
const recordArbitrary: fc.Arbitrary<RecordInput> = fc.record({
  key: fc.option(bytes(40), { nil: null }),
  value: fc.option(bytes(200), { nil: null }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 20 }), value: fc.option(bytes(30), { nil: null }) }), { maxLength: 4 }),
  timestamp: fc.integer({ min: 0, max: 4_000_000_000_000 }),
});
const batchArbitrary = fc.record({
  records: fc.array(recordArbitrary, { minLength: 1, maxLength: 30 }),
  baseOffset: fc.integer({ min: 0, max: 2 ** 50 }),
  producerId: fc.integer({ min: -1, max: 2 ** 50 }),
  producerEpoch: fc.integer({ min: -1, max: 32_000 }),
  baseSequence: fc.integer({ min: -1, max: 2 ** 30 }),
  compression: fc.constantFrom(0, 1, 2, 3, 4),
});

const TYPED_CODES = ['SPOOL_ERR_CORRUPT_BATCH', 'SPOOL_ERR_UNSUPPORTED_MAGIC', 'SPOOL_ERR_UNSUPPORTED_COMPRESSION'];

function expectTypedError(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    expect(TYPED_CODES).toContain((error as StorageError).code);
    return;
  }
  throw new Error('expected a typed error, got a result');
}

describe('RecordBatch v2 codec', () => {
  it('round-trips any batch exactly', () => {
    fc.assert(
      fc.property(batchArbitrary, ({ records, ...options }) => {
        const decoded = decodeRecordBatch(encodeRecordBatch(records, options));
        expect(decoded.header).toMatchObject({ baseOffset: options.baseOffset, producerId: options.producerId, producerEpoch: options.producerEpoch, baseSequence: options.baseSequence, recordsCount: records.length, magic: 2 });
        decoded.records.forEach((record, i) => {
          const input = records[i]!;
          expect(record.offset).toBe(options.baseOffset + i);
          expect(record.timestamp).toBe(input.timestamp);
          expect(record.key).toEqual(input.key);
          expect(record.value).toEqual(input.value);
          expect(record.headers).toEqual(input.headers);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('answers any truncation with a typed error', () => {
    fc.assert(
      fc.property(batchArbitrary, fc.nat(), ({ records, ...options }, cut) => {
        const batch = encodeRecordBatch(records, options);
        const truncated = batch.subarray(0, cut % batch.length);
        expectTypedError(() => decodeRecordBatch(truncated));
        expectTypedError(() => splitBatches(truncated.length > 0 ? truncated : Buffer.alloc(1)));
      }),
      { numRuns: 300 },
    );
  });

  it('answers any single-byte corruption from byte 8 on with a typed error', () => {
    fc.assert(
      fc.property(batchArbitrary, fc.nat(), fc.integer({ min: 1, max: 255 }), ({ records, ...options }, at, flip) => {
        const batch = Buffer.from(encodeRecordBatch(records, options));
        const position = 8 + (at % (batch.length - 8));
        if (position >= 12 && position < 16) return; // partitionLeaderEpoch: outside the CRC, see below
        batch[position]! ^= flip;
        expectTypedError(() => decodeRecordBatch(batch));
      }),
      { numRuns: 500 },
    );
  });

  it('corruption of baseOffset or partitionLeaderEpoch (outside the CRC by Kafka design) never changes record contents', () => {
    // Kafka leaves these fields out of the CRC so a broker can assign offsets without recomputing it.
    // Such damage can move offsets, but keys, values, headers and timestamps stay intact; the log
    // catches offset damage on disk by requiring base offsets to increase (batch-scanner.ts).
    fc.assert(
      fc.property(batchArbitrary, fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 255 }), ({ records, ...options }, at, flip) => {
        if (at >= 8 && at < 12) return;
        const original = decodeRecordBatch(encodeRecordBatch(records, options));
        const batch = Buffer.from(encodeRecordBatch(records, options));
        batch[at]! ^= flip;
        let decoded;
        try {
          decoded = decodeRecordBatch(batch);
        } catch (error) {
          expect(error).toBeInstanceOf(StorageError);
          return;
        }
        const strip = (list: typeof decoded.records) => list.map(({ offset: _offset, ...rest }) => rest);
        expect(strip(decoded.records)).toEqual(strip(original.records));
      }),
      { numRuns: 200 },
    );
  });

  it('splits back-to-back batches and rejects trailing garbage', () => {
    const a = encodeRecordBatch([{ value: Buffer.from('a') }]);
    const b = encodeRecordBatch([{ value: Buffer.from('b') }, { value: Buffer.from('c') }]);
    const spans = splitBatches(Buffer.concat([a, b]));
    expect(spans.map((span) => [span.position, span.size, span.header.recordsCount])).toEqual([
      [0, a.length, 1],
      [a.length, b.length, 2],
    ]);
    expectTypedError(() => splitBatches(Buffer.concat([a, Buffer.from([1, 2, 3])])));
    expect(decodeRecordBatches(Buffer.alloc(0))).toEqual([]);
  });

  it('keeps the CRC valid when setBaseOffset rewrites the offset', () => {
    const batch = encodeRecordBatch([{ value: Buffer.from('x') }]);
    setBaseOffset(batch, 0, 123_456_789_012);
    expect(validateBatch(batch).baseOffset).toBe(123_456_789_012);
    expect(decodeRecordBatch(batch).records[0]!.offset).toBe(123_456_789_012);
  });

  it('refuses unassigned compression ids and magic with their own codes', () => {
    for (const codec of [5, 6, 7]) {
      const batch = encodeRecordBatch([{ value: Buffer.from('x') }]);
      // Change the attributes and recompute the CRC, so that only the codec is wrong.
      batch.writeInt16BE(codec, 21);
      batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
      expect(() => decodeRecordBatch(batch)).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_UNSUPPORTED_COMPRESSION' }));
    }
    const magic1 = encodeRecordBatch([{ value: Buffer.from('x') }]);
    magic1[16] = 1;
    expect(() => decodeRecordBatch(magic1)).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_UNSUPPORTED_MAGIC' }));
    expect(readBatchHeader(magic1).magic).toBe(1);
  });

  it('decodes a read within a decompressed budget: always the first batch, then what fits', () => {
    const MiB = 1024 * 1024;
    const batches = Array.from({ length: 5 }, (_, i) =>
      encodeRecordBatch([{ value: Buffer.alloc(MiB, i) }], { baseOffset: i * 10, compression: Compression.gzip }),
    );
    const read = Buffer.concat(batches);
    const within = decodeRecordBatchesWithin(read, 2.5 * MiB);
    expect(within.batches.map((batch) => batch.records[0]!.offset)).toEqual([0, 10]);
    expect(within).toMatchObject({ cut: true, nextOffset: 11 });
    const first = decodeRecordBatchesWithin(read, 1);
    expect(first.batches).toHaveLength(1);
    expect(first).toMatchObject({ cut: true, nextOffset: 1 });
    expect(decodeRecordBatchesWithin(read, 10 * MiB)).toMatchObject({ cut: false, nextOffset: 41 });
    expect(decodeRecordBatchesWithin(Buffer.alloc(0), 1)).toEqual({ batches: [], nextOffset: 0, cut: false });
  });

  it('decodes a read from an offset inside it: earlier records left out, batches wholly before it passed over', () => {
    const values = (base: number, count: number) => Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`v${base + i}`) }));
    const read = Buffer.concat([
      encodeRecordBatch(values(0, 10), { baseOffset: 0 }),
      encodeRecordBatch(values(10, 10), { baseOffset: 10, compression: Compression.gzip }),
      encodeRecordBatch(values(20, 10), { baseOffset: 20 }),
    ]);
    const fromInside = decodeRecordBatchesWithin(read, 1024 * 1024, 13);
    const offsets = fromInside.batches.flatMap((batch) => batch.records.map((record) => record.offset));
    expect(offsets).toEqual(Array.from({ length: 17 }, (_, i) => 13 + i));
    expect(fromInside.batches[0]!.records[0]!.value!.toString()).toBe('v13');
    expect(fromInside).toMatchObject({ cut: false, nextOffset: 30 });
    // Every record as without an offset, when it is the first batch's (or before it).
    expect(decodeRecordBatchesWithin(read, 1024 * 1024, 0)).toEqual(decodeRecordBatchesWithin(read, 1024 * 1024));
    // Past every batch: nothing decoded, nothing cut, the next read starts after them.
    expect(decodeRecordBatchesWithin(read, 1024 * 1024, 30)).toEqual({ batches: [], nextOffset: 30, cut: false });
    // The budget counts from the first batch decoded, not from the ones passed over.
    expect(decodeRecordBatchesWithin(read, 1, 15)).toMatchObject({ cut: true, nextOffset: 20 });
    // A compacted batch has gaps: its records are found by their offsets, not their positions.
    const compacted = encodeRecordBatch(values(40, 4), { baseOffset: 40, offsetDeltas: [0, 2, 5, 9] });
    const afterGaps = decodeRecordBatchesWithin(compacted, 1024 * 1024, 43).batches[0]!.records;
    expect(afterGaps.map((record) => [record.offset, record.value!.toString()])).toEqual([[45, 'v42'], [49, 'v43']]);
  });
});

describe('decodeRecordsAt', () => {
  const values = (records: Array<{ offset: number; value: Buffer | null }>) => records.map((record) => [record.offset, record.value!.toString()]);

  it('materializes exactly the wanted records of any batch, dense, with gaps or compressed, stopping at a gap or past the batch', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        fc.constantFrom(Compression.none, Compression.gzip),
        fc.array(fc.nat(), { maxLength: 10 }),
        (count, gaps, compression, picks) => {
          const offsetDeltas = gaps ? Array.from({ length: count }, (_, i) => i * 2) : undefined;
          const batch = encodeRecordBatch(Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`v${i}`) })), { baseOffset: 100, offsetDeltas, compression });
          const header = readBatchHeader(batch);
          const held = Array.from({ length: count }, (_, i) => 100 + (offsetDeltas?.[i] ?? i));
          const wanted = [...new Set(picks.map((pick) => held[pick % count]!))].sort((a, b) => a - b);
          expect(values(decodeRecordsAt(batch, header, wanted, 0, wanted.length))).toEqual(wanted.map((offset) => [offset, `v${held.indexOf(offset)}`]));
          // A wanted offset past the batch, or in a gap, ends the records answered there.
          const beyond = [...wanted, 100 + 2 * count + 5];
          expect(decodeRecordsAt(batch, header, beyond, 0, beyond.length)).toHaveLength(wanted.length);
          if (gaps && count > 1) expect(decodeRecordsAt(batch, header, [101, 102], 0, 2)).toHaveLength(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
