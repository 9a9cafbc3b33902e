/** DeleteRecords' log start offset and CreatePartitions' count survive a restart (kept in spool.db). */
import { afterEach, describe, expect, it } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker | null = null;

afterEach(async () => {
  await broker?.close();
  broker = null;
});

describe('topic service: log start offsets and partition counts across restarts', () => {
  it('keeps a raised log start offset and an added partition', async () => {
    broker = await startBroker();
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'kept', partitions: 1 } });
    await call(`${broker.url}/v1/topics/kept/records`, { method: 'POST', json: { records: Array.from({ length: 8 }, (_, i) => ({ value: i, partition: 0 })) } });
    expect(broker.broker.topics.deleteRecordsBefore('kept', 0, 5)).toBe(5);
    await broker.broker.topics.addPartitions('kept', 3, 10);
    await expect(broker.broker.topics.addPartitions('kept', 3, 10)).rejects.toMatchObject({ code: 'SPOOL_ERR_BAD_REQUEST' });
    broker = await broker.restart();
    const described = await call(`${broker.url}/v1/topics/kept`);
    expect(described.body.partitions).toBe(3);
    expect(described.body.partitionDetails[0]).toMatchObject({ logStartOffset: 5, highWatermark: 8 });
    const read = await call(`${broker.url}/v1/topics/kept/partitions/0/records?offset=earliest`);
    expect(read.body.records[0].offset).toBe(5);
  });
});
