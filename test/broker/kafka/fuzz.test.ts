/**
 * Frame fuzzer against a live listener: fast-check frames with wrong sizes, negative lengths, huge
 * array counts, truncated tagged fields, unknown API keys and versions, and valid requests (data,
 * group, SASL, producer-id and ACL APIs) with random bytes flipped. The broker must not crash, must keep serving a bystander connection, and
 * its memory must stay bounded.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supportedApis } from '../../../broker/kafka/apis.js';
import { encodeRecordBatch } from '../../../storage/index.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { RawKafkaClient } from './support/raw-client.js';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startBroker({ kafka: true, flush: 'never' });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'fuzzed', partitions: 2 } });
});

afterAll(async () => {
  await broker?.close();
});

const validFrames = [
  RawKafkaClient.frame('Metadata', 12, { topics: [{ topicId: '0'.repeat(32), name: 'fuzzed' }], allowAutoTopicCreation: false }, 1),
  RawKafkaClient.frame('ApiVersions', 3, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }, 2),
  RawKafkaClient.frame('Produce', 9, { transactionalId: null, acks: 1, timeoutMs: 100, topicData: [{ name: 'fuzzed', partitionData: [{ index: 1, records: encodeRecordBatch([{ value: Buffer.from('v') }]) }] }] }, 3),
  RawKafkaClient.frame('Fetch', 12, { maxWaitMs: 0, minBytes: 1, maxBytes: 1000, topics: [{ topic: 'fuzzed', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1000 }] }], forgottenTopicsData: [], rackId: '' }, 4),
  RawKafkaClient.frame('CreateTopics', 5, { topics: [{ name: 'fuzz-created', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 100, validateOnly: true }, 5),
  // The group, SASL, producer-id and ACL requests, so their decoders and handlers meet damaged and
  // forged fields too (a member id of 2^31 bytes, an assignment array of -2, an ACL resource type 99).
  RawKafkaClient.frame('JoinGroup', 9, { groupId: 'fuzz-group', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(4) }], reason: null }, 6),
  RawKafkaClient.frame('SyncGroup', 5, { groupId: 'fuzz-group', generationId: 1, memberId: 'forged', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: 'forged', assignment: Buffer.alloc(8) }] }, 7),
  RawKafkaClient.frame('Heartbeat', 4, { groupId: 'fuzz-group', generationId: 1, memberId: 'forged', groupInstanceId: null }, 8),
  RawKafkaClient.frame('LeaveGroup', 5, { groupId: 'fuzz-group', members: [{ memberId: 'forged', groupInstanceId: null, reason: null }] }, 9),
  RawKafkaClient.frame('OffsetCommit', 8, { groupId: 'fuzz-group', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'fuzzed', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }] }, 10),
  RawKafkaClient.frame('OffsetFetch', 8, { groups: [{ groupId: 'fuzz-group', topics: [{ name: 'fuzzed', partitionIndexes: [0, 1] }] }], requireStable: false }, 11),
  RawKafkaClient.frame('SaslHandshake', 1, { mechanism: 'SCRAM-SHA-512' }, 12),
  RawKafkaClient.frame('SaslAuthenticate', 2, { authBytes: Buffer.from('\0user\0password') }, 13),
  RawKafkaClient.frame('InitProducerId', 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }, 14),
  RawKafkaClient.frame('FindCoordinator', 4, { keyType: 0, coordinatorKeys: ['fuzz-group'] }, 15),
  RawKafkaClient.frame('CreateAcls', 3, { creations: [{ resourceType: 2, resourceName: 'fuzz-acl-', resourcePatternType: 4, principal: 'User:fuzz', host: '*', operation: 3, permissionType: 3 }] }, 16),
  RawKafkaClient.frame('DescribeAcls', 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }, 17),
];

function sized(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

const headerOnly = fc
  .record({ apiKey: fc.integer({ min: -5, max: 100 }), version: fc.integer({ min: -3, max: 40 }), tail: fc.uint8Array({ maxLength: 64 }) })
  .map(({ apiKey, version, tail }) => {
    const head = Buffer.alloc(8);
    head.writeInt16BE(apiKey, 0);
    head.writeInt16BE(version, 2);
    head.writeInt32BE(9, 4);
    return sized(Buffer.concat([head, tail]));
  });

const mutated = fc
  .record({ frame: fc.constantFrom(...validFrames), edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }) })
  .map(({ frame, edits }) => {
    const bytes = Buffer.from(frame);
    for (const [at, byte] of edits) bytes[4 + (at % (bytes.length - 4))] = byte; // the size stays right
    return bytes;
  });

/** A count or length of 0x7fffffff / -2 / a 5-byte varint placed inside an otherwise valid frame. */
const forgedCounts = fc
  .record({ frame: fc.constantFrom(...validFrames), at: fc.nat(), forged: fc.constantFrom([0x7f, 0xff, 0xff, 0xff], [0xff, 0xff, 0xff, 0xfe], [0xff, 0xff, 0xff, 0xff, 0x0f], [0x80, 0x80, 0x80, 0x80, 0x80]) })
  .map(({ frame, at, forged }) => {
    const bytes = Buffer.from(frame);
    const start = 12 + (at % Math.max(1, bytes.length - 12 - forged.length));
    Buffer.from(forged).copy(bytes, start);
    return bytes;
  });

const wrongSizes = fc.record({ frame: fc.constantFrom(...validFrames), size: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }).map(({ frame, size }) => {
  const bytes = Buffer.from(frame);
  bytes.writeInt32BE(size, 0);
  return bytes;
});

const truncated = fc.record({ frame: fc.constantFrom(...validFrames), cut: fc.nat() }).map(({ frame, cut }) => {
  const body = frame.subarray(4, 4 + 8 + (cut % (frame.length - 12)));
  return sized(body);
});

describe('Kafka frame fuzzer', () => {
  it('survives thousands of hostile frames: no crash, bystanders served, memory bounded', async () => {
    const bystander = await RawKafkaClient.connect(broker.kafka!);
    const heapBefore = process.memoryUsage().heapUsed;
    let sent = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.oneof(headerOnly, mutated, forgedCounts, wrongSizes, truncated), { minLength: 1, maxLength: 4 }), async (frames) => {
          const client = await RawKafkaClient.connect(broker.kafka!);
          for (const frame of frames) client.write(frame);
          sent += frames.length;
          // Half-close: the broker reads every byte up to the end, then closes its side.
          client.socket.end();
          await client.closed;
        }),
        { numRuns: 1000 },
      );
      const answer = await bystander.request('ApiVersions', 3, { clientSoftwareName: 'bystander', clientSoftwareVersion: '1' });
      expect(answer).toMatchObject({ errorCode: 0, apiKeys: supportedApis });
      expect((await call(`${broker.url}/health`)).status).toBe(200);
    } finally {
      bystander.close();
    }
    expect(sent).toBeGreaterThan(1000);
    // The broker runs in this process: forged counts of 2^31 would have allocated gigabytes.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(512 * 1024 * 1024);
  });
});
