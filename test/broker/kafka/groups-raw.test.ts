/**
 * The group and offset APIs against forged and extreme requests, on a bare connection: each is
 * answered with Kafka's error code, nothing invalid is stored, and the listener keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaErrorCode } from '../../../broker/kafka/error-codes.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { RawKafkaClient } from './support/raw-client.js';

let broker: TestBroker;
let client: RawKafkaClient;

beforeAll(async () => {
  broker = await startBroker({ kafka: true });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'raw', partitions: 2 } });
  await call(`${broker.url}/v1/topics/raw/records`, { method: 'POST', json: { records: [{ value: 1, partition: 0 }, { value: 2, partition: 0 }] } });
  client = await RawKafkaClient.connect(broker.kafka!);
});

afterAll(async () => {
  client?.close();
  await broker?.close();
});

const join = (overrides: Record<string, unknown>) =>
  client.request('JoinGroup', 9, { groupId: 'raw-group', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(4) }], reason: null, ...overrides });

const commit = (groupId: string, partitions: Array<Record<string, unknown>>, topic = 'raw') =>
  client.request('OffsetCommit', 8, { groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: topic, partitions: partitions.map((p) => ({ committedLeaderEpoch: -1, committedMetadata: null, ...p })) }] });

describe('group APIs against forged requests', () => {
  it('refuses empty and overlong group ids and out-of-range session timeouts, storing nothing', async () => {
    expect((await join({ groupId: '' })).errorCode).toBe(KafkaErrorCode.INVALID_GROUP_ID);
    expect((await join({ groupId: 'g'.repeat(250) })).errorCode).toBe(KafkaErrorCode.INVALID_GROUP_ID);
    expect((await commit('g'.repeat(250), [{ partitionIndex: 0, committedOffset: 1 }])).topics[0].partitions[0].errorCode).toBe(KafkaErrorCode.INVALID_GROUP_ID);
    for (const sessionTimeoutMs of [-1, 0, 999, 2 ** 31 - 1]) expect((await join({ sessionTimeoutMs })).errorCode).toBe(KafkaErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await call(`${broker.url}/v1/groups`)).body.groups.filter((group: { name: string }) => group.name.startsWith('g'))).toEqual([]);
  });

  it('refuses protocol metadata past kafkaGroupMemberBytesMax and an unknown member', async () => {
    expect((await join({ protocols: [{ name: 'range', metadata: Buffer.alloc(1024 * 1024 + 1) }] })).errorCode).toBe(KafkaErrorCode.INVALID_REQUEST);
    expect((await join({ memberId: 'forged-member' })).errorCode).toBe(KafkaErrorCode.UNKNOWN_MEMBER_ID);
    const sync = await client.request('SyncGroup', 5, { groupId: 'raw-group', generationId: 1, memberId: 'forged', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(sync.errorCode).toBe(KafkaErrorCode.UNKNOWN_MEMBER_ID);
    const heartbeat = await client.request('Heartbeat', 4, { groupId: 'raw-group', generationId: -5, memberId: 'forged', groupInstanceId: null });
    expect(heartbeat.errorCode).toBe(KafkaErrorCode.UNKNOWN_MEMBER_ID);
    const leave = await client.request('LeaveGroup', 5, { groupId: 'raw-group', members: [{ memberId: 'forged', groupInstanceId: null, reason: null }] });
    expect(leave.members[0].errorCode).toBe(KafkaErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('checks each committed partition on its own: range, unknown partitions and topics, metadata size', async () => {
    const answer = await commit('offsets-group', [
      { partitionIndex: 0, committedOffset: 2, committedMetadata: 'kept' },
      { partitionIndex: 1, committedOffset: 1 },
      { partitionIndex: 7, committedOffset: 0 },
    ]);
    expect(answer.topics[0].partitions.map((p: { errorCode: number }) => p.errorCode)).toEqual([KafkaErrorCode.NONE, KafkaErrorCode.OFFSET_OUT_OF_RANGE, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    const errorOf = async (partition: Record<string, unknown>) => (await commit('offsets-group', [partition])).topics[0].partitions[0].errorCode;
    expect(await errorOf({ partitionIndex: 1, committedOffset: 2 ** 53 + 1 })).toBe(KafkaErrorCode.OFFSET_OUT_OF_RANGE);
    expect(await errorOf({ partitionIndex: 1, committedOffset: -3 })).toBe(KafkaErrorCode.OFFSET_OUT_OF_RANGE);
    expect(await errorOf({ partitionIndex: 1, committedOffset: 0, committedMetadata: 'm'.repeat(4097) })).toBe(KafkaErrorCode.OFFSET_METADATA_TOO_LARGE);
    expect((await commit('offsets-group', [{ partitionIndex: 0, committedOffset: 1 }], 'no-such-topic')).topics[0].partitions[0].errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const fetched = await client.request('OffsetFetch', 8, { groups: [{ groupId: 'offsets-group', topics: null }, { groupId: 'never-committed', topics: [{ name: 'raw', partitionIndexes: [0] }] }], requireStable: false });
    expect(fetched.groups[0].topics).toEqual([{ name: 'raw', partitions: [expect.objectContaining({ partitionIndex: 0, committedOffset: 2, metadata: 'kept', errorCode: 0 })] }]);
    expect(fetched.groups[1].topics[0].partitions[0]).toMatchObject({ committedOffset: -1, errorCode: 0 });
    const http = await call(`${broker.url}/v1/groups/offsets-group/offsets`);
    expect(http.body.offsets).toEqual([expect.objectContaining({ topic: 'raw', partition: 0, offset: 2, metadata: 'kept' })]);
  });

  it('deletes offsets and groups with Kafka’s answers', async () => {
    const deleted = await client.request('OffsetDelete', 0, { groupId: 'offsets-group', topics: [{ name: 'raw', partitions: [{ partitionIndex: 0 }] }] });
    expect(deleted).toMatchObject({ errorCode: 0, topics: [{ name: 'raw', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] });
    expect((await call(`${broker.url}/v1/groups/offsets-group/offsets`)).body.offsets).toEqual([]);
    const groups = await client.request('DeleteGroups', 2, { groupsNames: ['offsets-group', 'never-seen'] });
    expect(groups.results).toEqual([expect.objectContaining({ groupId: 'offsets-group', errorCode: 0 }), expect.objectContaining({ groupId: 'never-seen', errorCode: KafkaErrorCode.GROUP_ID_NOT_FOUND })]);
    expect(client.isClosed).toBe(false);
  });
});
