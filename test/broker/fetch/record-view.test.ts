/**
 * Poison records (issue 23, item 5): a value labelled application/json that cannot be rendered as
 * JSON (100,000 nested `[`, closed or not) is served as valueBase64 with valueError, byte-exact,
 * on every read path (JSON fetch, live tail, queue receive), and the records around it are served
 * as usual. And compressed batches are rendered within the read's byte budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonNestingExceeds } from '../../../broker/fetch/json-depth.js';
import { BATCH_CONTENT_TYPE, Compression, encodeRecordBatch } from '../../../storage/index.js';
import { openSse } from '../live/sse-stream.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';

const JSON_HEADER = { 'content-type': 'application/json' };
const deepClosed = Buffer.from('['.repeat(100_000) + ']'.repeat(100_000));
const deepOpen = Buffer.from('['.repeat(100_000));
const records = [
  { value: { before: true }, headers: JSON_HEADER },
  { valueBase64: deepClosed.toString('base64'), headers: JSON_HEADER },
  { valueBase64: deepOpen.toString('base64'), headers: JSON_HEADER },
  { value: { after: true }, headers: JSON_HEADER },
];

interface RenderedRecord {
  value?: unknown;
  valueBase64?: string;
  valueError?: string;
}

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
});
afterAll(async () => broker.close());

async function topicWithPoison(name: string): Promise<void> {
  expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name, partitions: 1 } })).status).toBe(201);
  expect((await call(`${broker.url}/v1/topics/${name}/records`, { method: 'POST', json: { records } })).status).toBe(200);
}

function expectPoisonRendered(rendered: RenderedRecord[]): void {
  expect(rendered).toHaveLength(4);
  expect(rendered[0]!.value).toEqual({ before: true });
  expect(rendered[1]!.valueError).toBe('JSON nested deeper than 1000 levels');
  expect(Buffer.from(rendered[1]!.valueBase64!, 'base64').equals(deepClosed)).toBe(true);
  expect(rendered[1]!.value).toBeUndefined();
  expect(rendered[2]!.valueError).toBe('JSON nested deeper than 1000 levels');
  expect(Buffer.from(rendered[2]!.valueBase64!, 'base64').equals(deepOpen)).toBe(true);
  expect(rendered[3]!.value).toEqual({ after: true });
  expect(rendered[3]!.valueError).toBeUndefined();
}

describe('poison records', () => {
  it('a JSON fetch serves them as valueBase64 with valueError, and the others as JSON', async () => {
    await topicWithPoison('poison-fetch');
    for (const valueFormat of ['auto', 'json']) {
      const answer = await call(`${broker.url}/v1/topics/poison-fetch/partitions/0/records?offset=0&valueFormat=${valueFormat}`);
      expect(answer.status).toBe(200);
      expectPoisonRendered(answer.body.records);
    }
  });

  it('a live tail streams them flagged, and goes on with the next record', async () => {
    await topicWithPoison('poison-live');
    const stream = await openSse(`${broker.url}/v1/topics/poison-live/live?from=earliest`);
    try {
      const events = await stream.records(4);
      expectPoisonRendered(events.map((event) => JSON.parse(event.data!)));
    } finally {
      stream.close();
    }
  });

  it('a queue receive returns them flagged, and every message it leased', async () => {
    await topicWithPoison('poison-queue');
    expect((await call(`${broker.url}/v1/topics/poison-queue/queues/work`, { method: 'PUT', json: {} })).status).toBe(201);
    const answer = await call(`${broker.url}/v1/topics/poison-queue/queues/work/receive`, { method: 'POST', json: { max: 10 } });
    expect(answer.status).toBe(200);
    expectPoisonRendered(answer.body.messages);
  });

  it('flags a value that is not JSON at all', async () => {
    expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'not-json', partitions: 1 } })).status).toBe(201);
    await call(`${broker.url}/v1/topics/not-json/records`, { method: 'POST', json: { records: [{ valueString: '{"unterminated', headers: JSON_HEADER }] } });
    const [record] = (await call(`${broker.url}/v1/topics/not-json/partitions/0/records?offset=0`)).body.records;
    expect(record).toMatchObject({ valueBase64: Buffer.from('{"unterminated').toString('base64'), valueError: 'not valid JSON' });
  });
});

describe('JSON nesting depth', () => {
  it('counts arrays and objects, not brackets inside strings or after escapes', () => {
    expect(jsonNestingExceeds(Buffer.from('[[[]]]'), 3)).toBe(false);
    expect(jsonNestingExceeds(Buffer.from('[[[[]]]]'), 3)).toBe(true);
    expect(jsonNestingExceeds(Buffer.from('{"a":{"b":{"c":{}}}}'), 3)).toBe(true);
    expect(jsonNestingExceeds(Buffer.from('["[[[[", "\\"[[[["]'), 1)).toBe(false);
    expect(jsonNestingExceeds(Buffer.from('[1],[2],[3],[4]'), 1)).toBe(false);
  });
});

describe('compressed batches within a fetch', () => {
  it('renders many small batches that inflate past maxBytes one budget at a time, and the next fetch goes on', async () => {
    expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'inflating', partitions: 1 } })).status).toBe(201);
    // 20 gzip batches of ~1 KB, each holding one 1 MiB record: 20 MiB once decompressed.
    for (let i = 0; i < 20; i++) {
      const batch = encodeRecordBatch([{ value: Buffer.alloc(1024 * 1024, i) }], { compression: Compression.gzip });
      const produced = await call(`${broker.url}/v1/topics/inflating/records?partition=0`, { method: 'POST', headers: { 'content-type': BATCH_CONTENT_TYPE }, body: batch });
      expect(produced.status).toBe(200);
    }
    let offset = 0;
    const seen: number[] = [];
    while (offset < 20) {
      const answer = await call(`${broker.url}/v1/topics/inflating/partitions/0/records?offset=${offset}&maxBytes=2097152`);
      expect(answer.status).toBe(200);
      // A 2 MiB budget holds one 1 MiB record and then leaves the next batch for the next fetch.
      expect(answer.body.records.length).toBeLessThanOrEqual(2);
      expect(answer.headers.get('spool-next-offset')).toBe(String(answer.body.nextOffset));
      for (const record of answer.body.records) seen.push(Buffer.from(record.valueBase64, 'base64')[0]!);
      offset = answer.body.nextOffset;
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
