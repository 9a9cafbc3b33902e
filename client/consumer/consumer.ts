/**
 * The consumer. With a `groupId` it joins the group, heartbeats in the background, reads the
 * partitions the broker assigns, follows revokes and new assignments, commits what it handled
 * (automatically, at least once, or by hand) and, after a broker restart, re-joins and resumes
 * from the committed offsets by itself. Without a group it reads every partition of its topics
 * from a chosen point (earliest, latest, an offset or a time) and commits nothing.
 *
 *   await consumer.run({ eachMessage | eachBatch })   handlers, one batch at a time
 *   for await (const message of consumer) { ... }     a message counts as handled once the next is asked for
 */
import { backoffDelayMs, defaultBackoff, sleep } from '../backoff.js';
import { bytesCodec, type Codec, type CodecName, resolveCodec } from '../codecs.js';
import { SpoolClientError } from '../errors.js';
import type { HttpClient } from '../http.js';
import { withRetries } from '../retry.js';
import type { Admin } from '../admin.js';
import type { TopicPartition } from '../types.js';
import { DeliveryQueue, type QueuedBatch } from './delivery-queue.js';
import { GroupSession, type MembershipView } from './group-session.js';
import type { Batch, Message, ValueDecoding } from './message.js';
import { PartitionReader, type StartPosition } from './partition-reader.js';

export interface ConsumerOptions<T = unknown> {
  /** Join this group: partitions are shared with its other members and offsets are committed. */
  groupId?: string;
  topics?: string[];
  /** Group consumers only: topics matching `*` (one word) and `#` (zero or more), `logs.#`. */
  pattern?: string;
  /** Without a group: where to start. Default 'latest'. */
  from?: 'earliest' | 'latest' | number | Date;
  /** Without a group: only these partitions (default all). */
  partitions?: number[];
  /** Where a group starts on partitions without a committed offset, and after retention overtook it. Default 'latest'. */
  offsetReset?: 'earliest' | 'latest';
  /** Codec for records that name none in a content-type header (default: their bytes as a Buffer). */
  codec?: CodecName | Codec<T>;
  /** Codecs for content types beyond the four built in. */
  codecs?: Codec[];
  autoCommit?: boolean;
  autoCommitIntervalMs?: number;
  /** Bytes per fetch per partition. Default 1 MiB. */
  maxBytes?: number;
  /** Long-poll wait at the end of a partition (and the silence after which a followed fetch ends). Default 1000 ms. */
  maxWaitMs?: number;
  /**
   * Once caught up, follow a partition's end with one streamed fetch (the broker writes each
   * append into it as it is acknowledged) rather than a long-poll per delivery. Default true:
   * records reach the handler sooner, with one request fewer each.
   */
  follow?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Static membership: a restarted member with the same id takes its partitions back without a rebalance. */
  instanceId?: string;
  clientId?: string;
  assignor?: 'sticky' | 'range' | 'roundrobin';
  /** Told about fetch, commit, heartbeat and handler errors (all retried). Default: ignored. */
  onError?: (error: unknown) => void;
}

export interface RunOptions<T> {
  eachMessage?: (message: Message<T>) => Promise<void> | void;
  eachBatch?: (batch: Batch<T>) => Promise<void> | void;
}

type Handler = (entry: QueuedBatch) => Promise<void>;

/** The iterator was left while a message was out: that message is not handled. */
class IteratorClosed extends Error {}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const NOT_A_MEMBER = new Set(['SPOOL_ERR_UNKNOWN_MEMBER', 'SPOOL_ERR_GROUP_NOT_FOUND']);

