/** The consumer against a real broker: start points, seek, pause and resume, patterns, manual commits. */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Consumer, type Message, Spool } from '../../client/index.js';
import { startBroker, type TestBroker } from '../broker/support/broker.js';

let broker: TestBroker;
let spool: Spool;
// Records 0-99 an hour ago, 100-199 now: a time between them picks the second half.
const hourAgo = Date.now() - 3_600_000;

beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  spool = new Spool({ url: broker.url });
  await spool.admin.createTopic({ name: 'timeline', partitions: 2 });
  const producer = spool.producer<number>();
  await producer.send('timeline', Array.from({ length: 100 }, (_, i) => ({ value: i, partition: i % 2, timestamp: hourAgo + i })));
  await producer.send('timeline', Array.from({ length: 100 }, (_, i) => ({ value: 100 + i, partition: i % 2 })));
});
afterAll(async () => {
  await spool.close();
  await broker.close();
});

async function take<T>(consumer: Consumer<T>, count: number): Promise<Message<T>[]> {
  const messages: Message<T>[] = [];
  if (count === 0) return messages;
  for await (const message of consumer) {
    messages.push(message);
    if (messages.length === count) break;
  }
  return messages;
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const values = (messages: Message<number>[]) => messages.map((message) => message.value).sort((a, b) => a - b);

describe('consumer without a group', () => {
  /** Produces `count` records one at a time, each awaited by the consumer; answers its fetches of the topic. */
  async function fetchesWhileConsuming(topic: string, follow: boolean | undefined, count: number): Promise<string[]> {
    await spool.admin.createTopic({ name: topic, partitions: 1 });
    const fetches: string[] = [];
    const onCreate = (message: unknown) => {
      const { method, path } = (message as { request: { method: string; path: string } }).request;
      if (method === 'GET' && path.includes(`/${topic}/partitions/0/records`)) fetches.push(path);
    };
    subscribe('undici:request:create', onCreate);
    const consumer = spool.consumer<number>({ topics: [topic], from: 'earliest', codec: 'json', maxWaitMs: 5000, ...(follow === undefined ? {} : { follow }) });
    const seen: number[] = [];
    try {
      await consumer.run({ eachMessage: (message) => void seen.push(message.value) });
      const producer = spool.producer<number>({ codec: 'json' });
      for (let i = 0; i < count; i++) {
        await producer.send(topic, [{ value: i }]);
        await expect.poll(() => seen.length).toBe(i + 1);
      }
      await producer.close();
    } finally {
      unsubscribe('undici:request:create', onCreate);
      await consumer.close();
    }
    expect(seen).toEqual(Array.from({ length: count }, (_, i) => i));
    return fetches;
  }

  it('follows a partition\'s end with one open fetch once caught up: records produced one at a time arrive without a request each', async () => {
    const fetches = await fetchesWhileConsuming('followed', undefined, 20);
    // The first fetch finds the partition empty and long-polls; what follows it streams.
    expect(fetches.filter((path) => path.includes('follow=true')).length).toBeGreaterThan(0);
    expect(fetches.length).toBeLessThan(10);
  });

  it('long-polls instead with follow: false', async () => {
    const fetches = await fetchesWhileConsuming('polled', false, 5);
    expect(fetches.some((path) => path.includes('follow='))).toBe(false);
    expect(fetches.length).toBeGreaterThanOrEqual(5);
  });

  it('starts at earliest, at an offset, or at a time', async () => {
    expect(values(await take(spool.consumer<number>({ topics: ['timeline'], from: 'earliest', codec: 'json' }), 200))).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const fromOffset = await take(spool.consumer<number>({ topics: ['timeline'], from: 90, partitions: [0] }), 5);
    expect(fromOffset.map((message) => message.offset)).toEqual([90, 91, 92, 93, 94]);
    const sinceTenMinutes = await take(spool.consumer<number>({ topics: ['timeline'], from: new Date(Date.now() - 600_000) }), 100);
    expect(values(sinceTenMinutes)).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i));
  });

  it('follows from latest: only records produced after it started', async () => {
    const consumer = spool.consumer<string>({ topics: ['timeline'], from: 'latest', maxWaitMs: 200 });
    const seen: string[] = [];
    await consumer.run({ eachMessage: (message) => void seen.push(message.value) });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await spool.producer().send('timeline', [{ value: 'new', partition: 1 }]);
    await until(() => seen.length === 1);
    await consumer.close();
    expect(seen).toEqual(['new']);
  });

  it('seeks by offset and by time while running', async () => {
    const consumer = spool.consumer<number>({ topics: ['timeline'], from: 'latest', partitions: [0], maxWaitMs: 100 });
    const seen: number[] = [];
    await consumer.run({ eachMessage: (message) => void seen.push(message.offset) });
    await consumer.seek({ topic: 'timeline', partition: 0, offset: 97 });
    await until(() => seen.length >= 3);
    expect(seen.slice(0, 3)).toEqual([97, 98, 99]);
    seen.length = 0;
    await consumer.seek({ topic: 'timeline', partition: 0, timestamp: new Date(hourAgo + 10) });
    await until(() => seen.length >= 1);
    expect(seen[0]).toBe(5); // partition 0 holds the even values: the first at or after +10 ms is value 10, offset 5
    await consumer.close();
  });

  it('a seek while the reader waits in a long-poll at the end of the log takes effect at once, not after maxWaitMs', async () => {
    await spool.admin.createTopic({ name: 'seek-tail', partitions: 1 });
    await spool.producer<number>().send('seek-tail', [{ value: 1 }, { value: 2 }]);
    // maxWaitMs far above the wait below: a seek that waited out the long-poll would time out.
    const consumer = spool.consumer<number>({ topics: ['seek-tail'], from: 'earliest', maxWaitMs: 60_000 });
    const seen: number[] = [];
    await consumer.run({ eachMessage: (message) => void seen.push(message.value) });
    await until(() => seen.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 200)); // now waiting at offset 2
    consumer.seek({ topic: 'seek-tail', partition: 0, offset: 0 });
    await until(() => seen.length === 4, 5_000);
    expect(seen).toEqual([1, 2, 1, 2]);
    await consumer.close();
  });

  it('pauses and resumes a partition', async () => {
    await spool.admin.createTopic({ name: 'pausable', partitions: 2 });
    const consumer = spool.consumer<number>({ topics: ['pausable'], from: 'earliest', maxWaitMs: 100 });
    const seen: Message<number>[] = [];
    await consumer.run({ eachMessage: (message) => void seen.push(message) });
    consumer.pause([{ topic: 'pausable', partitions: [1] }]);
    expect(consumer.paused()).toEqual([{ topic: 'pausable', partition: 1 }]);
    await spool.producer<number>().send('pausable', [{ value: 1, partition: 0 }, { value: 2, partition: 1 }]);
    await until(() => seen.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen.map((message) => message.partition)).toEqual([0]);
    consumer.resume([{ topic: 'pausable' }]);
    await until(() => seen.length === 2);
    expect(seen[1]!.value).toBe(2);
    await consumer.close();
  });
});

