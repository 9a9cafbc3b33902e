/**
 * The listener's connection handling: pipelined requests answered in order while a long-poll
 * waits, ApiVersions' UNSUPPORTED_VERSION answer, and frames that close only their connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supportedApis } from '../../../broker/kafka/apis.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { RawKafkaClient } from './support/raw-client.js';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startBroker({ kafka: true, limits: { kafkaFrameBytesMax: 1024 * 1024, fetchBytesMax: 256 * 1024 } });
  await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'piped', partitions: 1 } });
});

afterAll(async () => {
  await broker?.close();
});

const fetchBody = (offset: number, maxWaitMs: number) => ({
  maxWaitMs,
  minBytes: 1,
  maxBytes: 1 << 20,
  isolationLevel: 0,
  sessionId: 0,
  sessionEpoch: -1,
  topics: [{ topic: 'piped', partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
  forgottenTopicsData: [],
  rackId: '',
});

describe('Kafka connections', () => {
  it('answers pipelined requests in order: a long-poll answered by a produce that came after it on another connection', async () => {
    const client = await RawKafkaClient.connect(broker.kafka!);
    const other = await RawKafkaClient.connect(broker.kafka!);
    try {
      const fetchId = client.send('Fetch', 11, fetchBody(0, 10_000));
      const metadataId = client.send('Metadata', 1, { topics: [{ name: 'piped' }] });
      const versionsId = client.send('ApiVersions', 2, {});
      await call(`${broker.url}/v1/topics/piped/records`, { method: 'POST', json: { records: [{ value: 'wakes the fetch' }] } });
      const fetched = await client.answer('Fetch', 11);
      expect(fetched.correlationId).toBe(fetchId);
      expect(fetched.body.responses[0].partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 1 });
      expect(fetched.body.responses[0].partitions[0].records.length).toBeGreaterThan(61);
      expect((await client.answer('Metadata', 1)).correlationId).toBe(metadataId);
      expect((await client.answer('ApiVersions', 2)).correlationId).toBe(versionsId);
      expect(await other.request('ApiVersions', 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })).toMatchObject({ errorCode: 0, apiKeys: supportedApis });
    } finally {
      client.close();
      other.close();
    }
  });

  it('answers an ApiVersions version it does not serve with UNSUPPORTED_VERSION and the supported list (v0 body)', async () => {
    const client = await RawKafkaClient.connect(broker.kafka!);
    try {
      const frame = RawKafkaClient.frame('ApiVersions', 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }, 7);
      frame.writeInt16BE(99, 6); // the version field of the header
      client.write(frame);
      const answer = await client.answer('ApiVersions', 0);
      expect(answer.correlationId).toBe(7);
      expect(answer.body.errorCode).toBe(35);
      expect(answer.body.apiKeys).toEqual(supportedApis);
    } finally {
      client.close();
    }
  });

  const closers: Array<[string, Buffer]> = [
    ['an unknown API key', Buffer.from([0, 0, 0, 8, 0x7f, 0x00, 0, 0, 0, 0, 0, 1])],
    ['an API version not served', (() => { const f = RawKafkaClient.frame('Metadata', 1, { topics: null }, 1); f.writeInt16BE(40, 6); return f; })()],
    ['a frame larger than the maximum', Buffer.from([0x00, 0x20, 0x00, 0x00, 0, 3, 0, 1])],
    ['a negative frame size', Buffer.from([0xff, 0xff, 0xff, 0xf0])],
    ['a frame shorter than a header', Buffer.from([0, 0, 0, 3, 0, 18, 0])],
    ['a truncated body', (() => { const f = RawKafkaClient.frame('Metadata', 1, { topics: [{ name: 'piped' }] }, 1); f.writeInt32BE(f.length - 4 - 3, 0); return f.subarray(0, f.length - 3); })()],
  ];
  for (const [what, bytes] of closers) {
    it(`closes the connection on ${what}, and serves the others`, async () => {
      const bystander = await RawKafkaClient.connect(broker.kafka!);
      const client = await RawKafkaClient.connect(broker.kafka!);
      try {
        client.write(bytes);
        await client.closed;
        expect(await client.nextFrame()).toBeNull();
        expect(await bystander.request('Metadata', 1, { topics: [{ name: 'piped' }] })).toMatchObject({ topics: [{ name: 'piped', errorCode: 0 }] });
      } finally {
        client.close();
        bystander.close();
      }
    });
  }

  it('answers 500 requests written at once in order, past the in-flight bound (the rest wait in the socket)', async () => {
    const client = await RawKafkaClient.connect(broker.kafka!);
    try {
      const frames = Array.from({ length: 500 }, (_, i) => RawKafkaClient.frame('ApiVersions', 2, {}, i + 1));
      client.write(Buffer.concat(frames));
      for (let i = 1; i <= 500; i++) expect((await client.answer('ApiVersions', 2)).correlationId).toBe(i);
    } finally {
      client.close();
    }
  });

  it('bounds a fetch answer by max_bytes: the first partition with data gets its whole batch, the next none', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'bounded', partitions: 2 } });
    for (const partition of [0, 1]) {
      await call(`${broker.url}/v1/topics/bounded/records`, { method: 'POST', json: { records: [{ value: 'x'.repeat(500), partition }] } });
    }
    const client = await RawKafkaClient.connect(broker.kafka!);
    try {
      const partitions = [0, 1].map((partition) => ({ partition, fetchOffset: 0, partitionMaxBytes: 1 << 20 }));
      const answer = await client.request('Fetch', 11, { ...fetchBody(0, 0), maxBytes: 100, topics: [{ topic: 'bounded', partitions }] });
      const [first, second] = answer.responses[0].partitions;
      expect(first.records.length).toBeGreaterThan(500);
      expect(second).toMatchObject({ errorCode: 0, highWatermark: 1 });
      expect(second.records.length).toBe(0);
    } finally {
      client.close();
    }
  });

  it('caps a fetch at fetchBytesMax whatever max_bytes asks (Kafka\'s broker-side fetch.max.bytes): 1 of 3 batches of 200 KB under a 256 KiB cap', async () => {
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'capped', partitions: 1 } });
    const { encodeRecordBatch } = await import('../../../storage/index.js');
    const batch = () => encodeRecordBatch(Array.from({ length: 400 }, () => ({ value: Buffer.alloc(500, 'c') })));
    for (let i = 0; i < 3; i++) {
      await fetch(`${broker.url}/v1/topics/capped/records?partition=0`, { method: 'POST', headers: { 'content-type': 'application/vnd.spool.batch' }, body: batch() });
    }
    const client = await RawKafkaClient.connect(broker.kafka!);
    try {
      const partitions = [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 2 ** 31 - 1 }];
      const answer = await client.request('Fetch', 11, { ...fetchBody(0, 0), maxBytes: 2 ** 31 - 1, topics: [{ topic: 'capped', partitions }] });
      expect(answer.responses[0].partitions[0].records.length).toBe(batch().length);
    } finally {
      client.close();
    }
  });

  it('gives acks=0 produces no answer, and answers what follows them in order', async () => {
    const client = await RawKafkaClient.connect(broker.kafka!);
    try {
      const { encodeRecordBatch } = await import('../../../storage/index.js');
      const records = encodeRecordBatch([{ value: Buffer.from('silent') }]);
      client.send('Produce', 7, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'piped', partitionData: [{ index: 0, records }] }] });
      const id = client.send('Metadata', 1, { topics: [{ name: 'piped' }] });
      expect((await client.answer('Metadata', 1)).correlationId).toBe(id);
    } finally {
      client.close();
    }
  });

  it('reassembles pipelined frames cut at any point: a produce spanning many pieces, headers split mid-size, several frames in one piece', async () => {
    const client = await RawKafkaClient.connect(broker.kafka!);
    client.socket.setNoDelay(true);
    try {
      const { encodeRecordBatch } = await import('../../../storage/index.js');
      const values = Array.from({ length: 300 }, (_, i) => Buffer.alloc(500, i % 251));
      const records = encodeRecordBatch(values.map((value) => ({ value })));
      const frames = [
        RawKafkaClient.frame('ApiVersions', 2, {}, 1),
        RawKafkaClient.frame('Produce', 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'piped', partitionData: [{ index: 0, records }] }] }, 2),
        RawKafkaClient.frame('Metadata', 1, { topics: [{ name: 'piped' }] }, 3),
        RawKafkaClient.frame('ApiVersions', 2, {}, 4),
      ];
      const bytes = Buffer.concat(frames);
      // Cut points: inside the first size field, every 997 bytes through the produce, then the last
      // two frames (and the produce's tail) in one piece.
      const cuts = [0, 2, 3, 5];
      for (let at = 40; at < frames[0]!.length + frames[1]!.length - 100; at += 997) cuts.push(at);
      cuts.push(bytes.length);
      for (let i = 0; i + 1 < cuts.length; i++) {
        client.write(bytes.subarray(cuts[i]!, cuts[i + 1]!));
        await new Promise((resolve) => setImmediate(resolve)); // separate socket writes, separate reads
      }
      expect((await client.answer('ApiVersions', 2)).correlationId).toBe(1);
      const produced = await client.answer('Produce', 7);
      expect(produced.correlationId).toBe(2);
      const partition = produced.body.responses[0].partitionResponses[0];
      expect(partition.errorCode).toBe(0);
      expect((await client.answer('Metadata', 1)).correlationId).toBe(3);
      expect((await client.answer('ApiVersions', 2)).correlationId).toBe(4);
      const fetched = (await call(`${broker.url}/v1/topics/piped/partitions/0/records?offset=${partition.baseOffset}&maxBytes=1048576&valueFormat=base64`)).body.records as Array<{ valueBase64: string }>;
      expect(fetched.slice(0, 300).map((record) => Buffer.from(record.valueBase64, 'base64'))).toEqual(values);
    } finally {
      client.close();
    }
  });
  it('reuses large frames\' buffers without mixing their bytes: 18 produce frames of 100 KB, 6 in flight over 2 connections, read back exactly', async () => {
    const clients = await Promise.all([RawKafkaClient.connect(broker.kafka!), RawKafkaClient.connect(broker.kafka!)]);
    try {
      const { encodeRecordBatch } = await import('../../../storage/index.js');
      // Each frame's records are its own byte (frame i: 200 values of 500 bytes of i), so a buffer
      // reused while its append was still reading it would store another frame's bytes.
      const batch = (i: number) => encodeRecordBatch(Array.from({ length: 200 }, () => ({ value: Buffer.alloc(500, i) })));
      const produce = (records: Buffer) => ({ transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'reused', partitionData: [{ index: 0, records }] }] });
      await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'reused', partitions: 1 } });
      const baseOffsets = new Map<number, number>();
      for (let round = 0; round < 3; round++) {
        const sent = [0, 1, 2, 3, 4, 5].map((k) => ({ i: round * 6 + k, client: clients[k % 2]! }));
        for (const { i, client } of sent) client.send('Produce', 7, produce(batch(i)));
        for (const { i, client } of sent) {
          const answer = (await client.answer('Produce', 7)).body.responses[0].partitionResponses[0];
          expect(answer.errorCode).toBe(0);
          baseOffsets.set(i, answer.baseOffset);
        }
      }
      for (const [i, baseOffset] of baseOffsets) {
        const fetched = (await call(`${broker.url}/v1/topics/reused/partitions/0/records?offset=${baseOffset}&maxBytes=1048576&valueFormat=base64`)).body.records as Array<{ valueBase64: string }>;
        const expected = Buffer.alloc(500, i).toString('base64');
        expect(fetched.slice(0, 200).filter((record) => record.valueBase64 === expected)).toHaveLength(200);
      }
    } finally {
      for (const client of clients) client.close();
    }
  });
});
