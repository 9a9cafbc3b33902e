/**
 * A stream lives in its key's partition only: on a streamIndex topic a keyed record sent to another
 * partition (HTTP explicit partition, raw batch, Kafka Produce) is refused, so the stream's
 * versions and its erasure cover every record of the key (the review's repro: a record of an erased
 * stream left in partition 3, and the id still accepted there).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_CONTENT_TYPE, encodeRecordBatch, partitionForKey } from '../../../storage/index.js';
import { RawKafkaClient } from '../kafka/support/raw-client.js';
import { call, logState, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
const TOPIC = 'orders';
const STREAM = 'SECRET-PERSON-alice@example.com';
const HOME = partitionForKey(Buffer.from(STREAM), 4);
const OTHER = (HOME + 1) % 4;
const url = (path: string) => `${broker.url}/v1/topics/${TOPIC}${path}`;

beforeAll(async () => {
  broker = await startBroker({ kafka: true });
  expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: TOPIC, partitions: 4, config: { streamIndex: true } } })).status).toBe(201);
});
afterAll(async () => broker.close());

describe('stream topic: a keyed record only in its key partition', () => {
  it('refuses an HTTP record with an explicit partition other than the key\'s, writing nothing', async () => {
    const before = await logState(broker.url, TOPIC);
    const answer = await call(url('/records'), { method: 'POST', json: { records: [{ key: STREAM, value: 'SECRET-DATA-2', partition: OTHER }] } });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'SPOOL_ERR_STREAM_WRONG_PARTITION', partition: OTHER, keyPartition: HOME });
    expect(await logState(broker.url, TOPIC)).toEqual(before);
    const home = await call(url('/records'), { method: 'POST', json: { records: [{ key: STREAM, value: 'ok', partition: HOME }, { value: 'keyless', partition: OTHER }] } });
    expect(home.status).toBe(200);
  });

  it('refuses a raw batch holding a key of another partition', async () => {
    const before = await logState(broker.url, TOPIC);
    const batch = encodeRecordBatch([{ key: Buffer.from(`other-${OTHER}`), value: Buffer.from('x') }, { key: Buffer.from(STREAM), value: Buffer.from('SECRET-DATA-raw') }]);
    const answer = await call(url(`/records?partition=${OTHER}`), { method: 'POST', body: batch, headers: { 'content-type': BATCH_CONTENT_TYPE } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('SPOOL_ERR_STREAM_WRONG_PARTITION');
    expect(await logState(broker.url, TOPIC)).toEqual(before);
  });

  it('answers Kafka Produce to the wrong partition with INVALID_RECORD', async () => {
    const client = await RawKafkaClient.connect(broker.kafka!);
    try {
      const produce = (partition: number) => ({
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: encodeRecordBatch([{ key: Buffer.from(STREAM), value: Buffer.from('kafka') }]) }] }],
      });
      expect((await client.request('Produce', 9, produce(OTHER))).responses[0].partitionResponses[0].errorCode).toBe(87);
      expect((await client.request('Produce', 9, produce(HOME))).responses[0].partitionResponses[0].errorCode).toBe(0);
    } finally {
      client.close();
    }
  });

  it('an erased stream leaves nothing in other partitions, and its id stays refused there', async () => {
    expect((await call(url(`/streams/${encodeURIComponent(STREAM)}/erase`), { method: 'POST' })).status).toBe(202);
    const produced = await call(url('/records'), { method: 'POST', json: { records: [{ key: STREAM, value: 'SECRET-DATA-3', partition: OTHER }] } });
    expect(produced.status).toBe(400);
    const home = await call(url('/records'), { method: 'POST', json: { records: [{ key: STREAM, value: 'SECRET-DATA-4' }] } });
    expect(home.status).toBe(410);
  });
});
