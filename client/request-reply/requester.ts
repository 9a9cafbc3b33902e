/**
 * The requester side of request/reply: once per Spool connection it creates a temporary reply
 * topic (`_reply.<uuid>`, deleted by the broker once idle) and follows it live; each request is
 * produced with `reply-to`, `correlation-id` and `deadline` headers and resolves with the reply
 * whose correlation-id matches, or rejects with SPOOL_ERR_REPLY_TIMEOUT after timeoutMs (or
 * SPOOL_ERR_RESPONDER_FAILED when the responder's handler threw).
 *
 * The reply subscription starts at the reply topic's beginning and resumes by cursor after a
 * broker restart, so a reply produced while it reconnects is not lost. If the reply topic is gone
 * when the subscription reconnects (deleted by hand; 404), pending requests fail with that error
 * and the next request makes a new reply topic.
 */
import { randomUUID } from 'node:crypto';
import type { Admin } from '../admin.js';
import { type Codec, type CodecName, CONTENT_TYPE_HEADER, resolveCodec } from '../codecs.js';
import type { Message } from '../consumer/message.js';
import { SpoolClientError } from '../errors.js';
import type { Producer } from '../producer/producer.js';
import type { LiveHandler, SubscribeOptions, Subscription } from '../subscribe/subscription.js';
import { CORRELATION_ID_HEADER, DEADLINE_HEADER, ERROR_HEADER, REPLY_TO_HEADER } from './headers.js';

export interface RequestOptions<T = unknown> {
  /** Time to wait for the reply. Default 30 s. */
  timeoutMs?: number;
  /** Codec of the request's value. Default json. */
  codec?: CodecName | Codec<T>;
  key?: string | Buffer | null;
  headers?: Record<string, string>;
}

export interface RequesterDeps {
  admin: Admin;
  producer: () => Producer<Buffer>;
  subscribe: (topics: string[], handler: LiveHandler<unknown>, options: SubscribeOptions) => Subscription;
  /** idleMs of the reply topic. Default the broker's (60 s). */
  replyTopicIdleMs?: number;
}

interface Pending {
  resolve(message: Message<any>): void;
  reject(error: unknown): void;
}

export class Requester {
  private readonly pending = new Map<string, Pending>();
  private started: Promise<string> | null = null;
  private subscription: Subscription | null = null;
  private replyTopic: string | null = null;
  private closed = false;

  constructor(private readonly deps: RequesterDeps) {}

  async request<R = unknown, T = unknown>(topic: string, value: T, options: RequestOptions<T> = {}): Promise<Message<R>> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!(timeoutMs > 0)) throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', `timeoutMs must be positive, got ${timeoutMs}`);
    const codec = resolveCodec(options.codec as CodecName | Codec | undefined);
    const correlationId = randomUUID();
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<Message<R>>((resolve, reject) => {
      this.pending.set(correlationId, { resolve, reject });
      timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(SpoolClientError.local('SPOOL_ERR_REPLY_TIMEOUT', `no reply from ${topic} within ${timeoutMs} ms`, { topic, correlationId, timeoutMs }));
      }, timeoutMs);
    }).finally(() => clearTimeout(timer));
    reply.catch(() => {}); // it may fail while the request is still being sent; the caller gets it below
    try {
      const replyTo = await this.start();
      await this.deps.producer().send(topic, [
        {
          key: options.key ?? null,
          value: codec.encode(value),
          headers: {
            ...options.headers,
            [CONTENT_TYPE_HEADER]: codec.contentType,
            [REPLY_TO_HEADER]: replyTo,
            [CORRELATION_ID_HEADER]: correlationId,
            [DEADLINE_HEADER]: String(deadline),
          },
        },
      ]);
    } catch (error) {
      this.settle(correlationId, (pending) => pending.reject(error));
    }
    return reply;
  }

  /** Fails pending requests, stops following the reply topic and deletes it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(SpoolClientError.local('SPOOL_ERR_CLIENT_CLOSED', 'the Spool connection was closed while waiting for a reply'));
    await this.subscription?.close();
    if (this.replyTopic) await this.deps.admin.deleteTopic(this.replyTopic).catch(() => {});
  }

  /** The reply topic, created and followed on the first request. */
  private start(): Promise<string> {
    if (this.closed) return Promise.reject(SpoolClientError.local('SPOOL_ERR_CLIENT_CLOSED', 'the Spool connection is closed'));
    this.started ??= (async () => {
      const name = `_reply.${randomUUID()}`;
      await this.deps.admin.createTopic({ name, partitions: 1, temporary: true, idleMs: this.deps.replyTopicIdleMs });
      const subscription = this.deps.subscribe([name], (message) => this.onReply(message), { from: 'earliest' });
      this.subscription = subscription;
      this.replyTopic = name;
      void subscription.done.then(() => this.onSubscriptionEnded(subscription));
      await subscription.ready;
      return name;
    })();
    this.started.catch(() => (this.started = null)); // the next request tries again
    return this.started;
  }

  private onReply(message: Message<unknown>): void {
    const id = message.headers[CORRELATION_ID_HEADER];
    if (id === undefined) return;
    this.settle(id, (pending) => {
      const failure = message.headers[ERROR_HEADER];
      if (failure !== undefined) {
        pending.reject(SpoolClientError.local('SPOOL_ERR_RESPONDER_FAILED', `the responder failed: ${failure}`, { topic: message.topic, correlationId: id }));
      } else if (message.decodeError) pending.reject(message.decodeError);
      else pending.resolve(message);
    });
  }

  private onSubscriptionEnded(subscription: Subscription): void {
    if (this.closed || subscription !== this.subscription) return;
    // The reply topic is gone (deleted by hand, or idle while this process was stalled): start over.
    this.started = null;
    this.subscription = null;
    this.replyTopic = null;
    this.failAll(subscription.error ?? SpoolClientError.local('SPOOL_ERR_NETWORK', 'the reply subscription ended'));
  }

  private settle(id: string, action: (pending: Pending) => void): void {
    const pending = this.pending.get(id);
    if (!pending) return; // timed out already, or not ours
    this.pending.delete(id);
    action(pending);
  }

  private failAll(error: SpoolClientError): void {
    for (const [id, pending] of [...this.pending]) {
      this.pending.delete(id);
      pending.reject(error);
    }
  }
}
