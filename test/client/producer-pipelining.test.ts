/**
 * Ordered pipelining of the idempotent producer against a real broker: several requests in flight
 * per partition, and a request that overtakes an earlier one is refused by the broker, re-sent by
 * the client, and lands after it, once. The client pipelines a partition's requests on one
 * connection; the overtaking is made real by an HTTP proxy between the two that, as a load
 * balancer with its own connections to the broker would, sends each request over a connection of
 * its own, and can hold one back until the request behind it has been answered.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Message, Spool } from '../../client/index.js';
import { startBroker, type TestBroker } from '../broker/support/broker.js';

/** One whole HTTP message (headers and a content-length body) off the front of `buffer`, or null. */
function takeMessage(buffer: Buffer): { message: Buffer; rest: Buffer } | null {
  const end = buffer.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(buffer.subarray(0, end).toString('latin1'))?.[1] ?? 0);
  const total = end + 4 + length;
  return buffer.length < total ? null : { message: buffer.subarray(0, total), rest: buffer.subarray(total) };
}

/** Sends one request over a fresh connection to the broker and resolves with the whole answer. */
function exchange(port: number, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const upstream = createConnection({ host: '127.0.0.1', port }, () => upstream.write(request));
    let received = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const answer = takeMessage(received);
      if (answer) {
        upstream.destroy();
        resolve(answer.message);
      }
    });
    upstream.on('error', reject);
  });
}

class ReorderingProxy {
  readonly server: Server;
  /** Produce requests sent to the broker, and answers with status 409, per topic. */
  readonly forwarded = new Map<string, number>();
  readonly refused = new Map<string, number>();
  private holdTopic: string | null = null;
  private held: (() => void) | null = null;

  constructor(brokerPort: number) {
    this.server = createServer((client) => this.serve(client, brokerPort));
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** The next produce request to `topic` waits until the request after it has been answered. */
  hold(topic: string): void {
    this.holdTopic = topic;
  }

  private serve(client: Socket, brokerPort: number): void {
    let pending: Buffer = Buffer.alloc(0);
    // Answers go back in the order of the requests (HTTP/1.1 pipelining), whatever order they come in.
    let answered: Promise<unknown> = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let next = takeMessage(pending); next; next = takeMessage(pending)) {
        pending = next.rest;
        const answer = this.forward(next.message, brokerPort);
        answered = answered.then(() => answer).then((bytes) => client.write(bytes));
      }
    });
    client.on('error', () => client.destroy());
  }

  private async forward(request: Buffer, brokerPort: number): Promise<Buffer> {
    const topic = /^POST \/v1\/topics\/([^/]+)\/records/.exec(request.toString('latin1'))?.[1];
    if (topic === undefined) return exchange(brokerPort, request);
    const release = this.held;
    if (this.holdTopic === topic && !release) {
      this.holdTopic = null;
      await new Promise<void>((resolve) => (this.held = resolve));
    }
    this.forwarded.set(topic, (this.forwarded.get(topic) ?? 0) + 1);
    const answer = await exchange(brokerPort, request);
    if (answer.toString('latin1').startsWith('HTTP/1.1 409')) this.refused.set(topic, (this.refused.get(topic) ?? 0) + 1);
    if (release) {
      this.held = null;
      release();
    }
    return answer;
  }
}

let broker: TestBroker;
let proxy: ReorderingProxy;
let spool: Spool;
beforeAll(async () => {
  broker = await startBroker({ flush: 'never' });
  proxy = new ReorderingProxy(Number(new URL(broker.url).port));
  await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
  spool = new Spool({ url: `http://127.0.0.1:${proxy.port}` });
});
afterAll(async () => {
  await spool.close();
  proxy.server.close();
  await broker.close();
});

async function readAll(topic: string, count: number): Promise<Message<string>[]> {
  const reader = new Spool({ url: broker.url });
  const consumer = reader.consumer<string>({ topics: [topic], from: 'earliest', codec: 'string', maxWaitMs: 100 });
  const messages: Message<string>[] = [];
  try {
    for await (const message of consumer) {
      messages.push(message);
      if (messages.length === count) break;
    }
  } finally {
    await reader.close();
  }
  return messages;
}

/** Records for partition 0, named in order (an explicit partition: no wait for the topic's metadata, which would gather sends into one batch). */
const values = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => ({ value: `${prefix}${i}`, partition: 0 }));

