/**
 * A connection to one Spool broker: the HTTP pool shared by the admin, producers and consumers
 * made from it.
 *
 *   const spool = new Spool({ url: 'http://127.0.0.1:9292' });
 *   await spool.admin.createTopic({ name: 'orders', partitions: 4 });
 *   const producer = spool.producer();
 *   await producer.send('orders', [{ key: 'customer-1', value: { total: 42 } }]);
 *   for await (const message of spool.consumer({ groupId: 'billing', topics: ['orders'] })) { ... }
 */
import { Admin } from './admin.js';
import { Consumer, type ConsumerOptions } from './consumer/consumer.js';
import { HttpClient } from './http.js';
import { Producer, type ProducerOptions } from './producer/producer.js';
import { Queue, type QueueOptions } from './queue/queue.js';
import { TopicMetadata } from './topic-metadata.js';

export const DEFAULT_URL = 'http://127.0.0.1:9292';

export interface SpoolOptions {
  /** The broker. Default SPOOL_URL, else http://127.0.0.1:9292. */
  url?: string;
  /** Time without an answer before a request fails (long-polls add their wait). Default 30 s. */
  requestTimeoutMs?: number;
  /** Connections kept to the broker (each partition a consumer reads long-polls on one). Default 64. */
  connections?: number;
}

export class Spool {
  readonly url: string;
  readonly admin: Admin;
  private readonly http: HttpClient;
  private readonly metadata: TopicMetadata;
  private readonly closables = new Set<{ close(): Promise<void> }>();

  constructor(options: SpoolOptions = {}) {
    this.url = (options.url ?? process.env.SPOOL_URL ?? DEFAULT_URL).replace(/\/+$/, '');
    this.http = new HttpClient(this.url, { connections: options.connections ?? 64, requestTimeoutMs: options.requestTimeoutMs ?? 30_000 });
    this.admin = new Admin(this.http);
    this.metadata = new TopicMetadata(this.admin);
  }

  producer<T = unknown>(options: ProducerOptions<T> = {}): Producer<T> {
    return this.track(new Producer<T>(this.http, this.metadata, options));
  }

  consumer<T = unknown>(options: ConsumerOptions<T>): Consumer<T> {
    return this.track(new Consumer<T>(this.http, this.admin, options));
  }

  /** A work queue (share group) on a topic: per-message ack, redelivery, dead letters. Create it with configure(). */
  queue<T = unknown>(topic: string, name: string, options: QueueOptions<T> = {}): Queue<T> {
    return this.track(new Queue<T>(this.http, topic, name, options));
  }

  /** Closes producers (flushing them) and consumers (committing), then the connections. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.closables].map((closable) => closable.close()));
    await this.http.close();
  }

  private track<C extends { close(): Promise<void> }>(closable: C): C {
    this.closables.add(closable);
    return closable;
  }
}
