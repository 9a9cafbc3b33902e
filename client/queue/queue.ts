/**
 * A work queue as a worker sees it (`spool.queue(topic, name)`): receive messages, then ack, nack
 * (with a delay) or reject each one. `for await` and `process(handler)` (a handler with bounded
 * concurrency, acking on success and nacking with exponential backoff when it throws, until
 * close()) take their messages from a queue session (session.ts: one WebSocket, messages pushed up
 * to `prefetch`, settlements as frames), or with `transport: 'http'` (and against a broker without
 * sessions) from long-polled HTTP receives. receive() and settle() are always HTTP requests.
 */
import { sleep } from '../backoff.js';
import { bytesCodec, type Codec, type CodecName, CONTENT_TYPE_HEADER, decodeValue, resolveCodec } from '../codecs.js';
import { decodeQueueMessages, type DecodedQueueMessage } from '../../storage/codec/index.js';
import { SpoolClientError } from '../errors.js';
import { answerError, type HttpClient, urlPath } from '../http.js';
import { PREFETCH_MAX, QueueSessionReader, SESSIONS_UNSUPPORTED } from './session.js';
import { type ReceiptResult, type SettlementKind, Settlements } from './settlements.js';

export interface QueueConfig {
  visibilityMs?: number;
  maxDeliveries?: number;
  deadLetterTopic?: string;
  orderedByKey?: boolean;
}

export interface QueueOptions<T> {
  /** Codec for values without a content-type header (default: bytes). */
  codec?: CodecName | Codec<T>;
  codecs?: Codec[];
  /** Messages per receive in `for await` and process(). Default 10. */
  batch?: number;
  /** Long-poll wait per receive in `for await` and process(). Default 5000 ms. */
  waitMs?: number;
  /** Lease per receive; the queue's visibilityMs by default. */
  visibilityMs?: number;
  /**
   * `for await` and process(): 'session' (default) takes pushed messages from one WebSocket;
   * 'http' long-polls POST .../receive and settles with POST .../ack (curl's way, proxies that
   * refuse WebSockets). A broker without sessions gets HTTP either way.
   */
  transport?: 'session' | 'http';
  /**
   * Session: messages pushed ahead of the application (leased, waiting here), 1 to 10,000. Default
   * `batch`, or 10. Each is leased from its push, so a large prefetch with a slow handler spends
   * their visibility timeouts waiting.
   */
  prefetch?: number;
  onError?: (error: unknown) => void;
}

export interface QueueMessage<T = unknown> {
  receipt: string;
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  deliveryCount: number;
  key: string | null;
  value: T;
  headers: Record<string, string>;
  ack(): Promise<void>;
  nack(options?: { delayMs?: number }): Promise<void>;
  reject(reason?: string): Promise<void>;
}

export interface QueueDescription {
  topic: string;
  name: string;
  config: Required<QueueConfig>;
  available: number;
  inFlight: number;
  deadLettered: number;
  /** Messages delivered, acked and dead-lettered since the broker started. */
  totals: { delivered: number; acked: number; deadLettered: number };
  partitions: Array<{ partition: number; ackedThrough: number; highWatermark: number; available: number; inFlight: number; deadLettered: number }>;
}

export interface RedriveResult {
  topic: string;
  queue: string;
  deadLetterTopic: string;
  dryRun: boolean;
  /** Each letter: where it sits in the dead-letter topic, where it came from, and (unless a dry run) its new offset. */
  redriven: Array<{ deadLetterPartition: number; deadLetterOffset: number; partition: number; originalOffset: number; reason: string | null; offset?: number }>;
  /** More dead letters remain past what this request read. */
  more: boolean;
}