describe('idempotent producer pipelining', () => {
  it('keeps several requests in flight per partition, answered in order', async () => {
    await spool.admin.createTopic({ name: 'pipelined' });
    const producer = spool.producer<string>({ codec: 'string', idempotent: true });
    await producer.send('pipelined', [{ value: 'warm' }]); // the producer id is taken
    let created = 0;
    const onCreate = () => created++;
    subscribe('undici:request:create', onCreate);
    let sends: Array<Promise<unknown>>;
    try {
      sends = Array.from({ length: 5 }, (_, i) => producer.send('pipelined', values(`s${i}-`, 3)));
      expect(created).toBe(5); // all out before the first answer
    } finally {
      unsubscribe('undici:request:create', onCreate);
    }
    const results = (await Promise.all(sends)) as Array<Array<{ offset: number }>>;
    expect(results.flat().map((record) => record.offset)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    await producer.close();
    const stored = await readAll('pipelined', 16);
    expect(stored.map((message) => message.value)).toEqual(['warm', ...Array.from({ length: 5 }, (_, i) => values(`s${i}-`, 3).map((record) => record.value)).flat()]);
  });

  it('re-sends a request that overtook an earlier one: the log holds the records in send order, none twice', async () => {
    await spool.admin.createTopic({ name: 'warm-up' });
    await spool.admin.createTopic({ name: 'overtaken' });
    const producer = spool.producer<string>({ codec: 'string', idempotent: true });
    await producer.send('warm-up', [{ value: 'id taken' }]);
    // First requests of the producer id on this partition: the second arrives first, as a producer
    // the partition does not know at a sequence other than 0.
    proxy.hold('overtaken');
    const [first, second] = await Promise.all([producer.send('overtaken', values('a', 3)), producer.send('overtaken', values('b', 2))]);
    expect(proxy.refused.get('overtaken')).toBe(1);
    expect(proxy.forwarded.get('overtaken')).toBe(3);
    // Later requests, the producer known: the second arrives ahead of its sequence.
    proxy.hold('overtaken');
    const [third, fourth] = await Promise.all([producer.send('overtaken', values('c', 4)), producer.send('overtaken', values('d', 1))]);
    expect(proxy.refused.get('overtaken')).toBe(2);
    expect(proxy.forwarded.get('overtaken')).toBe(6);
    expect([first, second, third, fourth].flat().map((record) => record.offset)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    await producer.close();
    const stored = await readAll('overtaken', 10);
    expect(stored.map((message) => message.value)).toEqual([...values('a', 3), ...values('b', 2), ...values('c', 4), ...values('d', 1)].map((record) => record.value));
    expect((await spool.admin.describeTopic('overtaken')).partitionDetails[0]!.highWatermark).toBe(10);
  });

  it('push(): a request refused for overtaking one whose answer comes first is re-sent, not lost', async () => {
    // The reviewer's interleaving: the producer known to the partition, B reaches the broker ahead
    // of A and is refused; A is written and its 200 reaches the client before B's 409 (one
    // pipelined connection answers in order). B must be re-sent, not failed as a gap.
    await spool.admin.createTopic({ name: 'pushed-overtaken' });
    const failures: unknown[] = [];
    const producer = spool.producer<string>({ codec: 'string', idempotent: true, onError: (error) => failures.push(error) });
    await producer.send('pushed-overtaken', [{ value: 'warm', partition: 0 }]);
    proxy.hold('pushed-overtaken');
    producer.push('pushed-overtaken', { value: 'A', partition: 0 });
    await new Promise((resolve) => setImmediate(resolve)); // A goes out alone; B joins the next request
    producer.push('pushed-overtaken', { value: 'B', partition: 0 });
    await producer.flush();
    expect(failures).toEqual([]);
    expect(proxy.refused.get('pushed-overtaken')).toBe(1); // the interleaving happened
    expect(proxy.forwarded.get('pushed-overtaken')).toBe(4); // warm, B refused, A, B again
    await producer.close();
    expect((await readAll('pushed-overtaken', 3)).map((message) => message.value)).toEqual(['warm', 'A', 'B']);
    expect((await spool.admin.describeTopic('pushed-overtaken')).partitionDetails[0]!.highWatermark).toBe(3);
  });

  it('a request behind one that fails is renumbered under a new producer id and lands once', async () => {
    await spool.admin.createTopic({ name: 'behind-failure', config: { maxMessageBytes: 1024 } });
    const producer = spool.producer<string>({ codec: 'string', idempotent: true });
    await producer.send('behind-failure', [{ value: 'first' }]);
    const tooLarge = producer.send('behind-failure', [{ value: 'x'.repeat(4096) }]).catch((error: unknown) => error);
    const behind = producer.send('behind-failure', values('after', 2));
    expect(await tooLarge).toMatchObject({ code: 'SPOOL_ERR_MESSAGE_TOO_LARGE' });
    expect((await behind).map((record) => record.offset)).toEqual([1, 2]);
    await producer.close();
    expect((await readAll('behind-failure', 3)).map((message) => message.value)).toEqual(['first', 'after0', 'after1']);
  });

  it('keeps one request in flight without idempotence, and refuses maxInFlight it cannot keep in order', async () => {
    await spool.admin.createTopic({ name: 'one-at-a-time' });
    const producer = spool.producer<string>({ codec: 'string' });
    await producer.send('one-at-a-time', [{ value: 'warm' }]);
    let created = 0;
    const onCreate = () => created++;
    subscribe('undici:request:create', onCreate);
    try {
      const sends = Array.from({ length: 5 }, (_, i) => producer.send('one-at-a-time', values(`s${i}-`, 2)));
      expect(created).toBe(1);
      await Promise.all(sends);
      expect(created).toBe(2); // the other four gathered into one request behind the first
    } finally {
      unsubscribe('undici:request:create', onCreate);
    }
    await producer.close();
    for (const maxInFlight of [0, 6, 2.5, -1, Number.NaN, 2 ** 53 + 1]) {
      expect(() => spool.producer({ idempotent: true, maxInFlight })).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_INVALID_ARGUMENT' }));
    }
    expect(() => spool.producer({ maxInFlight: 2 })).toThrow(expect.objectContaining({ code: 'SPOOL_ERR_INVALID_ARGUMENT' }));
    expect(() => spool.producer({ idempotent: true, maxInFlight: 1 })).not.toThrow();
  });
});
