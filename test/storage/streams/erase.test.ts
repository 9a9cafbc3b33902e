/**
 * The erase worker at the storage level: appends of other streams racing the pass (the active
 * segment is sealed under them) are all acknowledged at contiguous offsets and keep their place,
 * the erased key's records are gone from the index and the log, and its id is refused.
 */
import { describe, expect, it } from 'vitest';
import { decodeRecordBatches, encodeRecordBatch } from '../../../storage/codec/index.js';
import type { PartitionLog } from '../../../storage/log/partition-log.js';
import { useTempLogs } from '../support/temp-logs.js';

const logs = useTempLogs('erase');
const STREAMS = { streamIndex: true, segmentBytes: 2048, retentionMs: -1 } as const;
const eventOf = (stream: string, value: string) => encodeRecordBatch([{ key: Buffer.from(stream), value: Buffer.from(value) }]);

async function keysInLog(log: PartitionLog): Promise<string[]> {
  const keys: string[] = [];
  for (let offset = log.logStartOffset; offset < log.highWatermark; ) {
    const read = await log.read(offset, 1 << 20);
    for (const batch of decodeRecordBatches(read.data)) for (const record of batch.records) if (record.offset >= offset) keys.push(String(record.key));
    offset = read.nextOffset;
  }
  return keys;
}

describe('erase worker', () => {
  it('removes the stream while appends of other streams go on, offsets contiguous, id refused', async () => {
    const [log] = await logs.manager.openTopic('people', 1, STREAMS);
    for (let i = 0; i < 60; i++) await log!.append(eventOf(i % 2 === 0 ? 'erased' : 'kept', `v${i}-${'x'.repeat(40)}`));
    const racing = Array.from({ length: 40 }, (_, i) => log!.append(eventOf('kept', `race${i}`)));
    const { done } = await log!.eraseStream(Buffer.from('erased'));
    const more = Array.from({ length: 40 }, (_, i) => log!.append(eventOf('kept', `after${i}`)));
    const outcome = await done;
    const offsets = (await Promise.all([...racing, ...more])).map((result) => result.baseOffset).sort((a, b) => a - b);
    expect(offsets).toEqual(Array.from({ length: 80 }, (_, i) => 60 + i));
    expect(outcome).toMatchObject({ recordsDropped: 30 });
    expect((await log!.streamOffsets(Buffer.from('erased'))).offsets).toEqual([]);
    expect((await log!.streamOffsets(Buffer.from('kept'))).offsets).toHaveLength(110);
    expect(await keysInLog(log!)).toEqual(Array.from({ length: 110 }, () => 'kept'));
    await expect(log!.append(eventOf('erased', 'again'))).rejects.toMatchObject({ code: 'SPOOL_ERR_STREAM_ERASED' });
    expect(log!.streamMetadata.erasePending(Buffer.from('erased'))).toBe(false);
  });
});
