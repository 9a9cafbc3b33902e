/**
 * The Kafka half of the permission table, over every API the listener serves (enumerated from its
 * API table): without credentials the connection is closed, wrong credentials are answered
 * SASL_AUTHENTICATION_FAILED, a principal lacking the ACLs gets the matching *_AUTHORIZATION_FAILED
 * codes (as Kafka answers them) with the log, offsets, groups and ACLs unchanged, and a principal
 * holding exactly the ACLs the table names is served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apisByKey } from '../../../broker/kafka/apis.js';
import { kafkaAccessRequests } from '../../../broker/kafka/authorization.js';
import type { KafkaServices } from '../../../broker/kafka/context.js';
import type { Message } from '../../../broker/kafka/protocol/codec.js';
import { type ApiName, messages } from '../../../broker/kafka/protocol/messages.js';
import { ZERO_UUID } from '../../../broker/kafka/protocol/schema.js';
import { kafkaPermissions } from '../../../broker/security/permissions.js';
import { encodeRecordBatch } from '../../../storage/index.js';
import { RawKafkaClient } from '../kafka/support/raw-client.js';
import { call, type TestBroker } from '../support/broker.js';
import { admin, ADMIN_PASSWORD, grant, startSecuredBroker } from './support.js';

const TOPIC_AUTHORIZATION_FAILED = 29;
const GROUP_AUTHORIZATION_FAILED = 30;
const CLUSTER_AUTHORIZATION_FAILED = 31;
const SASL_AUTHENTICATION_FAILED = 58;
const UNKNOWN_MEMBER_ID = 25;
const REFUSALS = new Set([TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED]);

interface Fixture {
  version: number;
  body: () => Message;
  /** The code a principal lacking the ACLs gets (null: the answer is filtered instead, and `filtered` checks it). */
  refused: number | null;
  filtered?: (answer: Message) => void;
  /** Error codes a principal holding the ACLs may get besides NONE (a member id nobody holds). */
  alsoFine?: number[];
}

const partitions = (name: string, fields: Message) => [{ name, partitions: [{ partitionIndex: 0, ...fields }] }];

const someAcl = { resourceType: 2, resourceName: 'x', principal: 'User:x', host: '*', operation: 3, permissionType: 3 };
const aclFilter = { resourceTypeFilter: 2, resourceNameFilter: 'x', patternTypeFilter: 3, principalFilter: 'User:x', hostFilter: '*', operation: 3, permissionType: 3 };

