import { describe, expect, it } from 'vitest';
import { decodeRecordBatches, encodeRecordBatch, type RecordInput } from '../../../storage/codec/record-batch.js';
import { batchBytesAtMost, packBatches } from '../../../storage/log/stream-appends.js';
import { useTempLogs } from '../support/temp-logs.js';

const eventsOf = (key: Buffer, count: number, bytes = 40): RecordInput[] =>
  Array.from({ length: count }, (_, n) => ({ key, value: Buffer.alloc(bytes, n), headers: [{ key: 'spool.event.type', value: Buffer.from('Happened') }, { key: 'ünïcode-kéy', value: null }] }));

describe('packBatches (the accepted appends of one appendStreams call)', () => {
  it('packs appends whole into batches of at most maxBatchBytes and says where each record went', () => {
    const appends = Array.from({ length: 12 }, (_, i) => {
      const key = Buffer.from(`order-${i}`);
      const records = eventsOf(key, 1 + (i % 4));
      return { key, records, batchBytes: batchBytesAtMost(records) };
    });
    const maxBatchBytes = 1_000;
    const { data, keyed } = packBatches(appends, maxBatchBytes);
    const batches = decodeRecordBatches(data);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) expect(12 + batch.header.batchLength).toBeLessThanOrEqual(maxBatchBytes);
    // keyed[n] names record n of the appends in order, by batch and offset delta, with its key.
    const stored = batches.flatMap((batch, spanIndex) => batch.records.map((record, offsetDelta) => ({ spanIndex, offsetDelta, key: record.key! })));
    expect(keyed.map(({ spanIndex, offsetDelta, key }) => ({ spanIndex, offsetDelta, key }))).toEqual(stored);
    expect(keyed.map(({ key }) => key.toString())).toEqual(appends.flatMap(({ key, records }) => records.map(() => key.toString())));
    // One append's records never straddle two batches.
    let at = 0;
    for (const { records } of appends) {
      expect(new Set(keyed.slice(at, at + records.length).map(({ spanIndex }) => spanIndex)).size).toBe(1);
      at += records.length;
    }
  });

  it('bounds a batch from above, header keys of any script included', () => {
    const key = Buffer.from('order-1');
    const records: RecordInput[] = [{ key, value: Buffer.alloc(10), headers: [{ key: '鍵'.repeat(50), value: Buffer.alloc(3) }, { key: '😀'.repeat(20), value: null }] }];
    expect(encodeRecordBatch(records).length).toBeLessThanOrEqual(batchBytesAtMost(records));
  });

  it('refuses an append whose records are keyed with another stream (the index would file them wrongly)', () => {
    const records = eventsOf(Buffer.from('order-2'), 2);
    expect(() => packBatches([{ key: Buffer.from('order-1'), records, batchBytes: batchBytesAtMost(records) }], 1_000_000)).toThrow(/keyed with its stream/);
  });
});

describe('appendStreams decides versions as streamOffsets counts them', () => {
  const logs = useTempLogs('stream-appends');

  it('across sealed segments, the active one and a version base', async () => {
    const [log] = await logs.manager.openTopic('orders', 1, { streamIndex: true, segmentBytes: 2048, retentionMs: -1 });
    const keys = Array.from({ length: 5 }, (_, i) => Buffer.from(`order-${i}`));
    for (let round = 0; round < 30; round++) {
      await log!.appendStreams(keys.map((key) => ({ key, expectedVersion: 'any' as const, records: eventsOf(key, 1) })));
    }
    expect(log!.stats().segments).toBeGreaterThan(3);
    // A base for order-3 at its 10th record, version 100 (the cleaner's, made up to be told apart): the versions go on from there.
    const before = await log!.streamOffsets(keys[3]!);
    await log!.streamMetadata.setSettings(keys[3]!, { maxCount: 1_000 });
    await log!.streamMetadata.setBase(keys[3]!.toString('latin1'), { version: 100, offset: before.offsets[9]! });
    for (const key of keys) {
      const { offsets, firstVersion } = await log!.streamOffsets(key);
      const last = firstVersion + offsets.length - 1;
      expect(last).toBe(key.equals(keys[3]!) ? 100 + 30 - 9 - 1 : 29);
      const { outcomes } = await log!.appendStreams([
        { key, expectedVersion: last - 1, records: eventsOf(key, 1) },
        { key, expectedVersion: last, records: eventsOf(key, 2) },
        { key, expectedVersion: last + 2, records: eventsOf(key, 1) },
      ]);
      expect(outcomes[0]).toMatchObject({ error: { code: 'SPOOL_ERR_WRONG_EXPECTED_VERSION', context: { actualVersion: last } } });
      expect(outcomes[1]).toMatchObject({ firstVersion: last + 1 });
      expect(outcomes[2]).toMatchObject({ firstVersion: last + 3 });
      const after = await log!.streamOffsets(key);
      expect(after.firstVersion + after.offsets.length - 1).toBe(last + 3);
      expect(after.offsets.slice(-3)).toEqual([...(outcomes[1] as { offsets: number[] }).offsets, ...(outcomes[2] as { offsets: number[] }).offsets]);
    }
  });
});
