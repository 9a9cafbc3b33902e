/**
 * Redrive of dead letters over HTTP, against a real broker: dry run first (nothing written), then
 * the letters back on the topic and delivered again by their queue only, each redriven once
 * (the cursor survives a restart), bounded by `max`, and bad requests refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { call, logState, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
afterEach(async () => broker?.close());

const url = (path: string) => `${broker.url}${path}`;

async function receive(queue: string, max = 10): Promise<Array<{ receipt: string; offset: number; value: unknown; deliveryCount: number; headers: Record<string, string> }>> {
  const answer = await call(url(`/v1/topics/jobs/queues/${queue}/receive`), { method: 'POST', json: { max } });
  expect(answer.status).toBe(200);
  return answer.body.messages;
}

async function settle(queue: string, kind: 'ack' | 'reject', receipts: string[], reason?: string) {
  const answer = await call(url(`/v1/topics/jobs/queues/${queue}/${kind}`), { method: 'POST', json: { receipts, reason } });
  expect(answer.body.results.every((result: { ok: boolean }) => result.ok)).toBe(true);
}

const redrive = (queue: string, body: Record<string, unknown> = {}) => call(url(`/v1/topics/jobs/queues/${queue}/redrive`), { method: 'POST', json: body });

/** A topic `jobs` with three records and queue `workers`, whose worker rejects records 0 and 2. */
async function withDeadLetters(): Promise<void> {
  broker = await startBroker({ flush: 'never' });
  await call(url('/v1/topics'), { method: 'POST', json: { name: 'jobs', partitions: 1 } });
  await call(url('/v1/topics/jobs/records'), { method: 'POST', json: { records: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] } });
  expect((await call(url('/v1/topics/jobs/queues/workers'), { method: 'PUT', json: {} })).status).toBe(201);
  const messages = await receive('workers');
  await settle('workers', 'reject', [messages[0]!.receipt, messages[2]!.receipt], 'bad input');
  await settle('workers', 'ack', [messages[1]!.receipt]);
}

describe('queue redrive', () => {
  it('lists dead letters in a dry run without writing, then moves them back to be delivered again', async () => {
    await withDeadLetters();
    const before = await logState(broker.url, 'jobs');
    const preview = await redrive('workers', { dryRun: true });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ dryRun: true, deadLetterTopic: 'jobs.dlq', more: false });
    expect(preview.body.redriven).toEqual([
      { deadLetterPartition: 0, deadLetterOffset: 0, partition: 0, originalOffset: 0, reason: 'bad input' },
      { deadLetterPartition: 0, deadLetterOffset: 1, partition: 0, originalOffset: 2, reason: 'bad input' },
    ]);
    expect(await logState(broker.url, 'jobs')).toEqual(before);

    const applied = await redrive('workers');
    expect(applied.body.redriven.map((letter: { offset: number }) => letter.offset)).toEqual([3, 4]);
    const again = await receive('workers');
    expect(again.map((message) => [message.offset, message.value, message.deliveryCount])).toEqual([[3, 'a', 1], [4, 'c', 1]]);
    expect(again[0]!.headers).toEqual(expect.objectContaining({ 'redriven-for-queue': 'workers' }));
    expect(Object.keys(again[0]!.headers).filter((key) => key.startsWith('dlq-'))).toEqual([]);
  });

  it('redrives each dead letter once, across a restart', async () => {
    await withDeadLetters();
    expect((await redrive('workers')).body.redriven).toHaveLength(2);
    expect((await redrive('workers')).body.redriven).toEqual([]);
    broker = await broker.restart();
    expect((await redrive('workers')).body).toMatchObject({ redriven: [], more: false });
    expect((await logState(broker.url, 'jobs'))[0]!.highWatermark).toBe(5);
  });

  it('moves at most max letters and says more remain', async () => {
    await withDeadLetters();
    const first = await redrive('workers', { max: 1 });
    expect(first.body).toMatchObject({ more: true, redriven: [{ originalOffset: 0 }] });
    const second = await redrive('workers', { max: 1 });
    expect(second.body).toMatchObject({ more: false, redriven: [{ originalOffset: 2 }] });
  });

  it('delivers a redriven letter to its own queue only, not to another queue of the topic', async () => {
    await withDeadLetters();
    expect((await call(url('/v1/topics/jobs/queues/audit'), { method: 'PUT', json: {} })).status).toBe(201);
    await settle('audit', 'ack', (await receive('audit')).map((message) => message.receipt));
    await redrive('workers');
    expect(await receive('audit')).toEqual([]);
    expect((await call(url('/v1/topics/jobs/queues/audit'))).body).toMatchObject({ available: 0, partitions: [{ ackedThrough: 5 }] });
    expect(await receive('workers')).toHaveLength(2);
    // The audit queue's own letters (none) are not the workers': its redrive finds nothing.
    expect((await redrive('audit')).body.redriven).toEqual([]);
  });

  it('refuses an unknown queue, a max past the limit and unknown fields', async () => {
    await withDeadLetters();
    expect((await redrive('nobody')).body.error.code).toBe('SPOOL_ERR_QUEUE_NOT_FOUND');
    for (const body of [{ max: 0 }, { max: 10_001 }, { max: 2 ** 53 + 1 }, { dryrun: true }, { max: 'all' }]) {
      const answer = await redrive('workers', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
    }
    expect((await redrive('workers', { dryRun: true })).body.redriven).toHaveLength(2);
  });

  it('lists every queue with its totals', async () => {
    await withDeadLetters();
    const listed = await call(url('/v1/queues'));
    expect(listed.body.queues).toEqual([
      expect.objectContaining({ topic: 'jobs', name: 'workers', deadLettered: 2, totals: { delivered: 3, acked: 1, deadLettered: 2 } }),
    ]);
  });
});
