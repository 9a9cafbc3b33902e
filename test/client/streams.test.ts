/** spool.streams(topic) against a real broker: conditional appends, paged reads, load, typed conflicts,
 *  subscribe (catch-up then live, resumable), metadata, delete and erase; the producer's expectedOffsets. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Spool, SpoolClientError, type StreamEvent, WrongExpectedVersionError } from '../../client/index.js';
import { startBroker, type TestBroker } from '../broker/support/broker.js';

let broker: TestBroker;
let spool: Spool;
beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  spool = new Spool({ url: broker.url });
  await spool.admin.createTopic({ name: 'orders', partitions: 2, config: { streamIndex: true } });
});
afterAll(async () => {
  await spool.close();
  await broker.close();
});

describe('spool.streams', () => {
  it('appends conditionally and throws a typed WrongExpectedVersionError on a conflict', async () => {
    const orders = spool.streams('orders');
    const placed = await orders.append('order-1', [{ type: 'Placed', data: { total: 40 } }], { expectedVersion: 'no_stream' });
    expect(placed).toMatchObject({ firstVersion: 0, lastVersion: 0 });
    const conflict = await orders.append('order-1', [{ type: 'Placed', data: {} }], { expectedVersion: 'no_stream' }).catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(WrongExpectedVersionError);
    expect(conflict).toMatchObject({ code: 'SPOOL_ERR_WRONG_EXPECTED_VERSION', expectedVersion: 'no_stream', actualVersion: 0, status: 409 });
  });

  it('reads a stream of more than one page as an async iterator, forward and backward, with a limit', async () => {
    const orders = spool.streams('orders');
    for (let chunk = 0; chunk < 3; chunk++) {
      await orders.append('order-long', Array.from({ length: 900 }, (_, i) => ({ type: 'Line', data: { n: chunk * 900 + i } })));
    }
    const versions: number[] = [];
    for await (const event of orders.read<{ n: number }>('order-long')) {
      expect(event.data!.n).toBe(event.version);
      versions.push(event.version);
    }
    expect(versions).toHaveLength(2700);
    const newest: number[] = [];
    for await (const event of orders.read('order-long', { direction: 'backward', limit: 1500 })) newest.push(event.version);
    expect(newest[0]).toBe(2699);
    expect(newest).toHaveLength(1500);
    expect(newest[1499]).toBe(1200);
  });

  it('loads an aggregate and appends after the version it saw', async () => {
    const orders = spool.streams('orders');
    await orders.append('order-2', [{ type: 'Placed', data: { total: 10 } }, { type: 'Paid', data: { amount: 10 } }]);
    const apply = (state: { status: string; paid: number }, event: StreamEvent<{ amount?: number }>) => ({ status: event.type ?? state.status, paid: state.paid + (event.data?.amount ?? 0) });
    const { state, version } = await orders.load('order-2', apply, { status: 'new', paid: 0 });
    expect(state).toEqual({ status: 'Paid', paid: 10 });
    expect(version).toBe(1);
    await orders.append('order-2', [{ type: 'Shipped', data: {} }], { expectedVersion: version });
    expect(await orders.describe('order-2')).toMatchObject({ version: 2, eventCount: 3 });
    expect((await orders.list({ prefix: 'order-' })).streams).toEqual(['order-1', 'order-2', 'order-long']);
  });

  it('subscribes to one stream: catch-up, then live events as they are appended, resumable from a version', async () => {
    const orders = spool.streams('orders');
    await orders.append('order-sub', [{ type: 'A', data: 0 }, { type: 'B', data: 1 }]);
    const seen: number[] = [];
    const live = (async () => {
      for await (const event of orders.subscribe<number>('order-sub')) {
        expect(event.data).toBe(event.version);
        seen.push(event.version);
        if (event.version === 3) break;
      }
    })();
    await vi.waitFor(() => expect(seen).toEqual([0, 1]));
    await orders.append('order-sub', [{ type: 'C', data: 2 }]);
    await orders.append('order-sub', [{ type: 'D', data: 3 }]);
    await live;
    expect(seen).toEqual([0, 1, 2, 3]);
    const resumed: number[] = [];
    for await (const event of orders.subscribe('order-sub', { from: 2 })) {
      resumed.push(event.version);
      if (event.version === 3) break;
    }
    expect(resumed).toEqual([2, 3]);
    await expect(orders.subscribe('order-sub', { from: -1 }).next()).rejects.toMatchObject({ code: 'SPOOL_ERR_INVALID_ARGUMENT' });
  });

  it('sets and reads metadata, soft-deletes and erases a stream', async () => {
    const orders = spool.streams('orders');
    await orders.append('order-meta', [1, 2, 3, 4].map((n) => ({ type: 'N', data: n })));
    expect(await orders.setMetadata('order-meta', { maxCount: 2 })).toEqual({ stream: 'order-meta', maxCount: 2, maxAgeMs: null, truncateBefore: null });
    expect((await orders.metadata('order-meta')).maxCount).toBe(2);
    const visible: number[] = [];
    for await (const event of orders.read('order-meta')) visible.push(event.version);
    expect(visible).toEqual([2, 3]);
    expect(await orders.delete('order-meta')).toMatchObject({ truncateBefore: 4 });
    expect(await orders.describe('order-meta')).toMatchObject({ deleted: true, eventCount: 0, version: 3 });
    expect(await orders.append('order-meta', [{ type: 'N', data: 5 }], { expectedVersion: 'no_stream' })).toMatchObject({ firstVersion: 4 });
    expect(await orders.erase('order-meta')).toMatchObject({ stream: 'order-meta' });
    const refused = await orders.append('order-meta', [{ type: 'N', data: 6 }]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SpoolClientError);
    expect(refused).toMatchObject({ code: 'SPOOL_ERR_STREAM_ERASED', status: 410 });
  });
});

/** Requests the broker answered on `route` (its request-duration histogram's counts, every status). */
async function requestsOn(route: string): Promise<number> {
  const text = await (await fetch(`${broker.url}/metrics`)).text();
  const pattern = new RegExp(`^spool_http_request_duration_seconds_count\\{[^}]*route="${route.replace(/[/:]/g, (c) => `\\${c}`)}"[^}]*\\} (\\d+)$`, 'gm');
  return [...text.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);
}

