import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => broker.close());

describe('topic routes', () => {
  it('creates, lists, describes, reconfigures and deletes a topic', async () => {
    const created = await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'orders.eu', partitions: 3, config: { retentionMs: 60_000 } } });
    expect(created.status).toBe(201);
    expect(created.body.partitionDetails).toHaveLength(3);
    expect(created.body.config.retentionMs).toBe(60_000);
    expect((await call(`${broker.url}/v1/topics`)).body.topics).toContainEqual({ name: 'orders.eu', partitions: 3 });
    const described = await call(`${broker.url}/v1/topics/orders.eu`);
    expect(described.body.partitionDetails[0]).toEqual({ partition: 0, logStartOffset: 0, highWatermark: 0, bytes: 0, segments: 1 });
    const patched = await call(`${broker.url}/v1/topics/orders.eu/config`, { method: 'PATCH', json: { cleanupPolicy: 'compact' } });
    expect(patched.status).toBe(200);
    expect(patched.body.config).toMatchObject({ cleanupPolicy: 'compact', retentionMs: 60_000 });
    expect((await call(`${broker.url}/v1/topics/orders.eu`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`${broker.url}/v1/topics/orders.eu`)).body.error.code).toBe('SPOOL_ERR_TOPIC_NOT_FOUND');
  });

  it.each([
    ['..', 400, 'SPOOL_ERR_INVALID_TOPIC_NAME'],
    ['.', 400, 'SPOOL_ERR_INVALID_TOPIC_NAME'],
    ['a/b', 400, 'SPOOL_ERR_INVALID_TOPIC_NAME'],
    ['', 400, 'SPOOL_ERR_INVALID_TOPIC_NAME'],
    ['x'.repeat(250), 400, 'SPOOL_ERR_INVALID_TOPIC_NAME'],
    ['spaces are bad', 400, 'SPOOL_ERR_INVALID_TOPIC_NAME'],
    ['.clean-shutdown', 400, 'SPOOL_ERR_INVALID_TOPIC_NAME'],
    ['.clean-shutdown.tmp', 400, 'SPOOL_ERR_INVALID_TOPIC_NAME'],
    ['.hidden', 400, 'SPOOL_ERR_INVALID_TOPIC_NAME'],
    ['orders\u0000', 400, 'SPOOL_ERR_INVALID_TOPIC_NAME'],
  ])('refuses the topic name %j', async (name, status, code) => {
    const answer = await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name, partitions: 1 } });
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
    expect((await call(`${broker.url}/v1/topics`)).body.topics.map((t: { name: string }) => t.name)).not.toContain(name);
  });

  it('refuses a duplicate, bad partitions and bad config', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'dup', partitions: 1 } });
    const duplicate = await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'dup', partitions: 2 } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe('SPOOL_ERR_TOPIC_EXISTS');
    expect((await call(`${broker.url}/v1/topics/dup`)).body.partitions).toBe(1);
    const zero = await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'zero', partitions: 0 } });
    expect(zero.body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
    const badConfig = await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'bad', config: { flush: 'sometimes' } } });
    expect(badConfig.body.error.code).toBe('SPOOL_ERR_INVALID_CONFIG');
    const unknownKey = await call(`${broker.url}/v1/topics/dup/config`, { method: 'PATCH', json: { nope: 1 } });
    expect(unknownKey.status).toBe(400);
    expect((await call(`${broker.url}/v1/topics`)).body.topics.map((t: { name: string }) => t.name)).not.toContain('bad');
  });

  it('answers unknown routes and topics with documented codes', async () => {
    expect((await call(`${broker.url}/v1/nothing`)).body.error.code).toBe('SPOOL_ERR_ROUTE_NOT_FOUND');
    const missing = await call(`${broker.url}/v1/topics/missing`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('SPOOL_ERR_TOPIC_NOT_FOUND');
  });

  it('serves health, metrics and the OpenAPI document', async () => {
    expect((await call(`${broker.url}/health`)).body.status).toBe('ok');
    const metrics = await fetch(`${broker.url}/metrics`).then((response) => response.text());
    expect(metrics).toContain('spool_open_segment_files');
    expect(metrics).toContain('spool_fdatasync_duration_seconds');
    const openapi = await call(`${broker.url}/docs/json`);
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/v1/topics', '/v1/topics/{topic}/records', '/v1/groups/{group}/members']));
    expect((await fetch(`${broker.url}/docs`, { redirect: 'follow' })).status).toBe(200);
  });
});
