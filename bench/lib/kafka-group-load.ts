/**
 * Consumer-group loads for bench:kafka: a KafkaJS group replaying a backlog beside Spool's own
 * client group doing the same, and pipelined Kafka OffsetCommit requests (simple commits of many
 * groups, as bench:groups measures HTTP commits).
 */
import { connect, type Socket } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import type { Spool } from '../../client/index.js';
import { encodeRequestFrame } from '../../broker/kafka/protocol/request-frame.js';
import type { KafkaAddress } from './kafka-load.js';

/** `members` KafkaJS consumers of one new group read `records` from the beginning; answers records/s. */
export async function kafkajsGroupReplay(address: KafkaAddress, topic: string, records: number, members: number): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench-group', brokers: [`${address.host}:${address.port}`], logLevel: logLevel.NOTHING });
  const consumers = Array.from({ length: members }, () => kafka.consumer({ groupId: `kafkajs-${topic}`, maxBytes: 16 << 20, maxBytesPerPartition: 4 << 20, maxWaitTimeInMs: 100 }));
  let seen = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const started = performance.now();
  await Promise.all(
    consumers.map(async (consumer) => {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          seen += batch.messages.length;
          if (seen >= records) done();
        },
      });
    }),
  );
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(consumers.map((consumer) => consumer.disconnect()));
  return records / seconds;
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

function open(address: KafkaAddress): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(address.port, address.host, () => resolve(socket));
    socket.once('error', reject);
    socket.setNoDelay(true);
  });
}

/**
 * OffsetCommit v8 requests, each a simple commit (generation -1) of one partition for one of
 * `groups` groups, `inFlight` outstanding over `connections` sockets for `seconds`; answers
 * commits/s (every answer checked for error code 0).
 */
export async function kafkaCommitRate(address: KafkaAddress, topic: string, options: { groups: number; partitions: number; connections: number; inFlight: number; seconds: number }): Promise<number> {
  const frames = Array.from({ length: options.groups }, (_, n) =>
    encodeRequestFrame('OffsetCommit', 8, {
      groupId: `commits-${n}`,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: topic, partitions: [{ partitionIndex: n % options.partitions, committedOffset: n % 100, committedLeaderEpoch: -1, committedMetadata: null }] }],
    }, n),
  );
  const sockets = await Promise.all(Array.from({ length: options.connections }, () => open(address)));
  const deadline = performance.now() + options.seconds * 1000;
  let answered = 0;
  let failed = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    sockets.map(
      (socket, i) =>
        new Promise<void>((resolve) => {
          const share = Math.floor(options.inFlight / options.connections) + (i < options.inFlight % options.connections ? 1 : 0);
          let outstanding = share;
          let pending: Buffer = Buffer.alloc(0);
          const send = () => socket.write(frames[next++ % frames.length]!);
          socket.on('data', (data: Buffer) => {
            pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
            while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
              const size = pending.readInt32BE(0);
              // the one partition's error code sits before its, its topic's and the body's empty tag buffers
              if (pending.readInt16BE(4 + size - 5) !== 0) failed++;
              pending = pending.subarray(4 + size);
              answered++;
              outstanding--;
              if (performance.now() < deadline) {
                send();
                outstanding++;
              }
            }
            if (outstanding === 0) resolve();
          });
          for (let n = 0; n < share; n++) send();
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const socket of sockets) socket.destroy();
  if (failed > 0) throw new Error(`${failed} of ${answered} Kafka commits failed`);
  return answered / seconds;
}
