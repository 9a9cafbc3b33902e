/**
 * The batching producer. Records join a per-partition batch that is sent when it reaches
 * `batchBytes` or has waited `lingerMs`; batches are encoded here as RecordBatch v2 and sent raw,
 * so the broker only checks their CRC and assigns offsets. Retries use backoff with jitter and
 * honour Retry-After. Idempotent mode stamps batches with a producer id and sequence, so a retry
 * after a lost answer is answered by the broker with the original offsets, never written twice,
 * and keeps up to `maxInFlight` requests in flight per partition, in order (see deliver()).
 *
 *   send(topic, records)  resolves with each record's partition and offset
 *   push(topic, record)   fire and forget; returns false once `bufferBytes` are waiting (await drain())
 *   flush()               sends everything queued; rejects with the first push() failure since the last flush
 *   close()               flush, then refuse new records
 */
import { BATCH_CONTENT_TYPE, partitionForKey, PRODUCER_BATCHES_REMEMBERED } from '../../storage/codec/index.js';
import { type Codec, type CodecName, resolveCodec } from '../codecs.js';
import { SpoolClientError } from '../errors.js';
import { type HttpClient, answerError, urlPath } from '../http.js';
import { type EncodedRecord, encodeRecord, type ProducerRecord } from '../record-encoding.js';
import { withRetries } from '../retry.js';
import type { TopicMetadata } from '../topic-metadata.js';
import type { RecordMetadata } from '../types.js';
import { type Completion, type Identity, InFlightRequest, PartitionQueue, PendingBatch, SendCompletion } from './partition-queue.js';
import { compressionOption, maxInFlightOption, type ProducerOptions } from './producer-options.js';
import { type ExpectedOffsets, sendConditional } from './conditional-send.js';


interface BatchesAnswer {
  batches: Array<{ baseOffset: number; lastOffset: number }>;
}

export type { ProducerOptions };

