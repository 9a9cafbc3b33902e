/**
 * Stream metadata (maxCount, maxAgeMs, truncateBefore) and soft deletes over HTTP: reads and the
 * stream's info skip what they hide, versions never move, both survive a restart, and malformed
 * settings are refused naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { filesHolding } from '../support/data-files.js';

let broker: TestBroker;
const url = (path: string) => `${broker.url}/v1/topics/ledger${path}`;
const streamUrl = (stream: string, rest = '') => url(`/streams/${encodeURIComponent(stream)}${rest}`);
const append = (stream: string, count: number, expectedVersion?: unknown) =>
  call(streamUrl(stream, '/events'), { method: 'POST', json: { events: Array.from({ length: count }, (_, i) => ({ type: 'T', data: { i } })), ...(expectedVersion !== undefined ? { expectedVersion } : {}) } });
const versions = async (stream: string, query = '') => (await call(streamUrl(stream, `/events${query}`))).body.events.map((event: { version: number }) => event.version);
const setMetadata = (stream: string, json: unknown) => call(streamUrl(stream, '/metadata'), { method: 'PUT', json });

beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  const created = await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'ledger', partitions: 2, config: { streamIndex: true, segmentBytes: 4096 } } });
  expect(created.status).toBe(201);
});
afterAll(async () => broker.close());

describe('stream metadata', () => {
  it('maxCount and truncateBefore hide events from reads, backward reads and the info; versions stay', async () => {
    await append('acct-1', 6);
    const set = await setMetadata('acct-1', { maxCount: 3 });
    expect(set.body).toEqual({ stream: 'acct-1', maxCount: 3, maxAgeMs: null, truncateBefore: null });
    expect(await versions('acct-1')).toEqual([3, 4, 5]);
    expect(await versions('acct-1', '?direction=backward')).toEqual([5, 4, 3]);
    expect(await versions('acct-1', '?from=0&limit=2')).toEqual([3, 4]);
    const backward = await call(streamUrl('acct-1', '/events?direction=backward&limit=3'));
    expect(backward.body.nextVersion).toBeNull();
    const info = (await call(streamUrl('acct-1'))).body;
    expect(info).toMatchObject({ version: 5, eventCount: 3, deleted: false, metadata: { maxCount: 3, maxAgeMs: null, truncateBefore: null } });
    const all = (await call(streamUrl('acct-1', '/events'))).body.events;
    expect(info.firstOffset).toBe(all[0].offset);

    await setMetadata('acct-1', { truncateBefore: 5 });
    expect(await versions('acct-1')).toEqual([5]);
    await setMetadata('acct-1', {});
    expect(await versions('acct-1')).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await call(streamUrl('acct-1', '/metadata'))).body).toEqual({ stream: 'acct-1', maxCount: null, maxAgeMs: null, truncateBefore: null });
    // An append expecting the real last version still wins: metadata hides, it does not renumber.
    await setMetadata('acct-1', { maxCount: 1 });
    expect((await append('acct-1', 1, 5)).body).toMatchObject({ firstVersion: 6 });
    expect(await versions('acct-1')).toEqual([6]);
  });

  it('maxAgeMs hides events older than the age by their timestamp', async () => {
    const old = Date.now() - 3_600_000;
    const produced = await call(url('/records'), { method: 'POST', json: { records: [0, 1, 2].map((i) => ({ key: 'acct-age', value: { i }, timestamp: old + i })) } });
    expect(produced.status).toBe(200);
    await append('acct-age', 2);
    await setMetadata('acct-age', { maxAgeMs: 60_000 });
    expect(await versions('acct-age')).toEqual([3, 4]);
    expect((await call(streamUrl('acct-age'))).body).toMatchObject({ version: 4, eventCount: 2 });
    await setMetadata('acct-age', { maxAgeMs: 10 * 3_600_000 });
    expect(await versions('acct-age')).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses extreme numbers and typos with SPOOL_ERR_BAD_REQUEST naming the field, storing nothing', async () => {
    await append('acct-bad', 2);
    const cases: Array<[unknown, string]> = [
      [{ maxCount: -1 }, 'maxCount'],
      [{ maxCount: 0 }, 'maxCount'],
      [{ maxCount: 2 ** 53 + 1 }, 'maxCount'],
      [{ maxCount: 1.5 }, 'maxCount'],
      [{ maxCount: 'five' }, 'maxCount'],
      [{ maxAgeMs: -5 }, 'maxAgeMs'],
      [{ maxAgeMs: 2 ** 63 }, 'maxAgeMs'],
      [{ truncateBefore: -1 }, 'truncateBefore'],
      [{ truncateBefore: 2 ** 53 + 1 }, 'truncateBefore'],
      [{ maxcount: 3 }, 'maxcount'],
      [{ deleted: true }, 'deleted'],
    ];
    for (const [body, field] of cases) {
      const answer = await setMetadata('acct-bad', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
      expect(answer.body.error.field ?? answer.body.error.message, JSON.stringify(body)).toContain(field);
    }
    const typo = await setMetadata('acct-bad', { maxcount: 3 });
    expect(typo.body.error.message).toContain('maxCount');
    expect((await call(streamUrl('acct-bad', '/metadata'))).body).toMatchObject({ maxCount: null, maxAgeMs: null, truncateBefore: null });
    expect(await versions('acct-bad')).toEqual([0, 1]);
  });

  it('refuses metadata and a soft delete for a stream with no event (404), taking no entry of the table', async () => {
    for (const stream of ['never-written', 'SECRET-PERSON-bob@example.com']) {
      const put = await setMetadata(stream, { maxCount: 1 });
      expect(put.status).toBe(404);
      expect(put.body.error).toMatchObject({ code: 'SPOOL_ERR_STREAM_NOT_FOUND', stream });
      const deleted = await call(streamUrl(stream), { method: 'DELETE' });
      expect(deleted.status).toBe(404);
      expect(deleted.body.error.code).toBe('SPOOL_ERR_STREAM_NOT_FOUND');
      expect((await call(streamUrl(stream))).body).toMatchObject({ version: -1, deleted: false, metadata: { maxCount: null } });
    }
    expect(await filesHolding(broker.dataDir, 'never-written')).toEqual([]);
  });

  it('refuses metadata on a topic without streamIndex', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'plain-meta', partitions: 1 } });
    const answer = await call(`${broker.url}/v1/topics/plain-meta/streams/a/metadata`, { method: 'PUT', json: { maxCount: 1 } });
    expect(answer.body.error.code).toBe('SPOOL_ERR_STREAMS_NOT_ENABLED');
  });
});

describe('soft delete', () => {
  it('reads empty, then is written again from the next version; no_stream matches it, exists does not', async () => {
    await append('cart-1', 3);
    const deleted = await call(streamUrl('cart-1'), { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ stream: 'cart-1', truncateBefore: 3 });
    expect(await versions('cart-1')).toEqual([]);
    expect(await versions('cart-1', '?direction=backward')).toEqual([]);
    expect((await call(streamUrl('cart-1'))).body).toMatchObject({ version: 2, eventCount: 0, deleted: true, firstOffset: null });
    const exists = await append('cart-1', 1, 'exists');
    expect(exists.status).toBe(409);
    expect(exists.body.error).toMatchObject({ code: 'SPOOL_ERR_WRONG_EXPECTED_VERSION', actualVersion: 2 });
    const again = await append('cart-1', 2, 'no_stream');
    expect(again.body).toMatchObject({ firstVersion: 3, lastVersion: 4 });
    expect(await versions('cart-1')).toEqual([3, 4]);
    expect((await call(streamUrl('cart-1'))).body).toMatchObject({ version: 4, eventCount: 2, deleted: false });
    expect((await append('cart-1', 1, 'no_stream')).status).toBe(409);
  });

  it('a number naming the last version also writes a deleted stream again', async () => {
    await append('cart-2', 2);
    await call(streamUrl('cart-2'), { method: 'DELETE' });
    expect((await append('cart-2', 1, 1)).body).toMatchObject({ firstVersion: 2 });
    expect(await versions('cart-2')).toEqual([2]);
  });
});

describe('durability', () => {
  it('metadata and soft deletes survive a restart', async () => {
    await append('keep-1', 4);
    await setMetadata('keep-1', { maxCount: 2, maxAgeMs: 86_400_000 });
    await append('keep-2', 2);
    await call(streamUrl('keep-2'), { method: 'DELETE' });
    await broker.close(false);
    broker = await broker.restart();
    expect((await call(streamUrl('keep-1', '/metadata'))).body).toEqual({ stream: 'keep-1', maxCount: 2, maxAgeMs: 86_400_000, truncateBefore: null });
    expect(await versions('keep-1')).toEqual([2, 3]);
    expect((await call(streamUrl('keep-2'))).body).toMatchObject({ deleted: true, eventCount: 0, version: 1 });
    expect(await versions('acct-1')).toEqual([6]);
  });
});
