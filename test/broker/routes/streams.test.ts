import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSse } from '../live/sse-stream.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
const url = (path: string) => `${broker.url}/v1/topics/orders${path}`;
const append = (stream: string, json: unknown) => call(url(`/streams/${encodeURIComponent(stream)}/events`), { method: 'POST', json });
const read = (stream: string, query = '') => call(url(`/streams/${encodeURIComponent(stream)}/events${query}`));

beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'orders', partitions: 3, config: { streamIndex: true, segmentBytes: 4096 } } })).status).toBe(201);
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'plain', partitions: 1 } });
});
afterAll(async () => broker.close());

const placed = (type: string, data: unknown, id?: string) => ({ type, data, ...(id ? { id } : {}) });

describe('stream appends', () => {
  it('appends one batch when the version matches and answers versions, partition and offsets', async () => {
    const first = await append('order-1', { events: [placed('Placed', { total: 10 }), placed('Paid', { amount: 10 })], expectedVersion: 'no_stream' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ stream: 'order-1', firstVersion: 0, lastVersion: 1 });
    expect(first.body.offsets[1]).toBe(first.body.offsets[0] + 1);
    const next = await append('order-1', { events: [placed('Shipped', null)], expectedVersion: 1 });
    expect(next.body).toMatchObject({ firstVersion: 2, lastVersion: 2, partition: first.body.partition });
  });

  it('refuses a wrong expected version with 409, the actual version, and nothing written', async () => {
    await append('order-2', { events: [placed('Placed', {})], expectedVersion: 'no_stream' });
    const before = (await call(url('/streams/order-2'))).body;
    for (const expectedVersion of [5, 'no_stream', 1]) {
      const refused = await append('order-2', { events: [placed('Late', {})], expectedVersion });
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'SPOOL_ERR_WRONG_EXPECTED_VERSION', actualVersion: 0, expectedVersion });
    }
    expect((await append('order-never', { events: [placed('X', {})], expectedVersion: 'exists' })).body.error).toMatchObject({ actualVersion: -1 });
    expect((await call(url('/streams/order-2'))).body).toEqual(before);
  });

  it('answers a retry with the same event ids with the original result, writing nothing', async () => {
    const events = [placed('Placed', { n: 1 }, 'evt-a'), placed('Paid', { n: 2 }, 'evt-b')];
    const original = await append('order-3', { events, expectedVersion: 'no_stream' });
    const retried = await append('order-3', { events, expectedVersion: 'no_stream' });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ firstVersion: 0, lastVersion: 1, offsets: original.body.offsets, duplicate: true });
    const anyRetry = await append('order-3', { events, expectedVersion: 'any' });
    expect(anyRetry.body).toMatchObject({ offsets: original.body.offsets, duplicate: true });
    expect((await call(url('/streams/order-3'))).body.eventCount).toBe(2);
    const otherIds = await append('order-3', { events: [placed('Placed', {}, 'evt-c')], expectedVersion: 'no_stream' });
    expect(otherIds.status).toBe(409);
  });

  it('refuses malformed appends with 400 naming the field, touching nothing', async () => {
    const cases: unknown[] = [
      { events: [] },
      { events: [{ type: 'A', data: 1, extra: true }] },
      { events: [{ data: 1 }] },
      { events: [placed('A', 1)], expectedVersion: -1 },
      { events: [placed('A', 1)], expectedVersion: 2 ** 53 + 1 },
      { events: [placed('A', 1)], expectedVersion: 'stream_exists' },
      { events: [placed('A', 1, 'same'), placed('B', 1, 'same')] },
      { events: [{ type: 'A', data: 1, metadata: { big: 'x'.repeat(20_000) } }] },
      { events: Array.from({ length: 1001 }, () => placed('A', 1)) },
      { events: [{ type: 'x'.repeat(300), data: 1 }] },
    ];
    for (const body of cases) {
      const answer = await append('order-bad', body);
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    expect((await append('x'.repeat(600), { events: [placed('A', 1)] })).status).toBe(400);
    expect((await call(url('/streams/order-bad'))).body.eventCount).toBe(0);
  });

  it('refuses stream routes on a topic without streamIndex, and changing streamIndex later', async () => {
    const answer = await call(`${broker.url}/v1/topics/plain/streams/a/events`, { method: 'POST', json: { events: [placed('A', 1)] } });
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('SPOOL_ERR_STREAMS_NOT_ENABLED');
    const change = await call(`${broker.url}/v1/topics/plain/config`, { method: 'PATCH', json: { streamIndex: true } });
    expect(change.status).toBe(400);
    const retention = await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'bad', partitions: 1, config: { streamIndex: true, retentionMs: 1000 } } });
    expect(retention.body.error).toMatchObject({ code: 'SPOOL_ERR_INVALID_CONFIG', key: 'retentionMs' });
    // Kafka's CreatePartitions and DeleteRecords land here: both would move or renumber streams.
    const topics = broker.broker.topics;
    await expect(topics.addPartitions('orders', 4, 10)).rejects.toMatchObject({ code: 'SPOOL_ERR_BAD_REQUEST' });
    expect(() => topics.deleteRecordsBefore('orders', 0, 1)).toThrow(/stream index/);
    expect(topics.partitions('orders')).toHaveLength(3);
  });
});

