/**
 * A live subscription: reads the broker's SSE stream (GET /v1/live?pattern= or ?topic=) with
 * undici's streaming request on a connection of its own, hands each record to the handler as a
 * Message, and reconnects by itself (backoff with full jitter, the broker's Retry-After as a floor)
 * with a Last-Event-ID cursor that names every partition it followed, so nothing retained is
 * missed or handed over twice.
 *
 * Backpressure is end to end: the handler is awaited before the next chunk is read, so a slow
 * handler fills the socket, and the broker stops reading the log for this subscriber (it waits
 * for the socket to drain) instead of buffering.
 *
 * Delivery: each record once per subscription while it stays connected, and after a reconnect
 * from right after the last record whose handler finished. A handler that throws is reported to
 * onError; the record counts as handled (a live subscription does not redeliver: use a consumer
 * group for that).
 */
import type { Client } from 'undici';
import type { ClientTlsOptions } from '../tls.js';
import { loadUndici } from '../undici.js';
import { backoffDelayMs, type BackoffOptions, sleep } from '../backoff.js';
import { bytesCodec, type Codec, type CodecName, resolveCodec } from '../codecs.js';
import { SpoolClientError } from '../errors.js';
import { answerError } from '../http.js';
import type { Message, ValueDecoding } from '../consumer/message.js';
import { LiveCursor } from './live-cursor.js';
import { type LiveRecordData, liveMessage } from './live-message.js';
import { type SseEvent, SseParser } from './sse-parser.js';

export interface SubscribeOptions<T = unknown> {
  /** Where the subscription starts on the topics that exist when it first connects. Default 'latest'. */
  from?: 'earliest' | 'latest';
  /** Codec for records that name none in a content-type header (default: their bytes as a Buffer). */
  codec?: CodecName | Codec<T>;
  /** Codecs for content types beyond the four built in. */
  codecs?: Codec[];
  /** Reconnect backoff. Default 100 ms doubling up to 5 s, forever. */
  retry?: Partial<Pick<BackoffOptions, 'baseMs' | 'maxMs'>>;
  /** A stream silent this long (the broker sends a heartbeat every 15 s) is reconnected. Default 45 s. */
  heartbeatTimeoutMs?: number;
  /** Told about connection failures (all retried), handler errors, and the error that ended it. */
  onError?: (error: unknown) => void;
  /** Retention deleted records before the subscription read them. */
  onOvertaken?: (gap: { topic: string; partition: number; from: number; to: number }) => void;
}

export type LiveHandler<T> = (message: Message<T>) => void | Promise<void>;

const toClientError = (error: unknown, what: string): SpoolClientError =>
  error instanceof SpoolClientError ? error : SpoolClientError.local('SPOOL_ERR_NETWORK', `${what}: ${(error as Error)?.message ?? String(error)}`, {}, error);

export class Subscription<T = unknown> {
  /** Resolves once the broker follows the topics (the first `follow` event); rejects if it never will. */
  readonly ready: Promise<void>;
  /** Resolves when the subscription has stopped: closed, or ended by an error it cannot retry (then `error`). */
  readonly done: Promise<void>;
  error: SpoolClientError | null = null;
  /** Made when run() starts (undici is loaded at the first request, see ../undici.ts). */
  private client: Client | null = null;
  private readonly cursor = new LiveCursor();
  private readonly decoding: ValueDecoding;
  private readonly abort = new AbortController();
  private readonly what: string;
  private readonly query: string;
  private markReady!: () => void;
  private failReady!: (error: SpoolClientError) => void;
  private current: AbortController | null = null;

  constructor(
    url: string,
    target: string | string[],
    private readonly handler: LiveHandler<T>,
    private readonly options: SubscribeOptions<T> = {},
    private readonly authorization?: string,
    private readonly tls?: ClientTlsOptions,
  ) {
    const topics = Array.isArray(target) ? target : null;
    if (topics ? topics.length === 0 : typeof target !== 'string' || target.length === 0) {
      throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', 'subscribe() needs a pattern or a non-empty list of topics');
    }
    this.what = topics ? `subscribe to ${topics.join(', ')}` : `subscribe to ${target as string}`;
    const parts = topics ? topics.map((topic) => `topic=${encodeURIComponent(topic)}`) : [`pattern=${encodeURIComponent(target as string)}`];
    this.query = `${parts.join('&')}&valueFormat=base64`;
    this.decoding = { codec: options.codec === undefined ? bytesCodec : resolveCodec(options.codec as CodecName | Codec), userCodecs: options.codecs ?? [] };
    this.ready = new Promise<void>((resolve, reject) => {
      this.markReady = resolve;
      this.failReady = reject;
    });
    this.ready.catch(() => {}); // awaited by whoever cares; never an unhandled rejection
    this.done = this.run(url);
  }

