/**
 * Spool through its own TypeScript client (client/), as a user would drive it; the broker runs as a
 * child process (bench/lib/broker-process.ts) with --flush never (page-cache tier) or always
 * (synced tier: every acknowledged batch is fdatasync'ed, with group commit).
 * - produce: producer.send() of the records given (the client encodes one RecordBatch v2 per
 *   partition; at max rate it coalesces queued batches into one request in flight per partition,
 *   for latency it is idempotent and pipelines up to 5 requests per partition, as Kafka's
 *   producers do by default since Kafka 3.0: see producerOptions());
 * - consume in a group: a group consumer (offsetReset earliest, automatic commits), eachBatch;
 * - replay: a consumer without a group reading every partition from the earliest offset.
 */
import { Spool } from '../../client/index.js';
import { startBrokerProcess } from '../lib/broker-process.js';
import type { ConsumeMode, ConsumerDriver, ProducerDriver, ServerHandle, StreamSpec, SystemDriver, Tier } from './driver.js';

export const SPOOL_FLUSH: Record<Tier, string> = { 'page-cache': 'never', synced: 'always' };

/**
 * The producer of each purpose. Throughput: 2 ms linger, one request in flight gathering what
 * queued behind it (fewest requests per record). Latency: no linger, idempotent, so up to 5
 * requests in flight per partition (a record sent while one is out goes at once, not after its
 * answer); bench:latency-stages makes the same producer.
 */
export function producerOptions(purpose: 'throughput' | 'latency') {
  return purpose === 'latency' ? { codec: 'bytes' as const, lingerMs: 0, batchBytes: 1 << 20, idempotent: true } : { codec: 'bytes' as const, lingerMs: 2, batchBytes: 1 << 20, idempotent: false };
}

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
    const producer = this.spool.producer<Buffer>(producerOptions(purpose));
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