/** One request per API that succeeds given the API's ACLs (the public ones are not in it). */
const fixtures: Partial<Record<ApiName, Fixture>> = {
  Produce: {
    version: 7,
    refused: TOPIC_AUTHORIZATION_FAILED,
    body: () => ({ transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 't', partitionData: [{ index: 0, records: encodeRecordBatch([{ value: Buffer.from('k') }]) }] }] }),
  },
  Fetch: {
    version: 11,
    refused: TOPIC_AUTHORIZATION_FAILED,
    body: () => ({ replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1 }] }], forgottenTopicsData: [], rackId: '' }),
  },
  ListOffsets: { version: 5, refused: TOPIC_AUTHORIZATION_FAILED, body: () => ({ replicaId: -1, isolationLevel: 0, topics: partitions('t', { timestamp: -1, currentLeaderEpoch: -1 }) }) },
  Metadata: { version: 9, refused: TOPIC_AUTHORIZATION_FAILED, body: () => ({ topics: [{ name: 't' }], allowAutoTopicCreation: false }) },
  OffsetCommit: {
    version: 8,
    refused: GROUP_AUTHORIZATION_FAILED,
    body: () => ({ groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: partitions('t', { committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }) }),
  },
  OffsetFetch: { version: 7, refused: GROUP_AUTHORIZATION_FAILED, body: () => ({ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }], requireStable: false }) },
  FindCoordinator: { version: 4, refused: GROUP_AUTHORIZATION_FAILED, body: () => ({ keyType: 0, coordinatorKeys: ['g'] }) },
  JoinGroup: {
    version: 5,
    refused: GROUP_AUTHORIZATION_FAILED,
    alsoFine: [79], // MEMBER_ID_REQUIRED: v4+ hand out the member id first (KIP-394)
    body: () => ({ groupId: 'kj', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] }),
  },
  SyncGroup: { version: 3, refused: GROUP_AUTHORIZATION_FAILED, alsoFine: [UNKNOWN_MEMBER_ID], body: () => ({ groupId: 'kj', generationId: 1, memberId: 'nobody', groupInstanceId: null, assignments: [] }) },
  Heartbeat: { version: 3, refused: GROUP_AUTHORIZATION_FAILED, alsoFine: [UNKNOWN_MEMBER_ID], body: () => ({ groupId: 'kj', generationId: 1, memberId: 'nobody', groupInstanceId: null }) },
  LeaveGroup: { version: 3, refused: GROUP_AUTHORIZATION_FAILED, alsoFine: [UNKNOWN_MEMBER_ID], body: () => ({ groupId: 'kj', members: [{ memberId: 'nobody', groupInstanceId: null }] }) },
  DescribeGroups: { version: 5, refused: GROUP_AUTHORIZATION_FAILED, body: () => ({ groups: ['g'], includeAuthorizedOperations: false }) },
  ListGroups: {
    version: 4,
    refused: null,
    filtered: (answer) => expect(answer.groups).toEqual([]),
    body: () => ({ statesFilter: [] }),
  },
  CreateTopics: {
    version: 5,
    refused: TOPIC_AUTHORIZATION_FAILED,
    body: () => ({ topics: [{ name: 'k-created', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false }),
  },
  DeleteTopics: { version: 5, refused: TOPIC_AUTHORIZATION_FAILED, body: () => ({ topicNames: ['k-doomed'], timeoutMs: 5000 }) },
  DeleteRecords: { version: 2, refused: TOPIC_AUTHORIZATION_FAILED, body: () => ({ topics: [{ name: 't', partitions: [{ partitionIndex: 1, offset: 0 }] }], timeoutMs: 5000 }) },
  InitProducerId: { version: 4, refused: null, body: () => ({ transactionalId: null, transactionTimeoutMs: -1, producerId: -1, producerEpoch: -1 }) },
  DescribeConfigs: { version: 4, refused: TOPIC_AUTHORIZATION_FAILED, body: () => ({ resources: [{ resourceType: 2, resourceName: 't', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }) },
  AlterConfigs: { version: 2, refused: TOPIC_AUTHORIZATION_FAILED, body: () => ({ resources: [{ resourceType: 2, resourceName: 't', configs: [] }], validateOnly: true }) },
  IncrementalAlterConfigs: { version: 1, refused: TOPIC_AUTHORIZATION_FAILED, body: () => ({ resources: [{ resourceType: 2, resourceName: 't', configs: [] }], validateOnly: true }) },
  CreatePartitions: { version: 3, refused: TOPIC_AUTHORIZATION_FAILED, body: () => ({ topics: [{ name: 't', count: 3, assignments: null }], timeoutMs: 5000, validateOnly: true }) },
  DeleteGroups: { version: 2, refused: GROUP_AUTHORIZATION_FAILED, body: () => ({ groupsNames: ['doomed-group'] }) },
  OffsetDelete: { version: 0, refused: GROUP_AUTHORIZATION_FAILED, body: () => ({ groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 1 }] }] }) },
  CreateAcls: { version: 3, refused: CLUSTER_AUTHORIZATION_FAILED, body: () => ({ creations: [{ ...someAcl, resourcePatternType: 3 }] }) },
  DescribeAcls: { version: 3, refused: CLUSTER_AUTHORIZATION_FAILED, body: () => aclFilter },
  DeleteAcls: { version: 3, refused: CLUSTER_AUTHORIZATION_FAILED, body: () => ({ filters: [aclFilter] }) },
  DescribeCluster: { version: 1, refused: CLUSTER_AUTHORIZATION_FAILED, body: () => ({ includeClusterAuthorizedOperations: false, endpointType: 1 }) },
};

/** Every errorCode anywhere in an answer. */
function errorCodes(value: unknown): number[] {
  if (Array.isArray(value)) return value.flatMap(errorCodes);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return [];
  return Object.entries(value).flatMap(([key, inner]) => (key === 'errorCode' && typeof inner === 'number' ? [inner] : errorCodes(inner)));
}

