import { pack, unpack } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch, partitionForKey } from '../../../storage/index.js';
import { call, logState, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

beforeAll(async () => {
  broker = await startBroker();
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'p', partitions: 4 } });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'small', partitions: 1, config: { maxMessageBytes: 1024 } } });
});
afterAll(async () => broker.close());

async function fetchJson(topic: string, partition: number, query = '') {
  return (await call(`${broker.url}/v1/topics/${topic}/partitions/${partition}/records?offset=earliest${query}`)).body;
}

describe('produce', () => {
  it('sends keyed records to murmur2(key) % partitions, like Kafka', async () => {
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'customer-42'];
    const answer = await call(`${broker.url}/v1/topics/p/records`, { method: 'POST', json: { records: keys.map((key) => ({ key, value: { key } })) } });
    expect(answer.status).toBe(200);
    keys.forEach((key, i) => expect(answer.body.records[i].partition).toBe(partitionForKey(Buffer.from(key), 4)));
  });

  it('round-trips JSON, string and base64 values byte for byte', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'json', partitions: 1 } });
    await call(`${broker.url}/v1/topics/json/records`, {
      method: 'POST',
      json: { records: [{ value: { a: [1, 'x', null] } }, { valueString: 'héllo' }, { valueBase64: binary.toString('base64'), keyBase64: binary.toString('base64') }, { key: 'gone', value: null }] },
    });
    const { records } = await fetchJson('json', 0);
    expect(records[0].value).toEqual({ a: [1, 'x', null] });
    expect(records[1].value).toBe('héllo');
    expect(Buffer.from(records[2].valueBase64, 'base64').equals(binary)).toBe(true);
    expect(Buffer.from(records[2].keyBase64, 'base64').equals(binary)).toBe(true);
    expect(records[3].value).toBeNull();
    const asBase64 = await fetchJson('json', 0, '&valueFormat=base64');
    expect(Buffer.from(asBase64.records[1].valueBase64, 'base64').toString()).toBe('héllo');
  });

  it('round-trips binary values through msgpack bin', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'mp', partitions: 1 } });
    const response = await fetch(`${broker.url}/v1/topics/mp/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-msgpack' },
      body: pack({ records: [{ key: Buffer.from('k'), value: binary, headers: { trace: 'abc' } }] }),
    });
    expect(response.status).toBe(200);
    const fetched = await fetch(`${broker.url}/v1/topics/mp/partitions/0/records?offset=0&format=msgpack`);
    expect(fetched.headers.get('content-type')).toContain('application/x-msgpack');
    const body = unpack(Buffer.from(await fetched.arrayBuffer()));
    expect(Buffer.from(body.records[0].value).equals(binary)).toBe(true);
    expect(Buffer.from(body.records[0].headers.trace).toString()).toBe('abc');
  });

  it('appends raw batches untouched and serves them back as stored', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'raw', partitions: 2 } });
    const batch = encodeRecordBatch([{ key: Buffer.from('k'), value: binary }, { value: Buffer.from('second') }], { timestamp: 1_700_000_000_000 });
    const answer = await call(`${broker.url}/v1/topics/raw/records?partition=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.spool.batch' },
      body: Buffer.from(batch),
    });
    expect(answer.body).toMatchObject({ partition: 1, baseOffset: 0, lastOffset: 1 });
    const fetched = await fetch(`${broker.url}/v1/topics/raw/partitions/1/records?offset=0&format=batch`);
    expect(fetched.headers.get('spool-next-offset')).toBe('2');
    const bytes = Buffer.from(await fetched.arrayBuffer());
    expect(bytes.equals(batch)).toBe(true); // baseOffset 0 was assigned, so even the header matches
  });

  it('honours expectedOffsets and answers 409 without writing on a mismatch', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'es', partitions: 1 } });
    const first = await call(`${broker.url}/v1/topics/es/records`, { method: 'POST', json: { records: [{ value: 1 }], expectedOffsets: { 0: 0 } } });
    expect(first.status).toBe(200);
    const before = await logState(broker.url, 'es');
    const stale = await call(`${broker.url}/v1/topics/es/records`, { method: 'POST', json: { records: [{ value: 2 }], expectedOffsets: { 0: 0 } } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'SPOOL_ERR_OFFSET_MISMATCH', expectedOffset: 0, actualOffset: 1 });
    expect(await logState(broker.url, 'es')).toEqual(before);
  });

  describe('rejects bad input and leaves every log unchanged', () => {
    const goodBatch = encodeRecordBatch([{ value: Buffer.from('x') }]);
    const badCrc = Buffer.from(goodBatch);
    badCrc[badCrc.length - 1] ^= 0xff;
    const badMagic = Buffer.from(goodBatch);
    badMagic[16] = 1;
    const cases: Array<[string, RequestInit, number, string]> = [
      ['malformed JSON', { body: '{"records": [', headers: { 'content-type': 'application/json' } }, 400, 'SPOOL_ERR_MALFORMED_BODY'],
      ['malformed msgpack', { body: Buffer.from([0xc1, 0xc1]), headers: { 'content-type': 'application/x-msgpack' } }, 400, 'SPOOL_ERR_MALFORMED_BODY'],
      ['no records', { body: '{"records": []}', headers: { 'content-type': 'application/json' } }, 400, 'SPOOL_ERR_BAD_REQUEST'],
      ['a record that is not an object', { body: '{"records": [3]}', headers: { 'content-type': 'application/json' } }, 400, 'SPOOL_ERR_BAD_REQUEST'],
      ['bad base64', { body: '{"records": [{"valueBase64": "@@"}]}', headers: { 'content-type': 'application/json' } }, 400, 'SPOOL_ERR_BAD_REQUEST'],
      ['two value fields', { body: '{"records": [{"value": 1, "valueString": "1"}]}', headers: { 'content-type': 'application/json' } }, 400, 'SPOOL_ERR_BAD_REQUEST'],
      ['an unknown partition', { body: '{"records": [{"value": 1, "partition": 9}]}', headers: { 'content-type': 'application/json' } }, 404, 'SPOOL_ERR_PARTITION_NOT_FOUND'],
      ['a raw batch with a bad CRC', { body: badCrc, headers: { 'content-type': 'application/vnd.spool.batch' } }, 400, 'SPOOL_ERR_CORRUPT_BATCH'],
      ['a raw batch with magic 1', { body: badMagic, headers: { 'content-type': 'application/vnd.spool.batch' } }, 400, 'SPOOL_ERR_UNSUPPORTED_MAGIC'],
      ['a truncated raw batch', { body: goodBatch.subarray(0, 40), headers: { 'content-type': 'application/vnd.spool.batch' } }, 400, 'SPOOL_ERR_CORRUPT_BATCH'],
      ['an unsupported content type', { body: 'x', headers: { 'content-type': 'text/csv' } }, 415, 'SPOOL_ERR_UNSUPPORTED_MEDIA_TYPE'],
      ['a batch over maxMessageBytes', { body: JSON.stringify({ records: [{ valueString: 'x'.repeat(2000) }] }), headers: { 'content-type': 'application/json' } }, 413, 'SPOOL_ERR_MESSAGE_TOO_LARGE'],
    ];
    it.each(cases)('%s', async (_name, init, status, code) => {
      const query = String(init.headers && (init.headers as Record<string, string>)['content-type']).includes('batch') ? '?partition=0' : '';
      const before = await logState(broker.url, 'small');
      const answer = await call(`${broker.url}/v1/topics/small/records${query}`, { method: 'POST', ...init });
      expect(answer.status).toBe(status);
      expect(answer.body.error.code).toBe(code);
      expect(await logState(broker.url, 'small')).toEqual(before);
    });

    it('a body over the broker limit (413)', async () => {
      const before = await logState(broker.url, 'p');
      const answer = await call(`${broker.url}/v1/topics/p/records`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ records: [{ valueString: 'x'.repeat(33 * 1024 * 1024) }] }),
      });
      expect(answer.status).toBe(413);
      expect(answer.body.error.code).toBe('SPOOL_ERR_PAYLOAD_TOO_LARGE');
      expect(await logState(broker.url, 'p')).toEqual(before);
    });

    it('a multi-partition produce with one stale expectedOffset writes no partition', async () => {
      const before = await logState(broker.url, 'p');
      const answer = await call(`${broker.url}/v1/topics/p/records`, {
        method: 'POST',
        json: { records: [{ value: 1, partition: 0 }, { value: 2, partition: 1 }], expectedOffsets: { 0: before[0]!.highWatermark, 1: 999 } },
      });
      expect(answer.status).toBe(409);
      expect(await logState(broker.url, 'p')).toEqual(before);
    });
  });
});
