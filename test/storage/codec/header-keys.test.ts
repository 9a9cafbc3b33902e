import { describe, expect, it } from 'vitest';
import { decodeRecordBatch, encodeRecordBatch, type RecordInput } from '../../../storage/codec/record-batch.js';

describe('header keys in encoded batches (kept as UTF-8 bytes between batches)', () => {
  it('encodes every key exactly, recurring, new, non-ASCII and long ones, past the table\'s bound', () => {
    const keys = ['content-type', 'spool.event.type', 'ключ', '鍵😀', 'k'.repeat(65), 'k'.repeat(5_000), ...Array.from({ length: 600 }, (_, i) => `h-${i}`)];
    for (let round = 0; round < 3; round++) {
      const records: RecordInput[] = keys.map((key, i) => ({ key: null, value: Buffer.from(`v${i}`), headers: [{ key, value: Buffer.from(key) }, { key: 'content-type', value: null }] }));
      const decoded = decodeRecordBatch(encodeRecordBatch(records, { timestamp: 1 }));
      expect(decoded.records.map((record) => record.headers.map((header) => header.key))).toEqual(keys.map((key) => [key, 'content-type']));
      expect(decoded.records.map((record) => record.headers[0]!.value!.toString())).toEqual(keys);
    }
  });
});
