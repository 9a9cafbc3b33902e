/**
 * What the ACLs must not leak through side doors: a `#` pattern member is never assigned a
 * partition of a topic its principal may not Read (another member that may is), GET /v1/groups'
 * totalLag counts only topics the caller may Describe, and an idempotent producer id works only
 * for the principal that obtained it (HTTP 403, Kafka CLUSTER_AUTHORIZATION_FAILED), so another
 * principal can neither write as it nor fence it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/index.js';
import { RawKafkaClient } from '../kafka/support/raw-client.js';
import { call, type TestBroker } from '../support/broker.js';
import { admin, basic, grant, startSecuredBroker } from './support.js';

const CLUSTER_AUTHORIZATION_FAILED = 31;
const BATCH = 'application/vnd.spool.batch';

let t: TestBroker;
const mallory = basic('mallory', 'mallory pw');
const alice = basic('alice', 'alice pw');

beforeAll(async () => {
  t = await startSecuredBroker({ kafka: true, limits: { authFailureDelayMsBase: 1, authFailureDelayMsMax: 2 } });
  for (const user of ['mallory', 'alice']) await call(`${t.url}/v1/admin/users/${user}`, { method: 'PUT', headers: admin, json: { password: `${user} pw` } });
  for (const name of ['secret', 'mine']) await call(`${t.url}/v1/topics`, { method: 'POST', headers: admin, json: { name, partitions: 2 } });
  await call(`${t.url}/v1/topics/secret/records`, { method: 'POST', headers: admin, json: { records: [{ valueString: 'x' }, { valueString: 'y' }, { valueString: 'z' }] } });
  await grant(t.url, [
    ...['mallory', 'alice'].map((user) => ({ principal: `User:${user}`, resourceType: 'group', resourceName: 'g', operation: 'Read', permission: 'allow' })),
    ...['mallory', 'alice'].map((user) => ({ principal: `User:${user}`, resourceType: 'topic', resourceName: 'mine', operation: 'All', permission: 'allow' })),
    { principal: 'User:alice', resourceType: 'topic', resourceName: 'secret', operation: 'Read', permission: 'allow' },
    { principal: 'User:mallory', resourceType: 'cluster', resourceName: 'kafka-cluster', operation: 'Describe', permission: 'allow' },
  ]);
});
afterAll(() => t.close());

async function assignedTopics(group: string): Promise<Record<string, string[]>> {
  const described = (await call(`${t.url}/v1/groups/${group}`, { headers: admin })).body;
  return Object.fromEntries(described.members.map((member: { memberId: string; assignments: Array<{ topic: string }> }) => [member.memberId, [...new Set(member.assignments.map((tp) => tp.topic))].sort()]));
}

describe('pattern members and topic ACLs', () => {
  it('never assigns a `#` member partitions of a topic its principal may not Read', async () => {
    const joined = await call(`${t.url}/v1/groups/g/members`, { method: 'POST', headers: mallory, json: { pattern: '#' } });
    expect(joined.status).toBe(200);
    // The admin sees every assignment: the secret partitions went to nobody rather than to mallory.
    expect(await assignedTopics('g')).toEqual({ [joined.body.memberId]: ['mine'] });
    const other = await call(`${t.url}/v1/groups/g/members`, { method: 'POST', headers: alice, json: { pattern: '#' } });
    expect(other.status).toBe(200);
    await call(`${t.url}/v1/groups/g/members/${joined.body.memberId}/heartbeat`, { method: 'POST', headers: mallory, json: {} });
    const assigned = await assignedTopics('g');
    expect(assigned[joined.body.memberId]!.includes('secret')).toBe(false);
    expect(assigned[other.body.memberId]).toContain('secret');
    for (const [memberId, headers] of [[joined.body.memberId, mallory], [other.body.memberId, alice]] as const) await call(`${t.url}/v1/groups/g/members/${memberId}`, { method: 'DELETE', headers });
  });
});

describe('GET /v1/groups', () => {
  it('counts in totalLag only the topics the caller may Describe', async () => {
    await call(`${t.url}/v1/groups/lagging/offsets`, { method: 'POST', headers: admin, json: { offsets: [{ topic: 'secret', partition: 0, offset: 0 }] } });
    const lagOf = async (headers: Record<string, string>) => (await call(`${t.url}/v1/groups`, { headers })).body.groups.find((group: { name: string }) => group.name === 'lagging').totalLag;
    expect(await lagOf(admin)).toBeGreaterThan(0);
    expect(await lagOf(mallory)).toBe(0);
  });
});

describe('idempotent producer ids bound to their principal', () => {
  it('refuses over HTTP a raw batch carrying another principal\'s producer id, writing nothing', async () => {
    const issued = (await call(`${t.url}/v1/producers`, { method: 'POST', headers: alice, json: {} })).body;
    const batch = (sequence: number) => encodeRecordBatch([{ value: Buffer.from(`seq ${sequence}`) }], { producerId: issued.producerId, producerEpoch: issued.producerEpoch, baseSequence: sequence });
    const send = (headers: Record<string, string>, body: Buffer) => call(`${t.url}/v1/topics/mine/records?partition=0`, { method: 'POST', headers: { ...headers, 'content-type': BATCH }, body });
    const highWatermarks = async () => (await call(`${t.url}/v1/topics/mine`, { headers: admin })).body.partitionDetails.map((p: { highWatermark: number }) => p.highWatermark);
    const before = await highWatermarks();
    const stolen = await send(mallory, batch(0));
    expect([stolen.status, stolen.body.error?.code]).toEqual([403, 'SPOOL_ERR_FORBIDDEN']);
    expect(stolen.body.error.principal).toBe('User:mallory');
    expect(await highWatermarks()).toEqual(before);
    // The owner's sequence 0 is still its first write, not a duplicate of the stolen one.
    const own = await send(alice, batch(0));
    expect([own.status, own.body.duplicate]).toEqual([200, undefined]);
  });

  it('answers CLUSTER_AUTHORIZATION_FAILED over Kafka to another principal producing with, or re-initialising, the id', async () => {
    const owner = await RawKafkaClient.connect(t.kafka!);
    expect(await owner.authenticatePlain('alice', 'alice pw')).toBe(0);
    const init = await owner.request('InitProducerId', 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(init.errorCode).toBe(0);
    const thief = await RawKafkaClient.connect(t.kafka!);
    expect(await thief.authenticatePlain('mallory', 'mallory pw')).toBe(0);
    const records = encodeRecordBatch([{ value: Buffer.from('stolen') }], { producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: 0 });
    const produced = await thief.request('Produce', 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'mine', partitionData: [{ index: 1, records }] }] });
    expect(produced.responses[0].partitionResponses[0].errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
    const fenced = await thief.request('InitProducerId', 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: init.producerId, producerEpoch: init.producerEpoch });
    expect(fenced.errorCode).toBe(CLUSTER_AUTHORIZATION_FAILED);
    // The owner's epoch was not bumped: its own batch at that epoch is written.
    const own = await owner.request('Produce', 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'mine', partitionData: [{ index: 1, records }] }] });
    expect(own.responses[0].partitionResponses[0].errorCode).toBe(0);
    owner.close();
    thief.close();
  });
});
