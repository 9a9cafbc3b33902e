/**
 * Backpressure: when a partition's queued-but-unwritten bytes pass their bound (the disk is slower
 * than the producers), produce answers 429 with Retry-After instead of growing memory, touches
 * nothing, and everything accepted before is written once the disk catches up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../storage/index.js';
import { call, stallableFileSystem, startBroker, type TestBroker } from './support/broker.js';

const disk = stallableFileSystem();

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker({ fileSystem: disk.fs, flush: 'never' });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'bp', partitions: 1 } });
});
afterAll(async () => broker.close());

describe('backpressure', () => {
  it('answers 429 with Retry-After once a partition has too much queued, and loses nothing accepted', async () => {
    disk.stall();
    const batch = encodeRecordBatch([{ value: Buffer.alloc(7 * 1024 * 1024, 1) }]);
    const send = () =>
      fetch(`${broker.url}/v1/topics/bp/records?partition=0`, { method: 'POST', headers: { 'content-type': 'application/vnd.spool.batch' }, body: batch });
    // 16 x 7 MiB is well past the 64 MiB bound. While the disk is stalled no accepted batch can be
    // answered, so the first answer to arrive is a refusal, however slowly the bodies upload.
    const pending: Array<Promise<Response>> = Array.from({ length: 16 }, () => send());
    const rejected = await Promise.race(pending);
    expect(rejected.status).toBe(429);
    expect(rejected.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await rejected.json()) as { error: { code: string } }).error.code).toBe('SPOOL_ERR_BACKPRESSURE');
    disk.release();
    const answers = await Promise.all(pending);
    const accepted = answers.filter((answer) => answer.status === 200).length;
    const refused = answers.filter((answer) => answer.status === 429).length;
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(accepted + refused).toBe(pending.length);
    expect(accepted).toBeGreaterThanOrEqual(8); // the 64 MiB bound holds at least eight 7 MiB batches
    const described = await call(`${broker.url}/v1/topics/bp`);
    expect(described.body.partitionDetails[0].highWatermark).toBe(accepted);
  });
});
