/**
 * NATS JetStream through nats.js, used the way its docs recommend for throughput:
 * - produce: publishAsync as nats.go does it (nats.js has none): every record published with a
 *   reply subject under one inbox subscription, JetStream's acknowledgements counted as they arrive,
 *   a whole send() (1000 records) in flight at once and several sends in flight. Measured ~10x
 *   faster on this machine than awaiting js.publish() per record (a promise, a timer and a
 *   request entry each): 170-250k against 15-22k records/s of 100 bytes;
 * - consume in a group: a durable pull consumer per stream with AckAll, consumed in pulls of 1000,
 *   acknowledging every 500th message (which acknowledges all before it);
 * - replay: an ordered consumer (ephemeral, no acknowledgements), NATS's cheapest read.
 * One JetStream stream per partition, named `<stream>-<p>` with subject `<stream>.<p>`.
 */
import { AckPolicy, connect, createInbox, DeliverPolicy, type Msg, type NatsConnection, StorageType } from 'nats';
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
    const nc = await this.connect();
    const inbox = createInbox();
    const sends = new Map<string, { awaited: number; fail: (error: Error) => void; done: () => void }>();
    const decoder = new TextDecoder();
    // One subscription for every acknowledgement: `<inbox>.<send id>`. A PubAck reads
    // {"stream":..,"seq":..}; a refusal {"error":..}, or no payload with a status header (503).
    nc.subscribe(`${inbox}.*`, {
      callback: (error, message: Msg) => {
        const send = sends.get(message.subject.slice(inbox.length + 1));
        if (!send) return;
        const answer = message.data.length > 0 ? decoder.decode(message.data) : '';
        if (error || !answer.startsWith('{"stream"')) return send.fail(new Error(`JetStream refused a publish: ${error?.message ?? (answer || message.headers?.description)}`));
        if (--send.awaited === 0) send.done();
      },
    });
    let sendCount = 0;
    return {
      send(partition, values) {
        const subject = subjectOf(stream, partition);
        const id = String(sendCount++);
        return new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => finish(new Error(`no JetStream acknowledgement within ${PUBLISH_TIMEOUT_MS} ms`)), PUBLISH_TIMEOUT_MS);
          const finish = (error?: Error) => {
            clearTimeout(timer);
            sends.delete(id);
            if (error) reject(error);
            else resolve();
          };
          sends.set(id, { awaited: values.length, fail: finish, done: () => finish() });
          const reply = `${inbox}.${id}`;
          for (const value of values) nc.publish(subject, value, { reply });
        });
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
