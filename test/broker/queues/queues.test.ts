/**
 * Work queues end to end over HTTP, against a real broker: leases and visibility timeouts, nack
 * delays, dead letters, reject, per-key order with concurrent workers, priority, durability
 * across a restart, and per-receipt errors.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeQueueMessages, QUEUE_MESSAGES_CONTENT_TYPE } from '../../../storage/codec/index.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
afterEach(async () => broker?.close());

interface Received {
  receipt: string;
  partition: number;
  offset: number;
  deliveryCount: number;
  key: string | null;
  value: unknown;
  headers: Record<string, string>;
}

async function setup(options: { partitions?: number; queue?: Record<string, unknown>; records?: unknown[] } = {}) {
  broker ??= await startBroker({ flush: 'never' });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'jobs', partitions: options.partitions ?? 1 } });
  if (options.records) await call(`${broker.url}/v1/topics/jobs/records`, { method: 'POST', json: { records: options.records } });
  const created = await call(`${broker.url}/v1/topics/jobs/queues/workers`, { method: 'PUT', json: options.queue ?? {} });
  expect(created.status).toBe(201);
}

async function receive(body: Record<string, unknown> = {}): Promise<Received[]> {
  const answer = await call(`${broker.url}/v1/topics/jobs/queues/workers/receive`, { method: 'POST', json: body });
  expect(answer.status).toBe(200);
  return answer.body.messages;
}

async function settle(kind: 'ack' | 'nack' | 'reject', receipts: string[], extra: Record<string, unknown> = {}) {
  const answer = await call(`${broker.url}/v1/topics/jobs/queues/workers/${kind}`, { method: 'POST', json: { receipts, ...extra } });
  expect(answer.status).toBe(200);
  return answer.body.results as Array<{ receipt: string; ok: boolean; error?: { code: string } }>;
}

const describeQueue = async () => (await call(`${broker.url}/v1/topics/jobs/queues/workers`)).body;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const values = (records: number) => Array.from({ length: records }, (_, i) => ({ value: i }));

describe('queues', () => {
  it('hands each message to one worker, and acked messages never come back', async () => {
    broker = await startBroker({ flush: 'never' });
    await setup({ records: values(10) });
    const first = await receive({ max: 4 });
    const second = await receive({ max: 10 });
    expect(first.map((message) => message.value)).toEqual([0, 1, 2, 3]);
    expect(second.map((message) => message.value)).toEqual([4, 5, 6, 7, 8, 9]);
    expect((await settle('ack', [...first, ...second].map((message) => message.receipt))).every((result) => result.ok)).toBe(true);
    expect(await receive({ max: 10 })).toEqual([]);
    expect(await describeQueue()).toMatchObject({ available: 0, inFlight: 0, partitions: [{ ackedThrough: 10 }] });
  });

  it('delivers again after the visibility timeout, counting deliveries', async () => {
    broker = await startBroker({ flush: 'never' });
    await setup({ records: values(1), queue: { visibilityMs: 200 } });
    const [first] = await receive();
    expect(first!.deliveryCount).toBe(1);
    expect(await receive()).toEqual([]); // leased
    const [again] = await receive({ waitMs: 2000 });
    expect(again).toMatchObject({ offset: first!.offset, deliveryCount: 2 });
    const late = await settle('ack', [first!.receipt]);
    expect(late[0]).toMatchObject({ ok: false, error: { code: 'SPOOL_ERR_RECEIPT_EXPIRED' } });
    expect((await settle('ack', [again!.receipt]))[0]!.ok).toBe(true);
  });

  it('keeps a nacked message back for delayMs', async () => {
    broker = await startBroker({ flush: 'never' });
    await setup({ records: values(1) });
    const [message] = await receive();
    await settle('nack', [message!.receipt], { delayMs: 400 });
    const startedAt = Date.now();
    expect(await receive({ waitMs: 100 })).toEqual([]);
    const [again] = await receive({ waitMs: 3000 });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(350);
    expect(again).toMatchObject({ offset: message!.offset, deliveryCount: 2 });
  });

  it('dead-letters after maxDeliveries, with headers naming the origin', async () => {
    broker = await startBroker({ flush: 'never' });
    await setup({ records: [{ key: 'k', value: 'poison', headers: { trace: 't1' } }], queue: { maxDeliveries: 2, visibilityMs: 100 } });
    const [first] = await receive();
    await settle('nack', [first!.receipt]);
    await receive({ waitMs: 1000 }); // second delivery, left to expire
    await sleep(200);
    expect(await receive({ waitMs: 300 })).toEqual([]);
    const dlq = await call(`${broker.url}/v1/topics/jobs.dlq/partitions/0/records`);
    expect(dlq.status).toBe(200);
    expect(dlq.body.records).toHaveLength(1);
    expect(dlq.body.records[0]).toMatchObject({
      key: 'k',
      value: 'poison',
      headers: { trace: 't1', 'dlq-original-topic': 'jobs', 'dlq-original-partition': '0', 'dlq-original-offset': '0', 'dlq-delivery-count': '2' },
    });
    expect(dlq.body.records[0].headers['dlq-reason']).toMatch(/max deliveries/);
    expect(await describeQueue()).toMatchObject({ deadLettered: 1, partitions: [{ ackedThrough: 1 }] });
  });

  it('rejects straight to the dead-letter topic with a reason', async () => {
    broker = await startBroker({ flush: 'never' });
    await setup({ records: values(2), queue: { deadLetterTopic: 'jobs-failed' } });
    const [first] = await receive();
    expect((await settle('reject', [first!.receipt], { reason: 'bad input' }))[0]!.ok).toBe(true);
    const dlq = await call(`${broker.url}/v1/topics/jobs-failed/partitions/0/records`);
    expect(dlq.body.records[0].headers).toMatchObject({ 'dlq-reason': 'bad input', 'dlq-delivery-count': '1' });
    expect((await receive())[0]!.value).toBe(1);
  });

  it('wakes a waiting receive when a nack gives a message back, not only when records arrive', async () => {
    broker = await startBroker({ flush: 'never' });
    await setup({ records: values(1), queue: { visibilityMs: 12 * 3_600_000 } });
    const [first] = await receive();
    // Nothing is available and the lease runs for 12 h: only the nack can end this wait early.
    // (Without the wake-up it answers only when its 60 s wait ends: past the test's timeout.)
    const waiting = receive({ waitMs: 60_000 });
    await vi.waitFor(async () => expect((await call(`${broker.url}/metrics`)).body.toString()).toContain('spool_queue_receives_waiting{topic="jobs",queue="workers"} 1'));
    expect((await settle('nack', [first!.receipt]))[0]!.ok).toBe(true);
    expect((await waiting).map((message) => [message.value, message.deliveryCount])).toEqual([[0, 2]]);
  });

  it('dead-letters concurrent rejects while their dead-letter topic is first created', async () => {
    broker = await startBroker({ flush: 'never' });
    await setup({ records: values(8) });
    const received = await receive({ max: 8 });
    // Eight requests at once, each the first to find the topic missing: every one must succeed.
    const answers = await Promise.all(received.map((message) => call(`${broker.url}/v1/topics/jobs/queues/workers/reject`, { method: 'POST', json: { receipts: [message.receipt] } })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200));
    const dlq = await call(`${broker.url}/v1/topics/jobs.dlq/partitions/0/records`);
    expect(dlq.body.records.map((record: { value: number }) => record.value).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('keeps per-key order with 8 concurrent workers when orderedByKey', async () => {
    broker = await startBroker({ flush: 'never' });
    const keys = 6;
    const perKey = 40;
    const records = Array.from({ length: keys * perKey }, (_, i) => ({ key: `k${i % keys}`, value: { key: i % keys, seq: Math.floor(i / keys) } }));
    await setup({ partitions: 2, records, queue: { orderedByKey: true } });
    const handled: Array<{ key: number; seq: number }> = [];
    const worker = async () => {
      while (handled.length < records.length) {
        const messages = await receive({ max: 3, waitMs: 200 });
        for (const message of messages) {
          await sleep(Math.random() * 3); // workers run at different speeds
          handled.push(message.value as { key: number; seq: number });
          await settle('ack', [message.receipt]);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(handled).toHaveLength(records.length);
    for (let key = 0; key < keys; key++) {
      expect(handled.filter((entry) => entry.key === key).map((entry) => entry.seq)).toEqual(Array.from({ length: perKey }, (_, i) => i));
    }
  });

  it('with orderedByKey, a key stays blocked while its message is leased, nacked, dying or redelivered, and frees at its ack or dead letter', async () => {
    broker = await startBroker({ flush: 'never' });
    const records = [{ key: 'a', value: 'a0' }, { key: 'a', value: 'a1' }, { key: 'b', value: 'b0' }, { key: 'b', value: 'b1' }, { value: 'none' }];
    await setup({ records, queue: { orderedByKey: true, maxDeliveries: 9 } });
    const first = await receive({ max: 10, visibilityMs: 60_000 });
    expect(first.map((message) => message.value)).toEqual(['a0', 'b0', 'none']);
    const [a0, b0] = first;
    // Nacked: a0 is delivered again, never a1 past it.
    await settle('nack', [a0!.receipt]);
    const again = await receive({ max: 10, visibilityMs: 60_000 });
    expect(again.map((message) => message.value)).toEqual(['a0']);
    // Rejected into the dead-letter topic: key a is free, a1 comes.
    await settle('reject', [again[0]!.receipt]);
    expect((await receive({ max: 10, visibilityMs: 100 })).map((message) => message.value)).toEqual(['a1']);
    // b0 acked: b1 comes; a1's lease runs out: a1 again, still alone for its key.
    await settle('ack', [b0!.receipt]);
    expect((await receive({ max: 10, visibilityMs: 60_000 })).map((message) => message.value)).toEqual(['b1']);
    const redelivered = await receive({ max: 10, waitMs: 5_000, visibilityMs: 60_000 });
    expect(redelivered.map((message) => [message.value, message.deliveryCount])).toEqual([['a1', 2]]);
    expect(await describeQueue()).toMatchObject({ available: 0, inFlight: 3, deadLettered: 1 });
  });

  it('delivers higher priority first within the window', async () => {
    broker = await startBroker({ flush: 'never' });
    const records = [0, 5, 0, 9, 1, 9].map((priority, i) => ({ value: i, headers: { priority: String(priority) } }));
    await setup({ records });
    expect((await receive({ max: 10 })).map((message) => message.value)).toEqual([3, 5, 1, 4, 0, 2]);
  });

  it('survives a restart: acked stay acked, in-flight come back, delivery counts kept', async () => {
    broker = await startBroker({ flush: 'always' });
    await setup({ records: values(6), queue: { visibilityMs: 60_000 } });
    const leased = await receive({ max: 4 });
    await settle('ack', [leased[0]!.receipt, leased[2]!.receipt]);
    broker = await broker.restart();
    const after = await receive({ max: 10 });
    expect(after.map((message) => [message.value, message.deliveryCount])).toEqual([[1, 2], [3, 2], [4, 1], [5, 1]]);
    expect((await settle('ack', [leased[1]!.receipt]))[0]).toMatchObject({ ok: false });
    await settle('ack', after.map((message) => message.receipt));
    expect(await describeQueue()).toMatchObject({ available: 0, inFlight: 0, partitions: [{ ackedThrough: 6 }] });
  });

  it('answers format=binary with the same messages, whose receipts settle them', async () => {
    broker = await startBroker({ flush: 'never' });
    await setup({
      records: [
        { key: 'k', value: { n: 1 }, headers: { priority: '0', ['__proto__']: 'x' } },
        { value: 'plain' },
      ],
    });
    const response = await fetch(`${broker.url}/v1/topics/jobs/queues/workers/receive?format=binary`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ max: 10 }) });
    expect([response.status, response.headers.get('content-type')]).toEqual([200, QUEUE_MESSAGES_CONTENT_TYPE]);
    const messages = decodeQueueMessages(Buffer.from(await response.arrayBuffer()));
    expect(messages.map((message) => [message.partition, message.offset, message.deliveryCount, message.key?.toString(), JSON.parse(message.value!.toString())])).toEqual([
      [0, 0, 1, 'k', { n: 1 }],
      [0, 1, 1, undefined, 'plain'],
    ]);
    expect(messages[0]!.headers.map((header) => [header.key, header.value?.toString()])).toEqual(expect.arrayContaining([['priority', '0'], ['__proto__', 'x']]));
    expect((await settle('ack', messages.map((message) => message.receipt))).every((result) => result.ok)).toBe(true);
    expect(await describeQueue()).toMatchObject({ available: 0, inFlight: 0, partitions: [{ ackedThrough: 2 }] });
    const unknown = await call(`${broker.url}/v1/topics/jobs/queues/workers/receive?format=msgpack`, { method: 'POST', json: {} });
    expect([unknown.status, unknown.body.error.code]).toEqual([400, 'SPOOL_ERR_BAD_REQUEST']);
  });

  it('answers only the refused receipts, by index, with results=failures', async () => {
    broker = await startBroker({ flush: 'never' });
    await setup({ records: values(3) });
    const leased = await receive({ max: 3 });
    const receipts = [leased[0]!.receipt, 'garbage', leased[1]!.receipt, leased[0]!.receipt];
    const answer = await call(`${broker.url}/v1/topics/jobs/queues/workers/ack?results=failures`, { method: 'POST', json: { receipts } });
    expect(answer.status).toBe(200);
    expect(answer.body.results.map((result: { index: number; receipt: string; ok: boolean; error: { code: string } }) => [result.index, result.receipt, result.ok, result.error.code])).toEqual([
      [1, 'garbage', false, 'SPOOL_ERR_RECEIPT_UNKNOWN'],
      [3, leased[0]!.receipt, false, 'SPOOL_ERR_RECEIPT_EXPIRED'],
    ]);
    expect(await describeQueue()).toMatchObject({ available: 0, inFlight: 1, partitions: [{ ackedThrough: 2 }] });
    // A receipt naming a leased message with another nonce is no proof of holding it.
    const forged = leased[2]!.receipt.replace(/[^.]{8}$/, (nonce) => (nonce === 'AAAAAAAA' ? 'BBBBBBBB' : 'AAAAAAAA'));
    expect((await settle('ack', [forged]))[0]).toMatchObject({ ok: false, error: { code: 'SPOOL_ERR_RECEIPT_EXPIRED' } });
    const typo = await call(`${broker.url}/v1/topics/jobs/queues/workers/ack?results=failed`, { method: 'POST', json: { receipts: [leased[2]!.receipt] } });
    expect([typo.status, typo.body.error.code]).toEqual([400, 'SPOOL_ERR_BAD_REQUEST']);
    expect(await describeQueue()).toMatchObject({ inFlight: 1 });
  });

  it('answers bad requests with documented codes and touches nothing', async () => {
    broker = await startBroker({ flush: 'never' });
    await setup({ records: values(1) });
    expect((await call(`${broker.url}/v1/topics/jobs/queues/nobody/receive`, { method: 'POST', json: {} })).body.error.code).toBe('SPOOL_ERR_QUEUE_NOT_FOUND');
    expect((await call(`${broker.url}/v1/topics/nope/queues/workers`, { method: 'PUT', json: {} })).body.error.code).toBe('SPOOL_ERR_TOPIC_NOT_FOUND');
    const bad = await call(`${broker.url}/v1/topics/jobs/queues/workers/receive`, { method: 'POST', json: { max: 0 } });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'SPOOL_ERR_BAD_REQUEST']);
    const self = await call(`${broker.url}/v1/topics/jobs/queues/workers`, { method: 'PUT', json: { deadLetterTopic: 'jobs' } });
    expect([self.status, self.body.error.code]).toEqual([400, 'SPOOL_ERR_INVALID_CONFIG']);
    const results = await settle('ack', ['garbage', '0.99.1.AAAAAAAA']);
    expect(results.map((result) => result.error?.code)).toEqual(['SPOOL_ERR_RECEIPT_UNKNOWN', 'SPOOL_ERR_RECEIPT_UNKNOWN']);
    expect(await describeQueue()).toMatchObject({ available: 1, inFlight: 0 });
  });
});
