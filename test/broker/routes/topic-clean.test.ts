/**
 * POST /v1/topics/:topic/clean: retention and compaction of one topic now, answering what they
 * did; and the background cleaner's interval (`cleanerIntervalMs`) reaching the storage engine.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, logState, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
});
afterAll(async () => broker.close());

/** One request (so one batch) per record: 300-byte values roll a 1 KiB segment every few records. */
async function produceOneByOne(topic: string, count: number, keyOf: (index: number) => string | undefined): Promise<void> {
  for (let index = 0; index < count; index++) {
    const answer = await call(`${broker.url}/v1/topics/${topic}/records`, { method: 'POST', json: { records: [{ key: keyOf(index), value: `${index}:${'x'.repeat(300)}` }] } });
    expect(answer.status).toBe(200);
  }
}

async function createTopic(name: string, config: Record<string, unknown>): Promise<void> {
  expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name, config: { segmentBytes: 1024, ...config } } })).status).toBe(201);
}

describe('POST /v1/topics/:topic/clean', () => {
  it('runs retention now and says which segments went and where the log starts', async () => {
    await createTopic('expiring', { retentionMs: 0 });
    await produceOneByOne('expiring', 12, () => undefined);
    const before = (await call(`${broker.url}/v1/topics/expiring`)).body.partitionDetails[0];
    expect(before.segments).toBeGreaterThan(2);
    const answer = await call(`${broker.url}/v1/topics/expiring/clean`, { method: 'POST' });
    expect(answer.status).toBe(200);
    const [partition] = answer.body.partitions;
    expect(answer.body.topic).toBe('expiring');
    expect(partition).toMatchObject({ partition: 0, segmentsDeleted: before.segments - 1, logStartOffsetBefore: 0, compaction: null, sealedSegments: 0 });
    const after = (await call(`${broker.url}/v1/topics/expiring`)).body.partitionDetails[0];
    expect(partition.logStartOffset).toBe(after.logStartOffset);
    expect(after.logStartOffset).toBeGreaterThan(0);
    expect(after.highWatermark).toBe(12);
  });

  it('compacts now, past minCleanableDirtyRatio, keeping the last record of each key', async () => {
    await createTopic('latest', { cleanupPolicy: 'compact', minCleanableDirtyRatio: 1, retentionMs: -1 });
    await produceOneByOne('latest', 15, (index) => `k${index % 3}`);
    const answer = await call(`${broker.url}/v1/topics/latest/clean`, { method: 'POST' });
    expect(answer.status).toBe(200);
    const [partition] = answer.body.partitions;
    expect(partition.segmentsDeleted).toBe(0);
    expect(partition.compaction.segments).toBeGreaterThan(0);
    expect(partition.compaction.recordsDropped).toBeGreaterThan(0);
    expect(partition.compaction.bytesAfter).toBeLessThan(partition.compaction.bytesBefore);
    const records: Array<{ key: string; offset: number }> = [];
    for (let offset = 0; offset < 15; ) {
      const fetched = await call(`${broker.url}/v1/topics/latest/partitions/0/records?offset=${offset}`);
      records.push(...fetched.body.records);
      offset = fetched.body.nextOffset;
    }
    expect(records.length).toBe(15 - partition.compaction.recordsDropped);
    // The last record of each key survives; the newest ones (in the active segment) all do.
    const lastOffsetOfKey = (key: string) => Math.max(...records.filter((record) => record.key === key).map((record) => record.offset));
    expect([lastOffsetOfKey('k0'), lastOffsetOfKey('k1'), lastOffsetOfKey('k2')]).toEqual([12, 13, 14]);
    // A second pass right after a few more records: far below the dirty ratio, compacted all the same.
    await produceOneByOne('latest', 6, (index) => `k${index % 3}`);
    const again = await call(`${broker.url}/v1/topics/latest/clean`, { method: 'POST' });
    expect(again.body.partitions[0].compaction?.recordsDropped).toBeGreaterThan(0);
  });

  it('answers 404 for a topic that does not exist, and cleans nothing', async () => {
    await createTopic('kept', { retentionMs: 0 });
    await produceOneByOne('kept', 6, () => undefined);
    const before = await logState(broker.url, 'kept');
    const answer = await call(`${broker.url}/v1/topics/kep/clean`, { method: 'POST' });
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('SPOOL_ERR_TOPIC_NOT_FOUND');
    expect(await logState(broker.url, 'kept')).toEqual(before);
  });
});

describe('cleanerIntervalMs', () => {
  it('runs retention in the background at the configured interval', async () => {
    const fast = await startBroker({ flush: 'never', settings: { cleanerIntervalMs: 50 } });
    try {
      await call(`${fast.url}/v1/topics`, { method: 'POST', json: { name: 'ttl', config: { segmentBytes: 1024, retentionMs: 0 } } });
      for (let index = 0; index < 8; index++) {
        await call(`${fast.url}/v1/topics/ttl/records`, { method: 'POST', json: { records: [{ value: 'y'.repeat(300) }] } });
      }
      await vi.waitFor(async () => {
        expect((await call(`${fast.url}/v1/topics/ttl`)).body.partitionDetails[0].logStartOffset).toBeGreaterThan(0);
      }, { timeout: 10_000, interval: 50 });
    } finally {
      await fast.close();
    }
  });
});
