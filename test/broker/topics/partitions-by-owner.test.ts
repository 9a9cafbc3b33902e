/**
 * quotaPartitionsPerPrincipal (broker/topics/partitions-by-owner.ts): the topics a principal
 * created hold at most so many partitions, whoever adds partitions to them; HTTP answers 429
 * SPOOL_ERR_QUOTA_EXCEEDED naming the setting, Kafka POLICY_VIOLATION, and nothing is created;
 * deleting a topic gives its partitions back; the creator is kept in spool.db across a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type TestBroker } from '../support/broker.js';
import { RawKafkaClient } from '../kafka/support/raw-client.js';
import { admin, basic, grant, startSecuredBroker } from '../security/support.js';

const POLICY_VIOLATION = 44;
const alice = basic('alice', 'alice pw');
const bob = basic('bob', 'bob pw');
let t: TestBroker;

beforeAll(async () => {
  t = await startSecuredBroker({ kafka: true, settings: { quotaPartitionsPerPrincipal: 5 } });
  for (const user of ['alice', 'bob']) await call(`${t.url}/v1/admin/users/${user}`, { method: 'PUT', headers: admin, json: { password: `${user} pw` } });
  await grant(t.url, ['alice', 'bob'].map((user) => ({ principal: `User:${user}`, resourceType: 'topic', resourceName: '*', operation: 'All', permission: 'allow' })));
});
afterAll(() => t.close());

const create = (headers: Record<string, string>, name: string, partitions: number) => call(`${t.url}/v1/topics`, { method: 'POST', headers, json: { name, partitions } });

describe('partitions per principal', () => {
  it('caps the partitions of the topics a principal created, counts added ones against the creator, and gives them back on delete', async () => {
    expect((await create(alice, 'alice-1', 3)).status).toBe(201);
    const refused = await create(alice, 'alice-2', 3);
    expect([refused.status, refused.body.error.code, refused.body.error.limit, refused.body.error.max, refused.body.error.topic]).toEqual([429, 'SPOOL_ERR_QUOTA_EXCEEDED', 'quotaPartitionsPerPrincipal', 5, 'alice-2']);
    expect((await call(`${t.url}/v1/topics/alice-2`, { headers: admin })).status).toBe(404);
    expect((await create(bob, 'bob-1', 3)).status).toBe(201); // bob has his own count

    const client = await RawKafkaClient.connect(t.kafka!);
    try {
      expect(await client.authenticatePlain('bob', 'bob pw')).toBe(0);
      // bob grows alice's topic: the partitions are alice's.
      const grow = (count: number) => client.request('CreatePartitions', 3, { topics: [{ name: 'alice-1', count, assignments: null }], timeoutMs: 5000, validateOnly: false });
      expect((await grow(6)).results[0].errorCode).toBe(POLICY_VIOLATION);
      expect((await grow(5)).results[0].errorCode).toBe(0);
      const created = await client.request('CreateTopics', 7, { topics: [{ name: 'bob-2', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      expect(created.topics[0].errorCode).toBe(POLICY_VIOLATION);
    } finally {
      client.close();
    }

    t = await t.restart();
    expect((await create(alice, 'alice-3', 1)).status).toBe(429); // alice-1's 5 partitions are still alice's
    expect((await call(`${t.url}/v1/topics/alice-1`, { method: 'DELETE', headers: admin })).status).toBe(204);
    expect((await create(alice, 'alice-3', 5)).status).toBe(201);
  });

  it('refuses extreme counts (past the quota, 2^31, 2^53 + 1), creating nothing', async () => {
    for (const partitions of [6, 2 ** 31, 2 ** 53 + 1]) expect((await create(bob, 'bob-huge', partitions)).status).toBeGreaterThanOrEqual(400);
    expect((await call(`${t.url}/v1/topics/bob-huge`, { headers: admin })).status).toBe(404);
  });
});