export interface ProcessOptions {
  /** Messages handled at once. Default 1. */
  concurrency?: number;
  /** Nack delay after the n-th failed delivery: min(maxMs, baseMs * 2^(n-1)). Default 1 s to 60 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export class Queue<T = unknown> implements AsyncIterable<QueueMessage<T>> {
  private readonly path: string;
  private readonly settlements: Settlements;
  private readonly codec: Codec;
  private readonly abort = new AbortController();
  /** The session of `for await` and process(), opened by the first of them; null over HTTP. */
  private session: QueueSessionReader | null = null;
  /** Set once the broker answered that it has no sessions. */
  private sessionsUnsupported = false;

  constructor(private readonly http: HttpClient, readonly topic: string, readonly name: string, private readonly options: QueueOptions<T> = {}) {
    this.path = `/v1/topics/${urlPath(topic)}/queues/${urlPath(name)}`;
    this.settlements = new Settlements(http, this.path);
    this.codec = options.codec === undefined ? bytesCodec : resolveCodec(options.codec as CodecName | Codec);
    const prefetch = options.prefetch;
    if (prefetch !== undefined && !(Number.isInteger(prefetch) && prefetch >= 1 && prefetch <= PREFETCH_MAX)) {
      throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', `prefetch ${prefetch}: an integer from 1 to ${PREFETCH_MAX}`, { field: 'prefetch' });
    }
  }

  /** Creates the queue, or changes its config. */
  configure(config: QueueConfig = {}): Promise<QueueDescription> {
    return this.http.json({ method: 'PUT', path: this.path, body: config }, `configure queue ${this.name}`);
  }

  describe(): Promise<QueueDescription> {
    return this.http.json({ method: 'GET', path: this.path }, `describe queue ${this.name}`);
  }

  /**
   * Moves this queue's dead letters back onto the topic, to be delivered again by this queue
   * (at most `max`; `dryRun` lists them only). Each letter is redriven once.
   */
  redrive(request: { max?: number; dryRun?: boolean } = {}): Promise<RedriveResult> {
    return this.http.json({ method: 'POST', path: `${this.path}/redrive`, body: request }, `redrive queue ${this.name}`);
  }

