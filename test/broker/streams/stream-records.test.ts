import { describe, expect, it } from 'vitest';
import { readRecordsAt } from '../../../broker/streams/stream-records.js';
import { Compression } from '../../../storage/codec/compression.js';
import { encodeRecordBatch, type RecordInput } from '../../../storage/codec/record-batch.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { useTempLogs } from '../../storage/support/temp-logs.js';

const logs = useTempLogs('stream-records');
const STREAMS = { streamIndex: true, retentionMs: -1 } as const;

const record = (stream: string, value: string): RecordInput => ({ key: Buffer.from(stream), value: Buffer.from(value) });

/** Counts what the reads of `log` answer (a wrapper around the real log's read). */
function countReads(log: PartitionLog): { calls: number; bytes: number } {
  const counted = { calls: 0, bytes: 0 };
  const read = log.read.bind(log);
  log.read = async (offset, maxBytes) => {
    const result = await read(offset, maxBytes);
    counted.calls++;
    counted.bytes += result.data.length;
    return result;
  };
  return counted;
}

async function offsetsOf(log: PartitionLog, stream: string): Promise<number[]> {
  return (await log.streamOffsets(Buffer.from(stream))).offsets;
}

describe('readRecordsAt', () => {
  it('reads the events of a stream interleaved with others, one small read per event, in order', async () => {
    const [log] = await logs.manager.openTopic('orders', 1, { ...STREAMS, segmentBytes: 64 * 1024 });
    for (let i = 0; i < 3000; i++) await log!.append(encodeRecordBatch([record(`order-${i % 60}`, `v${i}-${'x'.repeat(60)}`)]));
    expect(log!.stats().segments).toBeGreaterThan(2);
    const offsets = await offsetsOf(log!, 'order-7');
    expect(offsets).toHaveLength(50);
    const counted = countReads(log!);
    const records = await readRecordsAt(log!, offsets);
    expect(records.map((found) => found.offset)).toEqual(offsets);
    expect(records.map((found) => found.value!.toString())).toEqual(offsets.map((_, n) => `v${7 + 60 * n}-${'x'.repeat(60)}`));
    // One batch (~140 bytes) per event: the 64 KiB step read 64 KiB for every ~450 offsets.
    expect(counted.bytes).toBeLessThan(50 * 1024);
    const backward = await readRecordsAt(log!, offsets.slice(-10));
    expect(backward.map((found) => found.offset)).toEqual(offsets.slice(-10));
  });

  it('reads a stream written alone in one read, and picks records out of the middle of a batch', async () => {
    const [log] = await logs.manager.openTopic('orders', 1, STREAMS);
    await log!.append(encodeRecordBatch(Array.from({ length: 100 }, (_, i) => record('alone', `a${i}`))));
    for (let i = 0; i < 100; i++) await log!.append(encodeRecordBatch([record('alone', `b${i}`)]));
    const mixed = await log!.append(encodeRecordBatch([record('alone', 'm0'), record('other', 'o0'), record('alone', 'm1'), record('other', 'o1')], { compression: Compression.gzip }));
    const offsets = await offsetsOf(log!, 'alone');
    expect(offsets).toHaveLength(202);
    const counted = countReads(log!);
    const values = (await readRecordsAt(log!, offsets)).map((found) => found.value!.toString());
    expect(values).toEqual([...Array.from({ length: 100 }, (_, i) => `a${i}`), ...Array.from({ length: 100 }, (_, i) => `b${i}`), 'm0', 'm1']);
    expect(counted.calls).toBeLessThanOrEqual(3);
    const lastTen = await readRecordsAt(log!, offsets.slice(90, 100));
    expect(lastTen.map((found) => found.value!.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `a${90 + i}`));
    expect((await readRecordsAt(log!, [mixed.baseOffset + 2])).map((found) => found.value!.toString())).toEqual(['m1']);
  });
});
