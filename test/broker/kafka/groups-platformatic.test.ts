/**
 * @platformatic/kafka 1.x consumer groups (its default classic protocol, "roundrobin"; 1.22 has
 * neither cooperative-sticky nor group.instance.id for consumers: kcat covers both): two members
 * split a topic and read every record once, and the group shows in GET /v1/groups/:group.
 */
import { Consumer, MessagesStreamModes, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  broker = await startBroker({ kafka: true });
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
  await broker?.close();
});

describe('@platformatic/kafka consumer group', () => {
  it('two members split four partitions and read every record once; the group shows over HTTP', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'plt', partitions: 4 } });
    const producer = new Producer({ clientId: 'plt-producer', bootstrapBrokers: [broker.kafka!.address], serializers: stringSerializers });
    closers.push(() => producer.close());
    const seen = new Map<string, number>();
    const members = [0, 1].map(() => {
      const consumer = new Consumer({ groupId: 'plt-group', clientId: 'plt', bootstrapBrokers: [broker.kafka!.address], deserializers: stringDeserializers, maxWaitTime: 200, sessionTimeout: 10_000, heartbeatInterval: 300 });
      closers.push(async () => consumer.close(true));
      return consumer;
    });
    // @platformatic/kafka 1.22 keeps the records of a fetch sent before a rebalance even for the
    // partitions that rebalance took away (it does not fence fetch answers by generation), so a
    // record produced while the first member's pre-rebalance long poll (all four partitions) is
    // still open reaches both members: at-least-once, as it would against Kafka. Produce only once
    // every member has fetched at least once since its last join, so no such poll is open.
    const fetchedSinceJoin = members.map(() => false);
    for (const [n, consumer] of members.entries()) {
      consumer.on('consumer:group:join', () => (fetchedSinceJoin[n] = false));
      const stream = await consumer.consume({ topics: ['plt'], mode: MessagesStreamModes.COMMITTED, fallbackMode: 'earliest', autocommit: 100 });
      stream.on('fetch', () => (fetchedSinceJoin[n] = true));
      stream.on('data', (message) => seen.set(message.value as string, (seen.get(message.value as string) ?? 0) + 1));
    }
    await vi.waitFor(async () => {
      const description = (await call(`${broker.url}/v1/groups/plt-group`)).body;
      expect(description).toMatchObject({ protocol: 'consumer', state: 'Stable', assignor: 'roundrobin' });
      expect(description.members.flatMap((member: { assignments: unknown[] }) => member.assignments)).toHaveLength(4);
      expect(description.members).toHaveLength(2);
      expect(members.map((consumer) => consumer.assignments?.flatMap((assignment) => assignment.partitions).length)).toEqual([2, 2]);
      expect(fetchedSinceJoin).toEqual([true, true]);
    }, { timeout: 30_000, interval: 200 });
    await producer.send({ messages: Array.from({ length: 400 }, (_, i) => ({ topic: 'plt', key: `k${i}`, value: `v${i}` })) });
    await vi.waitFor(() => expect(seen.size).toBe(400), { timeout: 30_000, interval: 100 });
    expect([...seen.values()].every((times) => times === 1)).toBe(true);
    // @platformatic/kafka 1.22 commits the offset of the last record read (and resumes after it),
    // not Kafka's next offset to read: so its lag reads one record per partition when caught up.
    await vi.waitFor(async () => {
      const partitions = (await call(`${broker.url}/v1/groups/plt-group`)).body.partitions as Array<{ committedOffset: number; highWatermark: number }>;
      expect(partitions).toHaveLength(4);
      for (const partition of partitions) expect(partition.committedOffset).toBe(partition.highWatermark - 1);
    }, { timeout: 20_000, interval: 200 });
  });
});
