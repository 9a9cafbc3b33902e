/**
 * The stream cleaner: the events a stream's metadata hides (maxCount, a soft delete) leave the disk
 * at the cleaner's pass, through a durable version base, without renumbering what is left: the
 * stream reads the same versions at the same offsets, appends go on from the next version, other
 * streams keep their records and offsets; all of it across a restart and a rebuild of the `.keys`
 * files. And the threshold (streamCleanMinHiddenEvents) holds the background pass back.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSse } from '../live/sse-stream.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { filesHolding } from '../support/data-files.js';

let broker: TestBroker;
const TOPIC = 'orders';
const url = (path: string) => `${broker.url}/v1/topics/${TOPIC}${path}`;
const streamUrl = (stream: string, rest = '') => url(`/streams/${encodeURIComponent(stream)}${rest}`);
/** A value found only in the event it is written to (the grep looks for it byte for byte). */
const secret = (stream: string, i: number) => `${stream}-secret-${i}-zq`;
const PAD = 'p'.repeat(300); // ~2 events a 1 KiB segment: the stream spans several segments

async function append(stream: string, i: number, expectedVersion?: number | string) {
  const answer = await call(streamUrl(stream, '/events'), { method: 'POST', json: { events: [{ type: 'Changed', data: { value: secret(stream, i), pad: PAD } }], ...(expectedVersion !== undefined ? { expectedVersion } : {}) } });
  expect(answer.status).toBe(200);
  return answer.body;
}

/** Every record of partition 0 as a consumer fetches it. */
async function fetchAll(): Promise<Array<{ offset: number; key: string | null }>> {
  const records = [];
  for (let offset = 0; ; ) {
    const answer = await call(url(`/partitions/0/records?offset=${offset}`));
    expect(answer.status).toBe(200);
    records.push(...answer.body.records.map((record: { offset: number; key: string | null }) => ({ offset: record.offset, key: record.key })));
    if (answer.body.nextOffset >= answer.body.highWatermark) return records;
    offset = answer.body.nextOffset;
  }
}

const events = async (stream: string) => (await call(streamUrl(stream, '/events?limit=1000'))).body;
const clean = async () => {
  const answer = await call(url('/clean'), { method: 'POST' });
  expect(answer.status).toBe(200);
  return answer.body.partitions[0].streams;
};

async function holdingSecrets(stream: string, count: number): Promise<number[]> {
  const held: number[] = [];
  for (let i = 0; i < count; i++) if ((await filesHolding(broker.dataDir, secret(stream, i))).length > 0) held.push(i);
  return held;
}

beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  const created = await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: TOPIC, partitions: 1, config: { streamIndex: true, segmentBytes: 1024 } } });
  expect(created.status).toBe(201);
});
afterAll(async () => broker.close());

