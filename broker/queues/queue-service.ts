/**
 * Work queues on the log (share groups, after Kafka's KIP-932 and SQS): any number of workers
 * receive one topic's messages through a named queue, one by one, without owning partitions.
 * A received message is leased for its visibility timeout; ack settles it, nack makes it available
 * again (after a delay), reject dead-letters it at once, and a lease that runs out redelivers it.
 * After maxDeliveries deliveries it goes to the dead-letter topic instead, with headers naming
 * where it came from. State is durable in SQLite (queue-store.ts), so after a restart acked
 * messages stay acked and messages that were in flight are delivered again.
 */
import { randomFillSync } from 'node:crypto';
import { decodeRecordBatchesWithin, encodeRecordBatch, type PartitionLog, type RecordHeader, type SessionReceipt } from '../../storage/index.js';
import { BrokerError, type BrokerErrorCode } from '../errors.js';
import { brokerLimits } from '../limits.js';
import { assertTopicName } from '../topics/topic-name.js';
import type { TopicService } from '../topics/topic-service.js';
import { QueuePartition, type WindowMessage } from './queue-partition.js';
import type { QueueConfig, QueueStore, StoredMessageState, StoredPartition } from './queue-store.js';
import { DeadLetterHeaders, DeadLetterRedrive, redrivenFor, type RedriveLimits, type RedriveRequest, type RedriveResult } from './redrive.js';

export { DeadLetterHeaders } from './redrive.js';

export interface QueueLimits {
  /** Messages per partition kept in the window ahead of the acknowledged point. */
  windowRecords: number;
  /** Bytes read from the log per window refill. */
  readBytes: number;
  maxReceive: number;
  maxWaitMs: number;
}

export const defaultQueueLimits: QueueLimits = { windowRecords: 1000, readBytes: 1024 * 1024, maxReceive: 1000, maxWaitMs: 60_000 };

/** A leased message; also the form the binary answer and a session's MESSAGES frame encode (QueueWireMessage). */
export interface ReceivedMessage {
  receipt: string;
  partition: number;
  offset: number;
  deliveryCount: number;
  record: WindowMessage['record'];
  message: WindowMessage;
}

export interface QueueDepth {
  topic: string;
  name: string;
  available: number;
  inFlight: number;
  deadLettered: number;
  /** Receives long-polling for a message right now. */
  receivesWaiting: number;
}

export type Settlement = 'ack' | 'nack' | 'reject';

export interface ReceiptError {
  code: BrokerErrorCode;
  message: string;
}

export type ReceiptResult = { receipt: string; ok: true } | { receipt: string; ok: false; error: ReceiptError };

/** A receipt's leased message, or why the receipt is refused (no wrapper object: one per receipt settled was garbage). */
type Found = WindowMessage | ReceiptError;
const refusal = (found: Found): found is ReceiptError => 'code' in found;

class Queue {
  /** Per partition: a refill from the log in progress (one at a time). */
  readonly filling = new Map<number, Promise<void>>();
  /** Messages handed out, acked and dead-lettered since the broker started (the console's rates). */
  readonly totals = { delivered: 0, acked: 0, deadLettered: 0 };
  /**
   * Partitions that handed out a lease since the sweep last found them without one: the only ones
   * the once-a-second sweep looks at, so an idle queue on a wide topic costs nothing (50 queues on
   * 10,000 partitions refreshed every partition every second: 114% CPU).
   */
  readonly leasing = new Set<QueuePartition>();
  /**
   * Receives waiting for work, oldest first. A settlement wakes one: an ack that moves the
   * acknowledged point frees window room, a nack makes a message available. Waiting for new records
   * alone left them asleep for their whole waitMs while acks freed the window (64 workers on a full
   * window). One at a time, because waking them all made 63 of 64 walk the windows for nothing;
   * a woken receive that leased something wakes the next, so the work spreads while there is some.
   */
  readonly waiting = new Set<() => void>();
  /**
   * Partitions with a wait for new records on their log on behalf of every waiting receive (one
   * per partition, not one per receive: each receive's own waits and the AbortController ending
   * them were a fifth of the broker's CPU with 64 sessions). New records wake one receive, and it
   * the next while it finds a full share, as a settlement does.
   */
  readonly watching = new Set<number>();

