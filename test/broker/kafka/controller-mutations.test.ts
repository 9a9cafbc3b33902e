/**
 * quotaControllerMutationsPerSec (Kafka's controller_mutation_rate, KIP-599;
 * broker/kafka/controller-mutations.ts and the HTTP topic routes): partitions created, added or
 * deleted per second per principal, on both listeners. While the principal owes the bucket, HTTP
 * topic creation and deletion answer 429 naming the setting, and Kafka's strict versions
 * (CreateTopics v6+, CreatePartitions v3+, DeleteTopics v5+) answer THROTTLING_QUOTA_EXCEEDED (89)
 * per topic with throttle_time_ms, touching nothing; older versions do the change and answer
 * throttle_time_ms. Another principal is not throttled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZERO_UUID } from '../../../broker/kafka/protocol/schema.js';
import { call, type TestBroker } from '../support/broker.js';
import { admin, basic, grant, startSecuredBroker } from '../security/support.js';
import { RawKafkaClient } from './support/raw-client.js';

const THROTTLING_QUOTA_EXCEEDED = 89;
/** Partitions per second: creating DEBT_PARTITIONS leaves about 8 s of debt, longer than the requests below take. */
const RATE = 100;
const DEBT_PARTITIONS = 900;

const bob = basic('bob', 'bob pw');
let t: TestBroker;

beforeAll(async () => {
  t = await startSecuredBroker({ kafka: true, settings: { quotaControllerMutationsPerSec: RATE } });
  await call(`${t.url}/v1/admin/users/bob`, { method: 'PUT', headers: admin, json: { password: 'bob pw' } });
  await grant(t.url, [{ principal: 'User:bob', resourceType: 'topic', resourceName: '*', operation: 'All', permission: 'allow' }]);
  for (const name of ['kept-1', 'kept-2']) await call(`${t.url}/v1/topics`, { method: 'POST', headers: admin, json: { name, partitions: 1 } });
});
afterAll(() => t.close());

const exists = async (topic: string) => (await call(`${t.url}/v1/topics/${topic}`, { headers: admin })).status === 200;
const createTopic = (name: string, partitions = 1) => ({ topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });

describe('controller mutations per principal', () => {
  it('refuses topic changes while the principal owes its quota, on HTTP and on Kafka\'s strict versions, and throttles older versions', async () => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => RawKafkaClient.connect(t.kafka!)));
    try {
      for (const client of clients) expect(await client.authenticatePlain('bob', 'bob pw')).toBe(0);
      // Within the quota: served, and the bucket goes into debt.
      expect((await call(`${t.url}/v1/topics`, { method: 'POST', headers: bob, json: { name: 'big', partitions: DEBT_PARTITIONS } })).status).toBe(201);

      const refused = await call(`${t.url}/v1/topics`, { method: 'POST', headers: bob, json: { name: 'refused-http', partitions: 1 } });
      expect([refused.status, refused.body.error.code, refused.body.error.limit]).toEqual([429, 'SPOOL_ERR_QUOTA_EXCEEDED', 'quotaControllerMutationsPerSec']);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await call(`${t.url}/v1/topics/kept-1`, { method: 'DELETE', headers: bob })).status).toBe(429);

      // Sent together: each is decided while the debt stands (answers come once it is paid).
      const [strictCreate, permissiveCreate, strictGrow, strictDelete, permissiveDelete] = await Promise.all([
        clients[0]!.request('CreateTopics', 7, createTopic('refused-kafka')),
        clients[1]!.request('CreateTopics', 5, createTopic('permitted-kafka')),
        clients[2]!.request('CreatePartitions', 3, { topics: [{ name: 'kept-1', count: 2, assignments: null }], timeoutMs: 5000, validateOnly: false }),
        clients[3]!.request('DeleteTopics', 6, { topics: [{ name: 'kept-1', topicId: ZERO_UUID }], timeoutMs: 5000 }),
        clients[4]!.request('DeleteTopics', 4, { topicNames: ['kept-2'], timeoutMs: 5000 }),
      ]);
      expect(strictCreate.topics[0].errorCode).toBe(THROTTLING_QUOTA_EXCEEDED);
      expect(strictGrow.results[0].errorCode).toBe(THROTTLING_QUOTA_EXCEEDED);
      expect(strictDelete.responses[0].errorCode).toBe(THROTTLING_QUOTA_EXCEEDED);
      expect(permissiveCreate.topics[0].errorCode).toBe(0);
      expect(permissiveDelete.responses[0].errorCode).toBe(0);
      for (const answer of [strictCreate, permissiveCreate, strictGrow, strictDelete, permissiveDelete]) expect(answer.throttleTimeMs).toBeGreaterThan(0);

      expect(await exists('refused-http')).toBe(false);
      expect(await exists('refused-kafka')).toBe(false);
      expect((await call(`${t.url}/v1/topics/kept-1`, { headers: admin })).body.partitions).toBe(1);
      expect(await exists('permitted-kafka')).toBe(true);
      expect(await exists('kept-2')).toBe(false);
      // Another principal has its own bucket.
      expect((await call(`${t.url}/v1/topics`, { method: 'POST', headers: admin, json: { name: 'admins', partitions: 1 } })).status).toBe(201);
    } finally {
      clients.forEach((client) => client.close());
    }
  });
});
