/**
 * Consumer-group loads for bench:kafka: a KafkaJS group replaying a backlog beside Spool's own
 * client group doing the same, and pipelined Kafka OffsetCommit requests (simple commits of many
 * groups, as bench:groups measures HTTP commits).
 */
import { Kafka, logLevel } from 'kafkajs';
import type { Spool } from '../../client/index.js';
import { encodeRequestFrame } from '../../broker/kafka/protocol/request-frame.js';
import { type InFlightLoad, type KafkaAddress, keepInFlight } from './kafka-load.js';

export interface GroupReplay {
  /** From the first connect to the last record: joins and the first rebalance included. */
  recordsPerSecond: number;
  /** From the first record handed to the application to the last. */
  replayRecordsPerSecond: number;
  /**
   * Records per CPU-second this (client) process spent, the broker being a child process: what
   * the client's own decoding costs, so how many cores a group needs for a given rate.
   */
  recordsPerClientCpuSecond: number;
}

/** `members` KafkaJS consumers of one new group read `records` from the beginning. */
export async function kafkajsGroupReplay(address: KafkaAddress, topic: string, records: number, members: number): Promise<GroupReplay> {
  const kafka = new Kafka({ clientId: 'bench-group', brokers: [`${address.host}:${address.port}`], logLevel: logLevel.NOTHING });
  const consumers = Array.from({ length: members }, () => kafka.consumer({ groupId: `kafkajs-${topic}`, maxBytes: 16 << 20, maxBytesPerPartition: 4 << 20, maxWaitTimeInMs: 100 }));
  let seen = 0;
  let firstRecordAt = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    consumers.map(async (consumer) => {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          firstRecordAt ||= performance.now();
          seen += batch.messages.length;
          if (seen >= records) done();
        },
      });
    }),
  );
  await finished;
  const ended = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  await Promise.all(consumers.map((consumer) => consumer.disconnect()));
  return {
    recordsPerSecond: records / ((ended - started) / 1000),
    replayRecordsPerSecond: records / ((ended - firstRecordAt) / 1000),
    recordsPerClientCpuSecond: records / ((cpu.user + cpu.system) / 1e6),
  };
}

/** `members` consumers of Spool's own client in one group read `records` from the beginning; answers records/s. */
export async function clientGroupReplay(spool: Spool, topic: string, records: number, members: number): Promise<number> {
  const consumers = Array.from({ length: members }, () =>
    spool.consumer<Buffer>({ groupId: `client-${topic}`, topics: [topic], offsetReset: 'earliest', codec: 'bytes', maxBytes: 4 * 1024 * 1024 }),
  );
  let seen = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const started = performance.now();
  await Promise.all(
    consumers.map((consumer) =>
      consumer.run({
        eachBatch: ({ messages }) => {
          seen += messages.length;
          if (seen >= records) done();
        },
      }),
    ),
  );
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(consumers.map((consumer) => consumer.close()));
  return records / seconds;
}

/**
 * OffsetCommit v8 requests, each a simple commit (generation -1) of one partition for one of
 * `groups` groups, kept in flight; answers commits/s (every answer checked for error code 0).
 * Offset 0 is valid whatever the partition holds (keyless records spread unevenly).
 */
export async function kafkaCommitRate(address: KafkaAddress, topic: string, options: InFlightLoad & { groups: number; partitions: number }): Promise<number> {
  const frames = Array.from({ length: options.groups }, (_, n) =>
    encodeRequestFrame('OffsetCommit', 8, {
      groupId: `commits-${n}`,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: topic, partitions: [{ partitionIndex: n % options.partitions, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: null }] }],
    }, n),
  );
  let next = 0;
  // The one partition's error code sits before its, its topic's and the body's empty tag buffers.
  return keepInFlight(address, () => frames[next++ % frames.length]!, options, (answer) => answer.readInt16BE(answer.length - 5) !== 0);
}
