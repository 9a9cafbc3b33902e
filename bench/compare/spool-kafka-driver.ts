/**
 * Spool through its Kafka listener, driven by KafkaJS as a Kafka user would drive it: the same
 * broker process as spool-driver.ts (same --flush per tier), with its Kafka port open.
 * - produce: producer.send() of the records given, acks=-1 (answered when the topic's flush policy
 *   made them durable, as Spool's own client is), no compression;
 * - consume in a group: a KafkaJS group consumer from the beginning, eachBatch, automatic commits;
 * - replay: KafkaJS has no consumer without a group, so a fresh group from the beginning whose
 *   offsets are never committed.
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { freePort, startBrokerProcess } from '../lib/broker-process.js';
import type { ConsumeMode, ConsumerDriver, ProducerDriver, ServerHandle, StreamSpec, SystemDriver, Tier } from './driver.js';
import { SPOOL_FLUSH } from './spool-driver.js';

export async function startSpoolKafka(tier: Tier): Promise<ServerHandle> {
  const port = await freePort();
  const broker = await startBrokerProcess({ flush: SPOOL_FLUSH[tier], kafkaPort: port });
  return { system: 'spool-kafka', tier, pid: broker.pid, url: `kafka://127.0.0.1:${port}`, port, dataDir: broker.dataDir, durability: `--flush ${SPOOL_FLUSH[tier]}`, stop: () => broker.stop() };
}

export class SpoolKafkaDriver implements SystemDriver {
  readonly system = 'spool-kafka';
  private readonly kafka: Kafka;
  private readonly producers = new Set<Producer>();
  private replays = 0;

  constructor(port: number) {
    this.kafka = new Kafka({ clientId: 'bench-compare', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
  }

  async create(stream: StreamSpec): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: stream.name, numPartitions: stream.partitions }] });
    } finally {
      await admin.disconnect();
    }
  }

  async producer(stream: StreamSpec): Promise<ProducerDriver> {
    // KafkaJS sends each send() at once (it has no linger): the same for throughput and latency.
    const producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    this.producers.add(producer);
    return {
      async send(partition, values) {
        await producer.send({ topic: stream.name, acks: -1, messages: values.map((value) => ({ value, partition })) });
      },
      close: async () => {
        this.producers.delete(producer);
        await producer.disconnect();
      },
    };
  }

  async consumer(stream: StreamSpec, mode: ConsumeMode, onValue: (value: Uint8Array) => void): Promise<ConsumerDriver> {
    const replay = mode === 'replay';
    const groupId = replay ? `replay-${process.pid}-${this.replays++}` : mode.group;
    const consumer = this.kafka.consumer({ groupId, maxBytes: 16 << 20, maxBytesPerPartition: 4 << 20, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [stream.name], fromBeginning: true });
    await consumer.run({
      autoCommit: !replay,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) if (message.value) onValue(message.value);
      },
    });
    return { stop: () => consumer.disconnect() };
  }

  async close(): Promise<void> {
    await Promise.all([...this.producers].map((producer) => producer.disconnect()));
    this.producers.clear();
  }
}
