/** The producer against a real broker: partitioning, codecs, compression, retries and errors. */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Codec, type Message, Spool, SpoolClientError } from '../../client/index.js';
import { encodeRecordBatch } from '../../storage/index.js';
import { call, stallableFileSystem, startBroker, type TestBroker } from '../broker/support/broker.js';

const disk = stallableFileSystem();

let broker: TestBroker;
let spool: Spool;
beforeAll(async () => {
  broker = await startBroker({ flush: 'never', fileSystem: disk.fs });
  spool = new Spool({ url: broker.url });
});
afterAll(async () => {
  await spool.close();
  await broker.close();
});

async function readAll<T>(topic: string, count: number, codecs?: Codec[]): Promise<Message<T>[]> {
  const consumer = spool.consumer<T>({ topics: [topic], from: 'earliest', codecs, maxWaitMs: 100 });
  const messages: Message<T>[] = [];
  for await (const message of consumer) {
    messages.push(message);
    if (messages.length === count) break;
  }
  return messages.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

describe('producer', () => {
  it('puts a key on the partition the broker\'s own partitioner picks (murmur2, as Kafka)', async () => {
    await spool.admin.createTopic({ name: 'keys', partitions: 7 });
    const keys = Array.from({ length: 200 }, (_, i) => `key-${i * 7919}`);
    const fromClient = await spool.producer().send('keys', keys.map((key) => ({ key, value: 1 })));
    const fromBroker = await call(`${broker.url}/v1/topics/keys/records`, { method: 'POST', json: { records: keys.map((key) => ({ key, value: 1 })) } });
    expect(fromClient.map((record) => record.partition)).toEqual(fromBroker.body.records.map((record: { partition: number }) => record.partition));
    expect(new Set(fromClient.map((record) => record.partition)).size).toBe(7);
  });

  it('names the codec in a header, so a reader decodes records it did not produce, byte-exact for bytes', async () => {
    await spool.admin.createTopic({ name: 'codecs' });
    const binary = Buffer.from([0, 255, 1, 254, 0x80, 0x7f]);
    const shouting: Codec<string> = { contentType: 'text/x-shout', encode: (value) => Buffer.from(value.toUpperCase()), decode: (bytes) => `${bytes.toString()}!` };
    await spool.producer({ codec: 'json' }).send('codecs', [{ value: { a: [1, 'x'] } }]);
    await spool.producer({ codec: 'msgpack' }).send('codecs', [{ value: { b: new Date(0).getTime(), c: true } }]);
    await spool.producer({ codec: 'string' }).send('codecs', [{ value: 'plain' }]);
    await spool.producer({ codec: 'bytes' }).send('codecs', [{ value: binary }]);
    await spool.producer({ codec: shouting }).send('codecs', [{ value: 'hey', headers: { trace: 'abc' } }]);
    await spool.producer().send('codecs', [{ key: 'gone', value: null }]);
    const messages = await readAll<unknown>('codecs', 6, [shouting as Codec]);
    expect(messages.map((message) => message.value)).toEqual([{ a: [1, 'x'] }, { b: 0, c: true }, 'plain', binary, 'HEY!', null]);
    expect(messages[4]!.headers).toMatchObject({ trace: 'abc', 'content-type': 'text/x-shout' });
    expect(messages[3]!.headers).toEqual({});
    expect(messages[5]!.key).toBe('gone');
  });

  for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`compresses batches with ${compression}, stored as sent and read back by the consumer`, async () => {
      const topic = `compressed-${compression}`;
      await spool.admin.createTopic({ name: topic });
      const values = Array.from({ length: 1000 }, (_, i) => ({ n: i, text: 'compressible '.repeat(20) }));
      await spool.producer({ compression }).send(topic, values.map((value) => ({ value })));
      const stored = (await spool.admin.describeTopic(topic)).partitionDetails[0]!.bytes;
      expect(stored).toBeLessThan(JSON.stringify(values).length / 5);
      expect((await readAll<{ n: number }>(topic, 1000)).map((message) => message.value.n)).toEqual(values.map((value) => value.n));
    });
  }

  it('sends the records of a send() at once when nothing is in flight, not on a later turn of the event loop', async () => {
    await spool.admin.createTopic({ name: 'at-once', partitions: 1 });
    const producer = spool.producer<string>({ codec: 'string' });
    await producer.send('at-once', [{ value: 'warm' }]); // the connection pool and the topic's metadata are ready
    const turns: string[] = [];
    const onCreate = () => turns.push('request');
    subscribe('undici:request:create', onCreate);
    try {
      setImmediate(() => turns.push('next turn'));
      const sent = producer.send('at-once', [{ value: 'a' }, { value: 'b' }]);
      await new Promise((resolve) => setImmediate(resolve));
      await sent;
    } finally {
      unsubscribe('undici:request:create', onCreate);
    }
    expect(turns.slice(0, 2)).toEqual(['request', 'next turn']);
    // Sends made while that request is in flight still gather into one request after it.
    turns.length = 0;
    subscribe('undici:request:create', onCreate);
    try {
      const offsets = await Promise.all(Array.from({ length: 5 }, (_, i) => producer.send('at-once', [{ value: String(i) }])));
      expect(offsets.flat().map((record) => record.offset)).toEqual([3, 4, 5, 6, 7]);
    } finally {
      unsubscribe('undici:request:create', onCreate);
    }
    expect(turns.length).toBe(2);
    await producer.close();
  });

  it('refuses a misspelled compression at once, rather than sending uncompressed', () => {
    expect(() => spool.producer({ compression: 'snapy' as 'snappy' })).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_INVALID_ARGUMENT' }));
  });

  it('retries a 429 (a partition with too much queued), and lands once', async () => {
    await spool.admin.createTopic({ name: 'busy' });
    disk.stall();
    const big = encodeRecordBatch([{ value: Buffer.alloc(7 * 1024 * 1024, 1) }]);
    const fill = () => fetch(`${broker.url}/v1/topics/busy/records?partition=0`, { method: 'POST', headers: { 'content-type': 'application/vnd.spool.batch' }, body: big });
    // Fill the partition's write queue until the broker refuses more (its answer comes at once).
    const filling: Array<Promise<Response>> = [];
    for (let refused = false; !refused && filling.length < 32; ) {
      const response = fill();
      filling.push(response);
      const early = await Promise.race([response, new Promise<null>((resolve) => setTimeout(() => resolve(null), 150))]);
      refused = early?.status === 429;
    }
    const producer = spool.producer({ retry: { baseMs: 10, maxMs: 50 } });
    const sending = producer.send('busy', [{ value: 'after the jam' }]);
    const outcome = await Promise.race([sending.then(() => 'sent'), new Promise((resolve) => setTimeout(() => resolve('waiting'), 500))]);
    expect(outcome).toBe('waiting');
    disk.release();
    const statuses = (await Promise.all(filling)).map((response) => response.status);
    const [landed] = await sending;
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    expect(landed!.offset).toBe(statuses.filter((status) => status === 200).length);
    const messages = await readAll<unknown>('busy', statuses.filter((status) => status === 200).length + 1);
    expect(messages.filter((message) => message.value === 'after the jam')).toHaveLength(1);
  });

  it('rejects with typed broker errors that are not retried', async () => {
    const producer = spool.producer();
    const unknown = await producer.send('no-such-topic', [{ value: 1 }]).catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(SpoolClientError);
    expect(unknown).toMatchObject({ code: 'SPOOL_ERR_TOPIC_NOT_FOUND', status: 404, retriable: false });
    await spool.admin.createTopic({ name: 'small', config: { maxMessageBytes: 1024 } });
    const tooLarge = await producer.send('small', [{ value: 'x'.repeat(4096) }]).catch((error: unknown) => error);
    expect(tooLarge).toMatchObject({ code: 'SPOOL_ERR_MESSAGE_TOO_LARGE', status: 413 });
  });

  it('reports push() failures to onError and from flush(), and close() loses nothing queued', async () => {
    const failures: string[] = [];
    const producer = spool.producer({ onError: (error, records) => failures.push(`${error.code}:${records}`) });
    producer.push('small', { value: 'y'.repeat(4096) });
    await expect(producer.flush()).rejects.toMatchObject({ code: 'SPOOL_ERR_MESSAGE_TOO_LARGE' });
    expect(failures).toEqual(['SPOOL_ERR_MESSAGE_TOO_LARGE:1']);
    await producer.flush(); // the failure was reported once

    await spool.admin.createTopic({ name: 'queued', partitions: 3 });
    const pusher = spool.producer({ lingerMs: 50 });
    for (let i = 0; i < 10_000; i++) pusher.push('queued', { key: `k${i}`, value: i });
    await pusher.close();
    const description = await spool.admin.describeTopic('queued');
    expect(description.partitionDetails.reduce((sum, partition) => sum + partition.highWatermark, 0)).toBe(10_000);
    expect(() => pusher.push('queued', { value: 1 })).toThrow(/closed/);
  });

  it('takes a producer id when idempotent, and its batches carry it', async () => {
    await spool.admin.createTopic({ name: 'idem' });
    await spool.producer({ idempotent: true }).send('idem', [{ value: 1 }, { value: 2 }]);
    const raw = await fetch(`${broker.url}/v1/topics/idem/partitions/0/records?format=batch`);
    const batch = Buffer.from(await raw.arrayBuffer());
    expect(batch.readBigInt64BE(43)).toBeGreaterThan(0n); // producerId
    expect(batch.readInt32BE(53)).toBe(0); // baseSequence
  });
});
