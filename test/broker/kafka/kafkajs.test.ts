/**
 * KafkaJS (2.x) against the Kafka listener: admin (topics, offsets, configs) and the producer with
 * acks -1, 1 and 0 and gzip. (KafkaJS consumers always join a group: part 2 of the listener.)
 */
import { createRequire } from 'node:module';
import { CompressionCodecs, CompressionTypes, ConfigResourceTypes, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';

// The snappy codec KafkaJS users plug in (raw snappy blocks out, xerial framing read back).
CompressionCodecs[CompressionTypes.Snappy] = createRequire(import.meta.url)('kafkajs-snappy');

let broker: TestBroker;
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  broker = await startBroker({ kafka: true });
  const kafka = new Kafka({ clientId: 'spool-test', brokers: [broker.kafka!.address], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  admin = kafka.admin();
  producer = kafka.producer({ allowAutoTopicCreation: true });
  await admin.connect();
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await broker?.close();
});

async function httpRecords(topic: string, partition = 0) {
  const answer = await call(`${broker.url}/v1/topics/${topic}/partitions/${partition}/records?offset=0&valueFormat=string`);
  return answer.body.records as Array<{ offset: number; key: string | null; value: string }>;
}

describe('KafkaJS admin', () => {
  it('creates, lists and deletes topics; a second create of a name fails', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3 }, { topic: 'admin-b' }] })).toBe(true);
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(['admin-a', 'admin-b']));
    const described = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
    expect(described.topics[0]!.partitions).toHaveLength(3);
    await expect(admin.createTopics({ topics: [{ topic: 'admin-a' }] })).resolves.toBe(false); // exists: KafkaJS answers false
    await admin.deleteTopics({ topics: ['admin-b'] });
    expect(await admin.listTopics()).not.toContain('admin-b');
    expect((await call(`${broker.url}/v1/topics/admin-b`)).status).toBe(404);
  });

  it('refuses a replication factor above 1 and an invalid name with Kafka errors', async () => {
    const errorType = (promise: Promise<unknown>) => promise.then(() => 'none', (error: { errors?: Array<{ type: string }> }) => error.errors?.[0]?.type);
    expect(await errorType(admin.createTopics({ topics: [{ topic: 'replicated', replicationFactor: 3 }] }))).toBe('INVALID_REPLICATION_FACTOR');
    expect(await errorType(admin.createTopics({ topics: [{ topic: 'bad/name' }] }))).toBe('INVALID_TOPIC_EXCEPTION');
    expect(await admin.listTopics()).not.toContain('replicated');
  });

  it('fetches topic offsets: earliest, latest and by timestamp', async () => {
    await admin.createTopics({ topics: [{ topic: 'offsets' }] });
    await producer.send({ topic: 'offsets', messages: [{ value: 'a', timestamp: '1000' }, { value: 'b', timestamp: '2000' }, { value: 'c', timestamp: '3000' }] });
    const offsets = await admin.fetchTopicOffsets('offsets');
    expect(offsets).toEqual([expect.objectContaining({ partition: 0, offset: '3', low: '0', high: '3' })]);
    expect(await admin.fetchTopicOffsetsByTimestamp('offsets', 1500)).toEqual([{ partition: 0, offset: '1' }]);
  });

  it('describes and alters topic configs under Kafka names', async () => {
    await admin.createTopics({ topics: [{ topic: 'configured', configEntries: [{ name: 'retention.ms', value: '60000' }] }] });
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'configured' }] });
    const entries = described.resources[0]!.configEntries;
    expect(entries.find((entry) => entry.configName === 'retention.ms')).toMatchObject({ configValue: '60000', isDefault: false });
    expect(entries.find((entry) => entry.configName === 'cleanup.policy')).toMatchObject({ configValue: 'delete', isDefault: true });
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'configured', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    const http = await call(`${broker.url}/v1/topics/configured`);
    expect(http.body.config).toMatchObject({ cleanupPolicy: 'compact', retentionMs: 7 * 24 * 3600 * 1000 });
    await expect(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'configured', configEntries: [{ name: 'segment.bytes', value: '-5' }] }] }),
    ).rejects.toThrow();
    await expect(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'configured', configEntries: [{ name: 'no.such.config', value: '1' }] }] }),
    ).rejects.toThrow();
  });
});

