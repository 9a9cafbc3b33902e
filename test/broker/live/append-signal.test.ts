/**
 * Live tails over many partitions wait on one watcher each, not one long-poll waiter per partition,
 * and still get every record the moment it lands, on whichever partition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { data, openSse } from './sse-stream.js';

const PARTITIONS = 200;
let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker();
  expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'wide.events', partitions: PARTITIONS } })).status).toBe(201);
});
afterAll(async () => broker.close());

const waiters = () => broker.broker.logs.partitions('wide.events').reduce((sum, log) => sum + log.stats().waiters, 0);

describe('waking live tails', () => {
  it('arms no per-partition waiter for a # subscriber, and wakes it for a record on any partition', async () => {
    const streams = await Promise.all([openSse(`${broker.url}/v1/live?pattern=%23`), openSse(`${broker.url}/v1/topics/wide.events/live`)]);
    try {
      for (const stream of streams) await stream.next((event) => event.event === 'follow');
      for (const partition of [137, 0, PARTITIONS - 1]) {
        expect((await call(`${broker.url}/v1/topics/wide.events/records`, { method: 'POST', json: { records: [{ value: partition, partition }] } })).status).toBe(200);
        for (const stream of streams) expect(data((await stream.records(1))[0]!)).toMatchObject({ partition, value: partition });
        expect(waiters()).toBe(0);
      }
    } finally {
      for (const stream of streams) stream.close();
    }
  });

  it('ends a tail of a deleted topic at once', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'short-lived', partitions: 2 } });
    const stream = await openSse(`${broker.url}/v1/topics/short-lived/live`);
    await stream.next((event) => event.event === 'follow');
    expect((await call(`${broker.url}/v1/topics/short-lived`, { method: 'DELETE' })).status).toBe(204);
    await expect(stream.next(() => true, 5_000)).rejects.toThrow('the stream ended');
  });
});
