/**
 * The produce path's fast record walk (storage/codec/produced-records.ts): it answers for every
 * well-formed batch, and on any batch, damaged or not, checkProducedBatch decides exactly as the
 * full record reader does (same acceptance, same error code and message), since the fast walk only
 * answers when sure and leaves everything else to the full one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BATCH_HEADER_BYTES, checkProducedBatch, encodeRecordBatch, readBatchHeader, type RecordInput } from '../../../storage/codec/record-batch.js';
import { producedRecordsLargestTimestamp } from '../../../storage/codec/produced-records.js';
import { StorageError } from '../../../storage/errors.js';

const bytes = fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array));
const record: fc.Arbitrary<RecordInput> = fc.record({
  key: fc.option(bytes, { nil: null }),
  value: fc.option(bytes, { nil: null }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 20 }), value: fc.option(bytes, { nil: null }) }), { maxLength: 3 }),
  // Deltas of up to 2^40 ms from the base: varlongs of 1 to 6 bytes.
  timestamp: fc.integer({ min: 1_000, max: 2 ** 40 }),
});

/** What checkProducedBatch decides: 'ok' or the error's code and message. */
function outcome(check: () => void): string {
  try {
    check();
    return 'ok';
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    return `${error.code}: ${error.message}`;
  }
}

/** The fast walk's decision (checkProducedBatch as the produce path calls it) and the full reader's (an onKey callback makes it walk with the full reader). */
function bothWalks(batch: Buffer): { fast: string; full: string } {
  const header = readBatchHeader(batch);
  return { fast: outcome(() => checkProducedBatch(batch, 0, header)), full: outcome(() => checkProducedBatch(batch, 0, header, undefined, () => {})) };
}

describe('the fast record walk of produced batches', () => {
  it('answers the largest timestamp of any well-formed batch (keys, nulls, headers, multi-byte lengths)', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), (records) => {
        const batch = encodeRecordBatch(records);
        const header = readBatchHeader(batch);
        const largest = producedRecordsLargestTimestamp(batch.subarray(BATCH_HEADER_BYTES), header, false);
        // 5-byte and longer timestamp deltas (2^27 ms and more) are left to the full reader.
        const longDelta = records.some((r) => Math.abs(r.timestamp! - header.baseTimestamp) >= 2 ** 26);
        if (!longDelta) expect(largest).toBe(Math.max(...records.map((r) => r.timestamp!)));
        expect(bothWalks(batch)).toEqual({ fast: 'ok', full: 'ok' });
      }),
    );
  });

  it('takes a kcat-sized batch (9,000 records of 100 bytes)', () => {
    const batch = encodeRecordBatch(Array.from({ length: 9_000 }, () => ({ value: Buffer.alloc(100, 'x') })), { timestamp: 1_700_000_000_000 });
    expect(producedRecordsLargestTimestamp(batch.subarray(BATCH_HEADER_BYTES), readBatchHeader(batch), false)).toBe(1_700_000_000_000);
  });

  it('decides a damaged batch as the full reader does: any byte of the records changed, or the block cut', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (records, at, byte, cut) => {
        const batch = encodeRecordBatch(records);
        const position = BATCH_HEADER_BYTES + (at % (batch.length - BATCH_HEADER_BYTES));
        const damaged = cut ? batch.subarray(0, position) : batch;
        if (!cut) damaged[position] = byte;
        const { fast, full } = bothWalks(damaged);
        expect(fast).toBe(full);
      }),
      { numRuns: 2_000 },
    );
  });

  it.each([
    ['a record length past the batch', (block: Buffer) => (block[0] = 0x7e)],
    ['a negative record length', (block: Buffer) => (block[0] = 0x03)],
    ['an offset delta out of order', (block: Buffer) => (block[3] = 0x04)],
    ['a key length past the record', (block: Buffer) => (block[4] = 0x40)],
    ['a null header key', (block: Buffer) => block.set([0x01, 0x00], 9)],
  ])('leaves %s to the full reader, which refuses it', (_name, damage) => {
    // One record, value 'ab', one header (key 'h', value 'v'): the last bytes are 02 02 68 02 76.
    const batch = encodeRecordBatch([{ value: Buffer.from('ab'), headers: [{ key: 'h', value: Buffer.from('v') }] }]);
    const block = batch.subarray(BATCH_HEADER_BYTES);
    damage(block);
    expect(producedRecordsLargestTimestamp(block, readBatchHeader(batch), false)).toBeNull();
    const { fast, full } = bothWalks(batch);
    expect(fast).not.toBe('ok');
    expect(fast).toBe(full);
  });
});
