/**
 * Erase (GDPR): after the worker ran, no byte of the erased stream's events (nor its id) is in any
 * file of the data directory, segments, indexes and `.keys` included; other streams' records keep
 * their offsets and bytes; a fetch sees the erased offsets skipped; the id is refused for writes by
 * the stream API and by plain produce; all of it holds across a restart.
 */
import { createHash, createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { filesHolding as filesHoldingIn } from '../support/data-files.js';

let broker: TestBroker;
const TOPIC = 'people';
const ERASED = 'user-alice@example.com';
const SECRET = 'alice-secret-7f3a9c';
const url = (path: string) => `${broker.url}/v1/topics/${TOPIC}${path}`;
const streamUrl = (stream: string, rest = '') => url(`/streams/${encodeURIComponent(stream)}${rest}`);
const append = (stream: string, data: unknown) => call(streamUrl(stream, '/events'), { method: 'POST', json: { events: [{ type: 'Changed', data }] } });

const filesHolding = (needle: string) => filesHoldingIn(broker.dataDir, needle);

/** Every record of partition 0 as a consumer fetches it. */
async function fetchAll(): Promise<Array<{ offset: number; key: string | null; value: unknown }>> {
  const records = [];
  for (let offset = 0; ; ) {
    const answer = await call(url(`/partitions/0/records?offset=${offset}`));
    expect(answer.status).toBe(200);
    records.push(...answer.body.records);
    if (answer.body.nextOffset >= answer.body.highWatermark) return records;
    offset = answer.body.nextOffset;
  }
}

const erasedDone = () =>
  vi.waitFor(
    async () => {
      const info = await call(streamUrl(ERASED));
      expect(info.body.error).toMatchObject({ code: 'SPOOL_ERR_STREAM_ERASED', erasePending: false });
    },
    { timeout: 20_000, interval: 50 },
  );

beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  // One partition: the erased stream shares segments and batches with the others.
  const created = await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: TOPIC, partitions: 1, config: { streamIndex: true, segmentBytes: 2048 } } });
  expect(created.status).toBe(201);
});
afterAll(async () => broker.close());

describe('erase', () => {
  it('removes every byte of the stream from every file, keeps the others at their offsets, refuses the id', async () => {
    for (let i = 0; i < 30; i++) {
      expect((await append(ERASED, { secret: `${SECRET}-${i}` })).status).toBe(200);
      expect((await append('user-bob', { note: `bob-${i}` })).status).toBe(200);
    }
    // One produced batch mixing both keys: the worker re-encodes it keeping bob's record at its offset.
    const mixed = await call(url('/records'), { method: 'POST', json: { records: [{ key: ERASED, value: { secret: `${SECRET}-mixed` } }, { key: 'user-bob', value: { note: 'bob-mixed' } }] } });
    expect(mixed.status).toBe(200);
    await call(streamUrl(ERASED, '/metadata'), { method: 'PUT', json: { maxCount: 5 } });
    const bobBefore = (await call(streamUrl('user-bob', '/events?limit=1000'))).body;
    const fetchedBefore = await fetchAll();
    expect((await filesHolding(SECRET)).length).toBeGreaterThan(1);

    const erased = await call(streamUrl(ERASED, '/erase'), { method: 'POST' });
    expect(erased.status).toBe(202);
    expect(erased.body).toMatchObject({ stream: ERASED, partition: 0 });

    const refusedAppend = await append(ERASED, { again: true });
    expect(refusedAppend.status).toBe(410);
    expect(refusedAppend.body.error.code).toBe('SPOOL_ERR_STREAM_ERASED');
    const refusedProduce = await call(url('/records'), { method: 'POST', json: { records: [{ key: 'user-bob', value: 1 }, { key: ERASED, value: 2 }] } });
    expect(refusedProduce.status).toBe(410);
    expect((await call(streamUrl(ERASED, '/events'))).status).toBe(410);
    expect((await call(streamUrl(ERASED, '/erase'), { method: 'POST' })).status).toBe(202);

    await erasedDone();
    expect(await filesHolding(SECRET)).toEqual([]);
    expect(await filesHolding(ERASED)).toEqual([]);
    expect((await call(streamUrl('user-bob', '/events?limit=1000'))).body).toEqual(bobBefore);
    const fetchedAfter = await fetchAll();
    expect(fetchedAfter).toEqual(fetchedBefore.filter((record) => record.key !== ERASED));
    expect(fetchedAfter.length).toBe(31);
    expect((await call(url('/streams'))).body.streams).toEqual(['user-bob']);
  });

  it('stays erased and refused across a restart', async () => {
    const bobBefore = (await call(streamUrl('user-bob', '/events?limit=1000'))).body;
    const secretBefore = await readFile(join(broker.dataDir, 'topics.stream-id-key'));
    expect(secretBefore).toHaveLength(32);
    await broker.close(false);
    broker = await broker.restart();
    expect((await append(ERASED, { again: true })).status).toBe(410);
    expect((await call(streamUrl(ERASED))).body.error).toMatchObject({ code: 'SPOOL_ERR_STREAM_ERASED', erasePending: false });
    expect(await filesHolding(SECRET)).toEqual([]);
    expect(await filesHolding(ERASED)).toEqual([]);
    // The id is kept as an HMAC under the data directory's secret (created once, kept across the restart).
    expect(await filesHolding(createHash('sha256').update(ERASED).digest('hex'))).toEqual([]);
    const secret = await readFile(join(broker.dataDir, 'topics.stream-id-key'));
    expect(secret.equals(secretBefore)).toBe(true);
    expect(await filesHolding(createHmac('sha256', secret).update(ERASED).digest('hex'))).toHaveLength(1);
    expect((await call(streamUrl('user-bob', '/events?limit=1000'))).body).toEqual(bobBefore);
    expect((await append('user-bob', { note: 'after' })).body).toMatchObject({ firstVersion: 31 });
  });
});