  wakeOne(): void {
    for (const resolve of this.waiting) {
      this.waiting.delete(resolve);
      resolve();
      return;
    }
  }

  constructor(
    readonly topic: string,
    readonly name: string,
    public config: QueueConfig,
    readonly partitions: QueuePartition[],
  ) {}
}

/**
 * A receipt nonce: unguessable, one per lease round. The messages of a round all go to the one
 * worker that asked, so sharing it lets nobody settle what they do not hold, and a message leased
 * again gets the nonce of its new round (a nonce per message cost a random block and a slice each).
 */
function nonce(): string {
  if (noncePoolAt === noncePool.length) {
    randomFillSync(noncePool);
    noncePoolAt = 0;
  }
  noncePoolAt += NONCE_BYTES;
  return noncePool.toString('base64url', noncePoolAt - NONCE_BYTES, noncePoolAt);
}

/** Random bytes for 1,024 nonces, filled at once: a randomBytes call per lease round was 2-4% of the broker's CPU. */
const NONCE_BYTES = 6;
const noncePool = Buffer.alloc(NONCE_BYTES * 1024);
let noncePoolAt = noncePool.length;

/** A nonce's length in receipts: 6 random bytes in base64url. */
const NONCE_CHARACTERS = 8;

function receiptOf(partition: number, offset: number, deliveryCount: number, nonce: string): string {
  return `${partition}.${offset}.${deliveryCount}.${nonce}`;
}

function parseReceipt(receipt: string): { partition: number; offset: number } | null {
  const match = /^(\d{1,9})\.(\d{1,16})\.\d{1,9}\.[A-Za-z0-9_-]{8}$/.exec(receipt);
  return match ? { partition: Number(match[1]), offset: Number(match[2]) } : null;
}

