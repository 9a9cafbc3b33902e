/**
 * The client's promise to a group: every record once, per-key order kept while partitions move
 * between members, every group reading everything, and a restarted member resuming after what
 * was committed. A real broker on a free port, a real topic with 8 partitions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spool, type Message } from '../../client/index.js';
import { startBroker, type TestBroker } from '../broker/support/broker.js';

const RECORDS = 200_000;
const KEYS = 1000;
const TOPIC = 'orders';

interface OrderEvent {
  key: number;
  seq: number;
}

let broker: TestBroker;
let spool: Spool;

beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  spool = new Spool({ url: broker.url });
  await spool.admin.createTopic({ name: TOPIC, partitions: 8 });
  const producer = spool.producer<OrderEvent>({ lingerMs: 2 });
  const nextSeq = new Array<number>(KEYS).fill(0);
  for (let i = 0; i < RECORDS; i++) {
    const key = i % KEYS;
    if (!producer.push(TOPIC, { key: `customer-${key}`, value: { key, seq: nextSeq[key]!++ } })) await producer.drain();
  }
  await producer.close();
}, 120_000);

afterAll(async () => {
  await spool.close();
  await broker.close();
});

async function until(condition: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('group consumers', () => {
  it('share a topic between two members with no loss, no duplicate and per-key order, while partitions move', async () => {
    const arrivals: Array<{ member: number; message: Message<OrderEvent> }> = [];
    let secondHasWork = false;
    const consumerFor = (member: number) => {
      const consumer = spool.consumer<OrderEvent>({ groupId: 'billing', topics: [TOPIC], offsetReset: 'earliest', heartbeatIntervalMs: 100 });
      void consumer.run({
        eachMessage: async (message) => {
          arrivals.push({ member, message });
          if (member === 2) secondHasWork = true;
          // The first member slows down once it is going, until the second has work: otherwise a
          // fast machine finishes before the rebalance this test is about.
          if (member === 1 && arrivals.length >= 20_000 && !secondHasWork) await new Promise((resolve) => setTimeout(resolve, 1));
        },
      });
      return consumer;
    };
    const first = consumerFor(1);
    await until(() => arrivals.length >= 20_000, 'the first member to get going');
    const second = consumerFor(2);
    await until(() => arrivals.length >= RECORDS, 'all records');
    await new Promise((resolve) => setTimeout(resolve, 300)); // anything extra would show up now

    expect(arrivals).toHaveLength(RECORDS);
    const lastSeq = new Array<number>(KEYS).fill(-1);
    for (const { message } of arrivals) {
      expect(message.key).toBe(`customer-${message.value.key}`);
      expect(message.value.seq).toBe(lastSeq[message.value.key]! + 1);
      lastSeq[message.value.key] = message.value.seq;
    }
    expect(new Set(arrivals.map(({ member }) => member))).toEqual(new Set([1, 2]));
    expect(first.assignment().length + second.assignment().length).toBe(8);
    await Promise.all([first.close(), second.close()]);

    const description = await spool.admin.describeGroup('billing');
    expect(description.totalLag).toBe(0);
  });

  it('lets a second group read everything again, in order per partition', async () => {
    const consumer = spool.consumer<OrderEvent>({ groupId: 'analytics', topics: [TOPIC], offsetReset: 'earliest' });
    let count = 0;
    const nextOffset = new Map<number, number>();
    await consumer.run({
      eachBatch: async (batch) => {
        for (const message of batch.messages) {
          expect(message.offset).toBe(nextOffset.get(message.partition) ?? 0);
          nextOffset.set(message.partition, message.offset + 1);
        }
        count += batch.messages.length;
      },
    });
    await until(() => count >= RECORDS, 'the second group');
    await consumer.close();
    expect(count).toBe(RECORDS);
  });

  it('resumes a restarted member right after what it committed, by hand', async () => {
    const options = { groupId: 'audit', topics: [TOPIC], offsetReset: 'earliest' as const, autoCommit: false };
    const firstRun = spool.consumer<OrderEvent>(options);
    const handled: Message<OrderEvent>[] = [];
    for await (const message of firstRun) {
      handled.push(message);
      if (handled.length === 1000) {
        // The message in hand is not handled until the next is asked for: 999 are committed.
        await firstRun.commit();
        break;
      }
    }
    handled.pop();

    const secondRun = spool.consumer<OrderEvent>(options);
    const seen = new Set(handled.map((message) => `${message.partition}:${message.offset}`));
    let count = 0;
    await secondRun.run({
      eachMessage: (message) => {
        const id = `${message.partition}:${message.offset}`;
        expect(seen.has(id)).toBe(false);
        seen.add(id);
        count++;
      },
    });
    await until(() => seen.size >= RECORDS, 'the rest');
    await secondRun.close();
    expect(count).toBe(RECORDS - 999);
  });
});
