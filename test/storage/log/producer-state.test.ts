import { describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/codec/record-batch.js';
import { LogManager } from '../../../storage/log/log-manager.js';
import { useTempLogs } from '../support/temp-logs.js';

const logs = useTempLogs('producers');

function batch(producerId: number, baseSequence: number, count: number, producerEpoch = 0): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`p${producerId}-s${baseSequence + i}`) }));
  return encodeRecordBatch(records, { producerId, producerEpoch, baseSequence });
}

describe('idempotent producers', () => {
  it('answers a retried batch with its original offsets and writes nothing again', async () => {
    const [log] = await logs.manager.openTopic('t', 1);
    const first = await log!.append(batch(7, 0, 3));
    const second = await log!.append(batch(7, 3, 2));
    const retry = await log!.append(batch(7, 3, 2));
    expect(retry).toMatchObject({ baseOffset: second.baseOffset, lastOffset: second.lastOffset, duplicate: true });
    expect(log!.highWatermark).toBe(5);
    expect(first.baseOffset).toBe(0);
  });

  it('a retry racing its original gets the original offsets once it is acknowledged', async () => {
    const [log] = await logs.manager.openTopic('t', 1);
    const [original, retry] = await Promise.all([log!.append(batch(9, 0, 4)), log!.append(batch(9, 0, 4))]);
    expect(retry.baseOffset).toBe(original.baseOffset);
    expect(log!.highWatermark).toBe(4);
  });

  it('rejects a sequence gap and an older epoch, touching nothing', async () => {
    const [log] = await logs.manager.openTopic('t', 1);
    await log!.append(batch(1, 0, 2, 3));
    await expect(log!.append(batch(1, 5, 1, 3))).rejects.toMatchObject({ code: 'SPOOL_ERR_OUT_OF_ORDER_SEQUENCE' });
    await expect(log!.append(batch(1, 2, 1, 2))).rejects.toMatchObject({ code: 'SPOOL_ERR_PRODUCER_FENCED' });
    expect(log!.highWatermark).toBe(2);
    await log!.append(batch(1, 0, 1, 4)); // a newer epoch starts a new sequence
    expect(log!.highWatermark).toBe(3);
  });

  it('with sequenceFromZero, refuses a producer or epoch new to the partition unless it starts at 0, touching nothing', async () => {
    const [log] = await logs.manager.openTopic('t', 1);
    const fromZero = { sequenceFromZero: true };
    for (const sequence of [1, 5, 2 ** 31 - 1]) {
      await expect(log!.append(batch(3, sequence, 1), fromZero)).rejects.toMatchObject({ code: 'SPOOL_ERR_OUT_OF_ORDER_SEQUENCE', context: { expectedSequence: 0, unknownProducer: true } });
    }
    expect(log!.highWatermark).toBe(0);
    await log!.append(batch(3, 0, 2), fromZero);
    await log!.append(batch(3, 2, 1), fromZero);
    await expect(log!.append(batch(3, 4, 1, 1), fromZero)).rejects.toMatchObject({ code: 'SPOOL_ERR_OUT_OF_ORDER_SEQUENCE', context: { unknownProducer: true } }); // a newer epoch too
    await log!.append(batch(3, 0, 1, 1), fromZero);
    expect(log!.highWatermark).toBe(4);
    await log!.append(batch(4, 7, 1)); // without it (Kafka's Produce), any sequence starts a producer
    expect(log!.highWatermark).toBe(5);
  });

  it('keeps recognising retries after a clean restart and after a crash past a segment roll', async () => {
    let [log] = await logs.manager.openTopic('t', 1, { segmentBytes: 300 });
    for (let sequence = 0; sequence < 20; sequence += 2) await log!.append(batch(42, sequence, 2));
    expect(log!.stats().segments).toBeGreaterThan(1);
    await logs.reopen();
    [log] = await logs.manager.openTopic('t', 1, { segmentBytes: 300 });
    await expect(log!.append(batch(42, 18, 2))).resolves.toMatchObject({ baseOffset: 18, duplicate: true });
    await log!.append(batch(42, 20, 2));
    // Crash: no close(), so no clean-shutdown marker and no final snapshot.
    // Crash: open a second manager on the directory without closing the first.
    const crashed = logs.manager;
    logs.manager = await LogManager.open({ root: logs.root });
    [log] = await logs.manager.openTopic('t', 1, { segmentBytes: 300 });
    await expect(log!.append(batch(42, 20, 2))).resolves.toMatchObject({ baseOffset: 20, duplicate: true });
    expect(log!.highWatermark).toBe(22);
    void crashed;
  });
});
