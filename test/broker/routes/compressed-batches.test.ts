/**
 * Compressed raw batches over HTTP: every codec is validated by decompressing, stored as sent,
 * served as stored and rendered as JSON; a compression bomb (a small batch whose records inflate
 * past maxMessageBytes) is refused with 413 before it touches the log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_CONTENT_TYPE, Compression, type CompressionName, encodeRecordBatch } from '../../../storage/index.js';
import { call, logState, startBroker, type TestBroker } from '../support/broker.js';

const MiB = 1024 * 1024;
const codecs = ['gzip', 'snappy', 'lz4', 'zstd'] as const satisfies CompressionName[];

let broker: TestBroker;
beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
});
afterAll(async () => broker.close());

async function createTopic(name: string, config: Record<string, unknown> = {}): Promise<void> {
  expect((await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name, partitions: 1, config } })).status).toBe(201);
}

function produceBatch(topic: string, batch: Buffer) {
  return call(`${broker.url}/v1/topics/${topic}/records?partition=0`, { method: 'POST', headers: { 'content-type': BATCH_CONTENT_TYPE }, body: batch });
}

describe('compressed batches over HTTP', () => {
  for (const codec of codecs) {
    it(`${codec}: stores the batch as sent, serves it as stored, renders its records as JSON`, async () => {
      const topic = `stored-${codec}`;
      await createTopic(topic);
      const values = Array.from({ length: 50 }, (_, i) => ({ n: i, text: 'repeat '.repeat(30) }));
      const batch = encodeRecordBatch(
        values.map((value) => ({ value: Buffer.from(JSON.stringify(value)), headers: [{ key: 'content-type', value: Buffer.from('application/json') }] })),
        { compression: Compression[codec] },
      );
      expect((await produceBatch(topic, Buffer.from(batch))).status).toBe(200);
      const raw = await fetch(`${broker.url}/v1/topics/${topic}/partitions/0/records?offset=0&format=batch`);
      const served = Buffer.from(await raw.arrayBuffer());
      // Byte for byte what was sent, past the baseOffset (0 here too).
      expect(served.equals(batch)).toBe(true);
      const { body } = await call(`${broker.url}/v1/topics/${topic}/partitions/0/records?offset=0`);
      expect(body.records.map((record: { value: unknown }) => record.value)).toEqual(values);
    });

    it(`${codec}: refuses a bomb (a small batch whose records inflate past maxMessageBytes) with 413, the log untouched`, async () => {
      const topic = `bomb-${codec}`;
      await createTopic(topic);
      // snappy inflates at most ~20x, so its bomb is smaller to stay under maxMessageBytes compressed.
      const recordBytes = codec === 'snappy' ? 64 * MiB : 256 * MiB;
      const bomb = encodeRecordBatch([{ value: Buffer.alloc(recordBytes) }], { compression: Compression[codec] });
      expect(bomb.length).toBeLessThan(8 * MiB);
      // Issue 23 item 4's case: a ~255 KB gzip batch holding one 256 MiB record.
      if (codec === 'gzip') expect(bomb.length).toBeLessThan(300 * 1024);
      const answer = await produceBatch(topic, bomb);
      expect(answer.status).toBe(413);
      expect(answer.body.error).toMatchObject({ code: 'SPOOL_ERR_DECOMPRESSED_TOO_LARGE', maxMessageBytes: 8 * MiB, compression: codec });
      expect(answer.body.error.message).toContain('maxMessageBytes');
      expect(await logState(broker.url, topic)).toEqual([expect.objectContaining({ highWatermark: 0, bytes: 0 })]);
    });

    it(`${codec}: checks the decompressed size against the topic's own maxMessageBytes`, async () => {
      const topic = `limit-${codec}`;
      await createTopic(topic, { maxMessageBytes: 4096 });
      const batchOf = (valueBytes: number) => encodeRecordBatch([{ value: Buffer.alloc(valueBytes, 'a') }], { compression: Compression[codec] });
      expect((await produceBatch(topic, batchOf(4000))).status).toBe(200);
      const over = await produceBatch(topic, batchOf(5000));
      expect(over.status).toBe(413);
      expect(over.body.error).toMatchObject({ code: 'SPOOL_ERR_DECOMPRESSED_TOO_LARGE', maxMessageBytes: 4096 });
      expect(await logState(broker.url, topic)).toEqual([expect.objectContaining({ highWatermark: 1 })]);
    });
  }

});
