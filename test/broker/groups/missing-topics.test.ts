/**
 * Subscribing to a topic that does not exist (issue 20 item 3): the join and heartbeat answers name
 * it in `missingTopics`, and the client consumer warns once and tells onError, without stopping.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Spool, type SpoolClientError } from '../../../client/index.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'orders' } });
});
afterAll(async () => broker.close());

describe('missingTopics in group answers', () => {
  it('names a subscribed topic that does not exist, until it is created', async () => {
    const joined = await call(`${broker.url}/v1/groups/typo/members`, { method: 'POST', json: { topics: ['orders', 'ordrs'] } });
    expect(joined.status).toBe(200);
    expect(joined.body.missingTopics).toEqual(['ordrs']);
    expect(joined.body.assignments).toEqual([{ topic: 'orders', partition: 0 }]);
    const heartbeat = `${broker.url}/v1/groups/typo/members/${joined.body.memberId}/heartbeat`;
    expect((await call(heartbeat, { method: 'POST', json: {} })).body.missingTopics).toEqual(['ordrs']);
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'ordrs' } });
    const after = await call(heartbeat, { method: 'POST', json: {} });
    expect(after.body.missingTopics).toEqual([]);
  });

  it('names none for a pattern, which matches what exists', async () => {
    const joined = await call(`${broker.url}/v1/groups/patterned/members`, { method: 'POST', json: { pattern: 'nothing.#' } });
    expect(joined.status).toBe(200);
    expect(joined.body.missingTopics).toEqual([]);
  });
});

describe('the client consumer', () => {
  it('warns once and calls onError with SPOOL_ERR_TOPIC_NOT_FOUND, and keeps consuming', async () => {
    const spool = new Spool({ url: broker.url });
    const errors: SpoolClientError[] = [];
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }) => {
      if (warning.code === 'SPOOL_ERR_TOPIC_NOT_FOUND') warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    const consumer = spool.consumer({ groupId: 'client-typo', topics: ['orders', 'ordres'], offsetReset: 'earliest', heartbeatIntervalMs: 50, onError: (error) => errors.push(error as SpoolClientError) });
    const received: unknown[] = [];
    try {
      await consumer.run({ eachMessage: (message) => void received.push(message.value) });
      await spool.producer().send('orders', [{ value: 'kept going' }]);
      await vi.waitFor(() => expect(received).toContain('kept going'), { timeout: 10_000, interval: 20 });
      // Heartbeats every 50 ms go on answering the missing topic while a second record goes round.
      await spool.producer().send('orders', [{ value: 'still going' }]);
      await vi.waitFor(() => expect(received).toContain('still going'), { timeout: 10_000, interval: 20 });
      expect(warnings).toHaveLength(1);
      expect(errors.filter((error) => error.code === 'SPOOL_ERR_TOPIC_NOT_FOUND')).toEqual([expect.objectContaining({ code: 'SPOOL_ERR_TOPIC_NOT_FOUND', context: expect.objectContaining({ topic: 'ordres' }) })]);
      expect(warnings[0]).toContain('topic ordres does not exist');
    } finally {
      process.off('warning', onWarning);
      await spool.close();
    }
  });
});