describe('the stream cleaner', () => {
  let offsetsBefore: number[];
  let otherBefore: { events: unknown[] };
  let fetchedBefore: Array<{ offset: number; key: string | null }>;

  it('removes the events maxCount hides from every file and keeps versions and offsets', async () => {
    for (let i = 0; i < 10; i++) {
      await append('order-1', i);
      await append('other', i);
    }
    for (let i = 10; i < 14; i++) await append('other', i); // order-1's last events leave the active segment
    expect((await call(streamUrl('order-1', '/metadata'), { method: 'PUT', json: { maxCount: 2 } })).status).toBe(200);
    const before = await events('order-1');
    expect(before.events.map((event: { version: number }) => event.version)).toEqual([8, 9]);
    offsetsBefore = before.events.map((event: { offset: number }) => event.offset);
    otherBefore = await events('other');
    fetchedBefore = await fetchAll();
    expect(await holdingSecrets('order-1', 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    expect(await clean()).toMatchObject({ streamsRebased: 1, recordsDropped: 8 });

    expect(await holdingSecrets('order-1', 10)).toEqual([8, 9]);
    const after = await events('order-1');
    expect(after).toEqual(before);
    expect(await events('other')).toEqual(otherBefore);
    const hiddenOffsets = new Set(fetchedBefore.filter((record) => record.key === 'order-1').slice(0, 8).map((record) => record.offset));
    expect(await fetchAll()).toEqual(fetchedBefore.filter((record) => !hiddenOffsets.has(record.offset)));
    // Nothing left to remove: a second pass changes nothing.
    expect(await clean()).toMatchObject({ streamsRebased: 0, recordsDropped: 0 });
  });

  it('goes on from the next version: a conditional append wins at 10, info says 10', async () => {
    const wrong = await call(streamUrl('order-1', '/events'), { method: 'POST', json: { events: [{ type: 'Changed', data: {} }], expectedVersion: 7 } });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error).toMatchObject({ code: 'SPOOL_ERR_WRONG_EXPECTED_VERSION', actualVersion: 9 });
    expect(await append('order-1', 10, 9)).toMatchObject({ firstVersion: 10, lastVersion: 10 });
    const info = (await call(streamUrl('order-1'))).body;
    expect(info).toMatchObject({ version: 10, eventCount: 2, firstOffset: offsetsBefore[1] });
    const read = await events('order-1');
    expect(read.events.map((event: { version: number }) => event.version)).toEqual([9, 10]);
    // The base is the cleaner's own: a client cannot set it, nor see it in the metadata.
    const forged = await call(streamUrl('order-1', '/metadata'), { method: 'PUT', json: { maxCount: 2, base: { version: 0, offset: 0 } } });
    expect(forged.status).toBe(400);
    expect(forged.body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
    expect((await call(streamUrl('order-1', '/metadata'))).body).toEqual({ stream: 'order-1', maxCount: 2, maxAgeMs: null, truncateBefore: null });
    // Paging from a version reads it at its offset.
    const live = (await call(streamUrl('order-1', '/events?from=9&limit=1'))).body;
    expect(live.events[0]).toMatchObject({ version: 9, offset: offsetsBefore[1] });
  });

  it('resumes the live feed by version over the removed events', async () => {
    const live = await openSse(streamUrl('order-1', '/live'), { 'last-event-id': '8' });
    try {
      expect((await live.records(2)).map((event) => [event.id, JSON.parse(event.data!).offset])).toEqual([['9', offsetsBefore[1]], ['10', expect.any(Number)]]);
    } finally {
      live.close();
    }
  });

  it('removes what maxAgeMs and truncateBefore hide, from the version the metadata names', async () => {
    // Records produced with old client timestamps are events of the stream too: maxAgeMs hides them.
    const old = Array.from({ length: 3 }, (_, i) => ({ key: 'aged', value: { value: secret('aged', i), pad: PAD }, timestamp: 1_000 + i }));
    expect((await call(url('/records'), { method: 'POST', json: { records: old } })).status).toBe(200);
    for (let i = 3; i < 6; i++) await append('aged', i);
    for (let i = 0; i < 4; i++) await append('truncated', i);
    for (let i = 18; i < 22; i++) await append('other', i);
    await call(streamUrl('aged', '/metadata'), { method: 'PUT', json: { maxAgeMs: 24 * 3_600_000 } });
    await call(streamUrl('truncated', '/metadata'), { method: 'PUT', json: { truncateBefore: 3 } });
    await clean();
    expect(await holdingSecrets('aged', 6)).toEqual([3, 4, 5]);
    expect(await holdingSecrets('truncated', 4)).toEqual([3]);
    expect((await events('aged')).events.map((event: { version: number }) => event.version)).toEqual([3, 4, 5]);
    // Idempotency by event id counts from the base too: a retry answers the original versions.
    const withId = { events: [{ type: 'T', id: 'aged-evt-6', data: {} }], expectedVersion: 5 };
    const first = await call(streamUrl('aged', '/events'), { method: 'POST', json: withId });
    expect(first.body).toMatchObject({ firstVersion: 6, lastVersion: 6 });
    for (const expectedVersion of [5, 'any']) {
      const retry = await call(streamUrl('aged', '/events'), { method: 'POST', json: { ...withId, expectedVersion } });
      expect(retry.body).toMatchObject({ firstVersion: 6, offsets: first.body.offsets, duplicate: true });
    }
    expect((await call(streamUrl('truncated'))).body).toMatchObject({ version: 3, eventCount: 1 });
    // The metadata cleared: the removed events stay removed, the versions stay.
    await call(streamUrl('truncated', '/metadata'), { method: 'PUT', json: {} });
    expect((await events('truncated')).events.map((event: { version: number }) => event.version)).toEqual([3]);
    expect(await append('truncated', 4, 3)).toMatchObject({ firstVersion: 4 });
  });

  it('keeps the versions across a restart and a rebuild of every .keys file', async () => {
    const before = await events('order-1');
    const info = (await call(streamUrl('order-1'))).body;
    const otherNow = await events('other');
    expect(otherNow.events.slice(0, otherBefore.events.length)).toEqual(otherBefore.events);
    await broker.close(false);
    broker = await broker.restart();
    expect(await events('order-1')).toEqual(before);
    expect((await call(streamUrl('order-1'))).body).toEqual(info);

    await broker.close(false);
    const dir = join(broker.dataDir, 'topics', TOPIC, '0');
    const keysFiles = (await readdir(dir)).filter((name) => name.endsWith('.keys'));
    expect(keysFiles.length).toBeGreaterThan(1);
    for (const name of keysFiles) await rm(join(dir, name));
    broker = await broker.restart();
    expect(await events('order-1')).toEqual(before);
    expect((await call(streamUrl('order-1'))).body).toEqual(info);
    expect(await events('other')).toEqual(otherNow);
    expect(await append('order-1', 11, 10)).toMatchObject({ firstVersion: 11 });
  });

  it('removes a soft-deleted stream\'s bytes; the stream is written again from the next version', async () => {
    for (let i = 0; i < 3; i++) await append('cart-1', i);
    for (let i = 14; i < 18; i++) await append('other', i);
    expect((await call(streamUrl('cart-1'), { method: 'DELETE' })).status).toBe(200);
    expect(await holdingSecrets('cart-1', 3)).toEqual([0, 1, 2]);
    expect((await clean()).recordsDropped).toBeGreaterThanOrEqual(3);
    expect(await holdingSecrets('cart-1', 3)).toEqual([]);
    expect((await call(streamUrl('cart-1'))).body).toMatchObject({ version: 2, eventCount: 0, deleted: true });
    expect(await append('cart-1', 3, 'no_stream')).toMatchObject({ firstVersion: 3 });
    expect((await events('cart-1')).events.map((event: { version: number }) => event.version)).toEqual([3]);
  });
});

describe('hidden events in the active segment', () => {
  it('stay invisible until the segment rolls, then the next pass removes them', async () => {
    const at = (path: string) => `${broker.url}/v1/topics/fresh${path}`;
    expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'fresh', partitions: 1, config: { streamIndex: true, segmentBytes: 1024 } } })).status).toBe(201);
    const both = [0, 1].map((i) => ({ type: 'T', data: { value: secret('fresh', i) } }));
    expect((await call(at('/streams/s/events'), { method: 'POST', json: { events: both } })).status).toBe(200); // one small batch in the empty active segment
    await call(at('/streams/s/metadata'), { method: 'PUT', json: { maxCount: 1 } });
    const cleanFresh = async () => (await call(at('/clean'), { method: 'POST' })).body.partitions[0].streams;
    expect(await cleanFresh()).toMatchObject({ streamsRebased: 1, recordsDropped: 0 });
    expect(await holdingSecrets('fresh', 2)).toEqual([0, 1]); // not rewritten yet, but below the base already
    await call(at('/streams/s/metadata'), { method: 'PUT', json: {} });
    expect((await call(at('/streams/s/events'))).body.events.map((event: { version: number }) => event.version)).toEqual([1]);
    for (let i = 0; i < 4; i++) await call(at('/streams/filler/events'), { method: 'POST', json: { events: [{ type: 'T', data: { pad: PAD } }] } }); // the segment rolls
    expect(await cleanFresh()).toMatchObject({ streamsRebased: 0, recordsDropped: 1 });
    expect(await holdingSecrets('fresh', 2)).toEqual([1]);
    expect((await call(at('/streams/s'))).body).toMatchObject({ version: 1, eventCount: 1 });
  });
});

