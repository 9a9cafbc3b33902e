import { describe, expect, it } from 'vitest';
import { decodeRecordBatches, encodeRecordBatch } from '../../../storage/codec/record-batch.js';
import { useTempLogs } from '../support/temp-logs.js';

const logs = useTempLogs('log');

function batchOf(values: string[], timestamp = 1_700_000_000_000): Buffer {
  return encodeRecordBatch(
    values.map((value) => ({ key: Buffer.from(value), value: Buffer.from(value) })),
    { timestamp },
  );
}

function valuesOf(data: Buffer, from = 0): string[] {
  return decodeRecordBatches(data)
    .flatMap((batch) => batch.records)
    .filter((record) => record.offset >= from)
    .map((record) => record.value!.toString());
}

describe('PartitionLog', () => {
  it('assigns contiguous offsets and reads back what it acknowledged', async () => {
    const [log] = await logs.manager.openTopic('orders', 1);
    const first = await log!.append(batchOf(['a', 'b', 'c']));
    const second = await log!.append(batchOf(['d', 'e']));
    expect(first).toMatchObject({ baseOffset: 0, lastOffset: 2 });
    expect(second).toMatchObject({ baseOffset: 3, lastOffset: 4 });
    expect(log!.highWatermark).toBe(5);
    const read = await log!.read(0, 1 << 20);
    expect(valuesOf(read.data)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(read.nextOffset).toBe(5);
    const fromMiddle = await log!.read(4, 1 << 20);
    expect(valuesOf(fromMiddle.data, 4)).toEqual(['e']);
  });

  it('rolls segments at segmentBytes and reads across them, after a restart too', async () => {
    const [log] = await logs.manager.openTopic('rolling', 1, { segmentBytes: 1000 });
    for (let i = 0; i < 50; i++) await log!.append(batchOf([`v${i}-${'x'.repeat(50)}`]));
    expect(log!.stats().segments).toBeGreaterThan(3);
    const all: string[] = [];
    let offset = 0;
    while (offset < log!.highWatermark) {
      const read = await log!.read(offset, 200);
      all.push(...valuesOf(read.data, offset));
      offset = read.nextOffset;
    }
    expect(all).toHaveLength(50);
    await logs.reopen();
    expect(logs.manager.cleanShutdown).toBe(true);
    const [reopened] = await logs.manager.openTopic('rolling', 1, { segmentBytes: 1000 });
    expect(reopened!.highWatermark).toBe(50);
    const read = await reopened!.read(37, 10);
    expect(valuesOf(read.data, 37)[0]).toMatch(/^v37-/);
  });

  it('rejects an expectedOffset that is not the end of the log, touching nothing', async () => {
    const [log] = await logs.manager.openTopic('events', 1);
    await log!.append(batchOf(['a']), { expectedOffset: 0 });
    await expect(log!.append(batchOf(['b']), { expectedOffset: 0 })).rejects.toMatchObject({
      code: 'SPOOL_ERR_OFFSET_MISMATCH',
    });
    expect(log!.highWatermark).toBe(1);
  });

  it('wakes a waiting reader when data arrives', async () => {
    const [log] = await logs.manager.openTopic('waits', 1);
    const waiting = log!.waitForData(0, 10_000);
    await log!.append(batchOf(['x']));
    await expect(waiting).resolves.toBe(true);
    await expect(log!.waitForData(1, 20)).resolves.toBe(false);
  });

  it('finds offsets by timestamp', async () => {
    const [log] = await logs.manager.openTopic('times', 1, { indexIntervalBytes: 1 });
    for (let i = 0; i < 20; i++) await log!.append(batchOf([`t${i}`], 1000 + i * 10));
    expect(await log!.offsetForTimestamp(0)).toBe(0);
    expect(await log!.offsetForTimestamp(1055)).toBe(6);
    expect(await log!.offsetForTimestamp(1060)).toBe(6);
    expect(await log!.offsetForTimestamp(5000)).toBeNull();
  });
});
