/**
 * NATS JetStream through nats.js, used the way its docs recommend for throughput:
 * - produce: js.publish() of every record with its acknowledgement awaited asynchronously, a whole
 *   send() (1000 records) in flight at once and several sends in flight (publishAsync-style);
 * - consume in a group: a durable pull consumer per stream with AckAll, consumed in pulls of 1000,
 *   acknowledging every 500th message (which acknowledges all before it);
 * - replay: an ordered consumer (ephemeral, no acknowledgements), NATS's cheapest read.
 * One JetStream stream per partition, named `<stream>-<p>` with subject `<stream>.<p>`.
 */
import { AckPolicy, connect, DeliverPolicy, type NatsConnection, StorageType } from 'nats';
import type { ConsumeMode, ConsumerDriver, ProducerDriver, StreamSpec, SystemDriver } from './driver.js';

const PULL_MESSAGES = 1000;
const ACK_EVERY = 500;
const PUBLISH_TIMEOUT_MS = 60_000;

const streamOf = (stream: StreamSpec, partition: number) => `${stream.name}-${partition}`;
const subjectOf = (stream: StreamSpec, partition: number) => `${stream.name}.${partition}`;

export class NatsDriver implements SystemDriver {
  readonly system = 'nats';
  private readonly connections = new Set<NatsConnection>();

  constructor(private readonly port: number) {}

  private async connect(): Promise<NatsConnection> {
    const nc = await connect({ servers: `127.0.0.1:${this.port}` });
    this.connections.add(nc);
    return nc;
  }

  async create(stream: StreamSpec, groups: string[]): Promise<void> {
    const jsm = await (await this.connect()).jetstreamManager();
    for (let p = 0; p < stream.partitions; p++) {
      await jsm.streams.add({ name: streamOf(stream, p), subjects: [subjectOf(stream, p)], storage: StorageType.File, num_replicas: 1 });
      for (const group of groups) {
        await jsm.consumers.add(streamOf(stream, p), { durable_name: group, ack_policy: AckPolicy.All, deliver_policy: DeliverPolicy.All, max_ack_pending: 20 * PULL_MESSAGES });
      }
    }
  }

  async producer(stream: StreamSpec): Promise<ProducerDriver> {
    const js = (await this.connect()).jetstream();
    return {
      async send(partition, values) {
        const subject = subjectOf(stream, partition);
        await Promise.all(values.map((value) => js.publish(subject, value, { timeout: PUBLISH_TIMEOUT_MS })));
      },
      close: async () => undefined,
    };
  }

  async consumer(stream: StreamSpec, mode: ConsumeMode, onValue: (value: Uint8Array) => void): Promise<ConsumerDriver> {
    const js = (await this.connect()).jetstream();
    const iterators = await Promise.all(
      Array.from({ length: stream.partitions }, async (_, p) => {
        const consumer = mode === 'replay' ? await js.consumers.get(streamOf(stream, p)) : await js.consumers.get(streamOf(stream, p), mode.group);
        return consumer.consume({ max_messages: PULL_MESSAGES });
      }),
    );
    const loops = iterators.map(async (messages) => {
      let count = 0;
      for await (const message of messages) {
        onValue(message.data);
        if (mode !== 'replay' && ++count % ACK_EVERY === 0) message.ack();
      }
    });
    // A failed loop ends; stop() reports it (awaited only there, so it is caught here first).
    const settled = Promise.allSettled(loops);
    return {
      async stop() {
        for (const messages of iterators) await messages.close();
        for (const outcome of await settled) if (outcome.status === 'rejected') throw outcome.reason;
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.connections].map((nc) => nc.close()));
    this.connections.clear();
  }
}