  get closed(): boolean {
    return this.abort.signal.aborted;
  }

  /** Stops reading (a handler running now finishes first) and closes the connection. */
  async close(): Promise<void> {
    if (!this.abort.signal.aborted) {
      this.abort.abort();
      this.current?.abort();
      this.failReady(SpoolClientError.local('SPOOL_ERR_CLIENT_CLOSED', `${this.what}: closed`));
    }
    await this.done;
  }

  private async run(url: string): Promise<void> {
    // One connection of its own: a stream holds it for as long as it lives.
    const { Client } = await loadUndici();
    this.client = new Client(url, { headersTimeout: 30_000, bodyTimeout: 0, keepAliveTimeout: 1000, ...(this.tls ? { connect: this.tls } : {}) });
    const backoff = { baseMs: 100, maxMs: 5000, retries: Number.MAX_SAFE_INTEGER, ...this.options.retry };
    let failures = 0;
    while (!this.closed) {
      let retryAfterMs = 0;
      try {
        if (await this.stream()) failures = 0;
      } catch (raw) {
        if (this.closed) break;
        const error = toClientError(raw, this.what);
        if (!error.retriable) {
          this.error = error;
          this.failReady(error);
          this.options.onError?.(error);
          break;
        }
        this.options.onError?.(error);
        retryAfterMs = Number(error.context.retryAfterMs ?? 0);
      }
      if (this.closed) break;
      await sleep(backoffDelayMs(failures++, backoff, retryAfterMs), this.abort.signal);
    }
    this.abort.abort();
    await this.client.destroy().catch(() => {});
  }

  /** One connection, until it ends; answers whether it got as far as the broker's `follow`. */
  private async stream(): Promise<boolean> {
    const request = new AbortController();
    this.current = request;
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.authorization !== undefined) headers.authorization = this.authorization;
    // After the first follow the cursor names every partition, and only topics created while we
    // were away are missing from it: all their records are new to us (from=earliest).
    const from = this.cursor.isEmpty ? (this.options.from ?? 'latest') : 'earliest';
    if (!this.cursor.isEmpty) headers['last-event-id'] = this.cursor.header();
    const answer = await this.client!.request({ method: 'GET', path: `/v1/live?${this.query}&from=${from}`, headers, signal: request.signal });
    if (answer.statusCode !== 200) {
      const body = Buffer.from(await answer.body.arrayBuffer());
      throw answerError({ status: answer.statusCode, headers: answer.headers, body }, this.what);
    }
    const heartbeatTimeoutMs = this.options.heartbeatTimeoutMs ?? 45_000;
    let watchdog: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => request.abort(new Error(`no data or heartbeat for ${heartbeatTimeoutMs} ms`)), heartbeatTimeoutMs);
    };
    const parser = new SseParser();
    let followed = false;
    try {
      arm();
      for await (const chunk of answer.body) {
        clearTimeout(watchdog); // a slow handler is not a silent broker
        for (const event of parser.push(chunk as Buffer)) {
          if (event.type === 'follow') followed = true;
          await this.dispatch(event);
          if (this.closed) return followed;
        }
        arm();
      }
    } finally {
      clearTimeout(watchdog);
    }
    return followed; // the broker ended the stream (it is shutting down): reconnect
  }

  private async dispatch(event: SseEvent): Promise<void> {
    switch (event.type) {
      case 'record': {
        const data = JSON.parse(event.data) as LiveRecordData;
        try {
          await this.handler(liveMessage<T>(data, this.decoding));
        } catch (error) {
          this.options.onError?.(error);
        }
        this.cursor.handled(data.topic, data.partition, data.offset);
        break;
      }
      case 'follow': {
        for (const { topic, partition, offset } of JSON.parse(event.data) as Array<{ topic: string; partition: number; offset: number }>) this.cursor.follow(topic, partition, offset);
        this.markReady();
        break;
      }
      case 'overtaken': {
        const gap = JSON.parse(event.data) as { topic: string; partition: number; from: number; to: number };
        this.cursor.overtaken(gap.topic, gap.partition, gap.to);
        this.options.onOvertaken?.(gap);
        break;
      }
      default: // other events are for other readers
    }
  }
}