describe('coalesced appends', () => {
  const one = '/v1/topics/:topic/streams/:stream/events';
  const many = '/v1/topics/:topic/streams/events';

  it('sends 64 concurrent appends on distinct streams in far fewer than 64 requests, each resolved with its own result', async () => {
    const orders = spool.streams('orders');
    const before = (await requestsOn(one)) + (await requestsOn(many));
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) => spool.streams('orders').append(`coalesced-${i}`, [{ type: 'Placed', data: { i } }, { type: 'Paid', data: { i } }], { expectedVersion: 'no_stream' })),
    );
    const requests = (await requestsOn(one)) + (await requestsOn(many)) - before;
    expect(requests).toBeGreaterThan(0);
    expect(requests).toBeLessThanOrEqual(4);
    results.forEach((result, i) => expect(result).toMatchObject({ stream: `coalesced-${i}`, firstVersion: 0, lastVersion: 1 }));
    for (const i of [0, 31, 63]) {
      const events = [];
      for await (const event of orders.read<{ i: number }>(`coalesced-${i}`)) events.push(event.data!.i);
      expect(events).toEqual([i, i]);
    }
  });

  it('lets exactly one of two appends to one stream in one request win a version; the other gets a WrongExpectedVersionError', async () => {
    const orders = spool.streams('orders');
    const before = await requestsOn(many);
    const [first, second] = await Promise.allSettled([
      orders.append('contested', [{ type: 'A', data: 1 }], { expectedVersion: 'no_stream' }),
      orders.append('contested', [{ type: 'B', data: 2 }], { expectedVersion: 'no_stream' }),
    ]);
    expect(await requestsOn(many)).toBe(before + 1);
    expect(first).toMatchObject({ status: 'fulfilled', value: { firstVersion: 0 } });
    expect(second.status).toBe('rejected');
    const error = (second as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(WrongExpectedVersionError);
    expect(error).toMatchObject({ code: 'SPOOL_ERR_WRONG_EXPECTED_VERSION', status: 409, expectedVersion: 'no_stream', actualVersion: 0, retriable: false });
    expect(await orders.describe('contested')).toMatchObject({ version: 0, eventCount: 1 });
  });

  it('fails every append of a request the broker refuses whole, and goes on with later ones', async () => {
    await spool.admin.createTopic({ name: 'no-index', partitions: 1 });
    const plain = spool.streams('no-index');
    const refused = await Promise.allSettled([plain.append('a', [{ type: 'A', data: 1 }]), plain.append('b', [{ type: 'B', data: 1 }])]);
    for (const outcome of refused) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'SPOOL_ERR_STREAMS_NOT_ENABLED' } });
    const orders = spool.streams('orders');
    const erased = await orders.append('to-erase', [{ type: 'A', data: 1 }]);
    await orders.erase(erased.stream);
    const mixed = await Promise.allSettled([orders.append('to-erase', [{ type: 'A', data: 2 }]), orders.append('after-erase', [{ type: 'A', data: 2 }])]);
    expect(mixed[0]).toMatchObject({ status: 'rejected', reason: { code: 'SPOOL_ERR_STREAM_ERASED', status: 410 } });
    expect(mixed[1]).toMatchObject({ status: 'fulfilled', value: { stream: 'after-erase', firstVersion: 0 } });
  });

  it('answers each caller on its own when one malformed append makes the broker refuse the many-stream request whole', async () => {
    const orders = spool.streams('orders');
    const [good1, good2, bad] = await Promise.allSettled([
      orders.append('good-1', [{ type: 'A', data: 1 }]),
      orders.append('good-2', [{ type: 'A', data: 2 }]),
      orders.append('bad', [{ type: '', data: null }]),
    ]);
    expect(good1).toMatchObject({ status: 'fulfilled', value: { stream: 'good-1', firstVersion: 0 } });
    expect(good2).toMatchObject({ status: 'fulfilled', value: { stream: 'good-2', firstVersion: 0 } });
    expect(bad).toMatchObject({ status: 'rejected', reason: { status: 400 } });
    expect(await orders.describe('good-1')).toMatchObject({ version: 0, eventCount: 1 });
    expect(await orders.describe('good-2')).toMatchObject({ version: 0, eventCount: 1 });
  });

  it('writes an event id once when two concurrent appends carrying it are coalesced into one request', async () => {
    const orders = spool.streams('orders');
    const [first, second] = await Promise.all([
      orders.append('coalesced-twice', [{ type: 'Paid', id: 'evt-1', data: 1 }]),
      orders.append('coalesced-twice', [{ type: 'Paid', id: 'evt-1', data: 1 }]),
    ]);
    expect(first).toMatchObject({ firstVersion: 0 });
    expect(second).toMatchObject({ firstVersion: 0, offsets: first.offsets, duplicate: true });
    expect(await orders.describe('coalesced-twice')).toMatchObject({ version: 0, eventCount: 1 });
  });

  it('splits what one request may not carry into several, and sends an append too large for one alone', async () => {
    const orders = spool.streams('orders');
    const before = await requestsOn(many);
    const big = 'x'.repeat(30_000);
    // 1,500 appends: over the 1,000 a request; each 30 KB: over 4 MiB at ~140 of them.
    const results = await Promise.all(Array.from({ length: 1_500 }, (_, i) => orders.append(`split-${i % 700}`, [{ type: 'Big', data: i < 10 ? big : i }])));
    expect(results).toHaveLength(1_500);
    expect(await requestsOn(many)).toBeGreaterThanOrEqual(before + 2);
    const huge = await orders.append('huge', [{ type: 'Huge', data: 'y'.repeat(5 * 1024 * 1024) }]);
    expect(huge).toMatchObject({ firstVersion: 0 });
  });
});

