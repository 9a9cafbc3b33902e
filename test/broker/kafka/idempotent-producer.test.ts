/**
 * Idempotent producers over the Kafka listener: InitProducerId from the same store as
 * POST /v1/producers, sequences checked by the storage engine as for HTTP raw batches (a retry
 * answered with its original offset, a gap refused, an old epoch fenced), across a restart; a
 * KafkaJS idempotent producer whose answer is lost in a proxy writes its batch once; a
 * transactional id is refused.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaErrorCode } from '../../../broker/kafka/error-codes.js';
import { encodeRecordBatch } from '../../../storage/index.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { RawKafkaClient } from './support/raw-client.js';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startBroker({ kafka: true });
});

afterAll(async () => {
  await broker?.close();
});

function batch(producerId: number, producerEpoch: number, baseSequence: number, values: string[]): Buffer {
  return encodeRecordBatch(values.map((value) => ({ value: Buffer.from(value) })), { producerId, producerEpoch, baseSequence });
}

async function produceRaw(client: RawKafkaClient, topic: string, records: Buffer) {
  const answer = await client.request('Produce', 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return answer.responses[0].partitionResponses[0] as { errorCode: number; baseOffset: number };
}

async function httpCount(topic: string): Promise<number> {
  const answer = await call(`${broker.url}/v1/topics/${topic}`);
  return answer.body.partitionDetails.reduce((sum: number, partition: { highWatermark: number }) => sum + partition.highWatermark, 0);
}

/** A TCP proxy to the listener that swallows the answer to the first Produce request it sees. */
async function droppingProxy(): Promise<{ server: Server; port: number; dropped: () => number; target: { host: string; port: number } }> {
  let dropped = 0;
  const target = { host: '127.0.0.1', port: 0 }; // set once the broker behind it listens
  let toDrop: number | null = null;
  const server = createServer((client: Socket) => {
    const upstream = connect(target.port, target.host);
    let fromClient = Buffer.alloc(0);
    let fromBroker = Buffer.alloc(0);
    client.on('data', (data: Buffer) => {
      fromClient = Buffer.concat([fromClient, data]);
      while (fromClient.length >= 4 && fromClient.length >= 4 + fromClient.readInt32BE(0)) {
        const size = fromClient.readInt32BE(0);
        const apiKey = fromClient.readInt16BE(4);
        if (apiKey === 0 && toDrop === null && dropped === 0) toDrop = fromClient.readInt32BE(8);
        upstream.write(fromClient.subarray(0, 4 + size));
        fromClient = fromClient.subarray(4 + size);
      }
    });
    upstream.on('data', (data: Buffer) => {
      fromBroker = Buffer.concat([fromBroker, data]);
      while (fromBroker.length >= 4 && fromBroker.length >= 4 + fromBroker.readInt32BE(0)) {
        const size = fromBroker.readInt32BE(0);
        const correlationId = fromBroker.readInt32BE(4);
        if (correlationId === toDrop) {
          dropped++;
          toDrop = -1;
        } else {
          client.write(fromBroker.subarray(0, 4 + size));
        }
        fromBroker = fromBroker.subarray(4 + size);
      }
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0, dropped: () => dropped, target };
}

describe('InitProducerId and idempotent Produce', () => {
  it('issues ids from the shared store, bumps the epoch on re-init, and checks sequences as the HTTP path does, across a restart', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'idem', partitions: 1 } });
    let client = await RawKafkaClient.connect(broker.kafka!);
    const init = await client.request('InitProducerId', 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(init).toMatchObject({ errorCode: KafkaErrorCode.NONE, producerEpoch: 0 });
    const producerId = init.producerId as number;
    expect(producerId).toBeGreaterThan(0);

    expect(await produceRaw(client, 'idem', batch(producerId, 0, 0, ['a', 'b']))).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 0 });
    expect(await produceRaw(client, 'idem', batch(producerId, 0, 2, ['c']))).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 2 });
    // A retry of the first batch: the original offset, nothing written.
    expect(await produceRaw(client, 'idem', batch(producerId, 0, 0, ['a', 'b']))).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 0 });
    expect(await produceRaw(client, 'idem', batch(producerId, 0, 5, ['gap']))).toMatchObject({ errorCode: KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(await produceRaw(client, 'idem', batch(producerId, 3, 3, ['future epoch']))).toMatchObject({ errorCode: KafkaErrorCode.INVALID_PRODUCER_EPOCH });
    expect(await httpCount('idem')).toBe(3);

    client.close();
    broker = await broker.restart();
    client = await RawKafkaClient.connect(broker.kafka!);
    expect(await produceRaw(client, 'idem', batch(producerId, 0, 2, ['c']))).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 2 });
    expect(await httpCount('idem')).toBe(3);

    const again = await client.request('InitProducerId', 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId, producerEpoch: 0 });
    expect(again).toMatchObject({ errorCode: KafkaErrorCode.NONE, producerId, producerEpoch: 1 });
    expect(await produceRaw(client, 'idem', batch(producerId, 0, 3, ['zombie']))).toMatchObject({ errorCode: KafkaErrorCode.INVALID_PRODUCER_EPOCH });
    expect(await produceRaw(client, 'idem', batch(producerId, 1, 0, ['new epoch']))).toMatchObject({ errorCode: KafkaErrorCode.NONE, baseOffset: 3 });
    const stale = await client.request('InitProducerId', 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId, producerEpoch: 0 });
    expect(stale).toMatchObject({ errorCode: KafkaErrorCode.INVALID_PRODUCER_EPOCH, producerId: -1 });
    client.close();
  });

  it('refuses a transactional id (FindCoordinator, InitProducerId and Produce alike)', async () => {
    const client = await RawKafkaClient.connect(broker.kafka!);
    const init = await client.request('InitProducerId', 4, { transactionalId: 'tx-1', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(init).toMatchObject({ errorCode: KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1 });
    const coordinator = await client.request('FindCoordinator', 4, { keyType: 1, coordinatorKeys: ['tx-1'] });
    expect(coordinator.coordinators[0]).toMatchObject({ key: 'tx-1', errorCode: KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED });
    const produced = await client.request('Produce', 9, { transactionalId: 'tx-1', acks: -1, timeoutMs: 5000, topicData: [{ name: 'idem', partitionData: [{ index: 0, records: batch(1, 0, 0, ['x']) }] }] });
    expect(produced.responses[0].partitionResponses[0].errorCode).toBe(KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    client.close();
  });

  it('a KafkaJS idempotent producer whose Produce answer is dropped retries, and the batch is written once', async () => {
    const proxy = await droppingProxy();
    // Metadata answers the advertised address: the proxy's, so every connection of the client goes through it.
    const behind = await startBroker({ kafka: true, settings: { kafkaAdvertisedListener: `127.0.0.1:${proxy.port}` } });
    proxy.target.port = behind.kafka!.port;
    try {
      await call(`${behind.url}/v1/topics`, { method: 'POST', json: { name: 'idem-retry', partitions: 1 } });
      const kafka = new Kafka({ clientId: 'idem', brokers: [`127.0.0.1:${proxy.port}`], logLevel: logLevel.NOTHING, requestTimeout: 1500, retry: { retries: 5, initialRetryTime: 100 } });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const sent = await producer.send({ topic: 'idem-retry', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })) });
      await producer.send({ topic: 'idem-retry', acks: -1, messages: [{ value: 'after' }] });
      await producer.disconnect();
      expect(proxy.dropped()).toBe(1);
      expect(sent[0]).toMatchObject({ errorCode: 0, baseOffset: '0' });
      const described = await call(`${behind.url}/v1/topics/idem-retry`);
      expect(described.body.partitionDetails[0].highWatermark).toBe(11);
    } finally {
      await behind.close();
      proxy.server.close();
    }
  });
});
