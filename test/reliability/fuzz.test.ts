/**
 * Fuzzing, test-sized: a bounded sample of the mutated requests `npm run fuzz` sends (shared
 * generators in bench/lib/fuzz-requests.ts, shared checks in bench/lib/fuzz-run.ts) against a real
 * broker. Never a crash or a 5xx; every 4xx a registered SPOOL_ERR_* code with its status; the log
 * and committed offsets unchanged after every rejected request; anything accepted readable. Plus
 * the defects the fuzzer found, pinned as plain cases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFuzz, setupFuzzFixture } from '../../bench/lib/fuzz-run.js';
import type { FuzzFixture } from '../../bench/lib/fuzz-requests.js';
import { crc32c, encodeRecordBatch } from '../../storage/index.js';
import { call, logState, startBroker, type TestBroker } from '../broker/support/broker.js';

let broker: TestBroker;
let fixture: FuzzFixture;
beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  fixture = await setupFuzzFixture(broker.url);
});
afterAll(async () => broker.close());

describe('fuzzing every route', () => {
  it('answers every mutated request with a registered 4xx or a success, and rejected ones change nothing', async () => {
    const outcome = await runFuzz({ url: broker.url, fixture, runs: 3000 });
    expect(outcome.failures).toEqual([]);
    expect(outcome.runs).toBe(3000);
    // The sample reaches deep parsing: batches refused for their content, not only for their path,
    // the seeds of issue 23 (reserved names, forged producers, oversized decompression), and the
    // event-stream routes' own refusals (a stream route on a plain topic, a lost conditional append).
    expect(Object.keys(outcome.codes)).toEqual(
      expect.arrayContaining(['SPOOL_ERR_BAD_REQUEST', 'SPOOL_ERR_MALFORMED_BODY', 'SPOOL_ERR_CORRUPT_BATCH', 'SPOOL_ERR_INVALID_TOPIC_NAME', 'SPOOL_ERR_UNKNOWN_PRODUCER_ID', 'SPOOL_ERR_INVALID_BATCH', 'SPOOL_ERR_STREAMS_NOT_ENABLED', 'SPOOL_ERR_WRONG_EXPECTED_VERSION']),
    );
  }, 300_000);

  it('refuses a raw batch whose CRC was computed over malformed records, instead of storing a poison pill', async () => {
    const batch = encodeRecordBatch([{ value: Buffer.from('fine') }, { value: Buffer.from('also fine') }]);
    batch[61]! = 0x7f; // the first record's length varint now runs past the batch
    batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
    const before = await logState(broker.url, fixture.topic);
    const answer = await call(`${broker.url}/v1/topics/${fixture.topic}/records?partition=0`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.spool.batch' },
      body: batch,
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('SPOOL_ERR_CORRUPT_BATCH');
    expect(await logState(broker.url, fixture.topic)).toEqual(before);
    expect((await call(`${broker.url}/v1/topics/${fixture.topic}/partitions/0/records?offset=0`)).status).toBe(200);
  });

  it('serves a topic with a 249-character name on every route, and answers a bad URL with a registered code', async () => {
    const name = 'n'.repeat(249);
    expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name, partitions: 1 } })).status).toBe(201);
    expect((await call(`${broker.url}/v1/topics/${name}/records`, { method: 'POST', json: { records: [{ value: 1 }] } })).status).toBe(200);
    expect((await call(`${broker.url}/v1/topics/${name}/partitions/0/records?offset=0`)).body.records).toHaveLength(1);
    expect((await call(`${broker.url}/v1/topics/${name}`)).body.partitions).toBe(1);
    const tooLong = await call(`${broker.url}/v1/topics/${'n'.repeat(400)}`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
    const badUrl = await call(`${broker.url}/v1/topics/%ff`);
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.error.code).toBe('SPOOL_ERR_BAD_REQUEST');
  });
});
