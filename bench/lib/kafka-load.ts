/**
 * Load generators for bench:kafka that speak the Kafka protocol directly or through
 * @platformatic/kafka: one-record Produce requests kept in flight over a few connections, and a
 * produce/consume round through @platformatic/kafka (its producer, and its lowest-level Fetch).
 */
import { connect, type Socket } from 'node:net';
import { Admin, Connection, fetchV17, Producer } from '@platformatic/kafka';
import { encodeRequestFrame } from '../../broker/kafka/protocol/request-frame.js';
import { encodeRecordBatch } from '../../storage/index.js';

export interface KafkaAddress {
  host: string;
  port: number;
}

function open(address: KafkaAddress): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(address.port, address.host, () => resolve(socket));
    socket.once('error', reject);
    socket.setNoDelay(true);
  });
}

export interface InFlightLoad {
  connections: number;
  inFlight: number;
  seconds: number;
}

/**
 * Keeps `inFlight` requests outstanding in total across `connections` sockets for `seconds`, each
 * answer sending the next request (`nextFrame()`); `failed(answer)` tells a refused answer (its
 * body after the size). Answers answers/s; throws when any answer failed.
 */
export async function keepInFlight(address: KafkaAddress, nextFrame: () => Buffer, options: InFlightLoad, failed: (answer: Buffer) => boolean = () => false): Promise<number> {
  const sockets = await Promise.all(Array.from({ length: options.connections }, () => open(address)));
  const deadline = performance.now() + options.seconds * 1000;
  let answered = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    sockets.map(
      (socket, i) =>
        new Promise<void>((resolve) => {
          const share = Math.floor(options.inFlight / options.connections) + (i < options.inFlight % options.connections ? 1 : 0);
          let outstanding = share;
          let pending: Buffer = Buffer.alloc(0);
          socket.on('data', (data: Buffer) => {
            pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
            while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
              const size = pending.readInt32BE(0);
              if (failed(pending.subarray(4, 4 + size))) failures++;
              pending = pending.subarray(4 + size);
              answered++;
              outstanding--;
              if (performance.now() < deadline) {
                socket.write(nextFrame());
                outstanding++;
              }
            }
            if (outstanding === 0) resolve();
          });
          for (let n = 0; n < share; n++) socket.write(nextFrame());
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const socket of sockets) socket.destroy();
  if (failures > 0) throw new Error(`${failures} of ${answered} Kafka requests failed`);
  return answered / seconds;
}

/** One-record Produce v9 requests (acks=1) kept in flight; answers requests/s. */
export async function oneRecordProduce(address: KafkaAddress, topic: string, value: Buffer, options: InFlightLoad): Promise<number> {
  const records = encodeRecordBatch([{ value }]);
  const frame = encodeRequestFrame('Produce', 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }, 1);
  return keepInFlight(address, () => frame, options);
}

/** @platformatic/kafka's producer: `records` values in sends of `perSend`; answers records/s. */
export async function platformaticProduce(address: KafkaAddress, topic: string, value: Buffer, records: number, perSend: number): Promise<number> {
  const producer = new Producer({ clientId: 'bench', bootstrapBrokers: [`${address.host}:${address.port}`] });
  const messages = Array.from({ length: perSend }, () => ({ topic, value, partition: 0 }));
  const started = performance.now();
  try {
    for (let sent = 0; sent < records; sent += perSend) await producer.send({ messages, acks: 1 });
  } finally {
    await producer.close();
  }
  return records / ((performance.now() - started) / 1000);
}

/** @platformatic/kafka's Fetch v17 on one connection, from offset 0 until `records` are read; answers records/s. */
export async function platformaticConsume(address: KafkaAddress, topic: string, records: number): Promise<number> {
  const admin = new Admin({ clientId: 'bench', bootstrapBrokers: [`${address.host}:${address.port}`] });
  const topicId = (await admin.metadata({ topics: [topic] })).topics.get(topic)!.id;
  await admin.close();
  const connection = new Connection('bench');
  await connection.connect(address.host, address.port);
  let offset = 0n;
  const started = performance.now();
  try {
    while (offset < BigInt(records)) {
      const partition = { partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, partitionMaxBytes: 8 << 20 };
      const answer = await fetchV17.api.async(connection, 500, 1, 8 << 20, 0, 0, -1, [{ topicId, partitions: [partition] }], [], '');
      for (const batch of answer.responses[0]!.partitions[0]!.records ?? []) offset = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
    }
  } finally {
    await connection.close();
  }
  return records / ((performance.now() - started) / 1000);
}
