/**
 * Issue 23.7: idempotent producer ids cannot be guessed, and a batch may only carry an id and
 * epoch this broker issued. Before, a client writing as producer 1, epoch 0, sequence 2 made the
 * real producer's sequence 2 a "duplicate" (its records dropped), and epoch 32767 fenced it for good.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/index.js';
import { call, logState, startBroker, type TestBroker } from '../support/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker();
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'idem', partitions: 1 } });
});
afterAll(async () => broker.close());

async function produceAs(producerId: number, producerEpoch: number, baseSequence: number, value: string) {
  const batch = encodeRecordBatch([{ value: Buffer.from(value) }], { producerId, producerEpoch, baseSequence });
  const response = await fetch(`${broker.url}/v1/topics/idem/records?partition=0`, { method: 'POST', headers: { 'content-type': 'application/vnd.spool.batch' }, body: batch });
  return { status: response.status, body: (await response.json()) as { duplicate?: boolean; baseOffset?: number; error?: { code: string } } };
}

async function newProducer(): Promise<{ producerId: number; producerEpoch: number }> {
  return (await call(`${broker.url}/v1/producers`, { method: 'POST', json: {} })).body;
}

describe('producer ids', () => {
  it('are random 53-bit numbers, never sequential', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, async () => (await newProducer()).producerId));
    expect(new Set(ids).size).toBe(20);
    for (const id of ids) {
      expect(Number.isSafeInteger(id)).toBe(true);
      expect(id).toBeGreaterThan(0);
    }
    const sorted = [...ids].sort((a, b) => a - b);
    const steps = sorted.slice(1).map((id, i) => id - sorted[i]!);
    expect(steps.some((step) => step > 1_000_000)).toBe(true);
  });

  it('refuse a batch with an id the broker never issued, writing nothing', async () => {
    const before = await logState(broker.url, 'idem');
    for (const id of [1, 2, 424242, 2 ** 53 - 1]) {
      const answer = await produceAs(id, 0, 0, 'forged');
      expect(answer.status).toBe(400);
      expect(answer.body.error?.code).toBe('SPOOL_ERR_UNKNOWN_PRODUCER_ID');
    }
    expect(await logState(broker.url, 'idem')).toEqual(before);
  });

  it('refuse an epoch the broker never issued, so nobody can fence the real producer', async () => {
    const real = await newProducer();
    expect((await produceAs(real.producerId, 0, 0, 'a')).status).toBe(200);
    const forged = await produceAs(real.producerId, 32767, 0, 'fence');
    expect(forged.status).toBe(400);
    expect(forged.body.error?.code).toBe('SPOOL_ERR_INVALID_PRODUCER_EPOCH');
    const next = await produceAs(real.producerId, 0, 1, 'b');
    expect(next.status).toBe(200);
    expect(next.body.duplicate).toBeUndefined();
  });

  it('must start at sequence 0 on a partition new to them over HTTP, so a pipelined request that overtook the first is refused', async () => {
    const real = await newProducer();
    const before = await logState(broker.url, 'idem');
    const early = await produceAs(real.producerId, 0, 3, 'overtook');
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'SPOOL_ERR_OUT_OF_ORDER_SEQUENCE', expectedSequence: 0, unknownProducer: true });
    expect(await logState(broker.url, 'idem')).toEqual(before);
    expect((await produceAs(real.producerId, 0, 0, 'first')).status).toBe(200);
  });

  it('keep working across requests on any connection, and after a restart', async () => {
    const real = await newProducer();
    expect((await produceAs(real.producerId, 0, 0, 'x')).status).toBe(200);
    broker = await broker.restart();
    const retry = await produceAs(real.producerId, 0, 0, 'x');
    expect(retry.status).toBe(200);
    expect(retry.body.duplicate).toBe(true);
    expect((await produceAs(real.producerId, 0, 1, 'y')).status).toBe(200);
  });
});
