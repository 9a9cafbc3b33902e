/**
 * Issue 23.6: the produce rules of storage/codec/record-batch.ts (checkProducedBatch), through the
 * HTTP API as an attacker would send them: forged header fields with a valid CRC. Each was accepted
 * before and did lasting damage; each is now a 400 naming the field, and the log is untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32c } from '../../../storage/codec/crc32c.js';
import { encodeRecordBatch } from '../../../storage/index.js';
import { TimeIndex } from '../../../storage/log/time-index.js';
import { call, logState, startBroker, type TestBroker } from '../../broker/support/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker();
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'forged', partitions: 1 } });
});
afterAll(async () => broker.close());

/** Edits a batch's header with `edit`, then makes its CRC right again (what a forger does). */
function forge(batch: Buffer, edit: (bytes: Buffer) => void): Buffer {
  edit(batch);
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}

async function produceRaw(batch: Buffer) {
  const response = await fetch(`${broker.url}/v1/topics/forged/records?partition=0`, { method: 'POST', headers: { 'content-type': 'application/vnd.spool.batch' }, body: batch });
  return { status: response.status, body: (await response.json()) as { error?: { code: string; field: string; message: string } } };
}

const two = () => encodeRecordBatch([{ value: Buffer.from('a'), timestamp: 1_000 }, { value: Buffer.from('b'), timestamp: 2_000 }]);

describe('produced batches', () => {
  it.each([
    ['maxTimestamp = 2^63-1', 'maxTimestamp', forge(two(), (b) => b.writeBigInt64BE(2n ** 63n - 1n, 35))],
    ['maxTimestamp above the records', 'maxTimestamp', forge(two(), (b) => b.writeBigInt64BE(5_000n, 35))],
    ['a negative baseTimestamp', 'baseTimestamp', forge(two(), (b) => b.writeBigInt64BE(-5n, 27))],
    ['lastOffsetDelta = 2^31-1 on a one-record batch', 'lastOffsetDelta', forge(encodeRecordBatch([{ value: Buffer.from('x') }]), (b) => b.writeInt32BE(2 ** 31 - 1, 23))],
    ['offset deltas [1, 1]', 'records[0].offsetDelta', encodeRecordBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }], { offsetDeltas: [1, 1] })],
    ['offset deltas [0, 5] (a gap)', 'lastOffsetDelta', encodeRecordBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }], { offsetDeltas: [0, 5] })],
    ['a control batch', 'attributes', encodeRecordBatch([{ value: Buffer.from('a') }], { attributes: 0x20 })],
    ['a transactional batch', 'attributes', encodeRecordBatch([{ value: Buffer.from('a') }], { attributes: 0x10 })],
  ])('refuses %s, naming %s, and writes nothing', async (_name, field, batch) => {
    const before = await logState(broker.url, 'forged');
    const answer = await produceRaw(batch);
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe('SPOOL_ERR_INVALID_BATCH');
    expect(answer.body.error?.field).toBe(field);
    expect(await logState(broker.url, 'forged')).toEqual(before);
  });

  it('still takes honest batches, and the next offset moves by their record count', async () => {
    const before = (await logState(broker.url, 'forged'))[0]!.highWatermark;
    expect((await produceRaw(two())).status).toBe(200);
    expect((await logState(broker.url, 'forged'))[0]!.highWatermark).toBe(before + 2);
  });

  it('indexes a timestamp stored before these rules (2^63-1) as the largest safe integer instead of failing every roll', () => {
    const index = new TimeIndex();
    index.maybeAppend(1_000, 0);
    index.maybeAppend(Number(2n ** 63n - 1n), 5);
    index.seal(Number(2n ** 63n - 1n), 9);
    expect(() => index.toBytes()).not.toThrow();
    expect(index.last()).toEqual({ timestamp: Number.MAX_SAFE_INTEGER, relativeOffset: 9 });
  });
});
