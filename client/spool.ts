/**
 * A connection to one Spool broker: the HTTP pool shared by the admin, producers and consumers
 * made from it.
 *
 *   const spool = new Spool({ url: 'http://127.0.0.1:9292' });
 *   await spool.admin.createTopic({ name: 'orders', partitions: 4 });
 *   const producer = spool.producer();
 *   await producer.send('orders', [{ key: 'customer-1', value: { total: 42 } }]);
 *   for await (const message of spool.consumer({ groupId: 'billing', topics: ['orders'] })) { ... }
 *
 *   spool.subscribe('orders.*', (message) => ...)          live pub/sub, topics created later too
 *   spool.respond('rpc.add', ({ value }) => value.a + value.b)
 *   const reply = await spool.request('rpc.add', { a: 1, b: 2 }, { timeoutMs: 1000 })
 */
import { Admin } from './admin.js';
import { SecurityAdmin } from './security-admin.js';
import { brokerUrl, DEFAULT_URL } from './broker-url.js';
import { Consumer, type ConsumerOptions } from './consumer/consumer.js';
import { authorizationHeader, type Credentials } from './credentials.js';
import { HttpClient } from './http.js';
import { type ClientTlsOptions, tlsConnectOptions } from './tls.js';
import type { Message } from './consumer/message.js';
import { Producer, type ProducerOptions } from './producer/producer.js';
import { Queue, type QueueOptions } from './queue/queue.js';
import { Requester, type RequestOptions } from './request-reply/requester.js';
import { type RequestHandler, type RespondOptions, Responder } from './request-reply/responder.js';
import { type LiveHandler, type SubscribeOptions, Subscription } from './subscribe/subscription.js';
import { Streams, type StreamsOptions } from './streams.js';
import { TopicMetadata } from './topic-metadata.js';

export { DEFAULT_URL };

export interface SpoolOptions extends Credentials {
  /** The broker. Default SPOOL_URL, else http://127.0.0.1:9292. */
  url?: string;
  /** Time without an answer before a request fails (long-polls add their wait). Default 30 s. */
  requestTimeoutMs?: number;
  /** Connections kept to the broker (each partition a consumer reads long-polls on one). Default 64. */
  connections?: number;
  /** An https:// broker's CA and a client certificate (client/tls.ts). */
  tls?: ClientTlsOptions;
}

export class Spool {
  readonly url: string;
  readonly admin: Admin;
  /** Users, tokens and ACLs (needs Alter/Describe on the cluster once the broker requires credentials). */
  readonly security: SecurityAdmin;
  private readonly http: HttpClient;
  private readonly authorization: string | undefined;
  private readonly tls: ClientTlsOptions | undefined;
  private readonly metadata: TopicMetadata;
  private readonly closables = new Set<{ close(): Promise<void> }>();
  private requester: Requester | null = null;
  private replyProducer: Producer<Buffer> | null = null;
  private readonly streamsByTopic = new Map<string, Streams>();

  constructor(options: SpoolOptions = {}) {
    this.url = brokerUrl(options.url ?? process.env.SPOOL_URL ?? DEFAULT_URL);
    this.authorization = authorizationHeader(options);
    this.tls = tlsConnectOptions(this.url, options.tls);
    this.http = new HttpClient(this.url, { connections: options.connections ?? 64, requestTimeoutMs: options.requestTimeoutMs ?? 30_000, authorization: this.authorization, tls: this.tls });
    this.admin = new Admin(this.http);
    this.security = new SecurityAdmin(this.http);
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

  /**
   * Live pub/sub: calls `handler` for each record of the topics matching `pattern` (`*` one word,
   * `#` zero or more; topics created later too), or of the topics listed. Reconnects by itself and
   * resumes where it was; close() stops it.
   */
  subscribe<T = unknown>(patternOrTopics: string | string[], handler: LiveHandler<T>, options: SubscribeOptions<T> = {}): Subscription<T> {
    return this.track(new Subscription<T>(this.url, patternOrTopics, handler, options, this.authorization, this.tls));
  }

  /**
   * Sends `value` to `topic` as a request and resolves with the reply (a Message: `reply.value`).
   * Rejects with SPOOL_ERR_REPLY_TIMEOUT after timeoutMs (default 30 s), SPOOL_ERR_RESPONDER_FAILED
   * when the responder's handler threw. The first request creates this connection's reply topic.
   */
  request<R = unknown, T = unknown>(topic: string, value: T, options: RequestOptions<T> = {}): Promise<Message<R>> {
    this.requester ??= this.track(
      new Requester({
        admin: this.admin,
        producer: () => this.requestReplyProducer(),
        subscribe: (topics, handler, subscribeOptions) => this.subscribe(topics, handler, subscribeOptions),
      }),
    );
    return this.requester.request<R, T>(topic, value, options);
  }

  /** Event-sourcing streams of a topic created with streamIndex (docs/event-sourcing.md). */
  streams(topic: string, options: StreamsOptions = {}): Streams {
    // One per topic, so appends made through separate spool.streams(topic) calls coalesce too.
    let streams = this.streamsByTopic.get(topic);
    if (!streams) this.streamsByTopic.set(topic, (streams = new Streams(this.http, topic, this.authorization, this.tls)));
    if (options.maxInFlight !== undefined) streams.appends.setMaxInFlight(options.maxInFlight);
    return streams;
  }

  /** Answers requests sent to `topic` with what `handler` returns; responders of one group share the load. */
  respond<Req = unknown, Res = unknown>(topic: string, handler: RequestHandler<Req, Res>, options: RespondOptions<Req, Res> = {}): Responder<Req, Res> {
    const deps = { consumer: (consumerOptions: ConsumerOptions<Req>) => new Consumer<Req>(this.http, this.admin, consumerOptions), producer: () => this.requestReplyProducer() };
    return this.track(new Responder<Req, Res>(topic, handler, deps, options));
  }

  /** Closes producers (flushing them) and consumers (committing), then the connections. */
  async close(): Promise<void> {
    // Responders and the requester first: their last replies go through the shared producer.
    const last = this.replyProducer;
    await Promise.allSettled([...this.closables].filter((closable) => closable !== last).map((closable) => closable.close()));
    await last?.close().catch(() => {});
    await this.http.close();
  }

  /** Requests and replies: values come encoded, sent as soon as possible (no linger). */
  private requestReplyProducer(): Producer<Buffer> {
    this.replyProducer ??= this.producer<Buffer>({ codec: 'bytes', lingerMs: 0 });
    return this.replyProducer;
  }

  private track<C extends { close(): Promise<void> }>(closable: C): C {
    this.closables.add(closable);
    return closable;
  }
}