describe('stream reads', () => {
  it('reads one stream forward and backward with paging, type, id, data and metadata', async () => {
    const events = Array.from({ length: 25 }, (_, i) => ({ type: `T${i}`, data: { i }, metadata: { by: 'test' }, id: `r-${i}` }));
    await append('order-read', { events: events.slice(0, 10), expectedVersion: 'no_stream' });
    await append('other', { events: [placed('Noise', {})] });
    await append('order-read', { events: events.slice(10), expectedVersion: 9 });
    const forward = await read('order-read', '?limit=10');
    expect(forward.body.events.map((event: { version: number }) => event.version)).toEqual([...Array(10).keys()]);
    expect(forward.body.events[3]).toMatchObject({ type: 'T3', id: 'r-3', data: { i: 3 }, metadata: { by: 'test' } });
    expect(forward.body).toMatchObject({ version: 24, nextVersion: 10 });
    const page2 = await read('order-read', '?from=20&limit=10');
    expect(page2.body.events.map((event: { data: { i: number } }) => event.data.i)).toEqual([20, 21, 22, 23, 24]);
    expect(page2.body.nextVersion).toBeNull();
    const last = await read('order-read', '?direction=backward&limit=10');
    expect(last.body.events.map((event: { version: number }) => event.version)).toEqual([24, 23, 22, 21, 20, 19, 18, 17, 16, 15]);
    expect(last.body.nextVersion).toBe(14);
    const empty = await read('order-none');
    expect(empty.body).toMatchObject({ version: -1, events: [], nextVersion: null });
  });

  it('describes a stream and lists streams by prefix', async () => {
    await append('customer-1', { events: [placed('A', 1), placed('B', 2)] });
    await append('customer-2', { events: [placed('A', 1)] });
    const info = await call(url('/streams/customer-1'));
    expect(info.body).toMatchObject({ stream: 'customer-1', version: 1, eventCount: 2 });
    expect(info.body.lastOffset).toBe(info.body.firstOffset + 1);
    const listed = await call(url('/streams?prefix=customer-'));
    expect(listed.body).toEqual({ streams: ['customer-1', 'customer-2'], more: false });
    expect((await call(url('/streams?prefix=customer-&limit=1'))).body).toEqual({ streams: ['customer-1'], more: true });
  });

  it('shows stream events to plain fetches with their headers', async () => {
    const appended = await append('order-headers', { events: [{ type: 'Placed', data: { a: 1 }, id: 'h-1' }] });
    const fetched = await call(`${broker.url}/v1/topics/orders/partitions/${appended.body.partition}/records?offset=${appended.body.offsets[0]}`);
    expect(fetched.body.records[0]).toMatchObject({ key: 'order-headers', value: { a: 1 }, headers: { 'spool.event.type': 'Placed', 'spool.event.id': 'h-1' } });
  });

  it('keeps versions and reads across a restart', async () => {
    await append('order-restart', { events: Array.from({ length: 30 }, (_, i) => placed('E', { i })), expectedVersion: 'no_stream' });
    broker = await broker.restart();
    const after = await read('order-restart', '?from=25');
    expect(after.body.events.map((event: { data: { i: number } }) => event.data.i)).toEqual([25, 26, 27, 28, 29]);
    expect((await append('order-restart', { events: [placed('E', {})], expectedVersion: 29 })).body.firstVersion).toBe(30);
  });
});

describe('stream live (SSE)', () => {
  it('catches up, then follows new events live, with version ids, resumable by Last-Event-ID', async () => {
    await append('order-live', { events: [placed('A', { n: 0 }), placed('B', { n: 1 })], expectedVersion: 'no_stream' });
    await append('order-live-other', { events: [placed('Noise', {})] });
    const live = await openSse(url('/streams/order-live/live'));
    try {
      const caughtUp = await live.records(2);
      expect(caughtUp.map((event) => event.id)).toEqual(['0', '1']);
      await append('order-live-other', { events: [placed('Noise', {})] });
      await append('order-live', { events: [placed('C', { n: 2 })], expectedVersion: 1 });
      const [followed] = await live.records(1);
      expect(followed!.id).toBe('2');
      expect(JSON.parse(followed!.data!)).toMatchObject({ version: 2, type: 'C', data: { n: 2 } });
    } finally {
      live.close();
    }
    const resumed = await openSse(url('/streams/order-live/live'), { 'last-event-id': '0' });
    try {
      expect((await resumed.records(2)).map((event) => event.id)).toEqual(['1', '2']);
    } finally {
      resumed.close();
    }
    const fromQuery = await openSse(url('/streams/order-live/live?from=2'));
    try {
      expect((await fromQuery.records(1)).map((event) => JSON.parse(event.data!).type)).toEqual(['C']);
    } finally {
      fromQuery.close();
    }
    expect((await call(url('/streams/order-live/live'), { headers: { 'last-event-id': 'x1' } })).status).toBe(400);
  });
});
