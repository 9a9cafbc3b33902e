/**
 * POST /v1/topics/:topic/streams/events: many streams' conditional appends in one request, each
 * decided on its own and answered in order; the accepted appends of one partition share a batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey, splitBatches } from '../../../storage/index.js';
import { call, logState, startBroker, type TestBroker } from '../support/broker.js';

const PARTITIONS = 3;
let broker: TestBroker;
const url = (path: string, topic = 'orders') => `${broker.url}/v1/topics/${topic}${path}`;
const appendMany = (json: unknown, topic = 'orders') => call(url('/streams/events', topic), { method: 'POST', json });
const describeStream = (stream: string) => call(url(`/streams/${encodeURIComponent(stream)}`));
const event = (type: string, data: unknown, id?: string) => ({ type, data, ...(id ? { id } : {}) });
const partitionOf = (stream: string) => partitionForKey(Buffer.from(stream), PARTITIONS);
/** Stream ids that all live in `partition`. */
const streamsIn = (partition: number, prefix: string, count: number): string[] => {
  const found: string[] = [];
  for (let i = 0; found.length < count; i++) if (partitionOf(`${prefix}${i}`) === partition) found.push(`${prefix}${i}`);
  return found;
};

beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'orders', partitions: PARTITIONS, config: { streamIndex: true } } })).status).toBe(201);
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'plain', partitions: 1 } });
});
afterAll(async () => broker.close());