/** The literal ACL entries granting exactly what the table says the request needs. */
function grantsFor(api: ApiName, body: Message, principal: string): Array<Record<string, unknown>> {
  const rule = kafkaPermissions[api]!;
  if (rule.access !== 'needs') return [];
  const names = { topicName: () => undefined } as unknown as KafkaServices['cluster'];
  return rule.needs.flatMap((need) =>
    kafkaAccessRequests(need, body, { cluster: names } as KafkaServices).map((access) => ({ principal, resourceType: access.resourceType, resourceName: access.resourceName, operation: access.operation, permission: 'allow' })),
  );
}

describe('the permission table over the Kafka listener', () => {
  let t: TestBroker;
  const served = [...apisByKey.values()].map((api) => api.name).filter((name) => kafkaPermissions[name]?.access !== 'public');

  async function connected(user?: string, password?: string): Promise<RawKafkaClient> {
    const client = await RawKafkaClient.connect(t.kafka!);
    if (user !== undefined) expect(await client.authenticatePlain(user, password!)).toBe(0);
    return client;
  }

  async function state(): Promise<unknown> {
    const get = async (path: string) => (await call(`${t.url}${path}`, { headers: admin })).body;
    const topics = ((await get('/v1/topics')) as { topics: Array<{ name: string }> }).topics;
    const details = await Promise.all(topics.map((entry) => get(`/v1/topics/${entry.name}`)));
    return {
      topics: details.map((detail: any) => ({ name: detail.name, config: detail.config, partitions: detail.partitionDetails.map((p: any) => [p.highWatermark, p.logStartOffset, p.bytes]) })),
      groups: JSON.stringify(await get('/v1/groups')),
      offsets: await get('/v1/groups/g/offsets'),
      acls: await get('/v1/admin/acls'),
    };
  }

  beforeAll(async () => {
    t = await startSecuredBroker({ kafka: true, limits: { authFailureDelayMsBase: 1, authFailureDelayMsMax: 2 } });
    for (const user of ['bare', 'granted']) await call(`${t.url}/v1/admin/users/${user}`, { method: 'PUT', headers: admin, json: { password: `${user} pw` } });
    const asAdmin = (method: string, path: string, json?: unknown) => call(`${t.url}${path}`, { method, headers: admin, ...(json !== undefined ? { json } : {}) });
    await asAdmin('POST', '/v1/topics', { name: 't', partitions: 2 });
    await asAdmin('POST', '/v1/topics', { name: 'k-doomed', partitions: 1 });
    await asAdmin('POST', '/v1/topics/t/records', { records: [{ value: 1 }, { value: 2 }] });
    await asAdmin('POST', '/v1/groups/g/offsets', { offsets: [{ topic: 't', partition: 0, offset: 1 }] });
    await asAdmin('POST', '/v1/groups/doomed-group/offsets', { offsets: [{ topic: 't', partition: 0, offset: 1 }] });
  });
  afterAll(() => t.close());

  it('has a fixture for every API the listener serves that is not public', () => {
    expect(served.filter((name) => !(name in fixtures))).toEqual([]);
  });

  it('closes the connection of a client without credentials on every non-public API', async () => {
    for (const api of served) {
      const fixture = fixtures[api]!;
      const client = await connected();
      client.send(api, fixture.version, fixture.body());
      expect([api, await client.nextFrame()]).toEqual([api, null]);
    }
  });

  it('answers SASL_AUTHENTICATION_FAILED to a wrong password, and then serves nothing', async () => {
    const client = await connected();
    expect(await client.authenticatePlain('granted', 'wrong')).toBe(SASL_AUTHENTICATION_FAILED);
    const fixture = fixtures.Metadata!;
    client.send('Metadata', fixture.version, fixture.body());
    expect(await client.nextFrame()).toBeNull();
  });

  it('answers the Kafka authorization error of each API to a principal lacking the ACLs, changing nothing', async () => {
    const before = await state();
    const client = await connected('bare', 'bare pw');
    let checked = 0;
    for (const api of served) {
      const fixture = fixtures[api]!;
      const answer = await client.request(api, fixture.version, fixture.body());
      const codes = errorCodes(answer);
      if (fixture.refused === null) {
        fixture.filtered?.(answer);
        expect([api, codes.filter((code) => REFUSALS.has(code))]).toEqual([api, []]);
        continue;
      }
      // Fetch's top-level code stays NONE with each partition refused, as in Kafka.
      expect([api, codes.includes(fixture.refused), codes.filter((code) => code !== fixture.refused && code !== 0)]).toEqual([api, true, []]);
      if (api === 'Fetch') expect(answer.responses[0].partitions[0].records.length).toBe(0);
      checked += 1;
    }
    client.close();
    expect(checked).toBeGreaterThan(20);
    expect(await state()).toEqual(before);
  }, 60_000);

  it('answers the whole-request refusal at every version of the APIs refused as a whole', async () => {
    const client = await connected('bare', 'bare pw');
    let checked = 0;
    for (const api of apisByKey.values()) {
      const fixture = fixtures[api.name];
      if (api.answersRefusals || !fixture || fixture.refused === null) continue;
      const { min, max } = messages[api.name].request.versions;
      for (let version = min; version <= max; version++) {
        const answer = await client.request(api.name, version, fixture.body());
        expect([api.name, version, answer.errorCode]).toEqual([api.name, version, fixture.refused]);
        checked += 1;
      }
    }
    client.close();
    expect(checked).toBeGreaterThan(15);
  });

  it('answers refusals in the shape of older and newer versions too', async () => {
    const client = await connected('bare', 'bare pw');
    const v1 = await client.request('OffsetFetch', 1, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] });
    expect(v1.topics[0].partitions[0].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    const v8 = await client.request('OffsetFetch', 8, { groups: [{ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] }], requireStable: false });
    expect(v8.groups[0].errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    expect((await client.request('FindCoordinator', 3, { key: 'g', keyType: 0 })).errorCode).toBe(GROUP_AUTHORIZATION_FAILED);
    const deleted = await client.request('DeleteTopics', 6, { topics: [{ name: 'k-doomed', topicId: ZERO_UUID }], timeoutMs: 5000 });
    expect(deleted.responses[0].errorCode).toBe(TOPIC_AUTHORIZATION_FAILED);
    client.close();
    expect((await call(`${t.url}/v1/topics/k-doomed`, { headers: admin })).status).toBe(200);
  });

  it('serves each API to a principal holding exactly the ACLs the table names for it', async () => {
    const client = await connected('granted', 'granted pw');
    for (const api of served) {
      const fixture = fixtures[api]!;
      const body = fixture.body();
      const grants = grantsFor(api, body, 'User:granted');
      if (grants.length > 0) await grant(t.url, grants);
      const answer = await client.request(api, fixture.version, body);
      const fine = new Set([0, ...(fixture.alsoFine ?? [])]);
      expect([api, errorCodes(answer).filter((code) => !fine.has(code))]).toEqual([api, []]);
      if (grants.length > 0) await call(`${t.url}/v1/admin/acls`, { method: 'DELETE', headers: admin, json: { acls: grants } });
    }
    client.close();
  }, 60_000);

  it('serves the allowed topics of a request and refuses the others in the same answer', async () => {
    await grant(t.url, [{ principal: 'User:granted', resourceType: 'topic', resourceName: 't', operation: 'Write', permission: 'allow' }]);
    const client = await connected('granted', 'granted pw');
    const records = encodeRecordBatch([{ value: Buffer.from('mixed') }]);
    const answer = await client.request('Produce', 7, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: ['t', 'k-doomed'].map((name) => ({ name, partitionData: [{ index: 0, records }] })),
    });
    client.close();
    expect(answer.responses.map((topic: Message) => [topic.name, topic.partitionResponses[0].errorCode])).toEqual([
      ['t', 0],
      ['k-doomed', TOPIC_AUTHORIZATION_FAILED],
    ]);
  });

  it('still serves a superuser everything', async () => {
    const client = await connected('admin', ADMIN_PASSWORD);
    const answer = await client.request('DescribeCluster', 1, fixtures.DescribeCluster!.body());
    client.close();
    expect(answer.errorCode).toBe(0);
  });
});
