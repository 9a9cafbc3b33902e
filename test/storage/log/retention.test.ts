/** Retention by time and by size deletes whole sealed segments, never the active one, under live readers. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { decodeRecordBatches, encodeRecordBatch } from '../../../storage/codec/record-batch.js';
import { useTempLogs } from '../support/temp-logs.js';

const logs = useTempLogs('retention');

const DAY = 24 * 60 * 60 * 1000;

async function fill(config: Record<string, unknown>, count: number, timestampOf: (i: number) => number) {
  const [log] = await logs.manager.openTopic('r', 1, { segmentBytes: 1000, ...config });
  for (let i = 0; i < count; i++) await log!.append(encodeRecordBatch([{ value: Buffer.from(`value-${i}`.padEnd(60, '.')) }], { timestamp: timestampOf(i) }));
  return log!;
}

describe('retention', () => {
  it('deletes sealed segments older than retentionMs and moves the log start offset', async () => {
    const now = Date.now();
    const log = await fill({ retentionMs: DAY }, 60, (i) => (i < 30 ? now - 3 * DAY : now));
    const segmentsBefore = log.stats().segments;
    const deleted = await logs.manager.runCleanerOnce(now);
    expect(deleted).toBeGreaterThan(0);
    expect(log.stats().segments).toBe(segmentsBefore - deleted);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(log.logStartOffset).toBeLessThanOrEqual(30);
    await expect(log.read(0, 100)).rejects.toMatchObject({ code: 'SPOOL_ERR_OFFSET_OUT_OF_RANGE', context: expect.objectContaining({ logStartOffset: log.logStartOffset }) });
    const read = await log.read(log.logStartOffset, 1 << 20);
    expect(decodeRecordBatches(read.data)[0]!.records[0]!.offset).toBe(log.logStartOffset);
    // Unlinked once the last reader lets go of the segment, on a later turn of the event loop.
    await vi.waitFor(() => expect(readdirSync(join(logs.root, 'r', '0')).some((name) => name.endsWith('.deleted'))).toBe(false));
  });

  it('deletes the oldest segments while the partition stays above retentionBytes', async () => {
    const log = await fill({ retentionBytes: 3000, retentionMs: -1 }, 80, () => Date.now());
    await logs.manager.runCleanerOnce();
    const { sizeBytes } = log.stats();
    expect(sizeBytes).toBeGreaterThanOrEqual(3000);
    expect(sizeBytes).toBeLessThan(3000 + 1100);
    expect(log.highWatermark).toBe(80);
  });

  it('never deletes the active segment, and keeps everything with retention -1 or cleanupPolicy compact', async () => {
    const old = Date.now() - 30 * DAY;
    const log = await fill({ retentionMs: 1 }, 5, () => old);
    await logs.manager.runCleanerOnce();
    expect(log.stats().segments).toBeGreaterThanOrEqual(1);
    expect(log.highWatermark).toBe(5);
    const [kept] = await logs.manager.openTopic('forever', 1, { segmentBytes: 1000, retentionMs: -1 });
    for (let i = 0; i < 40; i++) await kept!.append(encodeRecordBatch([{ value: Buffer.alloc(60) }], { timestamp: old }));
    const [compacted] = await logs.manager.openTopic('compacted', 1, { segmentBytes: 1000, retentionMs: 1, cleanupPolicy: 'compact' });
    for (let i = 0; i < 40; i++) await compacted!.append(encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.alloc(60) }], { timestamp: old }));
    await logs.manager.runCleanerOnce();
    expect(kept!.logStartOffset).toBe(0);
    expect(compacted!.logStartOffset).toBe(0);
  });

  it('a reader holding a segment keeps reading correct bytes while retention deletes it', async () => {
    const now = Date.now();
    const log = await fill({ retentionMs: DAY }, 60, (i) => (i < 40 ? now - 3 * DAY : now));
    const readers = Array.from({ length: 20 }, async () => {
      const results: string[] = [];
      for (let offset = 0; offset < 60; offset++) {
        try {
          const read = await log.read(offset, 1);
          const record = decodeRecordBatches(read.data)[0]!.records[0]!;
          expect(record.offset).toBe(offset);
          results.push(record.value!.toString().replace(/\.+$/, ''));
        } catch (error) {
          expect((error as { code?: string }).code).toBe('SPOOL_ERR_OFFSET_OUT_OF_RANGE');
        }
      }
      return results;
    });
    const [deleted, ...reads] = await Promise.all([logs.manager.runCleanerOnce(now), ...readers]);
    expect(deleted).toBeGreaterThan(0);
    for (const values of reads) for (const value of values) expect(value).toMatch(/^value-\d+$/);
  });

  it('a raised log start offset (DeleteRecords) hides records below it at once; the cleaner deletes the segments wholly below it, whatever the policy', async () => {
    const log = await fill({ retentionMs: -1, cleanupPolicy: 'compact' }, 60, () => Date.now());
    const segmentsBefore = log.stats().segments;
    expect(log.raiseLogStartOffset(40)).toBe(40);
    expect(log.raiseLogStartOffset(10)).toBe(40); // never down
    await expect(log.read(39, 100)).rejects.toMatchObject({ code: 'SPOOL_ERR_OFFSET_OUT_OF_RANGE' });
    expect(() => log.raiseLogStartOffset(61)).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_OFFSET_OUT_OF_RANGE' }));
    await logs.manager.runCleanerOnce();
    expect(log.stats().segments).toBeLessThan(segmentsBefore);
    expect(log.logStartOffset).toBe(40);
    const read = await log.read(40, 1 << 20);
    expect(decodeRecordBatches(read.data)[0]!.records.some((record) => record.offset === 40)).toBe(true);
  });
});