export class Consumer<T = unknown> implements AsyncIterable<Message<T>> {
  private readonly decoding: ValueDecoding;
  private readonly readers = new Map<string, PartitionReader>();
  private readonly queue = new DeliveryQueue();
  private readonly abort = new AbortController();
  private readonly session: GroupSession | null;
  private handler: Handler | null = null;
  private started: Promise<void> | null = null;
  private background: Promise<unknown>[] = [];
  private revokedToReport: TopicPartition[] = [];
  private applying: Promise<void> = Promise.resolve();
  private wakeHeartbeat: () => void = () => undefined;
  private offsetReset: 'earliest' | 'latest';
  private handlerFailures = 0;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly http: HttpClient,
    private readonly admin: Admin,
    private readonly options: ConsumerOptions<T> = {},
  ) {
    if (!options.groupId && !options.topics?.length) throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', 'a consumer needs topics (or a groupId with topics or a pattern)');
    if (options.pattern && !options.groupId) throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', 'pattern subscriptions need a groupId');
    // Records without a content-type header: the chosen codec, else their bytes as they are.
    this.decoding = { codec: options.codec === undefined ? bytesCodec : resolveCodec(options.codec as CodecName | Codec), userCodecs: options.codecs ?? [] };
    this.session = options.groupId ? new GroupSession(http, options.groupId, (topic) => this.reportMissingTopic(topic)) : null;
    this.offsetReset = options.offsetReset ?? 'latest';
  }

  /** Partitions being read now. */
  assignment(): TopicPartition[] {
    return [...this.readers.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  get memberId(): string | null {
    return this.session?.memberId ?? null;
  }

  /**
   * A subscribed topic that does not exist would read nothing, silently: a warning (once per topic)
   * and onError say so. Not fatal: the topic may be created later, and is then assigned.
   */
  private reportMissingTopic(topic: string): void {
    const group = this.options.groupId;
    const error = new SpoolClientError('SPOOL_ERR_TOPIC_NOT_FOUND', `topic ${topic} does not exist: group ${group} reads nothing from it until it is created`, false, 404, { topic, group });
    process.emitWarning(error.message, { code: error.code });
    this.options.onError?.(error);
  }

  /** Starts consuming with handlers; resolves once started. Handler errors are retried (the batch is read again). */
  async run(handlers: RunOptions<T>): Promise<void> {
    if (this.handler) throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', 'run() was already called, or the consumer is iterated');
    const { eachMessage, eachBatch } = handlers;
    if (!eachMessage && !eachBatch) throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', 'run() needs eachMessage or eachBatch');
    this.handler = eachBatch
      ? async ({ reader, batch, epoch }) => {
          await eachBatch(batch as Batch<T>);
          // A seek or reset meanwhile moved the reader: this batch no longer says where it is.
          if (reader.epoch === epoch) reader.markProcessed(batch.messages[batch.messages.length - 1]!.offset);
        }
      : async ({ reader, batch, epoch }) => {
          for (const message of batch.messages) {
            if (reader.epoch !== epoch || reader.isStopped) return;
            if (reader.isPaused) return reader.seek(message.offset);
            await eachMessage!(message as Message<T>);
            if (reader.epoch === epoch) reader.markProcessed(message.offset);
          }
        };
    await this.start();
  }

  [Symbol.asyncIterator](): AsyncIterator<Message<T>> {
    let hand: ((message: Message<T> | null) => void) | null = null;
    let current: { handled(): void; abandoned(error: Error): void } | null = null;
    const waiting: Array<Message<T> | null> = [];
    const give = (message: Message<T> | null) => {
      if (hand) {
        const receive = hand;
        hand = null;
        receive(message);
      } else waiting.push(message);
    };
    const started = this.run({
      eachMessage: (message) =>
        new Promise<void>((handled, abandoned) => {
          current = { handled, abandoned };
          give(message);
        }),
    });
    void this.whenClosed().then(() => {
      current?.abandoned(new IteratorClosed());
      give(null);
    });
    return {
      next: async () => {
        await started;
        current?.handled();
        current = null;
        const message = waiting.length > 0 ? waiting.shift()! : await new Promise<Message<T> | null>((resolve) => (hand = resolve));
        return message === null ? { done: true, value: undefined } : { done: false, value: message };
      },
      // Leaving the loop (break, return or a throw) does not count the last message as handled:
      // at least once, it is read again by whoever reads the partition next.
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  /** Commits what was handled (or the offsets given: the next offset to read, per partition). */
  async commit(offsets?: Array<TopicPartition & { offset: number }>): Promise<void> {
    if (!this.session) throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', 'only a group consumer commits');
    if (offsets) return this.session.commit(offsets);
    await this.commitReaders([...this.readers.values()]);
  }

  /** Reads from `offset`, or from the first record at or after `timestamp` (ms or Date). */
  async seek(target: TopicPartition & ({ offset: number } | { timestamp: number | Date })): Promise<void> {
    const reader = this.readers.get(tpKey(target.topic, target.partition));
    if (!reader) throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', `${target.topic}/${target.partition} is not assigned to this consumer`);
    const offset = 'offset' in target ? target.offset : await this.admin.offsetForTimestamp(target.topic, target.partition, Number(target.timestamp));
    reader.seek(offset);
    reader.processed = offset;
  }

  /** Stops fetching these partitions (all of a topic when `partitions` is left out) until resume(). */
  pause(targets: Array<{ topic: string; partitions?: number[] }>): void {
    for (const reader of this.matching(targets)) reader.pause();
  }

  resume(targets: Array<{ topic: string; partitions?: number[] }>): void {
    for (const reader of this.matching(targets)) reader.resume();
  }

  paused(): TopicPartition[] {
    return [...this.readers.values()].filter((reader) => reader.isPaused).map(({ topic, partition }) => ({ topic, partition }));
  }

  /** Stops reading, commits what was handled (with autoCommit), leaves the group. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.abort.abort();
      await this.applying;
      const readers = [...this.readers.values()];
      this.queue.close();
      await Promise.all(readers.map((reader) => this.stopReader(reader)));
      if (this.session?.memberId) {
        if (this.autoCommit) await this.commitReaders(readers).catch((error: unknown) => this.options.onError?.(error));
        await this.session.leave().catch((error: unknown) => this.options.onError?.(error));
      }
      this.readers.clear();
      await Promise.allSettled(this.background);
    })();
    return this.closing;
  }

  private whenClosed(): Promise<void> {
    return new Promise((resolve) => {
      if (this.abort.signal.aborted) resolve();
      else this.abort.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  private matching(targets: Array<{ topic: string; partitions?: number[] }>): PartitionReader[] {
    return [...this.readers.values()].filter((reader) =>
      targets.some((target) => target.topic === reader.topic && (!target.partitions || target.partitions.includes(reader.partition))),
    );
  }

  private start(): Promise<void> {
    this.started ??= (async () => {
      this.background.push(this.processLoop());
      if (this.session) {
        await this.joinGroup();
        this.background.push(this.heartbeatLoop());
        if (this.autoCommit) this.background.push(this.autoCommitLoop());
      } else {
        await this.startStandalone();
      }
    })();
    return this.started;
  }

  private async processLoop(): Promise<void> {
    for (;;) {
      const entry = await this.queue.take();
      if (!entry) return;
      const { reader, batch, epoch } = entry;
      try {
        if (reader.epoch !== epoch || reader.isStopped) continue;
        if (reader.isPaused) {
          reader.seek(batch.messages[0]!.offset);
          continue;
        }
        await this.handler!(entry);
        this.handlerFailures = 0;
      } catch (error) {
        if (error instanceof IteratorClosed) continue;
        this.options.onError?.(error);
        // Read again from the first message not handled, after a backoff.
        reader.seek(reader.processed ?? batch.messages[0]!.offset);
        await sleep(backoffDelayMs(this.handlerFailures++, defaultBackoff), this.abort.signal);
      } finally {
        entry.done();
      }
    }
  }

  private newReader(topic: string, partition: number, start: StartPosition): PartitionReader {
    const reader = new PartitionReader(topic, partition, start, {
      http: this.http,
      decoding: this.decoding,
      maxBytes: this.options.maxBytes ?? 1024 * 1024,
      maxWaitMs: this.options.maxWaitMs ?? 1000,
      offsetReset: this.offsetReset,
      follow: this.options.follow ?? true,
      deliver: (from, batch, epoch) => this.queue.put(from, batch, epoch),
      onError: (error) => this.options.onError?.(error),
    });
    this.readers.set(tpKey(topic, partition), reader);
    reader.start();
    return reader;
  }

  private async startStandalone(): Promise<void> {
    for (const topic of this.options.topics ?? []) {
      const description = await this.admin.describeTopic(topic);
      const partitions = this.options.partitions ?? description.partitionDetails.map((detail) => detail.partition);
      for (const partition of partitions) this.newReader(topic, partition, await this.standaloneStart(topic, partition));
    }
  }

  private async standaloneStart(topic: string, partition: number): Promise<StartPosition> {
    const from = this.options.from ?? 'latest';
    if (from instanceof Date) return this.admin.offsetForTimestamp(topic, partition, from.getTime());
    return from;
  }

  private get autoCommit(): boolean {
    return this.options.autoCommit ?? true;
  }

  private get retryForever() {
    return { retries: Number.MAX_SAFE_INTEGER, signal: this.abort.signal, onRetry: (error: SpoolClientError) => this.options.onError?.(error) };
  }

  private async joinGroup(): Promise<void> {
    const session = this.session!;
    const view = await withRetries(
      () =>
        session.join({
          topics: this.options.topics,
          pattern: this.options.pattern,
          sessionTimeoutMs: this.options.sessionTimeoutMs ?? 30_000,
          instanceId: this.options.instanceId,
          clientId: this.options.clientId,
          assignor: this.options.assignor,
          offsetReset: this.offsetReset,
        }),
      this.retryForever,
    );
    const offsetReset = (view as MembershipView & { offsetReset?: string }).offsetReset;
    if (offsetReset === 'earliest' || offsetReset === 'latest') this.offsetReset = offsetReset;
    // A new member reads committed offsets for every partition it gets: it is up to date.
    this.session!.resetEpoch = view.resetEpoch;
    await this.applyView(view);
  }

  /** Follows the broker's view: start new partitions, hand revoked ones back, drop lost ones. */
  private async applyView(view: MembershipView): Promise<void> {
    const revoke = new Set(view.revoke.map(({ topic, partition }) => tpKey(topic, partition)));
    const owned = new Set(view.assignments.map(({ topic, partition }) => tpKey(topic, partition)));
    for (const tp of view.revoke) {
      const reader = this.readers.get(tpKey(tp.topic, tp.partition));
      if (reader) {
        await this.stopReader(reader);
        await this.commitReaders([reader]).catch((error: unknown) => this.options.onError?.(error));
        this.dropReader(reader);
      }
      this.revokedToReport.push(tp);
      this.wakeHeartbeat();
    }
    for (const [key, reader] of this.readers) {
      if (!owned.has(key) && !revoke.has(key)) {
        await this.stopReader(reader);
        this.dropReader(reader);
      }
    }
    const added = view.assignments.filter(({ topic, partition }) => !revoke.has(tpKey(topic, partition)) && !this.readers.has(tpKey(topic, partition)));
    const resetHappened = view.resetEpoch !== this.session!.resetEpoch;
    if (added.length === 0 && !resetHappened) return;
    const committed = new Map((await this.session!.committed()).map((entry) => [tpKey(entry.topic, entry.partition), entry.offset]));
    if (this.abort.signal.aborted) return;
    for (const { topic, partition } of added) this.newReader(topic, partition, committed.get(tpKey(topic, partition)) ?? this.offsetReset);
    if (resetHappened) {
      for (const [key, reader] of this.readers) {
        const offset = committed.get(key);
        if (offset === undefined) continue;
        reader.resumeAt(offset);
      }
    }
    // Only now: commits until here carried the old epoch and were fenced, so none undid the reset.
    this.session!.resetEpoch = view.resetEpoch;
  }

  /** Stops a reader at once: its queued batch is dropped, a batch being handled is finished. */
  private async stopReader(reader: PartitionReader): Promise<void> {
    const stopped = reader.stop();
    this.queue.drop(reader);
    await stopped;
  }

  private dropReader(reader: PartitionReader): void {
    this.readers.delete(tpKey(reader.topic, reader.partition));
  }

  /**
   * Heartbeats never wait for a view to be applied: handing back a partition waits for its batch
   * in the handler, and a heartbeat held up that long would get the member expired (Kafka's
   * max.poll.interval problem). Views are applied one after another on their own chain; revoked
   * partitions wake the loop to be reported at once.
   */
  private async heartbeatLoop(): Promise<void> {
    const session = this.session!;
    const sessionTimeoutMs = this.options.sessionTimeoutMs ?? 30_000;
    const intervalMs = this.options.heartbeatIntervalMs ?? Math.min(1000, Math.floor(sessionTimeoutMs / 3));
    let lastSuccess = Date.now();
    while (!this.abort.signal.aborted) {
      if (this.revokedToReport.length === 0) await this.sleepUnlessWoken(intervalMs);
      if (this.abort.signal.aborted) return;
      try {
        const revoked = this.revokedToReport;
        this.revokedToReport = [];
        const view = await session.heartbeat(revoked).catch((error: unknown) => {
          this.revokedToReport.push(...revoked);
          throw error;
        });
        lastSuccess = Date.now();
        this.follow(() => this.applyView(view));
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.options.onError?.(error);
        const code = (error as SpoolClientError).code;
        // Not a member any more (expired, or the broker restarted and forgot us), or silent for a
        // whole session (the broker has expired us by now): stop reading and join again.
        if (NOT_A_MEMBER.has(code) || Date.now() - lastSuccess > sessionTimeoutMs) {
          this.follow(async () => {
            await this.dropAllReaders();
            this.revokedToReport = [];
            await this.joinGroup();
          });
          await this.applying;
          lastSuccess = Date.now();
        }
      }
    }
  }

  /** Runs membership changes one after another, never two at once. */
  private follow(change: () => Promise<void>): void {
    this.applying = this.applying.then(change).catch((error: unknown) => this.options.onError?.(error));
  }

  private sleepUnlessWoken(ms: number): Promise<void> {
    const signal = this.abort.signal;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wakeHeartbeat = done;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }

  private async dropAllReaders(): Promise<void> {
    const readers = [...this.readers.values()];
    await Promise.all(readers.map((reader) => this.stopReader(reader)));
    for (const reader of readers) this.dropReader(reader);
  }

  private async autoCommitLoop(): Promise<void> {
    const intervalMs = this.options.autoCommitIntervalMs ?? 1000;
    while (!this.abort.signal.aborted) {
      await sleep(intervalMs, this.abort.signal);
      if (this.abort.signal.aborted) return;
      await this.commitReaders([...this.readers.values()]).catch((error: unknown) => this.options.onError?.(error));
    }
  }

  /** Commits the handled position of readers that moved since their last commit. */
  private async commitReaders(readers: PartitionReader[]): Promise<void> {
    if (!this.session?.memberId) return;
    const moved = readers.filter((reader) => reader.processed !== null && reader.processed !== reader.committed);
    if (moved.length === 0) return;
    const offsets = moved.map((reader) => ({ topic: reader.topic, partition: reader.partition, offset: reader.processed! }));
    await this.session.commit(offsets);
    moved.forEach((reader, i) => (reader.committed = offsets[i]!.offset));
  }
}
