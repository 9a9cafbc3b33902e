/**
 * Spool through its own TypeScript client (client/), as a user would drive it; the broker runs as a
 * child process (bench/lib/broker-process.ts) with --flush never (page-cache tier) or always
 * (synced tier: every acknowledged batch is fdatasync'ed, with group commit).
 * - produce: producer.send() of the records given (the client encodes one RecordBatch v2 per
 *   partition and coalesces queued batches into its one request in flight per partition);
 * - consume in a group: a group consumer (offsetReset earliest, automatic commits), eachBatch;
 * - replay: a consumer without a group reading every partition from the earliest offset.
 */
import { Spool } from '../../client/index.js';
import { startBrokerProcess } from '../lib/broker-process.js';
import type { ConsumeMode, ConsumerDriver, ProducerDriver, ServerHandle, StreamSpec, SystemDriver, Tier } from './driver.js';

export const SPOOL_FLUSH: Record<Tier, string> = { 'page-cache': 'never', synced: 'always' };

export async function startSpool(tier: Tier): Promise<ServerHandle> {
  const broker = await startBrokerProcess({ flush: SPOOL_FLUSH[tier] });
  const port = Number(new URL(broker.url).port);
  return { system: 'spool', tier, pid: broker.pid, url: broker.url, port, dataDir: broker.dataDir, durability: `--flush ${SPOOL_FLUSH[tier]}`, stop: () => broker.stop() };
}

export class SpoolDriver implements SystemDriver {
  readonly system = 'spool';
  private readonly spool: Spool;

  constructor(url: string) {
    this.spool = new Spool({ url });
  }

  async create(stream: StreamSpec): Promise<void> {
    await this.spool.admin.createTopic({ name: stream.name, partitions: stream.partitions });
  }

  async producer(stream: StreamSpec, purpose: 'throughput' | 'latency'): Promise<ProducerDriver> {
    const producer = this.spool.producer<Buffer>({ codec: 'bytes', lingerMs: purpose === 'latency' ? 0 : 2, batchBytes: 1 << 20, idempotent: false });
    return {
      async send(partition, values) {
        await producer.send(
          stream.name,
          values.map((value) => ({ value, partition })),
        );
      },
      close: () => producer.close(),
    };
  }

  async consumer(stream: StreamSpec, mode: ConsumeMode, onValue: (value: Uint8Array) => void): Promise<ConsumerDriver> {
    const consumer =
      mode === 'replay'
        ? this.spool.consumer<Buffer>({ topics: [stream.name], from: 'earliest', codec: 'bytes' })
        : this.spool.consumer<Buffer>({ groupId: mode.group, topics: [stream.name], offsetReset: 'earliest', codec: 'bytes' });
    await consumer.run({
      eachBatch: ({ messages }) => {
        for (const message of messages) onValue(message.value);
      },
    });
    return { stop: () => consumer.close() };
  }

  close(): Promise<void> {
    return this.spool.close();
  }
}
