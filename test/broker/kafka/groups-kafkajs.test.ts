/**
 * KafkaJS consumer groups against the Kafka listener: a group of three members over six partitions
 * with one member leaving and one joining mid-stream (every record processed; with a commit per
 * message, none twice), the admin's group calls, and the group seen and reset through HTTP.
 */
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
const consumers: Consumer[] = [];

beforeAll(async () => {
  broker = await startBroker({ kafka: true });
  kafka = new Kafka({ clientId: 'groups-test', brokers: [broker.kafka!.address], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 50 } });
  admin = kafka.admin();
  producer = kafka.producer();
  await admin.connect();
  await producer.connect();
});

afterAll(async () => {
  for (const consumer of consumers) await consumer.disconnect().catch(() => {});
  await producer?.disconnect();
  await admin?.disconnect();
  await broker?.close();
});

function newConsumer(groupId: string, options: { sessionTimeout?: number } = {}): Consumer {
  const consumer = kafka.consumer({ groupId, sessionTimeout: options.sessionTimeout ?? 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200, retry: { retries: 8, initialRetryTime: 50 } });
  consumers.push(consumer);
  return consumer;
}

async function produceNumbered(topic: string, from: number, count: number): Promise<void> {
  const batch = 1000;
  for (let start = from; start < from + count; start += batch) {
    const messages = Array.from({ length: Math.min(batch, from + count - start) }, (_, i) => ({ key: `k${start + i}`, value: String(start + i) }));
    await producer.send({ topic, messages });
  }
}

describe('KafkaJS consumer group', () => {
  it('three members split six partitions; a leave and a join mid-stream lose nothing and, committing each message, repeat nothing', async () => {
    const topic = 'group-split';
    // 100,000 in bench:kafka. A commit per message waits for its SQLite transaction (fdatasync under
    // flush=always): a few hundred per second per member on this machine, so fewer records here.
    const total = 6_000;
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
    const seen = new Map<number, number>();
    const byMember = new Map<Consumer, number>();
    const run = async (consumer: Consumer) => {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const n = Number(message.value!.toString());
          seen.set(n, (seen.get(n) ?? 0) + 1);
          byMember.set(consumer, (byMember.get(consumer) ?? 0) + 1);
          await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
        },
      });
    };
    const [a, b, c] = [newConsumer('split'), newConsumer('split'), newConsumer('split')];
    await Promise.all([run(a), run(b), run(c)]);
    await produceNumbered(topic, 0, total / 2);
    await vi.waitFor(() => expect(seen.size).toBeGreaterThan(total / 4), { timeout: 20_000, interval: 100 });
    await c.disconnect(); // leaves: its partitions move to a and b
    const d = newConsumer('split');
    await run(d); // joins: takes some back
    await produceNumbered(topic, total / 2, total / 2);
    await vi.waitFor(() => expect(seen.size).toBe(total), { timeout: 30_000, interval: 200 });
    const duplicates = [...seen.values()].filter((times) => times > 1).length;
    expect(duplicates).toBe(0);
    expect(byMember.get(d) ?? 0).toBeGreaterThan(0);

    const description = await call(`${broker.url}/v1/groups/split`);
    expect(description.body).toMatchObject({ name: 'split', protocol: 'consumer', state: 'Stable', totalLag: 0 });
    expect(description.body.members).toHaveLength(3);
    expect(description.body.members[0]).toMatchObject({ clientId: 'groups-test', clientHost: expect.stringContaining('127.0.0.1') });
    const assigned = description.body.members.flatMap((member: { assignments: unknown[] }) => member.assignments);
    expect(assigned).toHaveLength(6);
    expect(description.body.partitions.map((p: { committedOffset: number }) => p.committedOffset).reduce((x: number, y: number) => x + y, 0)).toBe(total);
  });

  it('admin describes the group, fetches its offsets, refuses to reset or delete it while live, then resets and deletes it once stopped', async () => {
    const topic = 'group-admin';
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    await produceNumbered(topic, 0, 100);
    const consumer = newConsumer('admin-group');
    let consumed = 0;
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async () => void consumed++ });
    await vi.waitFor(() => expect(consumed).toBe(100), { timeout: 30_000 });
    await vi.waitFor(async () => {
      const offsets = await admin.fetchOffsets({ groupId: 'admin-group', topics: [topic] });
      expect(offsets[0]!.partitions.map((p) => Number(p.offset)).reduce((x, y) => x + y, 0)).toBe(100);
    });
    const { groups } = await admin.describeGroups(['admin-group', 'never-seen']);
    expect(groups[0]).toMatchObject({ groupId: 'admin-group', state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
    expect(groups[0]!.members[0]).toMatchObject({ clientId: 'groups-test' });
    expect(groups[1]).toMatchObject({ groupId: 'never-seen', state: 'Dead' });
    expect((await admin.listGroups()).groups).toEqual(expect.arrayContaining([{ groupId: 'admin-group', protocolType: 'consumer' }]));

    await expect(admin.resetOffsets({ groupId: 'admin-group', topic, earliest: true })).rejects.toThrow();
    const httpReset = await call(`${broker.url}/v1/groups/admin-group/reset`, { method: 'POST', json: { topic, to: 'earliest' } });
    expect(httpReset.status).toBe(409);
    expect(httpReset.body.error).toMatchObject({ code: 'SPOOL_ERR_GROUP_NOT_EMPTY' });
    await expect(admin.deleteGroups(['admin-group'])).rejects.toMatchObject({ groups: [expect.objectContaining({ errorCode: 68 })] });

    await consumer.disconnect();
    await admin.resetOffsets({ groupId: 'admin-group', topic, earliest: true });
    const reset = await admin.fetchOffsets({ groupId: 'admin-group', topics: [topic] });
    expect(reset[0]!.partitions.map((p) => p.offset)).toEqual(['0', '0']);
    expect(await admin.deleteGroups(['admin-group'])).toEqual([expect.objectContaining({ groupId: 'admin-group', errorCode: 0 })]);
    expect((await call(`${broker.url}/v1/groups/admin-group`)).status).toBe(404);
  });

  it('binds a group id to one protocol while it has live members', async () => {
    await admin.createTopics({ topics: [{ topic: 'bound', numPartitions: 1 }] });
    const http = await call(`${broker.url}/v1/groups/http-bound/members`, { method: 'POST', json: { topics: ['bound'] } });
    expect(http.status).toBe(200);
    const crashed = new Promise<{ type?: string }>((resolve) => {
      const consumer = newConsumer('http-bound');
      consumer.on(consumer.events.CRASH, (event) => resolve(event.payload.error as { type?: string }));
      void consumer.connect().then(() => consumer.subscribe({ topics: ['bound'] })).then(() => consumer.run({ eachMessage: async () => {} }));
    });
    expect(await crashed).toMatchObject({ type: 'INCONSISTENT_GROUP_PROTOCOL' });

    const consumer = newConsumer('kafka-bound');
    await consumer.connect();
    await consumer.subscribe({ topics: ['bound'] });
    const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
    await consumer.run({ eachMessage: async () => {} });
    await joined;
    const refused = await call(`${broker.url}/v1/groups/kafka-bound/members`, { method: 'POST', json: { topics: ['bound'] } });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'SPOOL_ERR_GROUP_PROTOCOL', protocol: 'kafka' });
    await consumer.disconnect();
    expect((await call(`${broker.url}/v1/groups/kafka-bound/members`, { method: 'POST', json: { topics: ['bound'] } })).status).toBe(200);
  });
});