describe('group consumer', () => {
  it('follows a pattern, picking up a topic created after it joined', async () => {
    await spool.admin.createTopic({ name: 'logs.api' });
    const consumer = spool.consumer<string>({ groupId: 'log-shipper', pattern: 'logs.#', offsetReset: 'earliest', heartbeatIntervalMs: 100, maxWaitMs: 100 });
    const seen: string[] = [];
    await consumer.run({ eachMessage: (message) => void seen.push(`${message.topic}:${message.value}`) });
    await spool.producer().send('logs.api', [{ value: 'a' }]);
    await spool.admin.createTopic({ name: 'logs.db.slow' });
    await spool.admin.createTopic({ name: 'metrics.cpu' });
    await spool.producer().send('logs.db.slow', [{ value: 'b' }]);
    await spool.producer().send('metrics.cpu', [{ value: 'c' }]);
    await until(() => seen.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await consumer.close();
    expect(seen.sort()).toEqual(['logs.api:a', 'logs.db.slow:b']);
  });

  it('commits nothing by itself with autoCommit off, and what it was told with commit()', async () => {
    const options = { groupId: 'manual', topics: ['timeline'], offsetReset: 'earliest' as const, autoCommit: false };
    const first = spool.consumer<number>(options);
    await take(first, 50);
    expect((await spool.admin.committedOffsets('manual')).every((entry) => entry.offset === 0)).toBe(true);

    const second = spool.consumer<number>(options);
    const handled = await take(second, 10);
    const last = handled.at(-1)!;
    await second.commit([{ topic: last.topic, partition: last.partition, offset: last.offset + 1 }]);
    await second.close();
    const committed = await spool.admin.committedOffsets('manual');
    expect(committed.find((entry) => entry.partition === last.partition)?.offset).toBe(last.offset + 1);
  });

  it('keeps heartbeating while a slow handler finishes a batch it must hand back', async () => {
    await spool.admin.createTopic({ name: 'slow', partitions: 2 });
    await spool.producer<number>().send('slow', [{ value: 1, partition: 0 }, { value: 2, partition: 1 }]);
    const options = { groupId: 'slowpokes', topics: ['slow'], offsetReset: 'earliest' as const, sessionTimeoutMs: 1500, heartbeatIntervalMs: 200, maxWaitMs: 100 };
    let busy: () => void = () => undefined;
    const handling = new Promise<void>((resolve) => (busy = resolve));
    const slow = spool.consumer<number>(options);
    await slow.run({
      eachBatch: async () => {
        busy();
        await new Promise((resolve) => setTimeout(resolve, 2500)); // longer than the session timeout
      },
    });
    await handling;
    const other = spool.consumer<number>(options);
    await other.run({ eachBatch: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const description = await spool.admin.describeGroup('slowpokes');
    expect(description.members.map((member) => member.memberId).sort()).toEqual([slow.memberId, other.memberId].sort());
    await Promise.all([slow.close(), other.close()]);
  });

  it('commits the message in its handler when its partition is handed over, so the next owner does not repeat it', async () => {
    await spool.admin.createTopic({ name: 'handover', partitions: 2 });
    // All on partition 1: the one the sticky assignor hands to the second member, while the first is
    // in its handler for one of them.
    await spool.producer<number>().send('handover', Array.from({ length: 12 }, (_, i) => ({ value: i, partition: 1 })));
    const options = { groupId: 'handover', topics: ['handover'], offsetReset: 'earliest' as const, heartbeatIntervalMs: 100, maxWaitMs: 100 };
    const handled: string[] = [];
    const slow = spool.consumer<number>(options);
    await slow.run({
      eachMessage: async (message) => {
        handled.push(`${message.partition}:${message.offset}`);
        await new Promise((resolve) => setTimeout(resolve, 300)); // still in here when the revoke comes
      },
    });
    while (handled.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const other = spool.consumer<number>(options);
    await other.run({ eachMessage: (message) => void handled.push(`${message.partition}:${message.offset}`) });
    const deadline = Date.now() + 20_000;
    while (new Set(handled).size < 12 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await Promise.all([slow.close(), other.close()]);
    expect(handled.length).toBe(12);
    expect(new Set(handled).size).toBe(12);
  });

  it('re-reads committed offsets after an admin reset, while running', async () => {
    // Auto-commits come sooner than the heartbeat that brings the reset: without fencing by reset
    // epoch, the commit of what was read before the reset would undo it.
    await spool.admin.createTopic({ name: 'rewind', partitions: 2 });
    await spool.producer<number>().send('rewind', Array.from({ length: 200 }, (_, i) => ({ value: i, partition: i % 2 })));
    const consumer = spool.consumer<number>({ groupId: 'rewind', topics: ['rewind'], offsetReset: 'earliest', heartbeatIntervalMs: 1000, autoCommitIntervalMs: 300, maxWaitMs: 100 });
    const seen: number[] = [];
    await consumer.run({ eachMessage: (message) => void seen.push(message.value) });
    await until(() => seen.length >= 200);
    await spool.admin.resetGroup('rewind', { topic: 'rewind', to: 'earliest' });
    await until(() => seen.length >= 400);
    await new Promise((resolve) => setTimeout(resolve, 300)); // anything extra would show up now
    await consumer.close();
    expect(seen).toHaveLength(400);
    const sorted = (part: number[]) => [...part].sort((a, b) => a - b);
    expect(sorted(seen.slice(200))).toEqual(sorted(seen.slice(0, 200)));
  });
});
