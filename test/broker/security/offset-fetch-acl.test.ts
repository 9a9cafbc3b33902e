/**
 * Kafka OffsetFetch with no topic list (topics=null: every committed partition of the group)
 * answers only the topics the principal may Describe (finding 9): the group's commits on other
 * topics would name them and their positions.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type TestBroker } from '../support/broker.js';
import { admin, grant, startSecuredBroker } from './support.js';

describe('OffsetFetch of all of a group\'s topics (finding 9)', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startSecuredBroker({ kafka: true, limits: { authFailureDelayMsBase: 1, authFailureDelayMsMax: 2 } });
    await call(`${t.url}/v1/admin/users/alice`, { method: 'PUT', headers: admin, json: { password: 'alice pw' } });
    for (const name of ['shared', 'secret']) await call(`${t.url}/v1/topics`, { method: 'POST', headers: admin, json: { name, partitions: 1 } });
    const committed = await call(`${t.url}/v1/groups/g/offsets`, { method: 'POST', headers: admin, json: { offsets: [{ topic: 'shared', partition: 0, offset: 0 }, { topic: 'secret', partition: 0, offset: 0 }] } });
    expect(committed.status).toBe(200);
    await grant(t.url, [
      { principal: 'User:alice', resourceType: 'group', resourceName: 'g', operation: 'Read', permission: 'allow' },
      { principal: 'User:alice', resourceType: 'topic', resourceName: 'shared', operation: 'Read', permission: 'allow' },
    ]);
  });
  afterAll(() => t.close());

  const topicsFetchedBy = async (username: string, password: string): Promise<string[]> => {
    const kafka = new Kafka({ clientId: 'offset-fetch-acl', brokers: [t.kafka!.address], logLevel: logLevel.NOTHING, retry: { retries: 3 }, sasl: { mechanism: 'scram-sha-256', username, password } });
    const client = kafka.admin();
    await client.connect();
    try {
      // No topics: KafkaJS sends OffsetFetch with topics=null.
      const answer = await client.fetchOffsets({ groupId: 'g' });
      return answer.map((entry) => entry.topic).sort();
    } finally {
      await client.disconnect();
    }
  };

  it('lists only the topics the principal may Describe', async () => {
    expect(await topicsFetchedBy('alice', 'alice pw')).toEqual(['shared']);
    expect(await topicsFetchedBy('admin', 'admin secret')).toEqual(['secret', 'shared']);
  });
});
