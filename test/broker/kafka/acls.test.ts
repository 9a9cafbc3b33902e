/**
 * CreateAcls, DescribeAcls and DeleteAcls on the Kafka listener: KafkaJS's admin (v1) and
 * @platformatic/kafka's v3 APIs manage the same entries as /v1/admin/acls, an ACL made over Kafka
 * takes effect on HTTP and one made over HTTP on Kafka, bad creations and filters answer
 * INVALID_REQUEST, and a principal without Alter on the cluster gets CLUSTER_AUTHORIZATION_FAILED.
 */
import { Connection, createAclsV3, deleteAclsV3, describeAclsV3 } from '@platformatic/kafka';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawKafkaClient } from './support/raw-client.js';
import { call, type TestBroker } from '../support/broker.js';
import { admin, ADMIN_PASSWORD, basic, startSecuredBroker } from '../security/support.js';

let t: TestBroker;

beforeAll(async () => {
  t = await startSecuredBroker({ kafka: true, limits: { authFailureDelayMsBase: 1, authFailureDelayMsMax: 2 } });
  for (const user of ['alice', 'bob']) await call(`${t.url}/v1/admin/users/${user}`, { method: 'PUT', headers: admin, json: { password: `${user} pw` } });
  await call(`${t.url}/v1/topics`, { method: 'POST', headers: admin, json: { name: 'orders', partitions: 1 } });
});
afterAll(() => t.close());

function kafkajs(user: string, password: string) {
  return new Kafka({ clientId: 'acls-test', brokers: [t.kafka!.address], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: 'scram-sha-512', username: user, password } });
}

async function httpAcls(principal: string): Promise<unknown[]> {
  return (await call(`${t.url}/v1/admin/acls?principal=${encodeURIComponent(principal)}`, { headers: admin })).body.acls;
}

const aliceReadsOrders = {
  resourceType: AclResourceTypes.TOPIC,
  resourceName: 'orders',
  resourcePatternType: ResourcePatternTypes.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: AclOperationTypes.READ,
  permissionType: AclPermissionTypes.ALLOW,
};

describe('ACL APIs with KafkaJS', () => {
  it('creates an ACL that HTTP then honours, describes it, and deletes it', async () => {
    const client = kafkajs('admin', ADMIN_PASSWORD).admin();
    await client.connect();
    try {
      await client.createAcls({ acl: [aliceReadsOrders] });
      expect(await httpAcls('User:alice')).toEqual([{ principal: 'User:alice', resourceType: 'topic', resourceName: 'orders', patternType: 'literal', operation: 'Read', permission: 'allow', host: '*' }]);
      const read = await call(`${t.url}/v1/topics/orders/partitions/0/records?offset=0`, { headers: basic('alice', 'alice pw') });
      expect(read.status).toBe(200);

      const described = await client.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        principal: 'User:alice',
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      });
      expect(described.resources).toEqual([
        { resourceType: AclResourceTypes.TOPIC, resourceName: 'orders', resourcePatternType: ResourcePatternTypes.LITERAL, acls: [{ principal: 'User:alice', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW }] },
      ]);

      const deleted = await client.deleteAcls({ filters: [{ ...aliceReadsOrders, resourcePatternType: ResourcePatternTypes.MATCH, operation: AclOperationTypes.ANY }] });
      expect(deleted.filterResponses[0]!.matchingAcls).toHaveLength(1);
      expect(await httpAcls('User:alice')).toEqual([]);
      const refused = await call(`${t.url}/v1/topics/orders/partitions/0/records?offset=0`, { headers: basic('alice', 'alice pw') });
      expect(refused.status).toBe(403);
    } finally {
      await client.disconnect();
    }
  });

  it('lets an ACL added over HTTP take effect on the Kafka listener', async () => {
    const producer = kafkajs('bob', 'bob pw').producer();
    await producer.connect();
    try {
      await expect(producer.send({ topic: 'orders', messages: [{ value: 'before' }] })).rejects.toThrow(/authoriz/i);
      const granted = await call(`${t.url}/v1/admin/acls`, { method: 'POST', headers: admin, json: { acls: [{ principal: 'User:bob', resourceType: 'topic', resourceName: 'ord', patternType: 'prefixed', operation: 'Write', permission: 'allow' }] } });
      expect(granted.status).toBe(200);
      await producer.send({ topic: 'orders', messages: [{ value: 'after' }] });
    } finally {
      await producer.disconnect();
    }
  });

  it('refuses ACL changes to a principal without Alter on the cluster', async () => {
    const client = kafkajs('alice', 'alice pw').admin();
    await client.connect();
    try {
      await expect(client.createAcls({ acl: [{ ...aliceReadsOrders, operation: AclOperationTypes.ALL }] })).rejects.toThrow(/authoriz/i);
      await expect(client.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY })).rejects.toThrow(/authoriz/i);
    } finally {
      await client.disconnect();
    }
    expect(await httpAcls('User:alice')).toEqual([]);
  });
});

