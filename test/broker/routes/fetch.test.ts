import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker();
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'f', partitions: 2 } });
  await call(`${broker.url}/v1/topics/f/records`, {
    method: 'POST',
    json: { records: Array.from({ length: 10 }, (_, i) => ({ value: { i }, partition: 0, timestamp: 1_000_000 + i * 1000 })) },
  });
});
afterAll(async () => broker.close());

const records = (path: string) => call(`${broker.url}/v1/topics/f/partitions/${path}`);

describe('fetch', () => {
  it('reads from an offset, earliest and latest, with maxBytes', async () => {
    const fromFive = await records('0/records?offset=5');
    expect(fromFive.body.records.map((r: { value: { i: number } }) => r.value.i)).toEqual([5, 6, 7, 8, 9]);
    expect(fromFive.body).toMatchObject({ nextOffset: 10, highWatermark: 10, logStartOffset: 0 });
    expect((await records('0/records?offset=earliest')).body.records).toHaveLength(10);
    const latest = await records('0/records?offset=latest');
    expect(latest.body.records).toEqual([]);
    expect(latest.body.nextOffset).toBe(10);
    const small = await records('0/records?offset=0&maxBytes=1');
    expect(small.body.records.length).toBeGreaterThan(0); // at least one whole batch
  });

  it('answers an offset out of range with 416 and the valid range', async () => {
    const answer = await records('0/records?offset=11');
    expect(answer.status).toBe(416);
    expect(answer.body.error).toMatchObject({ code: 'SPOOL_ERR_OFFSET_OUT_OF_RANGE', logStartOffset: 0, highWatermark: 10 });
    expect((await records('7/records?offset=0')).body.error.code).toBe('SPOOL_ERR_PARTITION_NOT_FOUND');
    expect((await records('0/records?offset=banana')).body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
    expect((await records('0/records?format=xml')).body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
  });

  it('finds offsets by timestamp from the time index', async () => {
    const answer = await records('0/offsets?timestamp=1004500');
    expect(answer.body).toEqual({ earliest: 0, latest: 10, timestamp: 1004500, offset: 5 });
    expect((await records('0/offsets?timestamp=99999999')).body.offset).toBe(10);
  });

  it('long-polls: a record produced 300 ms later is answered at once, not at maxWaitMs', async () => {
    const started = Date.now();
    const waiting = records('1/records?offset=0&maxWaitMs=10000');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const producedAt = Date.now();
    await call(`${broker.url}/v1/topics/f/records`, { method: 'POST', json: { records: [{ value: 'late', partition: 1 }] } });
    const answer = await waiting;
    const answeredAt = Date.now();
    expect(answer.body.records.map((r: { value: string }) => r.value)).toEqual(['late']);
    expect(producedAt - started).toBeGreaterThanOrEqual(300);
    // Far below maxWaitMs: the produce woke the waiting fetch.
    expect(answeredAt - producedAt).toBeLessThan(2000);
  });

  it('a long-poll with nothing arriving answers empty after maxWaitMs', async () => {
    const answer = await records('0/records?offset=10&maxWaitMs=50');
    expect(answer.status).toBe(200);
    expect(answer.body.records).toEqual([]);
  });
});
