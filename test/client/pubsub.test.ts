/**
 * spool.subscribe() against a real broker: pattern subscriptions that pick up topics created later,
 * values decoded as a consumer decodes them, and a subscription that reconnects by itself (its
 * connections cut mid-stream, the broker restarted on the same port) and resumes with no record
 * lost or handed over twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/lib/broker-process.js';
import { type Message, Spool, type Subscription } from '../../client/index.js';
import { startBroker, type TestBroker } from '../broker/support/broker.js';

let broker: TestBroker;
let spool: Spool;
beforeAll(async () => {
  broker = await startBroker({ port: await freePort() });
  spool = new Spool({ url: broker.url, requestTimeoutMs: 5000 });
});
afterAll(async () => {
  await spool.close();
  await broker.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Counts how often each value id arrived. */
function tally(messages: Message<{ id: number }>[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const message of messages) counts.set(message.value.id, (counts.get(message.value.id) ?? 0) + 1);
  return counts;
}

const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ value: { id: from + i } }));

describe('spool.subscribe', () => {
  it('receives records of a topic created after it subscribed, decoded as a consumer decodes them', async () => {
    const received: Message[] = [];
    const subscription = spool.subscribe('news.*', (message) => void received.push(message));
    await subscription.ready;
    await spool.admin.createTopic({ name: 'news.later' });
    await spool.admin.createTopic({ name: 'sports.later' });
    await spool.producer().send('sports.later', [{ value: 'not for us' }]);
    await spool.producer({ codec: 'json' }).send('news.later', [{ key: 'k1', value: { headline: 'json' }, headers: { trace: 't1' } }]);
    await spool.producer({ codec: 'string' }).send('news.later', [{ value: 'text' }]);
    await spool.producer({ codec: 'msgpack' }).send('news.later', [{ value: { packed: [1, 2] } }]);
    await spool.producer({ codec: 'bytes' }).send('news.later', [{ value: Buffer.from([0, 255, 7]) }]);
    await waitFor(() => received.length >= 4, '4 messages');
    await subscription.close();

    expect(received.map((message) => message.value)).toEqual([{ headline: 'json' }, 'text', { packed: [1, 2] }, Buffer.from([0, 255, 7])]);
    expect(received.map((message) => message.offset)).toEqual([0, 1, 2, 3]);
    expect(received[0]).toMatchObject({ topic: 'news.later', partition: 0, key: 'k1', keyBytes: Buffer.from('k1') });
    expect(received[0]!.headers).toMatchObject({ trace: 't1', 'content-type': 'application/json' });
    expect(received[3]!.rawValue).toEqual(Buffer.from([0, 255, 7]));
    expect(subscription.closed).toBe(true);
  });

  it('reconnects when its connection is cut mid-stream and resumes without gaps or repeats', async () => {
    await spool.admin.createTopic({ name: 'cut', partitions: 3 });
    const received: Message<{ id: number }>[] = [];
    const errors: unknown[] = [];
    const subscription = spool.subscribe<{ id: number }>(['cut'], (message) => void received.push(message), {
      retry: { baseMs: 10, maxMs: 100 },
      onError: (error) => errors.push(error),
    });
    await subscription.ready;
    const producer = spool.producer<{ id: number }>({ idempotent: true, lingerMs: 1, retry: { baseMs: 10, maxMs: 100 } });
    for (let round = 0; round < 5; round++) {
      await producer.send('cut', ids(round * 100, 100));
      await waitFor(() => received.length > round * 100, 'some of the round');
      broker.broker.app.server.closeAllConnections(); // every socket, the live stream's too
    }
    await waitFor(() => received.length >= 500, '500 messages');
    await sleep(100);
    await subscription.close();
    const counts = tally(received);
    expect(counts.size).toBe(500);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(errors.length).toBeGreaterThan(0); // it did lose its connection
  });

  it('follows a broker restart on the same port, including a topic created while it was away', async () => {
    await spool.admin.createTopic({ name: 'rst.a', partitions: 2 });
    const received: Message<{ id: number }>[] = [];
    const subscription = spool.subscribe<{ id: number }>('rst.#', (message) => void received.push(message), { retry: { baseMs: 20, maxMs: 200 } });
    await subscription.ready;
    const producer = spool.producer<{ id: number }>({ idempotent: true, retry: { baseMs: 20, maxMs: 200 } });
    await producer.send('rst.a', ids(0, 50));
    await waitFor(() => received.length >= 20, 'the first records');
    broker = await broker.restart();
    await spool.admin.createTopic({ name: 'rst.b' });
    await producer.send('rst.b', ids(1000, 10));
    await producer.send('rst.a', ids(50, 50));
    await waitFor(() => received.length >= 110, '110 messages');
    await sleep(100);
    await subscription.close();
    const counts = tally(received);
    expect(counts.size).toBe(110);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
  });

  it('hands handler errors to onError and goes on', async () => {
    await spool.admin.createTopic({ name: 'flaky' });
    const seen: number[] = [];
    const errors: unknown[] = [];
    const subscription = spool.subscribe<{ id: number }>(
      'flaky',
      (message) => {
        seen.push(message.value.id);
        if (message.value.id === 1) throw new Error('boom');
      },
      { onError: (error) => errors.push(error) },
    );
    await subscription.ready;
    await spool.producer<{ id: number }>().send('flaky', ids(0, 3));
    await waitFor(() => seen.length >= 3, '3 messages');
    await subscription.close();
    expect(seen).toEqual([0, 1, 2]);
    expect((errors[0] as Error).message).toBe('boom');
  });

  it.each([
    ['a pattern the broker refuses', 'bad..pattern', 'SPOOL_ERR_BAD_REQUEST'],
    ['a topic that does not exist', ['no-such-topic'], 'SPOOL_ERR_TOPIC_NOT_FOUND'],
  ])('stops, with ready rejected, on %s', async (_what, target, code) => {
    const subscription: Subscription = spool.subscribe(target, () => {});
    await expect(subscription.ready).rejects.toMatchObject({ code });
    await subscription.done;
    expect(subscription.error?.code).toBe(code);
  });

  it('refuses an empty target with SPOOL_ERR_INVALID_ARGUMENT', () => {
    expect(() => spool.subscribe([], () => {})).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_INVALID_ARGUMENT' }));
  });
});
