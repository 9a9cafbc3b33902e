/** The client's work queues against a real broker: for await, process() with retries, reject. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QueueMessage, Spool } from '../../client/index.js';
import { startBroker, type TestBroker } from '../broker/support/broker.js';

let broker: TestBroker;
let spool: Spool;
beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  spool = new Spool({ url: broker.url });
});
afterAll(async () => {
  await spool.close();
  await broker.close();
});

describe('queue client', () => {
  it('receives with for await, and each ack settles one message', async () => {
    await spool.admin.createTopic({ name: 'emails', partitions: 2 });
    await spool.producer<{ to: string }>().send('emails', Array.from({ length: 20 }, (_, i) => ({ value: { to: `user${i}@example.com` } })));
    const queue = spool.queue<{ to: string }>('emails', 'senders', { waitMs: 200 });
    expect((await queue.configure({ visibilityMs: 10_000 })).available).toBe(20);
    const seen: string[] = [];
    for await (const message of queue) {
      seen.push(message.value.to);
      await message.ack();
      if (seen.length === 20) break;
    }
    expect(new Set(seen).size).toBe(20);
    expect(await queue.describe()).toMatchObject({ available: 0, inFlight: 0 });
  });

  it('process() acks what succeeds and retries what throws, with backoff, until it succeeds', async () => {
    await spool.admin.createTopic({ name: 'payments' });
    await spool.producer<number>().send('payments', Array.from({ length: 30 }, (_, i) => ({ value: i })));
    const queue = spool.queue<number>('payments', 'charge', { waitMs: 100 });
    await queue.configure({ maxDeliveries: 5 });
    const attempts = new Map<number, number>();
    const done = new Set<number>();
    const processing = queue.process(
      async (message: QueueMessage<number>) => {
        attempts.set(message.value, (attempts.get(message.value) ?? 0) + 1);
        if (message.value % 10 === 0 && message.deliveryCount < 3) throw new Error('card declined');
        done.add(message.value);
      },
      { concurrency: 4, retryBaseMs: 50, retryMaxMs: 200 },
    );
    const deadline = Date.now() + 20_000;
    while (done.size < 30 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await queue.close();
    await processing;
    expect(done.size).toBe(30);
    expect([0, 10, 20].map((value) => attempts.get(value))).toEqual([3, 3, 3]);
    expect(attempts.get(1)).toBe(1);
  });

  it('receives keys, headers and values as sent, and rejects only the ack refused among a turn\'s acks', async () => {
    await spool.admin.createTopic({ name: 'invoices' });
    await spool.producer<{ total: number }>().send('invoices', [
      { key: 'customer-ü', value: { total: 12 }, headers: { region: 'eu', empty: '' } },
      { value: { total: 7 } },
    ]);
    const queue = spool.queue<{ total: number }>('invoices', 'billing');
    await queue.configure();
    const [first, second] = await queue.receive({ max: 2, waitMs: 1000 });
    expect([first!.key, first!.value, first!.headers.region, first!.headers.empty, first!.deliveryCount]).toEqual(['customer-ü', { total: 12 }, 'eu', '', 1]);
    expect([second!.key, second!.value, second!.offset]).toEqual([null, { total: 7 }, 1]);
    // One request for the turn: the second ack of the same receipt is refused, the others are not.
    const outcomes = await Promise.allSettled([first!.ack(), first!.ack(), second!.ack()]);
    expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? 'ok' : (outcome.reason as { code: string }).code))).toEqual(['ok', 'SPOOL_ERR_RECEIPT_EXPIRED', 'ok']);
    expect(await queue.describe()).toMatchObject({ available: 0, inFlight: 0, partitions: [{ ackedThrough: 2 }] });
  });

  it('rejects into the dead-letter topic', async () => {
    await spool.admin.createTopic({ name: 'orders' });
    await spool.producer<string>().send('orders', [{ value: 'broken' }]);
    const queue = spool.queue<string>('orders', 'fulfil');
    await queue.configure();
    const [message] = await queue.receive({ waitMs: 1000 });
    await message!.reject('unparseable');
    const dlq = spool.consumer<string>({ topics: ['orders.dlq'], from: 'earliest' });
    for await (const dead of dlq) {
      expect(dead.value).toBe('broken');
      expect(dead.headers).toMatchObject({ 'dlq-reason': 'unparseable', 'dlq-original-topic': 'orders' });
      break;
    }
    await expect(message!.ack()).rejects.toMatchObject({ code: 'SPOOL_ERR_RECEIPT_EXPIRED' });
  });
});