/** The decimal number in text[start, end), or -1 if that is not 1-16 digits. */
function digitsAt(text: string, start: number, end: number): number {
  if (end - start < 1 || end - start > 16) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

export class QueueService {
  private readonly queues = new Map<string, Queue>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly redriver: DeadLetterRedrive;
  /** Dead-letter topics being created, so that concurrent first dead letters wait for one creation. */
  private readonly creatingDeadLetterTopics = new Map<string, Promise<void>>();

  constructor(
    private readonly topics: TopicService,
    private readonly store: QueueStore,
    private readonly limits: QueueLimits = defaultQueueLimits,
    redriveLimits: RedriveLimits = brokerLimits,
  ) {
    this.redriver = new DeadLetterRedrive(topics, store, redriveLimits);
    topics.onChange((event, topic) => {
      if (event !== 'deleted') return;
      for (const name of this.store.namesOf(topic)) this.delete(topic, name);
    });
    // Leases that ran out past maxDeliveries are dead-lettered even when nobody receives.
    this.sweeper = setInterval(() => void this.sweep(), 1000);
    this.sweeper.unref();
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  /** Commits queue state changes not yet written (before the database closes). */
  flush(): void {
    this.store.flush();
  }

  configure(topic: string, name: string, input: Partial<QueueConfig>): { created: boolean } {
    const logs = this.topics.partitions(topic);
    const existing = this.store.config(topic, name);
    const config: QueueConfig = {
      visibilityMs: input.visibilityMs ?? existing?.visibilityMs ?? 30_000,
      maxDeliveries: input.maxDeliveries ?? existing?.maxDeliveries ?? 5,
      deadLetterTopic: input.deadLetterTopic ?? existing?.deadLetterTopic ?? `${topic}.dlq`,
      orderedByKey: input.orderedByKey ?? existing?.orderedByKey ?? false,
    };
    if (config.deadLetterTopic === topic) throw new BrokerError('SPOOL_ERR_INVALID_CONFIG', 'a queue cannot dead-letter into its own topic', { topic, queue: name });
    // Checked here, not when the first message dies: the topic is created then, and a name no
    // topic may have would leave every dead letter stuck (the default `<topic>.dlq` of a 247-character topic too).
    assertTopicName(config.deadLetterTopic, 'deadLetterTopic');
    this.store.saveConfig(topic, name, config);
    if (!existing) {
      // A new queue starts at the log's start: every retained message is work to do.
      this.store.save(topic, name, [], logs.map((log) => ({ partition: log.partition, ackedThrough: log.logStartOffset, deadLettered: 0 })));
    }
    const loaded = this.queues.get(`${topic}\u0000${name}`);
    if (loaded) loaded.config = config;
    return { created: !existing };
  }

  async describe(topic: string, name: string) {
    const queue = this.queue(topic, name);
    await this.refreshAll(queue);
    const { available, inFlight, deadLettered, partitions } = this.depthOf(queue);
    return { topic, name, config: queue.config, available, inFlight, deadLettered, totals: { ...queue.totals }, partitions };
  }

  /** Depth of every queue, from memory and the logs' high watermarks (no log read): for /metrics. */
  depths(): QueueDepth[] {
    const result: QueueDepth[] = [];
    for (const { topic, name } of this.store.all()) {
      try {
        const queue = this.queue(topic, name);
        result.push({ ...this.depthOf(queue), receivesWaiting: queue.waiting.size });
      } catch {
        // Its topic is being deleted: the queue goes with it.
      }
    }
    return result;
  }

  private depthOf(queue: Queue) {
    const partitions = queue.partitions.map((partition) => {
      const log = this.topics.partition(queue.topic, partition.partition);
      const { inFlight, settledAhead } = partition.counts();
      return {
        partition: partition.partition,
        ackedThrough: partition.ackedThrough,
        highWatermark: log.highWatermark,
        available: Math.max(0, log.highWatermark - partition.ackedThrough - inFlight - settledAhead),
        inFlight,
        deadLettered: partition.deadLettered,
      };
    });
    const total = (field: 'available' | 'inFlight' | 'deadLettered') => partitions.reduce((sum, partition) => sum + partition[field], 0);
    return { topic: queue.topic, name: queue.name, available: total('available'), inFlight: total('inFlight'), deadLettered: total('deadLettered'), partitions };
  }

  /** Every queue of every topic, described. */
  async list() {
    return Promise.all(this.store.all().map(({ topic, name }) => this.describe(topic, name)));
  }

  /** Moves this queue's dead letters back onto its topic (see redrive.ts). */
  async redrive(topic: string, name: string, request: RedriveRequest): Promise<RedriveResult> {
    const queue = this.queue(topic, name);
    return this.redriver.redrive(topic, name, queue.config, request);
  }

  /** Throws 404 SPOOL_ERR_QUEUE_NOT_FOUND unless the queue exists (a session is refused before its upgrade). */
  assertExists(topic: string, name: string): void {
    this.queue(topic, name);
  }

  delete(topic: string, name: string): void {
    this.store.delete(topic, name);
    this.queues.delete(`${topic}\u0000${name}`);
  }

  /**
   * Leases up to `max` messages, waiting up to `waitMs` for one to become available. A receive
   * that has to wait first takes a slot of `waitSlot` (the principal's quotaLongPollsPerPrincipal),
   * which may refuse it; the slot is held until it answers.
   */
  async receive(
    topic: string,
    name: string,
    request: { max: number; visibilityMs?: number; waitMs: number },
    signal?: AbortSignal,
    waitSlot: () => () => void = () => () => {},
  ): Promise<ReceivedMessage[]> {
    let releaseSlot: (() => void) | undefined;
    try {
      return await this.receiveWaiting(topic, name, request, signal, () => (releaseSlot ??= waitSlot()));
    } finally {
      releaseSlot?.();
    }
  }

  private async receiveWaiting(topic: string, name: string, request: { max: number; visibilityMs?: number; waitMs: number }, signal: AbortSignal | undefined, takeSlot: () => void): Promise<ReceivedMessage[]> {
    const queue = this.queue(topic, name);
    const deadline = Date.now() + Math.min(request.waitMs, this.limits.maxWaitMs);
    let waited = false;
    for (;;) {
      if (!waited && this.queuesBehind(queue, deadline, signal, takeSlot)) {
        waited = true;
        await this.waitForWork(queue, deadline - Date.now(), signal);
        continue;
      }
      await this.refreshAll(queue);
      const max = Math.min(request.max, this.limits.maxReceive);
      const received = this.lease(queue, max, request.visibilityMs ?? queue.config.visibilityMs);
      // Answered once the delivery counts are committed, so maxDeliveries holds across a crash.
      await this.store.record(queue.topic, queue.name, received.map(({ partition, offset, deliveryCount }) => ({ partition, offset, state: 'delivered' as const, deliveryCount })), []);
      if (received.length > 0) {
        // Fewer than asked: this receive took everything there was, and a receive woken now would find nothing.
        if (received.length === max) queue.wakeOne();
        return received;
      }
      const now = Date.now();
      if (now >= deadline || signal?.aborted) return received;
      takeSlot();
      waited = true;
      await this.waitForWork(queue, deadline - now, signal);
    }
  }

  /**
   * Whether a receive that may wait goes behind the receives already waiting, handing the turn to
   * the oldest: otherwise the workers whose credit came back first took every message freed while
   * others waited (64 sessions against 4,000 leases at once: 24 never got one). Not when it could
   * not wait anyway (no wait left, or its principal's quotaLongPollsPerPrincipal is taken): it
   * leases at once as before.
   */
  private queuesBehind(queue: Queue, deadline: number, signal: AbortSignal | undefined, takeSlot: () => void): boolean {
    if (queue.waiting.size === 0 || Date.now() >= deadline || signal?.aborted) return false;
    try {
      takeSlot();
    } catch {
      return false;
    }
    // The oldest only where there is work for it: woken for nothing, it waited again behind the newcomer.
    if (this.hasAvailable(queue)) queue.wakeOne();
    return true;
  }

  /**
   * Whether a waiting receive would find work: a message in the window that may be leased now, or
   * records in the log that a window with room has not loaded yet (appended while a receive's load
   * was reading: no watch saw them arrive).
   */
  private hasAvailable(queue: Queue): boolean {
    const now = Date.now();
    return queue.partitions.some(
      (partition) =>
        partition.hasCandidate(now, queue.config.orderedByKey) ||
        (partition.window.size < this.limits.windowRecords && partition.loadedThrough < this.topics.partition(queue.topic, partition.partition).highWatermark),
    );
  }

  /** Acks, nacks or rejects messages by receipt; every receipt gets its own result. */
  async settle(topic: string, name: string, kind: Settlement, receipts: string[], options: { delayMs?: number; reason?: string } = {}): Promise<ReceiptResult[]> {
    const queue = this.queue(topic, name);
    const refused = await this.settleEach(queue, kind, receipts.length, (i) => this.find(queue, receipts[i]!), options);
    return receipts.map((receipt, i): ReceiptResult => {
      const error = refused.get(i);
      return error ? { receipt, ok: false, error } : { receipt, ok: true };
    });
  }

  /**
   * settle() by binary receipts (a queue session's frames, storage/codec/queue-session-frames.ts):
   * no receipt text built or parsed; answers the refused ones only, by index.
   */
  async settleBinary(topic: string, name: string, kind: Settlement, receipts: readonly SessionReceipt[], options: { delayMs?: number; reason?: string } = {}): Promise<Map<number, ReceiptError>> {
    const queue = this.queue(topic, name);
    return this.settleEach(queue, kind, receipts.length, (i) => this.findBinary(queue, receipts[i]!), options);
  }

  /** Settles `count` receipts, each found (or refused) by `find` in turn: a receipt twice in one request is settled once. */
  private async settleEach(queue: Queue, kind: Settlement, count: number, find: (index: number) => Found, options: { delayMs?: number; reason?: string }): Promise<Map<number, ReceiptError>> {
    const now = Date.now();
    const acked: WindowMessage[] = [];
    const moved = new Set<QueuePartition>();
    const deadLetters: WindowMessage[] = [];
    const refused = new Map<number, ReceiptError>();
    for (let i = 0; i < count; i++) {
      const message = find(i);
      if (refusal(message)) {
        refused.set(i, message);
        continue;
      }
      const partition = queue.partitions[message.partition]!;
      if (kind === 'ack') {
        queue.totals.acked++;
        if (partition.settle(message, 'acked')) moved.add(partition);
        acked.push(message);
      } else if (kind === 'reject' || message.deliveryCount >= queue.config.maxDeliveries) {
        partition.markDying(message);
        deadLetters.push(message);
      } else {
        partition.release(message, options.delayMs ?? 0, now);
      }
    }
    // An ack the acknowledged point moved past needs no row of its own: the point covers it.
    const states: StoredMessageState[] = [];
    for (const { partition, offset, deliveryCount } of acked) {
      if (offset >= queue.partitions[partition]!.ackedThrough) states.push({ partition, offset, state: 'acked', deliveryCount });
    }
    const persisted = this.persist(queue, states, moved);
    const reason = kind === 'reject' ? (options.reason ?? 'rejected') : 'max deliveries reached';
    await Promise.all([persisted, this.deadLetter(queue, deadLetters.map((message) => ({ message, reason })))]);
    // Work for a waiting receive only where this made a message available or window room (the
    // acknowledged point moved), or, with orderedByKey, unblocked a key: other acks would wake one for nothing.
    if (refused.size < count && (kind !== 'ack' || moved.size > 0 || queue.config.orderedByKey)) queue.wakeOne();
    return refused;
  }

  /** A binary receipt's leased message: its partition and offset find it, its delivery count and nonce prove it (the text receipt's parts). */
  private findBinary(queue: Queue, receipt: SessionReceipt): Found {
    const partition = queue.partitions[receipt.partition];
    const leased = partition?.window.get(receipt.offset);
    if (leased && leased.state === 'leased' && leased.deliveryCount === receipt.deliveryCount && leased.receipt!.endsWith(receipt.nonce) && receipt.nonce.length === NONCE_CHARACTERS) {
      return leased;
    }
    if (!partition || receipt.offset < 0) return { code: 'SPOOL_ERR_RECEIPT_UNKNOWN', message: 'not a receipt of this queue' };
    if (receipt.offset < partition.loadedThrough) {
      return { code: 'SPOOL_ERR_RECEIPT_EXPIRED', message: `the message at ${receipt.partition}:${receipt.offset} was settled, or delivered again after its visibility timeout` };
    }
    return { code: 'SPOOL_ERR_RECEIPT_UNKNOWN', message: `no message ${receipt.partition}:${receipt.offset} was handed out` };
  }

  private find(queue: Queue, receipt: string): Found {
    // The common case without the regular expression (a settle's largest cost per receipt): the
    // leased message's own receipt, compared whole, is the proof; anything else is told apart below.
    const partitionEnd = receipt.indexOf('.');
    const offsetEnd = receipt.indexOf('.', partitionEnd + 1);
    const leased = queue.partitions[digitsAt(receipt, 0, partitionEnd)]?.window.get(digitsAt(receipt, partitionEnd + 1, offsetEnd));
    if (leased && leased.receipt === receipt && leased.state === 'leased') return leased;
    const parsed = parseReceipt(receipt);
    const partition = parsed ? queue.partitions[parsed.partition] : undefined;
    if (!parsed || !partition) return { code: 'SPOOL_ERR_RECEIPT_UNKNOWN', message: 'not a receipt of this queue' };
    const message = partition.window.get(parsed.offset);
    if (message && message.receipt === receipt && message.state === 'leased') return message;
    if (parsed.offset < partition.loadedThrough) {
      return { code: 'SPOOL_ERR_RECEIPT_EXPIRED', message: `the message at ${parsed.partition}:${parsed.offset} was settled, or delivered again after its visibility timeout` };
    }
    return { code: 'SPOOL_ERR_RECEIPT_UNKNOWN', message: `no message ${parsed.partition}:${parsed.offset} was handed out` };
  }

  private queue(topic: string, name: string): Queue {
    const key = `${topic}\u0000${name}`;
    let queue = this.queues.get(key);
    if (queue) return queue;
    const config = this.store.config(topic, name);
    if (!config) throw new BrokerError('SPOOL_ERR_QUEUE_NOT_FOUND', `topic ${topic} has no queue ${name}`, { topic, queue: name });
    const logs = this.topics.partitions(topic);
    const stored = this.store.load(topic, name);
    const partitions = logs.map((log) => {
      const saved = stored.partitions.find((partition) => partition.partition === log.partition);
      return new QueuePartition(log.partition, saved?.ackedThrough ?? log.logStartOffset, saved?.deadLettered ?? 0);
    });
    for (const message of stored.messages) partitions[message.partition]?.restore(message.offset, message.state, message.deliveryCount);
    queue = new Queue(topic, name, config, partitions);
    this.queues.set(key, queue);
    return queue;
  }

  /** Fills every partition's window from the log and expires leases. */
  private async refreshAll(queue: Queue): Promise<void> {
    await Promise.all(queue.partitions.map((partition) => this.refill(queue, partition)));
    await this.expireLeases(queue);
  }

  /** Leases that ran out become available again; past maxDeliveries they are dead-lettered. */
  private async expireLeases(queue: Queue): Promise<void> {
    const exhausted: Array<{ message: WindowMessage; reason: string }> = [];
    const now = Date.now();
    for (const partition of queue.leasing) {
      for (const message of partition.expireLeases(now, queue.config.maxDeliveries)) {
        partition.markDying(message);
        exhausted.push({ message, reason: 'visibility timeout after max deliveries' });
      }
      if (!partition.hasLeases()) queue.leasing.delete(partition);
    }
    await this.deadLetter(queue, exhausted);
  }

  private refill(queue: Queue, partition: QueuePartition): Promise<void> {
    let running = queue.filling.get(partition.partition);
    if (!running) {
      running = this.load(queue, partition).finally(() => queue.filling.delete(partition.partition));
      queue.filling.set(partition.partition, running);
    }
    return running;
  }

  private async load(queue: Queue, partition: QueuePartition): Promise<void> {
    const log = this.topics.partition(queue.topic, partition.partition);
    if (partition.skipTo(log.logStartOffset) > 0) await this.persist(queue, [], new Set([partition]));
    while (partition.window.size < this.limits.windowRecords) {
      if (partition.readAheadCount() === 0) {
        if (partition.loadedThrough >= log.highWatermark) break;
        const { data } = await log.read(partition.loadedThrough, this.limits.readBytes);
        if (data.length === 0) break;
        // Decompressed up to one read's worth; batches left out are read again from loadedThrough.
        for (const batch of decodeRecordBatchesWithin(data, this.limits.readBytes).batches) {
          const bytesPerRecord = Math.ceil(batch.header.batchLength / Math.max(1, batch.records.length));
          partition.keepReadAhead(batch.records, bytesPerRecord);
        }
        if (partition.readAheadCount() === 0) break;
      }
      // A record redriven for another queue of the topic is that queue's alone: settled here at once.
      partition.fillFromReadAhead(this.limits.windowRecords - partition.window.size, (record) => {
        const forQueue = redrivenFor(record);
        return forQueue !== null && forQueue !== queue.name ? 'acked' : undefined;
      });
    }
    if (partition.advance()) await this.persist(queue, [], new Set([partition]));
  }

  private lease(queue: Queue, max: number, visibilityMs: number): ReceivedMessage[] {
    const now = Date.now();
    const roundNonce = nonce();
    const received: ReceivedMessage[] = [];
    // Passes until `max` or nothing more: each asks every partition that may have more for its share of what is left.
    let asked = queue.partitions;
    while (received.length < max && asked.length > 0) {
      const { picked, mayHaveMore } = this.pick(queue, asked, max - received.length, now);
      for (const message of picked) {
        const partition = queue.partitions[message.partition]!;
        queue.leasing.add(partition);
        partition.lease(message, receiptOf(partition.partition, message.offset, message.deliveryCount + 1, roundNonce), now + visibilityMs);
        received.push({ receipt: message.receipt!, partition: partition.partition, offset: message.offset, deliveryCount: message.deliveryCount, record: message.record, message });
      }
      asked = mayHaveMore;
    }
    queue.totals.delivered += received.length;
    return received;
  }

  /**
   * The next `max` messages to hand out from `partitions`: higher priority first; within a
   * priority, partitions take turns, each in offset order. Without priorities each partition is
   * asked for its share of `max` only (asking each for all of `max` built and threw away 3 of 4
   * candidates on a 4-partition topic: 13% of the broker's CPU); `mayHaveMore` are those that
   * answered a full share, asked again by the next pass.
   */
  private pick(queue: Queue, partitions: QueuePartition[], max: number, now: number): { picked: WindowMessage[]; mayHaveMore: QueuePartition[] } {
    const { orderedByKey } = queue.config;
    if (queue.partitions.some((partition) => partition.hasPriorities())) {
      // rank: the position among its partition's candidates, so partitions take turns within a priority.
      const all = queue.partitions.flatMap((partition) => partition.candidates(now, orderedByKey, max).map((message, rank) => ({ message, rank })));
      all.sort((a, b) => b.message.priority - a.message.priority || a.rank - b.rank || a.message.partition - b.message.partition);
      return { picked: all.slice(0, max).map(({ message }) => message), mayHaveMore: [] };
    }
    const share = Math.ceil(max / partitions.length);
    const perPartition = partitions.map((partition) => partition.candidates(now, orderedByKey, share));
    const picked: WindowMessage[] = [];
    for (let rank = 0; rank < share && picked.length < max; rank++) {
      for (const candidates of perPartition) {
        if (rank >= candidates.length) continue;
        picked.push(candidates[rank]!);
        if (picked.length === max) break;
      }
    }
    return { picked, mayHaveMore: partitions.filter((_, i) => perPartition[i]!.length === share) };
  }

  private async deadLetter(queue: Queue, entries: Array<{ message: WindowMessage; reason: string }>): Promise<void> {
    if (entries.length === 0) return;
    const log = await this.deadLetterLog(queue).catch((error: unknown) => {
      for (const { message } of entries) queue.partitions[message.partition]!.reopen(message);
      throw error;
    });
    // A record of a stream erased since the queue read it settles without a copy: its erasure has already run over this topic.
    const copies = entries.filter(({ message }) => !this.erasedSinceRead(queue, message));
    const batch = copies.length === 0 ? null : encodeRecordBatch(
      copies.map(({ message, reason }) => {
        const headers: RecordHeader[] = [
          ...message.record.headers,
          { key: DeadLetterHeaders.topic, value: Buffer.from(queue.topic) },
          { key: DeadLetterHeaders.partition, value: Buffer.from(String(message.partition)) },
          { key: DeadLetterHeaders.offset, value: Buffer.from(String(message.offset)) },
          { key: DeadLetterHeaders.deliveryCount, value: Buffer.from(String(message.deliveryCount)) },
          { key: DeadLetterHeaders.reason, value: Buffer.from(reason) },
          { key: DeadLetterHeaders.queue, value: Buffer.from(queue.name) },
        ];
        return { key: message.record.key, value: message.record.value, headers, timestamp: message.record.timestamp };
      }),
    );
    // Written (and, with flush=always, synced) before the message counts as settled: nothing is lost.
    try {
      if (batch) await log.append(batch);
    } catch (error) {
      // Not dead-lettered after all (a full disk, say): deliverable again, tried again later.
      for (const { message } of entries) queue.partitions[message.partition]!.reopen(message);
      throw error;
    }
    const moved = new Set<QueuePartition>();
    const states: StoredMessageState[] = [];
    for (const { message } of entries) {
      const partition = queue.partitions[message.partition]!;
      // Retention dropped it while its copy was written: settled already, not counted twice.
      if (partition.window.get(message.offset) !== message) continue;
      partition.settle(message, 'dead');
      queue.totals.deadLettered++;
      moved.add(partition); // its dead-lettered count changed, whether or not the acknowledged point moved
      states.push({ partition: partition.partition, offset: message.offset, state: 'dead', deliveryCount: message.deliveryCount });
    }
    await this.persist(queue, states, moved);
  }

  private erasedSinceRead(queue: Queue, message: WindowMessage): boolean {
    const key = message.record.key;
    if (!key) return false;
    const source = this.topics.partition(queue.topic, message.partition);
    return source.config.streamIndex === true && source.streamMetadata.isErased(key);
  }

  private async deadLetterLog(queue: Queue): Promise<PartitionLog> {
    const topic = queue.config.deadLetterTopic;
    if (!this.topics.names().includes(topic)) {
      // One creation for every request that finds the topic missing: a second create was refused
      // (TOPIC_EXISTS) while the first was still making it, and its reject failed with a 404.
      let creating = this.creatingDeadLetterTopics.get(topic);
      if (!creating) {
        creating = this.topics
          .create(topic, 1)
          .then(() => undefined)
          .catch((error: unknown) => {
            if ((error as { code?: string }).code !== 'SPOOL_ERR_TOPIC_EXISTS') throw error;
          })
          .finally(() => this.creatingDeadLetterTopics.delete(topic));
        this.creatingDeadLetterTopics.set(topic, creating);
      }
      await creating;
    }
    return this.topics.partition(topic, 0);
  }

  /** Journals the changes with the rest of this turn's (queue-store.ts); resolves once committed. */
  private persist(queue: Queue, states: StoredMessageState[], moved: Set<QueuePartition>): Promise<void> {
    const partitions: StoredPartition[] = [...moved].map((partition) => ({ partition: partition.partition, ackedThrough: partition.ackedThrough, deadLettered: partition.deadLettered }));
    return this.store.record(queue.topic, queue.name, states, partitions);
  }

  /** Waits for new records, a lease or delay running out, the deadline, or the request going away. */
  private async waitForWork(queue: Queue, remainingMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    const now = Date.now();
    let nextChange = Infinity;
    for (const partition of queue.partitions) nextChange = Math.min(nextChange, partition.nextChangeAtMs(now));
    const timeoutMs = Math.max(1, Math.min(remainingMs, nextChange - now + 1));
    this.watchForRecords(queue);
    await new Promise<void>((resolve) => {
      const done = () => {
        queue.waiting.delete(done);
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      queue.waiting.add(done);
    });
  }

  /** Makes sure each partition with window room has a wait for new records on the queue's behalf (Queue.watching). */
  private watchForRecords(queue: Queue): void {
    for (const partition of queue.partitions) {
      if (partition.window.size >= this.limits.windowRecords || queue.watching.has(partition.partition)) continue;
      const log = this.topics.partition(queue.topic, partition.partition);
      const started = Date.now();
      queue.watching.add(partition.partition);
      const watched = (arrived: boolean) => {
        queue.watching.delete(partition.partition);
        if (arrived) {
          queue.wakeOne();
          // The others still wait (HTTP receives, sessions with credit): they need the watch too,
          // or records produced after the woken one answers wake nobody until their own timers.
          if (queue.waiting.size > 0) this.watchForRecords(queue);
        }
        // Ran its time while receives still wait: watch again. A closed log answers at once: not
        // again (half the time, not all of it: a timer may fire a little before Date.now() says).
        else if (queue.waiting.size > 0 && Date.now() - started >= Math.max(1, this.limits.maxWaitMs / 2)) this.watchForRecords(queue);
      };
      // From what the window has loaded, not the high watermark: records appended while a receive's
      // load was reading lie between the two, and a watch from the high watermark never sees them.
      // Once from one point: a tail the load cannot take in would answer at once every time.
      const from = partition.loadedThrough < log.highWatermark && partition.watchedFrom !== partition.loadedThrough ? partition.loadedThrough : log.highWatermark;
      partition.watchedFrom = from;
      // A refused wait (too many on the partition) leaves the receives to their timers.
      log.waitForData(from, this.limits.maxWaitMs).then(watched, () => queue.watching.delete(partition.partition));
    }
  }

  /** Dead-letters leases that ran out past maxDeliveries even when nobody receives; refills are left to receive. */
  private async sweep(): Promise<void> {
    for (const queue of this.queues.values()) {
      if (queue.leasing.size === 0) continue;
      try {
        await this.expireLeases(queue);
        // A lease that ran out (or its dead letter freeing window room) is work for a receive that
        // started waiting before that lease was taken: its timer does not know of it.
        if (queue.waiting.size > 0 && this.hasAvailable(queue)) queue.wakeOne();
      } catch {
        // The topic may be gone; the next request reports it.
      }
    }
  }
}