describe('ACL APIs with @platformatic/kafka (v3)', () => {
  it('creates, describes and deletes prefixed group ACLs', async () => {
    const connection = new Connection('acls-test', { sasl: { mechanism: 'SCRAM-SHA-256', username: 'admin', password: ADMIN_PASSWORD } });
    await connection.connect(t.kafka!.host, t.kafka!.port);
    try {
      const creation = { resourceType: 3, resourceName: 'billing-', resourcePatternType: 4, principal: 'User:bob', host: '*', operation: 3, permissionType: 3 };
      expect((await createAclsV3.api.async(connection, [creation])).results).toEqual([{ errorCode: 0, errorMessage: null }]);
      // MATCH finds the prefixed entry covering a group name.
      const described = await describeAclsV3.api.async(connection, 3, 'billing-eu', 2, null, null, 1, 1);
      expect(described.resources).toEqual([{ resourceType: 3, resourceName: 'billing-', patternType: 4, acls: [{ principal: 'User:bob', host: '*', operation: 3, permissionType: 3 }] }]);
      const deleted = await deleteAclsV3.api.async(connection, [{ resourceTypeFilter: 3, resourceNameFilter: null, patternTypeFilter: 4, principalFilter: 'User:bob', hostFilter: null, operation: 1, permissionType: 1 }]);
      expect(deleted.filterResults[0].matchingAcls.map((acl: { resourceName: string }) => acl.resourceName)).toEqual(['billing-']);
      expect((await httpAcls('User:bob')).some((acl: any) => acl.resourceType === 'group')).toBe(false);
    } finally {
      await connection.close();
    }
  });
});

describe('bad creations and filters', () => {
  it('answers INVALID_REQUEST per creation and per filter, storing none of the bad ones', async () => {
    const client = await RawKafkaClient.connect(t.kafka!);
    expect(await client.authenticatePlain('admin', ADMIN_PASSWORD)).toBe(0);
    const good = { resourceType: 2, resourceName: 'audit', resourcePatternType: 3, principal: 'User:carol', host: '*', operation: 3, permissionType: 3 };
    const bad = [
      { ...good, resourceType: 1 }, // ANY is a filter value
      { ...good, resourceType: 5 }, // TRANSACTIONAL_ID: nothing in Spool
      { ...good, resourcePatternType: 2 }, // MATCH is a filter value
      { ...good, operation: 12 }, // IDEMPOTENT_WRITE
      { ...good, permissionType: 0 },
      { ...good, principal: 'Group:x' },
      { ...good, principal: 'User:' + 'x'.repeat(300) },
      { ...good, host: 'example.com' },
      { ...good, resourceName: '' },
      { ...good, resourceType: 4, resourceName: 'other-cluster' },
    ];
    const queue = { ...good, resourceType: 100, resourceName: 'jobs' }; // Spool's queue resource type
    const created = await client.request('CreateAcls', 3, { creations: [good, queue, ...bad] });
    expect(created.results.map((result: { errorCode: number }) => result.errorCode)).toEqual([0, 0, ...bad.map(() => 42)]);
    expect((await httpAcls('User:carol')).map((acl: any) => [acl.resourceType, acl.resourceName]).sort()).toEqual([
      ['queue', 'jobs'],
      ['topic', 'audit'],
    ]);
    const described = await client.request('DescribeAcls', 3, { resourceTypeFilter: 0, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
    expect([described.errorCode, described.resources]).toEqual([42, []]);
    const deleted = await client.request('DeleteAcls', 3, {
      filters: [
        { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: 'User:carol', hostFilter: null, operation: 0, permissionType: 1 },
        { resourceTypeFilter: 2, resourceNameFilter: 'audit', patternTypeFilter: 3, principalFilter: 'User:carol', hostFilter: '*', operation: 3, permissionType: 3 },
      ],
    });
    expect(deleted.filterResults.map((result: { errorCode: number; matchingAcls: unknown[] }) => [result.errorCode, result.matchingAcls.length])).toEqual([
      [42, 0],
      [0, 1],
    ]);
    expect(await httpAcls('User:carol')).toHaveLength(1); // the queue entry stays
    client.close();
  });

  it('answers each creation and filter CLUSTER_AUTHORIZATION_FAILED without Alter on the cluster', async () => {
    const client = await RawKafkaClient.connect(t.kafka!);
    expect(await client.authenticatePlain('alice', 'alice pw')).toBe(0);
    const created = await client.request('CreateAcls', 1, { creations: [{ ...aliceReadsOrders, resourcePatternType: 3 }] });
    expect(created.results.map((result: { errorCode: number }) => result.errorCode)).toEqual([31]);
    const deleted = await client.request('DeleteAcls', 1, { filters: [{ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }] });
    expect(deleted.filterResults.map((result: { errorCode: number }) => result.errorCode)).toEqual([31]);
    client.close();
    expect((await call(`${t.url}/v1/admin/acls`, { headers: admin })).body.acls.length).toBeGreaterThan(0);
  });
});