describe('streamCleanMinHiddenEvents', () => {
  it('leaves a hidden prefix shorter than the threshold to a later pass of the background cleaner', async () => {
    const local = await startBroker({ flush: 'never', settings: { streamCleanMinHiddenEvents: 5 } });
    try {
      const at = (path: string) => `${local.url}/v1/topics/small${path}`;
      expect((await call(`${local.url}/v1/topics`, { method: 'POST', json: { name: 'small', partitions: 1, config: { streamIndex: true, segmentBytes: 1024 } } })).status).toBe(201);
      const add = async (i: number) => expect((await call(at('/streams/s/events'), { method: 'POST', json: { events: [{ type: 'T', data: { value: secret('s', i), pad: PAD } }] } })).status).toBe(200);
      for (let i = 0; i < 6; i++) await add(i);
      for (let i = 0; i < 4; i++) await call(at('/streams/filler/events'), { method: 'POST', json: { events: [{ type: 'T', data: { pad: PAD } }] } });
      await call(at('/streams/s/metadata'), { method: 'PUT', json: { maxCount: 2 } }); // hides 4 < 5
      await local.broker.logs.runCleanerOnce();
      expect((await filesHolding(local.dataDir, secret('s', 0))).length).toBeGreaterThan(0);
      await call(at('/streams/s/metadata'), { method: 'PUT', json: { maxCount: 1 } }); // hides 5
      await local.broker.logs.runCleanerOnce();
      for (let i = 0; i < 5; i++) expect(await filesHolding(local.dataDir, secret('s', i))).toEqual([]);
      const read = (await call(at('/streams/s/events'))).body;
      expect(read.events.map((event: { version: number }) => event.version)).toEqual([5]);
    } finally {
      await local.close();
    }
  });
});