  /**
   * Leases up to `max` messages, waiting up to `waitMs` for the first. Asked for in the binary
   * answer (storage/codec/queue-messages.ts): no JSON, base64 or header map per message on either
   * side; values are views into the answer's bytes.
   */
  async receive(request: { max?: number; visibilityMs?: number; waitMs?: number } = {}): Promise<QueueMessage<T>[]> {
    const waitMs = request.waitMs ?? 0;
    const answer = await this.http.request({
      method: 'POST',
      path: `${this.path}/receive`,
      query: { format: 'binary' },
      body: { max: request.max ?? 1, waitMs, ...(request.visibilityMs ? { visibilityMs: request.visibilityMs } : {}) },
      waitMs,
      signal: this.abort.signal,
    });
    if (answer.status >= 300) throw answerError(answer, `receive from queue ${this.name}`);
    return decodeQueueMessages(answer.body).map((wire) => this.toMessage(wire));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<QueueMessage<T>> {
    for (;;) {
      const session = this.openSession();
      if (session === null) break;
      let wire: DecodedQueueMessage | null;
      try {
        wire = await session.next();
      } catch (error) {
        if (this.stopsSession(error)) continue;
        throw error;
      }
      if (wire === null) return;
      yield this.toMessage(wire, session);
    }
    while (!this.abort.signal.aborted) {
      let messages: QueueMessage<T>[];
      try {
        messages = await this.receive({ max: this.options.batch ?? 10, waitMs: this.options.waitMs ?? 5000, visibilityMs: this.options.visibilityMs });
      } catch (error) {
        if (this.abort.signal.aborted) return;
        if (!(error instanceof SpoolClientError) || !error.retriable) throw error;
        this.options.onError?.(error);
        await sleep(500, this.abort.signal);
        continue;
      }
      yield* messages;
    }
  }

  /** The session of `for await` and process() (opened at the first call), or null over HTTP. */
  private openSession(): QueueSessionReader | null {
    if (this.options.transport === 'http' || this.sessionsUnsupported || this.abort.signal.aborted) return null;
    this.session ??= new QueueSessionReader(
      this.http.webSocketTarget(`${this.path}/session`),
      { prefetch: this.options.prefetch ?? this.options.batch ?? 10, visibilityMs: this.options.visibilityMs, onError: this.options.onError },
      this.settlements,
    );
    return this.session;
  }

  /** A broker without sessions: this queue receives over HTTP from now on. */
  private stopsSession(error: unknown): boolean {
    if (!(error instanceof SpoolClientError) || !SESSIONS_UNSUPPORTED.has(error.code)) return false;
    this.sessionsUnsupported = true;
    void this.session?.close();
    this.session = null;
    return true;
  }

  /** Handles messages until close(): ack on success, nack with backoff when the handler throws. */
  async process(handler: (message: QueueMessage<T>) => Promise<void> | void, options: ProcessOptions = {}): Promise<void> {
    const concurrency = Math.max(1, options.concurrency ?? 1);
    const baseMs = options.retryBaseMs ?? 1000;
    const maxMs = options.retryMaxMs ?? 60_000;
    const handle = async (message: QueueMessage<T>) => {
      try {
        await handler(message);
        await message.ack();
      } catch (error) {
        this.options.onError?.(error);
        await message.nack({ delayMs: Math.min(maxMs, baseMs * 2 ** (message.deliveryCount - 1)) }).catch((nackError: unknown) => this.options.onError?.(nackError));
      }
    };
    const sessionWorker = async (session: QueueSessionReader) => {
      for (;;) {
        const wire = await session.next();
        if (wire === null) return;
        await handle(this.toMessage(wire, session));
      }
    };
    const worker = async () => {
      for (let session = this.openSession(); session !== null; session = this.openSession()) {
        try {
          return await sessionWorker(session);
        } catch (error) {
          if (this.stopsSession(error)) break;
          this.options.onError?.(error);
          await sleep(500, this.abort.signal);
        }
      }
      while (!this.abort.signal.aborted) {
        let messages: QueueMessage<T>[] = [];
        try {
          messages = await this.receive({ max: this.options.batch ?? Math.max(1, Math.ceil(10 / concurrency)), waitMs: this.options.waitMs ?? 5000, visibilityMs: this.options.visibilityMs });
        } catch (error) {
          if (this.abort.signal.aborted) return;
          this.options.onError?.(error);
          await sleep(500, this.abort.signal);
        }
        for (const message of messages) await handle(message);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /** Settles messages by receipt (SQS's DeleteMessage by receipt handle): one result per receipt. */
  settle(kind: SettlementKind, receipts: string[], options: { delayMs?: number; reason?: string } = {}): Promise<ReceiptResult[]> {
    return this.settlements.now(kind, receipts, options);
  }

  /**
   * Stops receiving; messages in hand can still be settled until their leases run out. A session
   * gets the answers to the settlements it sent before it closes.
   */
  async close(): Promise<void> {
    this.abort.abort();
    await this.session?.close();
  }

  /** `session`: the message came pushed by it, and is settled through it. */
  private toMessage(wire: DecodedQueueMessage, session?: QueueSessionReader): QueueMessage<T> {
    const settler = session ?? this.settlements;
    const headers: Record<string, string> = {};
    for (const header of wire.headers) headers[header.key] = header.value === null ? '' : header.value.toString('utf8');
    const { receipt } = wire;
    return {
      receipt,
      topic: this.topic,
      partition: wire.partition,
      offset: wire.offset,
      timestamp: wire.timestamp,
      deliveryCount: wire.deliveryCount,
      key: wire.key === null ? null : wire.key.toString('utf8'),
      value: decodeValue(wire.value, headers[CONTENT_TYPE_HEADER] ?? null, this.codec, this.options.codecs) as T,
      headers,
      ack: () => settler.settle('ack', receipt),
      nack: (options = {}) => settler.settle('nack', receipt, options),
      reject: (reason) => settler.settle('reject', receipt, reason === undefined ? {} : { reason }),
    };
  }
}
