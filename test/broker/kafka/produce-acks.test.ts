/**
 * Produce acks against the flush policy: under flush=always an acks=1 or acks=-1 produce is
 * answered only after its fdatasync; acks=0 is never answered, and its records land all the same.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeRecordBatch, nodeFileSystem, type FileSystem } from '../../../storage/index.js';
import { call, startBroker, type TestBroker } from '../support/broker.js';
import { RawKafkaClient } from './support/raw-client.js';

let broker: TestBroker | null = null;

afterEach(async () => {
  await broker?.close();
  broker = null;
});

/** A file system whose fdatasync waits while held: writes land, nothing is durable until release(). */
function holdableSync(): { fs: FileSystem; hold(): void; release(): void; held: () => number } {
  let gate: Promise<void> | null = null;
  let open: () => void = () => undefined;
  let waiting = 0;
  return {
    fs: {
      ...nodeFileSystem,
      fdatasync: async (fd) => {
        if (gate) {
          waiting++;
          await gate;
          waiting--;
        }
        return nodeFileSystem.fdatasync(fd);
      },
    },
    hold: () => (gate = new Promise((resolve) => (open = resolve))),
    release: () => {
      gate = null;
      open();
    },
    held: () => waiting,
  };
}

const produce = (acks: number, value: string) => ({
  transactionalId: null,
  acks,
  timeoutMs: 5000,
  topicData: [{ name: 'acked', partitionData: [{ index: 0, records: encodeRecordBatch([{ value: Buffer.from(value) }]) }] }],
});

describe('Kafka Produce acks', () => {
  for (const acks of [1, -1]) {
    it(`acks=${acks} under flush=always is answered after the fdatasync, not before`, async () => {
      const sync = holdableSync();
      broker = await startBroker({ kafka: true, flush: 'always', fileSystem: sync.fs });
      await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'acked' } });
      const client = await RawKafkaClient.connect(broker.kafka!);
      try {
        sync.hold();
        client.send('Produce', 9, produce(acks, 'durable'));
        await vi.waitFor(() => expect(sync.held()).toBeGreaterThan(0)); // written, waiting on the sync
        const other = await RawKafkaClient.connect(broker.kafka!);
        expect(await other.request('ApiVersions', 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })).toMatchObject({ errorCode: 0 });
        other.close();
        expect(client.pendingFrames).toBe(0); // the broker answers others, not this produce
        sync.release();
        const answer = await client.answer('Produce', 9);
        expect(answer.body.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0 });
      } finally {
        sync.release();
        client.close();
      }
    });
  }

  it('acks=0 gets no answer; the record is written and the next request on the connection is answered', async () => {
    broker = await startBroker({ kafka: true });
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'acked' } });
    const client = await RawKafkaClient.connect(broker.kafka!);
    try {
      client.send('Produce', 9, produce(0, 'unanswered'));
      const id = client.send('ApiVersions', 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
      expect((await client.answer('ApiVersions', 3)).correlationId).toBe(id);
      await vi.waitFor(async () => expect((await call(`${broker!.url}/v1/topics/acked/partitions/0/records?offset=0&valueFormat=string`)).body.records[0]?.value).toBe('unanswered'));
    } finally {
      client.close();
    }
  });

  it('answers acks=2 with INVALID_REQUIRED_ACKS and a transactional produce with TRANSACTIONAL_ID_AUTHORIZATION_FAILED, writing nothing', async () => {
    broker = await startBroker({ kafka: true });
    await call(`${broker.url}/v1/topics`, { method: 'POST', json: { name: 'acked' } });
    const client = await RawKafkaClient.connect(broker.kafka!);
    try {
      expect((await client.request('Produce', 9, produce(2, 'x'))).responses[0].partitionResponses[0].errorCode).toBe(21);
      expect((await client.request('Produce', 9, { ...produce(1, 'x'), transactionalId: 'tx' })).responses[0].partitionResponses[0].errorCode).toBe(53);
      expect((await call(`${broker.url}/v1/topics/acked`)).body.partitionDetails[0].highWatermark).toBe(0);
    } finally {
      client.close();
    }
  });
});