describe('producer expectedOffsets', () => {
  it('writes only when every named partition ends at its expected offset, after what was queued', async () => {
    await spool.admin.createTopic({ name: 'ledger', partitions: 2 });
    const producer = spool.producer();
    producer.push('ledger', { key: 'k', value: 'queued', partition: 0 });
    const [first] = await producer.send('ledger', [{ key: 'k', value: 'first', partition: 0 }], { expectedOffsets: { 0: 1 } });
    expect(first).toEqual({ topic: 'ledger', partition: 0, offset: 1 });
    const conflict = await producer.send('ledger', [{ key: 'k', value: 'late', partition: 0 }, { value: 'other', partition: 1 }], { expectedOffsets: { 0: 1, 1: 0 } }).catch((error: unknown) => error);
    expect(conflict).toMatchObject({ code: 'SPOOL_ERR_OFFSET_MISMATCH', status: 409 });
    expect((conflict as SpoolClientError).context).toMatchObject({ actualOffset: 2 });
    const consumed = await spool.admin.describeTopic('ledger');
    expect(consumed.partitionDetails.map((partition) => partition.highWatermark)).toEqual([2, 0]);
    const keyed = await producer.send('ledger', [{ key: 'k', value: Buffer.from([0, 255]), headers: { h: Buffer.from([1, 2]) }, partition: 0 }], { expectedOffsets: { 0: 2 } });
    expect(keyed[0]).toMatchObject({ partition: 0, offset: 2 });
    await expect(producer.send('ledger', [{ value: 1 }], { expectedOffsets: { 0: -1 } })).rejects.toMatchObject({ code: 'SPOOL_ERR_INVALID_ARGUMENT' });
    await producer.close();
  });
});
