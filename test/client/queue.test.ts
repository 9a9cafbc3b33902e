/**
 * The client's work queues against a real broker: for await and process() with retries through
 * a queue session (the default) and through HTTP, reject, and the session's own behaviour: no HTTP
 * receive or settle request, reconnecting after the broker restarts.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

describe.each(['session', 'http'] as const)('queue client over %s', (transport) => {
  it('receives with for await, and each ack settles one message', async () => {
    const topic = `emails-${transport}`;
    await spool.admin.createTopic({ name: topic, partitions: 2 });
    await spool.producer<{ to: string }>().send(topic, Array.from({ length: 20 }, (_, i) => ({ value: { to: `user${i}@example.com` } })));
    const queue = spool.queue<{ to: string }>(topic, 'senders', { waitMs: 200, transport });
    expect((await queue.configure({ visibilityMs: 10_000 })).available).toBe(20);
    const seen: string[] = [];
    for await (const message of queue) {
      seen.push(message.value.to);
      await message.ack();
      if (seen.length === 20) break;
    }
    expect(new Set(seen).size).toBe(20);
    await vi.waitFor(async () => expect(await queue.describe()).toMatchObject({ available: 0, inFlight: 0 }));
    await queue.close();
  });

  it('process() acks what succeeds and retries what throws, with backoff, until it succeeds', async () => {
    const topic = `payments-${transport}`;
    await spool.admin.createTopic({ name: topic });
    await spool.producer<number>().send(topic, Array.from({ length: 30 }, (_, i) => ({ value: i })));
    const queue = spool.queue<number>(topic, 'charge', { waitMs: 100, transport });
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
});

describe('queue client', () => {
  const requests = async (route: string) => {
    const text = await (await fetch(`${broker.url}/metrics`)).text();
    return text.split('\n').filter((line) => line.startsWith('spool_http_request_duration_seconds_count') && line.includes(`route="${route}"`)).reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  };

  it('takes and settles messages through the session without an HTTP receive or ack', async () => {
    await spool.admin.createTopic({ name: 'pushed', partitions: 3 });
    await spool.producer<number>().send('pushed', Array.from({ length: 300 }, (_, i) => ({ value: i })));
    const queue = spool.queue<number>('pushed', 'workers', { prefetch: 50 });
    await queue.configure();
    const before = [await requests('/v1/topics/:topic/queues/:queue/receive'), await requests('/v1/topics/:topic/queues/:queue/ack')];
    const seen = new Set<number>();
    for await (const message of queue) {
      seen.add(message.value);
      void message.ack();
      if (seen.size === 300) break;
    }
    await queue.close();
    expect(await queue.describe()).toMatchObject({ available: 0, inFlight: 0, totals: { acked: 300 } });
    expect([await requests('/v1/topics/:topic/queues/:queue/receive'), await requests('/v1/topics/:topic/queues/:queue/ack')]).toEqual(before);
  });

  it('traces every session frame both ways on spool:queue-session:frame: kind, bytes and what it carries', async () => {
    await spool.admin.createTopic({ name: 'traced', partitions: 2 });
    await spool.producer<number>().send('traced', Array.from({ length: 100 }, (_, i) => ({ value: i })));
    const queue = spool.queue<number>('traced', 'workers', { prefetch: 20 });
    await queue.configure();
    const traces: Array<{ direction: string; type: string; bytes: number; count: number }> = [];
    const onFrame = (trace: unknown) => traces.push(trace as (typeof traces)[number]);
    subscribe('spool:queue-session:frame', onFrame);
    try {
      let seen = 0;
      const acks: Array<Promise<void>> = [];
      for await (const message of queue) {
        acks.push(message.ack());
        if (++seen === 100) break;
      }
      await Promise.all(acks);
      await queue.close();
    } finally {
      unsubscribe('spool:queue-session:frame', onFrame);
    }
    const total = (direction: string, type: string) => traces.filter((trace) => trace.direction === direction && trace.type === type).reduce((sum, trace) => sum + trace.count, 0);
    const frames = (direction: string, type: string) => traces.filter((trace) => trace.direction === direction && trace.type === type).length;
    expect(total('in', 'messages')).toBe(100);
    expect(total('out', 'ack')).toBe(100);
    expect(frames('in', 'settled')).toBe(frames('out', 'ack'));
    // Credit: the prefetch at the start, then what was handed out, never more than the prefetch owed.
    expect(total('out', 'credit')).toBeGreaterThanOrEqual(100);
    expect(traces.filter((trace) => trace.type === 'credit').every((trace) => trace.count >= 1 && trace.count <= 20)).toBe(true);
    expect(traces.every((trace) => trace.bytes > 0)).toBe(true);
  });

  it('sends over HTTP what a frame cannot carry, and the session carries on', async () => {
    await spool.admin.createTopic({ name: 'odd-settles' });
    await spool.producer<number>().send('odd-settles', [{ value: 1 }, { value: 2 }]);
    const queue = spool.queue<number>('odd-settles', 'workers', { prefetch: 2 });
    await queue.configure();
    const iterator = queue[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as QueueMessage<number>;
    // A delay past the broker's bound would close the session as a bad frame: HTTP answers it 400 instead.
    await expect(first.nack({ delayMs: 13 * 3_600_000 })).rejects.toMatchObject({ code: 'SPOOL_ERR_BAD_REQUEST', status: 400 });
    await first.ack();
    const second = (await iterator.next()).value as QueueMessage<number>;
    await second.ack();
    await queue.close();
    expect(await queue.describe()).toMatchObject({ available: 0, inFlight: 0, totals: { acked: 2 } });
  });

  it('opens its session again after the broker restarts, and receives the rest', async () => {
    // A fixed port, so the restarted broker is where the session reconnects to.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const own = await startBroker({ flush: 'never', port });
    let restarted: TestBroker | null = null;
    const client = new Spool({ url: own.url });
    try {
      await client.admin.createTopic({ name: 'survivors' });
      await client.producer<number>().send('survivors', Array.from({ length: 10 }, (_, i) => ({ value: i })));
      const queue = client.queue<number>('survivors', 'workers', { prefetch: 1, visibilityMs: 60_000 });
      await queue.configure();
      const iterator = queue[Symbol.asyncIterator]();
      const first = (await iterator.next()).value as QueueMessage<number>;
      await first.ack();
      restarted = await own.restart();
      const seen = [first.value];
      while (seen.length < 10) {
        const message = (await iterator.next()).value as QueueMessage<number>;
        // The one pushed before the restart was delivered again after it: its old receipt is refused.
        await message.ack().catch(() => undefined);
        if (!seen.includes(message.value)) seen.push(message.value);
      }
      await queue.close();
      expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await vi.waitFor(async () => expect(await queue.describe()).toMatchObject({ available: 0, inFlight: 0 }), { timeout: 65_000 });
    } finally {
      await client.close();
      await (restarted ?? own).close();
    }
  }, 90_000);

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
