/**
 * Metadata and the listener's configuration: a cluster id and topic ids stable per data directory,
 * auto-creation on and off, the advertised listener, and the flags' validation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadBrokerConfig } from '../../../broker/config.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { RawKafkaClient } from './support/raw-client.js';

let broker: TestBroker | null = null;

afterEach(async () => {
  await broker?.close();
  broker = null;
});

async function metadata(target: TestBroker, topics: Array<{ name: string }> | null, allowAutoTopicCreation = true) {
  const client = await RawKafkaClient.connect(target.kafka!);
  try {
    return await client.request('Metadata', 12, { topics: topics?.map(({ name }) => ({ topicId: '0'.repeat(32), name })) ?? null, allowAutoTopicCreation, includeTopicAuthorizedOperations: false });
  } finally {
    client.close();
  }
}

describe('Kafka Metadata', () => {
  it('keeps the cluster id and topic ids across a restart; a re-created topic gets a new id', async () => {
    broker = await startBroker({ kafka: true });
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'stable', partitions: 2 } });
    const before = await metadata(broker, null);
    expect(before.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(before).toMatchObject({ controllerId: 0, brokers: [{ nodeId: 0, host: '127.0.0.1', port: broker.kafka!.port }] });
    const stableId = before.topics.find((topic: { name: string }) => topic.name === 'stable').topicId;
    expect(stableId).not.toBe('0'.repeat(32));
    broker = await broker.restart();
    const after = await metadata(broker, [{ name: 'stable' }]);
    expect(after.clusterId).toBe(before.clusterId);
    expect(after.topics[0]).toMatchObject({ name: 'stable', topicId: stableId, partitions: [{ partitionIndex: 0, leaderId: 0 }, { partitionIndex: 1, leaderId: 0 }] });
    await call(`${broker.url}/v1/topics/stable`, { method: 'DELETE' });
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'stable' } });
    expect((await metadata(broker, [{ name: 'stable' }])).topics[0].topicId).not.toBe(stableId);
    const other = await startBroker({ kafka: true });
    try {
      expect((await metadata(other, null)).clusterId).not.toBe(before.clusterId);
    } finally {
      await other.close();
    }
  });

  it('creates an unknown topic with one partition unless the client or the broker says not to', async () => {
    broker = await startBroker({ kafka: true });
    expect((await metadata(broker, [{ name: 'not-asked' }], false)).topics[0]).toMatchObject({ errorCode: 3, name: 'not-asked' });
    expect((await call(`${broker.url}/v1/topics/not-asked`)).status).toBe(404);
    expect((await metadata(broker, [{ name: 'auto' }])).topics[0]).toMatchObject({ errorCode: 0, name: 'auto', partitions: [{ partitionIndex: 0 }] });
    expect((await metadata(broker, [{ name: '../escape' }])).topics[0]).toMatchObject({ errorCode: 17 });
    await broker.close();
    broker = await startBroker({ kafka: true, settings: { kafkaAutoCreateTopics: false } });
    expect((await metadata(broker, [{ name: 'auto2' }])).topics[0]).toMatchObject({ errorCode: 3 });
    expect((await call(`${broker.url}/v1/topics/auto2`)).status).toBe(404);
  });
});

describe('Kafka listener flags', () => {
  it('defaults to 127.0.0.1:9092 with auto-creation, reads flags and environment, refuses bad values', () => {
    expect(loadBrokerConfig({})).toMatchObject({ kafkaPort: 9092, kafkaHost: '127.0.0.1', kafkaAdvertisedListener: '', kafkaAutoCreateTopics: true });
    expect(loadBrokerConfig({ flags: { kafkaPort: '0' } }).kafkaPort).toBe(0);
    expect(loadBrokerConfig({ env: { SPOOL_KAFKA_PORT: '19092', SPOOL_KAFKA_ADVERTISED_LISTENER: 'kafka.example:9093' } })).toMatchObject({ kafkaPort: 19092, kafkaAdvertisedListener: 'kafka.example:9093' });
    for (const flags of [{ kafkaPort: '-1' }, { kafkaPort: '65536' }, { kafkaPort: 'x' }, { kafkaAdvertisedListener: 'no-port' }, { kafkaAdvertisedListener: 'h:0' }, { kafkaAutoCreateTopics: 'yes' }, { kafkaHost: '' }]) {
      expect(() => loadBrokerConfig({ flags }), JSON.stringify(flags)).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_INVALID_CONFIG' }));
    }
  });
});