export class Producer<T = unknown> {
  private readonly codec: Codec<T>;
  private readonly lingerMs: number;
  private readonly batchBytes: number;
  private readonly bufferBytes: number;
  private readonly compression: number;
  private readonly idempotent: boolean;
  private readonly maxRequestBytes: number;
  private readonly maxInFlight: number;
  private readonly queues = new Map<string, PartitionQueue>();
  /** Records waiting for their topic's partition count. */
  private readonly awaitingMetadata = new Map<string, Array<{ encoded: EncodedRecord; completion?: Completion; index: number }>>();
  /** Partition for key-less records, per topic: sticky until its batch is sealed (Kafka's sticky partitioner). */
  private readonly sticky = new Map<string, number>();
  private readonly abort = new AbortController();
  /** The idempotent producer's id and epoch; null until taken, and again once given up. */
  private identity: Identity | null = null;
  private identityPending: Promise<Identity> | null = null;
  /** Batches wait to be numbered until the identity comes (takeIdentity()). */
  private awaitingIdentity = false;
  private buffered = 0;
  private drainWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];
  private firstError: SpoolClientError | null = null;
  private closed = false;
  /** The partitions a send() without linger is filling now (see send()). */
  private touched: Set<PartitionQueue> | null = null;

  constructor(
    private readonly http: HttpClient,
    private readonly metadata: TopicMetadata,
    private readonly options: ProducerOptions<T> = {},
  ) {
    this.codec = resolveCodec(options.codec as CodecName | Codec | undefined) as Codec<T>;
    this.lingerMs = options.lingerMs ?? 0;
    this.batchBytes = options.batchBytes ?? 1024 * 1024;
    this.bufferBytes = options.bufferBytes ?? 64 * 1024 * 1024;
    this.compression = compressionOption(options.compression);
    this.idempotent = options.idempotent ?? false;
    this.maxRequestBytes = options.maxRequestBytes ?? 4 * 1024 * 1024;
    this.maxInFlight = maxInFlightOption(options.maxInFlight, this.idempotent);
  }

  /** Bytes of records accepted but not yet acknowledged. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Sends records and resolves with where each landed (in the order given). With
   * `expectedOffsets` (partition → offset it must end at) the records go as one request of their
   * own once everything queued before is sent, written only if every named partition ends there:
   * else SPOOL_ERR_OFFSET_MISMATCH and nothing written (see conditional-send.ts).
   */
  send(topic: string, records: ProducerRecord<T>[], options: { expectedOffsets?: ExpectedOffsets } = {}): Promise<RecordMetadata[]> {
    if (options.expectedOffsets) return this.sendConditional(topic, records, options.expectedOffsets);
    if (records.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const completion = new SendCompletion(records.length, resolve, reject);
      const touched = this.lingerMs === 0 ? new Set<PartitionQueue>() : null;
      this.touched = touched;
      try {
        records.forEach((record, index) => this.accept(topic, record, completion, index));
      } catch (error) {
        completion.reject(error);
      } finally {
        this.touched = null;
      }
      // Without linger, a send() hands its records over all at once: a partition with room in
      // flight gets them now rather than on the next turn of the event loop, which could only add
      // other callers' records (and, on a busy loop, a turn is long). Sends made while a request is
      // in flight still gather into the next one.
      if (touched) for (const queue of touched) if (this.hasRoom(queue)) this.sealAndDispatch(queue);
    });
  }

  /**
   * Queues a record without waiting for it. Answers false once `bufferBytes` are waiting: await
   * drain() before pushing more, as with a Node stream's write().
   */
  push(topic: string, record: ProducerRecord<T>): boolean {
    this.accept(topic, record, undefined, 0);
    return this.buffered < this.bufferBytes;
  }

  /** Resolves once fewer than `bufferBytes` wait to be sent. */
  drain(): Promise<void> {
    if (this.buffered < this.bufferBytes) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private async sendConditional(topic: string, records: ProducerRecord<T>[], expectedOffsets: ExpectedOffsets): Promise<RecordMetadata[]> {
    if (this.closed) throw SpoolClientError.local('SPOOL_ERR_CLIENT_CLOSED', 'the producer is closed');
    await this.sendQueued(); // after what was queued before it, as a send without a condition would be
    return sendConditional(this.http, this.metadata, this.codec, topic, records, expectedOffsets);
  }

  /** Sends every queued record now and waits for all answers. */
  async flush(): Promise<void> {
    await this.sendQueued();
    const error = this.firstError;
    this.firstError = null;
    if (error) throw error;
  }

  /** Sends every queued record now and waits until no request is in flight. */
  private async sendQueued(): Promise<void> {
    for (const queue of this.queues.values()) {
      if (queue.seal()) this.dispatch(queue);
    }
    while (!this.isIdle()) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Flushes, then refuses new records. Nothing queued is lost. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      this.abort.abort();
    }
  }

  private accept(topic: string, record: ProducerRecord<T>, completion: Completion | undefined, index: number): void {
    if (this.closed) throw SpoolClientError.local('SPOOL_ERR_CLIENT_CLOSED', 'the producer is closed');
    const encoded = encodeRecord(record, this.codec);
    // Counted from here, so records waiting for their topic's metadata hold back push() too.
    this.buffered += encoded.size;
    this.route(topic, record.partition, encoded, completion, index);
  }

  private route(topic: string, explicitPartition: number | undefined, encoded: EncodedRecord, completion: Completion | undefined, index: number): void {
    if (explicitPartition !== undefined) return this.enqueue(topic, explicitPartition, encoded, completion, index);
    const partitions = this.metadata.cached(topic);
    if (partitions === undefined) return this.awaitMetadata(topic, encoded, completion, index);
    const key = encoded.input.key;
    const partition = key ? partitionForKey(key, partitions) : this.stickyPartition(topic, partitions);
    this.enqueue(topic, partition, encoded, completion, index);
  }

  private stickyPartition(topic: string, partitions: number): number {
    let partition = this.sticky.get(topic);
    if (partition === undefined || partition >= partitions) {
      partition = Math.floor(Math.random() * partitions);
      this.sticky.set(topic, partition);
    }
    return partition;
  }

  private awaitMetadata(topic: string, encoded: EncodedRecord, completion: Completion | undefined, index: number): void {
    let waiting = this.awaitingMetadata.get(topic);
    if (waiting) return void waiting.push({ encoded, completion, index });
    waiting = [{ encoded, completion, index }];
    this.awaitingMetadata.set(topic, waiting);
    const resume = (error?: unknown) => {
      this.awaitingMetadata.delete(topic);
      for (const entry of waiting) {
        if (!error) {
          this.route(topic, undefined, entry.encoded, entry.completion, entry.index);
          continue;
        }
        this.release(entry.encoded.size);
        this.failRecords(entry.completion, error, 1);
      }
      this.notifyIdle();
    };
    withRetries(() => this.metadata.partitionCount(topic), { ...this.options.retry, deadlineMs: this.deliveryTimeoutMs, signal: this.abort.signal }).then(
      () => resume(),
      (error: unknown) => resume(error),
    );
  }

  private enqueue(topic: string, partition: number, encoded: EncodedRecord, completion: Completion | undefined, index: number): void {
    const queue = this.queue(topic, partition);
    if (queue.open && queue.open.bytes + encoded.size > this.batchBytes) this.sealAndDispatch(queue);
    if (!queue.open) {
      queue.open = new PendingBatch();
      if (this.lingerMs > 0) {
        const timer = setTimeout(() => this.lingered(queue), this.lingerMs);
        queue.cancelLinger = () => clearTimeout(timer);
      } else {
        const immediate = setImmediate(() => this.lingered(queue));
        queue.cancelLinger = () => clearImmediate(immediate);
      }
    }
    queue.open.add(encoded.input, encoded.size, completion, index);
    if (queue.open.bytes >= this.batchBytes) this.sealAndDispatch(queue);
    this.touched?.add(queue);
  }

  /**
   * The open batch waited its linger. Sent now if the partition has room for a request in flight;
   * otherwise it keeps growing until one returns, so batches grow with the load by themselves (a
   * producer at a trickle waits for nothing, one at full speed sends full batches).
   */
  private lingered(queue: PartitionQueue): void {
    queue.cancelLinger = null;
    if (this.hasRoom(queue)) this.sealAndDispatch(queue);
    else queue.ripe = true;
  }

  private queue(topic: string, partition: number): PartitionQueue {
    const name = `${topic}\u0000${partition}`;
    let queue = this.queues.get(name);
    if (!queue) this.queues.set(name, (queue = new PartitionQueue(topic, partition)));
    return queue;
  }

  private sealAndDispatch(queue: PartitionQueue): void {
    if (!queue.seal()) return;
    if (this.sticky.get(queue.topic) === queue.partition) this.sticky.delete(queue.topic);
    this.dispatch(queue);
  }

  /**
   * Whether the partition may send another request: fewer than maxInFlight out and, idempotent,
   * fewer batches out than the broker remembers per producer, and none numbered under an identity
   * given up (those are renumbered first, in order: see resendable()).
   */
  private hasRoom(queue: PartitionQueue): boolean {
    if (queue.requests.length >= this.maxInFlight) return false;
    if (!this.idempotent) return true;
    return queue.batchesInFlight < PRODUCER_BATCHES_REMEMBERED && queue.requests.every((request) => request.identity === this.identity);
  }

  /** Sends the queued batches of a partition, in as many requests as it has room for. */
  private dispatch(queue: PartitionQueue): void {
    while (queue.sealed.length > 0 && this.hasRoom(queue)) {
      if (this.idempotent && !this.identity) return this.takeIdentity();
      // An idempotent retry must name batches the broker still remembers (the last few per producer).
      const maxBatches = this.idempotent ? PRODUCER_BATCHES_REMEMBERED - queue.batchesInFlight : Number.MAX_SAFE_INTEGER;
      let count = 0;
      let bytes = 0;
      for (const batch of queue.sealed) {
        if (count > 0 && (count >= maxBatches || bytes + batch.bytes > this.maxRequestBytes)) break;
        bytes += batch.bytes;
        count++;
      }
      const request = new InFlightRequest(queue.sealed.splice(0, count), this.identity);
      queue.encode(request, this.compression);
      queue.requests.push(request);
      void this.deliver(queue, request);
    }
  }

  private get deliveryTimeoutMs(): number {
    return this.options.deliveryTimeoutMs ?? 120_000;
  }

  /**
   * Sends a request until it is answered: retried on retriable errors with the same bytes (the
   * broker recognises an idempotent retry), and re-sent when the broker refused it for arriving
   * before an earlier request of the partition (see resendable()).
   */
  private async deliver(queue: PartitionQueue, request: InFlightRequest): Promise<void> {
    const startedAt = Date.now();
    let written = false;
    try {
      for (;;) {
        try {
          const answer = await withRetries(async () => this.post(queue, request), {
            ...this.options.retry,
            retries: Number.MAX_SAFE_INTEGER,
            deadlineMs: Math.max(0, this.deliveryTimeoutMs - (Date.now() - startedAt)),
            signal: this.abort.signal,
          });
          request.batches.forEach((batch, i) => batch.succeed(queue.topic, queue.partition, answer.batches[i]!.baseOffset));
          written = true;
          return;
        } catch (error) {
          if (Date.now() - startedAt > this.deliveryTimeoutMs || !(await this.resendable(queue, request, error))) throw error;
        }
      }
    } catch (error) {
      this.failRequest(request, error);
    } finally {
      request.finish(written);
      queue.requests.splice(queue.requests.indexOf(request), 1);
      this.release(request.bytes);
      if (queue.ripe) this.sealAndDispatch(queue);
      else this.dispatch(queue);
      this.notifyIdle();
    }
  }

  /**
   * Whether a refused idempotent request goes again. Refused for its sequence when it was sent
   * while earlier requests of the partition were out: it may have reached the broker before them
   * (a proxy, a connection lost and its pipelined requests sent again); the broker wrote nothing
   * of it, and once the earlier ones settle it goes again (renumbered, if one of them failed and the producer took a new id). Refused as a
   * producer the partition does not know (it forgets the least active past producersPerPartitionMax)
   * with nothing earlier out: it starts over under a new id. Anything else is a real gap: it fails.
   * Renumbering is safe: a refused request wrote nothing, and none after it goes before it does.
   */
  private async resendable(queue: PartitionQueue, request: InFlightRequest, error: unknown): Promise<boolean> {
    if (!this.idempotent || !(error instanceof SpoolClientError) || error.code !== 'SPOOL_ERR_OUT_OF_ORDER_SEQUENCE') return false;
    // Pipelined on one connection, the earlier requests' answers come first: they may have settled already.
    if (request.ahead.length > 0) await Promise.all(request.ahead.map((other) => other.settled));
    else if (request.identity === this.identity) {
      if (error.context.unknownProducer !== true) return false;
      this.identity = null;
    } // else an earlier request failed since this one was numbered, and the producer gave up its id
    if (request.identity !== this.identity) {
      request.identity = await this.currentIdentity();
      queue.encode(request, this.compression);
    }
    return true;
  }

  /** A request that finally failed: its callers hear why. */
  private failRequest(request: InFlightRequest, error: unknown): void {
    // An idempotent producer cannot know whether a batch that failed was written: a new producer
    // id starts a fresh sequence, so no later batch is mistaken for this one.
    if (this.idempotent && request.identity === this.identity) this.identity = null;
    for (const batch of request.batches) {
      const unawaited = batch.completions.filter((completion) => completion === undefined).length;
      if (unawaited > 0) this.failRecords(undefined, error, unawaited);
      batch.fail(error);
    }
  }

  private async post(queue: PartitionQueue, request: InFlightRequest): Promise<BatchesAnswer> {
    const batches = request.batches;
    request.ahead = queue.requests.slice(0, queue.requests.indexOf(request));
    const answer = await this.http.request({
      method: 'POST',
      path: `/v1/topics/${urlPath(queue.topic)}/records`,
      query: { partition: queue.partition },
      body: batches.length === 1 ? batches[0]!.encoded! : Buffer.concat(batches.map((batch) => batch.encoded!)),
      contentType: BATCH_CONTENT_TYPE,
      // Pipelined requests keep their order on one connection; the broker's sequence check refuses
      // any that overtakes all the same (see resendable()).
      ...(this.idempotent ? { lane: queue.lane } : {}),
    });
    if (answer.status >= 300) throw answerError(answer, `produce to ${queue.topic}/${queue.partition}`);
    return JSON.parse(answer.body.toString('utf8')) as BatchesAnswer;
  }

  /** The producer's identity, taken from the broker when it has none. */
  private currentIdentity(): Promise<Identity> {
    if (this.identity) return Promise.resolve(this.identity);
    this.identityPending ??= withRetries(() => this.http.json<Identity>({ method: 'POST', path: '/v1/producers', body: {} }), {
      ...this.options.retry,
      deadlineMs: this.deliveryTimeoutMs,
      signal: this.abort.signal,
    }).then(
      (identity) => {
        this.identityPending = null;
        this.identity = identity;
        return identity;
      },
      (error: unknown) => {
        this.identityPending = null;
        throw error;
      },
    );
    return this.identityPending;
  }

  /** Takes an identity, then sends what waited for it; if none can be had, what waited fails. */
  private takeIdentity(): void {
    if (this.awaitingIdentity) return;
    this.awaitingIdentity = true;
    this.currentIdentity().then(
      () => {
        this.awaitingIdentity = false;
        for (const queue of this.queues.values()) this.dispatch(queue);
      },
      (error: unknown) => {
        this.awaitingIdentity = false;
        for (const queue of this.queues.values()) {
          const waiting = queue.sealed.splice(0);
          if (waiting.length === 0) continue;
          this.failRequest(new InFlightRequest(waiting, null), error);
          this.release(waiting.reduce((sum, batch) => sum + batch.bytes, 0));
        }
        this.notifyIdle();
      },
    );
  }

  /** A push() failure is kept for flush() and told to onError; send() callers hear it themselves. */
  private failRecords(completion: Completion | undefined, error: unknown, records: number): void {
    if (completion) return completion.reject(error);
    const failure = error instanceof SpoolClientError ? error : SpoolClientError.local('SPOOL_ERR_NETWORK', String(error), {}, error);
    this.firstError ??= failure;
    this.options.onError?.(failure, records);
  }

  private release(bytes: number): void {
    this.buffered -= bytes;
    if (this.buffered < this.bufferBytes && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private isIdle(): boolean {
    return this.awaitingMetadata.size === 0 && [...this.queues.values()].every((queue) => queue.idle);
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
