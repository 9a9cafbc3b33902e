/**
 * One broker, two protocols: a record produced over Kafka is fetched over HTTP at the same offset
 * with the same bytes, and the other way round; expectedOffsets conflicts still work on HTTP while
 * a Kafka producer writes; an erased stream's offsets are skipped by a Kafka fetch and its id is
 * refused to a Kafka producer.
 */
import { CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeRecordBatches } from '../../../storage/index.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { RawKafkaClient } from './support/raw-client.js';

let broker: TestBroker;
let producer: Producer;

beforeAll(async () => {
  broker = await startBroker({ kafka: true });
  producer = new Kafka({ clientId: 'cross', brokers: [broker.kafka!.address], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await broker?.close();
});

async function kafkaFetch(topic: string, offset: number): Promise<Buffer> {
  const client = await RawKafkaClient.connect(broker.kafka!);
  try {
    const answer = await client.request('Fetch', 11, {
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 10 << 20,
      isolationLevel: 0,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 10 << 20 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    expect(answer.responses[0].partitions[0].errorCode).toBe(0);
    return answer.responses[0].partitions[0].records as Buffer;
  } finally {
    client.close();
  }
}

describe('Kafka and HTTP on one log', () => {
  it('an erased stream: a Kafka fetch skips its offsets, a Kafka produce of its key is refused', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'es', partitions: 1, config: { streamIndex: true } } });
    for (const stream of ['gone', 'kept', 'gone', 'kept']) {
      await call(`${broker.url}/v1/topics/es/streams/${stream}/events`, { method: 'POST', json: { events: [{ type: 'T', data: stream }] } });
    }
    expect((await call(`${broker.url}/v1/topics/es/streams/gone/erase`, { method: 'POST' })).status).toBe(202);
    await vi.waitFor(async () => expect((await call(`${broker.url}/v1/topics/es/streams/gone`)).body.error.erasePending).toBe(false), { timeout: 20_000 });
    const records = decodeRecordBatches(await kafkaFetch('es', 0)).flatMap((batch) => batch.records);
    expect(records.map((record) => [record.offset, String(record.key)])).toEqual([[1, 'kept'], [3, 'kept']]);
    const refused = await producer.send({ topic: 'es', messages: [{ key: 'gone', value: 'again' }] }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/failed the validation/); // INVALID_RECORD, not retried
  });

  it('produced over Kafka: HTTP reads the same offsets, and the raw batch bytes equal what a Kafka fetch serves', async () => {
    await producer.send({ topic: 'k2h', compression: CompressionTypes.GZIP, messages: [{ key: 'a', value: 'alpha', headers: { h: 'x' } }, { key: 'b', value: 'beta' }] });
    const http = await call(`${broker.url}/v1/topics/k2h/partitions/0/records?offset=0&valueFormat=string`);
    expect(http.body.records.map(({ offset, key, value }: { offset: number; key: string; value: string }) => ({ offset, key, value }))).toEqual([
      { offset: 0, key: 'a', value: 'alpha' },
      { offset: 1, key: 'b', value: 'beta' },
    ]);
    const raw = await fetch(`${broker.url}/v1/topics/k2h/partitions/0/records?offset=0&format=batch`);
    const httpBytes = Buffer.from(await raw.arrayBuffer());
    expect(await kafkaFetch('k2h', 0)).toEqual(httpBytes);
  });

  it('produced over HTTP: a Kafka fetch reads the records at the offsets HTTP answered', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'h2k' } });
    const produced = await call(`${broker.url}/v1/topics/h2k/records`, { method: 'POST', json: { records: [{ key: 'k', value: 'from http' }, { value: { n: 1 } }] } });
    expect(produced.body.records).toEqual([{ partition: 0, offset: 0 }, { partition: 0, offset: 1 }]);
    const records = decodeRecordBatches(await kafkaFetch('h2k', 0)).flatMap((batch) => batch.records);
    expect(records.map((record) => [record.offset, record.key?.toString() ?? null, record.value?.toString()])).toEqual([
      [0, 'k', '"from http"'], // a JSON value is stored as JSON
      [1, null, '{"n":1}'],
    ]);
  });

  it('expectedOffsets still decides on HTTP while a Kafka producer writes to the partition', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'mixed' } });
    await producer.send({ topic: 'mixed', messages: [{ value: 'k0' }, { value: 'k1' }] });
    const stale = await call(`${broker.url}/v1/topics/mixed/records`, { method: 'POST', json: { records: [{ value: 'h', partition: 0 }], expectedOffsets: { '0': 0 } } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'SPOOL_ERR_OFFSET_MISMATCH', actualOffset: 2 });
    const fresh = await call(`${broker.url}/v1/topics/mixed/records`, { method: 'POST', json: { records: [{ value: 'h', partition: 0 }], expectedOffsets: { '0': 2 } } });
    expect(fresh.status).toBe(200);
    const [sent] = await producer.send({ topic: 'mixed', messages: [{ value: 'k3' }] });
    expect(sent!.baseOffset).toBe('3');
  });
});