describe('many streams in one request', () => {
  it('answers one result per append, in order, and writes only the appends at their expected version', async () => {
    await appendMany({ appends: [{ stream: 'm-2', events: [event('Placed', 1)], expectedVersion: 'no_stream' }] });
    const answer = await appendMany({
      appends: [
        { stream: 'm-1', events: [event('Placed', 1), event('Paid', 2)], expectedVersion: 'no_stream' },
        { stream: 'm-2', events: [event('Late', 3)], expectedVersion: 'no_stream' },
        { stream: 'm-3', events: [event('Placed', 4)] },
        { stream: 'm-2', events: [event('Paid', 5)], expectedVersion: 0 },
      ],
    });
    expect(answer.status).toBe(200);
    const [first, refused, anyVersion, second] = answer.body.results;
    expect(first).toMatchObject({ stream: 'm-1', partition: partitionOf('m-1'), firstVersion: 0, lastVersion: 1 });
    expect(first.offsets[1]).toBe(first.offsets[0] + 1);
    expect(refused).toEqual({ stream: 'm-2', error: expect.objectContaining({ code: 'SPOOL_ERR_WRONG_EXPECTED_VERSION', status: 409, actualVersion: 0, expectedVersion: 'no_stream' }) });
    expect(anyVersion).toMatchObject({ stream: 'm-3', firstVersion: 0, lastVersion: 0 });
    expect(second).toMatchObject({ stream: 'm-2', firstVersion: 1, lastVersion: 1 });
    const events = (await call(url('/streams/m-2/events'))).body.events.map((stored: { type: string }) => stored.type);
    expect(events).toEqual(['Placed', 'Paid']); // the refused 'Late' is nowhere
  });

  it('lets two appends to one stream in one request see each other: the second expects the first\'s version, and only one wins a version', async () => {
    const answer = await appendMany({
      appends: [
        { stream: 'twice', events: [event('A', 1)], expectedVersion: 'no_stream' },
        { stream: 'twice', events: [event('B', 2), event('C', 3)], expectedVersion: 0 },
        { stream: 'twice', events: [event('D', 4)], expectedVersion: 0 },
        { stream: 'twice', events: [event('E', 5)], expectedVersion: 'no_stream' },
      ],
    });
    const results = answer.body.results;
    expect(results[0]).toMatchObject({ firstVersion: 0, lastVersion: 0 });
    expect(results[1]).toMatchObject({ firstVersion: 1, lastVersion: 2 });
    expect(results[2].error).toMatchObject({ code: 'SPOOL_ERR_WRONG_EXPECTED_VERSION', actualVersion: 2 });
    expect(results[3].error).toMatchObject({ code: 'SPOOL_ERR_WRONG_EXPECTED_VERSION', actualVersion: 2 });
    expect((await describeStream('twice')).body).toMatchObject({ version: 2, eventCount: 3 });
  });

  it('writes the accepted appends of one partition as one batch', async () => {
    const partition = 1;
    const streams = streamsIn(partition, 'batched-', 5);
    const answer = await appendMany({ appends: streams.map((stream) => ({ stream, events: [event('A', stream), event('B', stream)], expectedVersion: 'no_stream' })) });
    const offsets: number[] = answer.body.results.flatMap((result: { offsets: number[] }) => result.offsets);
    expect(offsets).toEqual(Array.from({ length: 10 }, (_, i) => offsets[0]! + i));
    const raw = await fetch(url(`/partitions/${partition}/records?offset=${offsets[0]}&format=batch`));
    const spans = splitBatches(Buffer.from(await raw.arrayBuffer()));
    expect(spans[0]!.header).toMatchObject({ baseOffset: offsets[0], recordsCount: 10 });
  });

  it('answers per-append refusals (bad id, repeated event id, erased stream) beside the appends it writes', async () => {
    await appendMany({ appends: [{ stream: 'gone', events: [event('A', 1)] }] });
    expect((await call(url('/streams/gone/erase'), { method: 'POST' })).status).toBe(202);
    const answer = await appendMany({
      appends: [
        { stream: 'x'.repeat(600), events: [event('A', 1)] },
        { stream: 'dup-ids', events: [event('A', 1, 'same'), event('B', 2, 'same')] },
        { stream: 'gone', events: [event('A', 1)] },
        { stream: 'fine', events: [event('A', 1)] },
      ],
    });
    expect(answer.status).toBe(200);
    const [long, duplicate, erased, fine] = answer.body.results;
    expect(long.error).toMatchObject({ code: 'SPOOL_ERR_BAD_REQUEST', status: 400, field: 'stream', limit: 512 });
    expect(duplicate.error).toMatchObject({ code: 'SPOOL_ERR_BAD_REQUEST', field: 'events[1].id' });
    expect(erased.error).toMatchObject({ code: 'SPOOL_ERR_STREAM_ERASED', status: 410 });
    expect(fine).toMatchObject({ stream: 'fine', firstVersion: 0 });
    expect((await describeStream('dup-ids')).body.eventCount).toBe(0);
  });

  it('answers a retry with the same event ids with the original result, writing nothing', async () => {
    const appends = [{ stream: 'retried', events: [event('A', 1, 'r-1'), event('B', 2, 'r-2')], expectedVersion: 'no_stream' }];
    const original = (await appendMany({ appends })).body.results[0];
    const retried = (await appendMany({ appends: [...appends, { ...appends[0]!, expectedVersion: 'any' }] })).body.results;
    expect(retried[0]).toMatchObject({ offsets: original.offsets, duplicate: true });
    expect(retried[1]).toMatchObject({ offsets: original.offsets, duplicate: true });
    expect((await describeStream('retried')).body.eventCount).toBe(2);
  });

  it('writes an event id once when two appends of one request carry it, answering the second with the first\'s result', async () => {
    const paid = { stream: 'twice-in-one', events: [event('Paid', 1, 'evt-1')] };
    const [first, second] = (await appendMany({ appends: [paid, paid] })).body.results;
    expect(first).toMatchObject({ firstVersion: 0, lastVersion: 0 });
    expect(second).toMatchObject({ firstVersion: 0, offsets: first.offsets, duplicate: true });
    expect((await describeStream('twice-in-one')).body).toMatchObject({ version: 0, eventCount: 1 });
  });

  it('writes an event id once when six posts of it race on the one-stream route', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => call(url('/streams/raced/events'), { method: 'POST', json: { events: [event('Paid', 1, 'evt-raced')] } })),
    );
    for (const answer of answers) expect(answer.body).toMatchObject({ firstVersion: 0, offsets: answers[0]!.body.offsets });
    expect(answers.filter((answer) => answer.body.duplicate !== true)).toHaveLength(1);
    expect((await describeStream('raced')).body).toMatchObject({ version: 0, eventCount: 1 });
  });

  it('refuses a malformed request whole with 400, before writing any of its appends', async () => {
    const good = { stream: 'never-written', events: [event('A', 1)] };
    const cases: unknown[] = [
      {},
      { appends: [] },
      { appends: [good], extra: 1 },
      { appends: [good, { stream: 'b', events: [event('A', 1)], expectedVersion: -1 }] },
      { appends: [good, { stream: 'b', events: [event('A', 1)], expectedVersion: 2 ** 53 + 1 }] },
      { appends: [good, { stream: '', events: [event('A', 1)] }] },
      { appends: [good, { stream: 'b', events: [] }] },
      { appends: [good, { stream: 'b', events: [event('A', 1)], typo: true }] },
      { appends: Array.from({ length: 1001 }, (_, i) => ({ stream: `s${i}`, events: [event('A', 1)] })) },
      { appends: Array.from({ length: 11 }, (_, i) => ({ stream: `s${i}`, events: Array.from({ length: 1000 }, () => event('A', 1)) })) },
    ];
    const before = await logState(broker.url, 'orders');
    for (const body of cases) {
      const answer = await appendMany(body);
      expect(answer.status, JSON.stringify(body).slice(0, 100)).toBe(400);
      expect(answer.body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
    }
    const tooMany = await appendMany(cases[9]);
    expect(tooMany.body.error).toMatchObject({ field: 'appends', limit: 10_000 });
    expect(await logState(broker.url, 'orders')).toEqual(before);
  });

  it('refuses a body over its own limit with 413 naming that limit', async () => {
    const big = { appends: [{ stream: 'big', events: Array.from({ length: 100 }, () => event('A', 'x'.repeat(50_000))) }] };
    const answer = await appendMany(big);
    expect(answer.status).toBe(413);
    expect(answer.body.error).toMatchObject({ code: 'SPOOL_ERR_PAYLOAD_TOO_LARGE', limitBytes: 4 * 1024 * 1024 });
  });

  it('splits a partition\'s appends into batches within maxMessageBytes, and refuses alone an append larger than it', async () => {
    expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'small', partitions: 1, config: { streamIndex: true, maxMessageBytes: 1024 } } })).status).toBe(201);
    const appends = ['s-1', 's-2', 's-3'].map((stream) => ({ stream, events: [event('A', 'x'.repeat(300))] }));
    const answer = await appendMany({ appends: [...appends, { stream: 's-big', events: [event('A', 'y'.repeat(2000))] }] }, 'small');
    const [first, second, third, big] = answer.body.results;
    expect([first.offsets, second.offsets, third.offsets]).toEqual([[0], [1], [2]]);
    expect(big.error).toMatchObject({ code: 'SPOOL_ERR_MESSAGE_TOO_LARGE', status: 413, maxMessageBytes: 1024 });
    const raw = await fetch(url('/partitions/0/records?offset=0&format=batch&maxBytes=100000', 'small'));
    const spans = splitBatches(Buffer.from(await raw.arrayBuffer()));
    expect(spans.length).toBeGreaterThan(1);
    for (const span of spans) expect(span.size).toBeLessThanOrEqual(1024);
    expect(spans.reduce((sum, span) => sum + span.header.recordsCount, 0)).toBe(3);
  });

  it('refuses a topic without streamIndex, and an unknown topic, whole', async () => {
    const appends = [{ stream: 'a', events: [event('A', 1)] }];
    expect((await appendMany({ appends }, 'plain')).body.error.code).toBe('SPOOL_ERR_STREAMS_NOT_ENABLED');
    expect((await appendMany({ appends }, 'no-such-topic')).status).toBe(404);
  });
});