describe('KafkaJS admin: partitions and records', () => {
  it('grows a topic with createPartitions; a count that does not grow it is refused', async () => {
    await admin.createTopics({ topics: [{ topic: 'growing', numPartitions: 2 }] });
    await admin.createPartitions({ topicPartitions: [{ topic: 'growing', count: 5 }] });
    expect((await admin.fetchTopicMetadata({ topics: ['growing'] })).topics[0]!.partitions).toHaveLength(5);
    expect((await call(`${broker.url}/v1/topics/growing`)).body.partitions).toBe(5);
    await producer.send({ topic: 'growing', messages: [{ value: 'in the new partition', partition: 4 }] });
    expect((await httpRecords('growing', 4)).map((record) => record.value)).toEqual(['in the new partition']);
    await expect(admin.createPartitions({ topicPartitions: [{ topic: 'growing', count: 3 }] })).rejects.toThrow();
    expect((await call(`${broker.url}/v1/topics/growing`)).body.partitions).toBe(5);
  });

  it('deleteTopicRecords moves the log start offset: earlier records are no longer served', async () => {
    await admin.createTopics({ topics: [{ topic: 'trimmed' }] });
    await producer.send({ topic: 'trimmed', messages: Array.from({ length: 10 }, (_, i) => ({ value: `r${i}` })) });
    await admin.fetchTopicMetadata({ topics: ['trimmed'] }); // KafkaJS finds leaders in its metadata cache
    await admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '6' }] });
    expect(await admin.fetchTopicOffsets('trimmed')).toEqual([expect.objectContaining({ low: '6', high: '10' })]);
    const below = await call(`${broker.url}/v1/topics/trimmed/partitions/0/records?offset=2`);
    expect(below.body.error.code).toBe('SPOOL_ERR_OFFSET_OUT_OF_RANGE');
    const described = await call(`${broker.url}/v1/topics/trimmed`);
    expect(described.body.partitionDetails[0].logStartOffset).toBe(6);
    await expect(admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '11' }] })).rejects.toThrow();
  });
});

describe('KafkaJS producer', () => {
  for (const acks of [-1, 1] as const) {
    it(`acks=${acks}: answered with offsets the HTTP API reads the same records at`, async () => {
      const topic = `acks${acks}`;
      const sent = await producer.send({ topic, acks, messages: [{ key: 'k1', value: 'one' }, { key: 'k2', value: 'two' }] });
      expect(sent).toEqual([expect.objectContaining({ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' })]);
      expect((await httpRecords(topic)).map(({ offset, key, value }) => ({ offset, key, value }))).toEqual([
        { offset: 0, key: 'k1', value: 'one' },
        { offset: 1, key: 'k2', value: 'two' },
      ]);
    });
  }

  it('acks=0: gets no answer, and the records are written all the same', async () => {
    await producer.send({ topic: 'acks0', acks: 0, messages: [{ value: 'fire' }, { value: 'forget' }] });
    await vi.waitFor(async () => expect((await httpRecords('acks0')).map((record) => record.value)).toEqual(['fire', 'forget']));
  });

  for (const [name, compression] of [['gzip', CompressionTypes.GZIP], ['snappy', CompressionTypes.Snappy]] as const) {
    it(`${name}: stored compressed as sent, read back over HTTP`, async () => {
      const topic = `compressed-${name}`;
      const messages = Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, value: `value ${i} ${'z'.repeat(100)}` }));
      await producer.send({ topic, compression, messages });
      const records = await call(`${broker.url}/v1/topics/${topic}/partitions/0/records?offset=0&valueFormat=string&maxBytes=10000000`);
      expect(records.body.records.map((record: { value: string }) => record.value)).toEqual(messages.map((message) => message.value));
      const described = await call(`${broker.url}/v1/topics/${topic}`);
      expect(described.body.partitionDetails[0].bytes).toBeLessThan(500 * 100);
    });
  }

  it('a record larger than the topic allows is refused with MESSAGE_TOO_LARGE, nothing written', async () => {
    await admin.createTopics({ topics: [{ topic: 'small', configEntries: [{ name: 'max.message.bytes', value: '1024' }] }] });
    await expect(producer.send({ topic: 'small', acks: -1, messages: [{ value: 'x'.repeat(5000) }] })).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' });
    expect(await httpRecords('small')).toEqual([]);
  });
});
