/**
 * Issue 23.3 and 14.6/14.8: a body, query or parameter the broker does not understand is refused
 * by name, in plain words, before anything reaches the log; a tombstone comes only from an
 * explicit `value: null`; caps on records, headers and nesting; offsets beyond 2^53-1 refused.
 */
import { pack } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerLimits } from '../../../broker/limits.js';
import { call, logState, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker();
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 't', partitions: 1 } });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'compacted', partitions: 1, config: { cleanupPolicy: 'compact' } } });
});
afterAll(async () => broker.close());

async function produce(json: unknown, topic = 't') {
  return call(`${broker.url}/v1/topics/${topic}/records`, { method: 'POST', json });
}

/** msgpackr will not encode a `__proto__` key itself: write another 9-character key, then rename it in the bytes. */
function withProtoKey(bytes: Buffer): Buffer {
  const at = bytes.indexOf('__protoX_');
  expect(at).toBeGreaterThan(0);
  Buffer.from('__proto__').copy(bytes, at);
  return bytes;
}

async function expectRefused(answer: { status: number; body: any }, code: string, message: RegExp) {
  expect(answer.status).toBe(code === 'SPOOL_ERR_PAYLOAD_TOO_LARGE' ? 413 : 400);
  expect(answer.body.error.code).toBe(code);
  expect(answer.body.error.message).toMatch(message);
  expect(answer.body.error.message).not.toMatch(/must NOT have|additional properties|body\//);
}

describe('strict input', () => {
  it('refuses a misspelled value field instead of writing a tombstone', async () => {
    const before = await logState(broker.url, 'compacted');
    const answer = await produce({ records: [{ key: 'k1', vlaue: { total: 1 } }] }, 'compacted');
    await expectRefused(answer, 'SPOOL_ERR_BAD_REQUEST', /unknown field "vlaue" in records\[0\] \(did you mean "value"\? known: /);
    expect(answer.body.error.field).toBe('records[0].vlaue');
    expect(await logState(broker.url, 'compacted')).toEqual(before);
  });

  it('refuses a record with no value at all; value: null is the tombstone', async () => {
    const before = await logState(broker.url, 't');
    await expectRefused(await produce({ records: [{ key: 'k1' }] }), 'SPOOL_ERR_BAD_REQUEST', /records\[0\] has no value.*value: null writes a tombstone/);
    expect(await logState(broker.url, 't')).toEqual(before);
    const tombstone = await produce({ records: [{ key: 'k1', value: null }] });
    expect(tombstone.status).toBe(200);
  });

  it('refuses a misspelled expectedOffsets and top-level typos', async () => {
    const before = await logState(broker.url, 't');
    await expectRefused(await produce({ records: [{ value: 1 }], expectedOffset: { 0: 5 } }), 'SPOOL_ERR_BAD_REQUEST', /unknown field "expectedOffset" in the body \(did you mean "expectedOffsets"\? known: /);
    await expectRefused(await produce({ record: [{ value: 1 }] }), 'SPOOL_ERR_BAD_REQUEST', /missing field "records" in the body \(found "record": a typo\?\)/);
    await expectRefused(await produce({ records: [{ value: 1 }], expectedOffsets: { zero: 5 } }), 'SPOOL_ERR_BAD_REQUEST', /unknown field "zero" in expectedOffsets/);
    expect(await logState(broker.url, 't')).toEqual(before);
  });

  it('refuses the same typo in msgpack bodies', async () => {
    const answer = await fetch(`${broker.url}/v1/topics/t/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-msgpack' },
      body: pack({ records: [{ key: 'k', vlaue: 1 }] }),
    }).then(async (response) => ({ status: response.status, body: await response.json() }));
    await expectRefused(answer, 'SPOOL_ERR_BAD_REQUEST', /unknown field "vlaue" in records\[0\]/);
  });

  it('answers 415 for a content type the API does not take, on every route with a body', async () => {
    for (const [path, method] of [['/v1/topics/t/records', 'POST'], ['/v1/topics', 'POST'], ['/v1/topics/t/config', 'PATCH']] as const) {
      const answer = await call(`${broker.url}${path}`, { method, body: '{}', headers: { 'content-type': 'text/plain' } });
      expect(answer.status).toBe(415);
      expect(answer.body.error.code).toBe('SPOOL_ERR_UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('refuses unknown query parameters, on routes with and without any', async () => {
    await expectRefused(await call(`${broker.url}/v1/topics/t/partitions/0/records?ofset=3`), 'SPOOL_ERR_BAD_REQUEST', /unknown query parameter "ofset" in the query string \(did you mean "offset"\? known: /);
    await expectRefused(await call(`${broker.url}/v1/topics?limit=5`), 'SPOOL_ERR_BAD_REQUEST', /unknown query parameter "limit"/);
    await expectRefused(await call(`${broker.url}/v1/topics/t/partitions/0/records?format=xml`), 'SPOOL_ERR_BAD_REQUEST', /format must be one of json, msgpack, batch/);
  });

  it('answers unknown topic config keys with SPOOL_ERR_INVALID_CONFIG naming the key and the valid ones', async () => {
    const created = await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'cfg', config: { retentionMS: 5 } } });
    await expectRefused(created, 'SPOOL_ERR_INVALID_CONFIG', /unknown field "retentionMS" in config \(did you mean "retentionMs"\? known: flush, retentionMs, retentionBytes/);
    const patched = await call(`${broker.url}/v1/topics/t/config`, { method: 'PATCH', json: { colour: 'red' } });
    await expectRefused(patched, 'SPOOL_ERR_INVALID_CONFIG', /unknown field "colour" in the body \(known: flush, retentionMs/);
    const range = await call(`${broker.url}/v1/topics/t/config`, { method: 'PATCH', json: { segmentBytes: 1 } });
    await expectRefused(range, 'SPOOL_ERR_INVALID_CONFIG', /segmentBytes must be at least 1024, got 1/);
  });

  it.each([
    ['offset=9007199254740993', /above 2\^53-1/],
    ['offset=9999999999999999', /above 2\^53-1/],
    ['offset=-1', /offset/],
  ])('refuses %s instead of reading a neighbouring offset', async (query, message) => {
    await expectRefused(await call(`${broker.url}/v1/topics/t/partitions/0/records?${query}`), 'SPOOL_ERR_BAD_REQUEST', message);
  });

  it('refuses offsets beyond 2^53-1 in bodies (commits, resets, expectedOffsets)', async () => {
    await expectRefused(await produce({ records: [{ value: 1 }], expectedOffsets: { 0: 2 ** 53 } }), 'SPOOL_ERR_BAD_REQUEST', /expectedOffsets\[0\] must be at most 9007199254740991/);
    const commit = await call(`${broker.url}/v1/groups/g/offsets`, { method: 'POST', json: { offsets: [{ topic: 't', partition: 0, offset: 2 ** 53 }] } });
    await expectRefused(commit, 'SPOOL_ERR_BAD_REQUEST', /offsets\[0\]\.offset must be at most 9007199254740991/);
  });

  it('caps records per request, headers per record and nesting depth, naming the limit', async () => {
    const before = await logState(broker.url, 't');
    const tooMany = Array.from({ length: brokerLimits.recordsPerRequestMax + 1 }, () => ({ value: 1 }));
    const many = await produce({ records: tooMany });
    await expectRefused(many, 'SPOOL_ERR_BAD_REQUEST', new RegExp(`records may hold at most ${brokerLimits.recordsPerRequestMax} items`));
    expect(many.body.error.limit).toBe(brokerLimits.recordsPerRequestMax);
    const headers = Object.fromEntries(Array.from({ length: brokerLimits.headersPerRecordMax + 1 }, (_, i) => [`h${i}`, 'v']));
    await expectRefused(await produce({ records: [{ value: 1, headers }] }), 'SPOOL_ERR_BAD_REQUEST', new RegExp(`records\\[0\\]\\.headers may hold at most ${brokerLimits.headersPerRecordMax}`));
    // Sent as text: the test's own JSON.stringify would overflow its stack on it.
    const deep = `{"records":[{"value":${'['.repeat(5000)}${']'.repeat(5000)}}]}`;
    const deepAnswer = await call(`${broker.url}/v1/topics/t/records`, { method: 'POST', body: deep, headers: { 'content-type': 'application/json' } });
    await expectRefused(deepAnswer, 'SPOOL_ERR_BAD_REQUEST', new RegExp(`more than ${brokerLimits.bodyNestingMax} levels deep`));
    const deepMsgpack = await fetch(`${broker.url}/v1/topics/t/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-msgpack' },
      body: pack({ records: [{ value: JSON.parse(`${'['.repeat(1000)}${']'.repeat(1000)}`) }] }),
    });
    expect(deepMsgpack.status).toBe(400);
    expect(await logState(broker.url, 't')).toEqual(before);
    const atLimit = JSON.parse(`${'['.repeat(brokerLimits.bodyNestingMax - 4)}${']'.repeat(brokerLimits.bodyNestingMax - 4)}`);
    expect((await produce({ records: [{ value: atLimit }] })).status).toBe(200);
  });

  it('stores and returns a JSON header named __proto__ faithfully', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'proto', partitions: 1 } });
    const body = '{"records":[{"value":{"__proto__":{"polluted":true}},"headers":{"__proto__":"h","constructor":"c"}}]}';
    const answer = await call(`${broker.url}/v1/topics/proto/records`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(200);
    const text = await fetch(`${broker.url}/v1/topics/proto/partitions/0/records?offset=0`).then((response) => response.text());
    expect(text).toContain('"headers":{"__proto__":"h","constructor":"c"');
    expect(text).toContain('"value":{"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a msgpack body holding __proto__ with a message saying why', async () => {
    const answer = await fetch(`${broker.url}/v1/topics/t/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-msgpack' },
      body: withProtoKey(pack({ records: [{ value: 1, headers: { __protoX_: 'h' } }] })),
    });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(/"__proto__".*send this body as JSON/);
  });
});

describe('optional bodies', () => {
  it('accept no body at all, {} or the documented fields, and refuse others by name', async () => {
    expect((await call(`${broker.url}/v1/producers`, { method: 'POST' })).status).toBe(200);
    expect((await call(`${broker.url}/v1/producers`, { method: 'POST', json: {} })).status).toBe(200);
    expect((await call(`${broker.url}/v1/producers`, { method: 'POST', json: { clientId: 'a' } })).status).toBe(200);
    const typo = await call(`${broker.url}/v1/producers`, { method: 'POST', json: { clientID: 'a' } });
    expect(typo.status).toBe(400);
    expect(typo.body.error.message).toMatch(/unknown field "clientID" in the body \(did you mean "clientId"\? known: /);
  });
});
