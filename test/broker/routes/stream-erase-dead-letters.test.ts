/**
 * Erase reaches the copies a work queue on the stream topic dead-lettered: after the erase pass no
 * file of the data directory (the dead-letter topic's segments and indexes included) holds a byte
 * of the erased events or their id, the dead-letter topic's other records keep their offsets, and
 * it all holds across a restart. A dead letter of the erased stream settled after the erasure
 * leaves no copy either.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { nodeFileSystem } from '../../../storage/index.js';
import { StreamMetadataTable } from '../../../storage/streams/stream-metadata.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { filesHolding } from '../support/data-files.js';

let broker: TestBroker;
const TOPIC = 'people';
const DEAD_LETTERS = 'people.dlq';
const ERASED = 'user-erin@example.com';
const SECRET = 'erin-secret-5be0';
const streamUrl = (stream: string, rest = '') => `${broker.url}/v1/topics/${TOPIC}/streams/${encodeURIComponent(stream)}${rest}`;
const queueUrl = (rest: string) => `${broker.url}/v1/topics/${TOPIC}/queues/workers${rest}`;

async function append(stream: string, data: unknown): Promise<void> {
  expect((await call(streamUrl(stream, '/events'), { method: 'POST', json: { events: [{ type: 'Changed', data }] } })).status).toBe(200);
}

/** Receives every available message and gives it back: with maxDeliveries 1 each one is dead-lettered. */
async function deadLetterAll(): Promise<number> {
  const received = await call(queueUrl('/receive'), { method: 'POST', json: { max: 100 } });
  expect(received.status).toBe(200);
  const receipts = received.body.messages.map((message: { receipt: string }) => message.receipt);
  if (receipts.length > 0) expect((await call(queueUrl('/nack'), { method: 'POST', json: { receipts } })).status).toBe(200);
  return receipts.length;
}

async function deadLetters(): Promise<Array<{ offset: number; key: string | null; value: unknown }>> {
  const answer = await call(`${broker.url}/v1/topics/${DEAD_LETTERS}/partitions/0/records`);
  expect(answer.status).toBe(200);
  return answer.body.records.map((record: { offset: number; key: string | null; value: unknown }) => ({ offset: record.offset, key: record.key, value: record.value }));
}

const erasedDone = () =>
  vi.waitFor(
    async () => expect((await call(streamUrl(ERASED))).body.error).toMatchObject({ code: 'SPOOL_ERR_STREAM_ERASED', erasePending: false }),
    { timeout: 20_000, interval: 50 },
  );

beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: TOPIC, partitions: 1, config: { streamIndex: true } } })).status).toBe(201);
  expect((await call(queueUrl(''), { method: 'PUT', json: { maxDeliveries: 1 } })).status).toBeLessThan(300);
});
afterAll(async () => broker.close());

describe('erase and dead letters', () => {
  it('removes the dead-letter copies of the erased stream, keeps the others at their offsets', async () => {
    await append('user-bob', { note: 'bob-0' });
    await append(ERASED, { secret: `${SECRET}-0` });
    await append('user-bob', { note: 'bob-1' });
    expect(await deadLetterAll()).toBe(3);
    // The third event comes after the first dead letters: the dead-letter topic holds copies in two batches.
    await append(ERASED, { secret: `${SECRET}-1` });
    expect(await deadLetterAll()).toBe(1);
    const before = await deadLetters();
    expect(before.map((record) => record.key)).toEqual(['user-bob', ERASED, 'user-bob', ERASED]);
    expect((await filesHolding(broker.dataDir, SECRET)).some((path) => path.includes(DEAD_LETTERS))).toBe(true);

    const erased = await call(streamUrl(ERASED, '/erase'), { method: 'POST' });
    expect(erased.status).toBe(202);
    await erasedDone();

    expect(await filesHolding(broker.dataDir, SECRET)).toEqual([]);
    expect(await filesHolding(broker.dataDir, ERASED)).toEqual([]);
    expect(await deadLetters()).toEqual(before.filter((record) => record.key !== ERASED));
  });

  it('stays erased across a restart, dead-letter topic included', async () => {
    const before = await deadLetters();
    await broker.close(false);
    broker = await broker.restart();
    expect((await call(streamUrl(ERASED))).body.error).toMatchObject({ code: 'SPOOL_ERR_STREAM_ERASED', erasePending: false });
    expect(await filesHolding(broker.dataDir, SECRET)).toEqual([]);
    expect(await filesHolding(broker.dataDir, ERASED)).toEqual([]);
    expect(await deadLetters()).toEqual(before);
  });
});

describe('a dead letter settled after the erasure', () => {
  it('leaves no copy of the erased stream in the dead-letter topic', async () => {
    const stream = 'user-fay@example.com';
    await append(stream, { secret: 'fay-secret-93ad' });
    const received = await call(queueUrl('/receive'), { method: 'POST', json: { max: 100 } });
    expect(received.body.messages.map((message: { key: string }) => message.key)).toEqual([stream]);
    const before = await deadLetters();
    expect((await call(streamUrl(stream, '/erase'), { method: 'POST' })).status).toBe(202);
    await vi.waitFor(async () => expect((await call(streamUrl(stream))).body.error).toMatchObject({ erasePending: false }), { timeout: 20_000, interval: 50 });
    // The queue read the event before the erasure; giving it back now dead-letters it without a copy.
    const settled = await call(queueUrl('/nack'), { method: 'POST', json: { receipts: [received.body.messages[0].receipt] } });
    expect(settled.body.results[0].ok).toBe(true);
    expect(await deadLetters()).toEqual(before);
    expect((await call(queueUrl(''))).body).toMatchObject({ available: 0, inFlight: 0 });
    expect(await filesHolding(broker.dataDir, 'fay-secret-93ad')).toEqual([]);
  });
});

describe('an erasure pending at a restart', () => {
  it('runs again when the broker starts, dead-letter copies included', async () => {
    const stream = 'user-gus@example.com';
    await append(stream, { secret: 'gus-secret-1c07' });
    expect(await deadLetterAll()).toBe(1);
    expect((await filesHolding(broker.dataDir, 'gus-secret-1c07')).some((path) => path.includes(DEAD_LETTERS))).toBe(true);
    await broker.close(false);
    // The erasure recorded, its pass not run (as after a crash right after the 202).
    const secret = await readFile(join(broker.dataDir, 'topics.stream-id-key'));
    const table = await StreamMetadataTable.load(nodeFileSystem, join(broker.dataDir, 'topics', TOPIC, '0'), secret);
    await table.markErasing(Buffer.from(stream));
    broker = await broker.restart();
    await vi.waitFor(async () => expect((await call(streamUrl(stream))).body.error).toMatchObject({ erasePending: false }), { timeout: 20_000, interval: 50 });
    expect(await filesHolding(broker.dataDir, 'gus-secret-1c07')).toEqual([]);
    expect(await filesHolding(broker.dataDir, stream)).toEqual([]);
  });
});
