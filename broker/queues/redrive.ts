/**
 * Redrive: dead letters of a queue go back to work (SQS's "start DLQ redrive", RabbitMQ's shovel
 * back to the source). A log cannot take a record out of the dead-letter topic, so each queue
 * keeps a cursor per dead-letter partition (SQLite): letters below it were redriven, or were not
 * this queue's. A redrive reads on from the cursor and, for every letter of this queue (its
 * dlq-original-topic is the queue's topic, and its dlq-queue is this queue or absent, as on
 * letters written before the header existed):
 *
 *   1. appends the record again to its original partition of the topic, with the dlq-* headers
 *      taken off and `redriven-for-queue: <queue>` put on (other queues on the topic settle such
 *      a record at once, so only this queue delivers it again; consumer groups of the topic see
 *      it, as they would a record of a Kafka retry topic);
 *   2. then moves the cursor past it.
 *
 * A crash between 1 and 2 redrives the letter again on the next request: at least once, never lost.
 * A redriven message starts with a delivery count of 0. Bounded per request by
 * `redriveRecordsMax` letters and `redriveScanBytesMax` bytes read.
 */
import { decodeRecordBatches, encodeRecordBatch, type DecodedRecord, type PartitionLog, type RecordHeader } from '../../storage/index.js';
import type { TopicService } from '../topics/topic-service.js';
import type { QueueConfig, QueueStore } from './queue-store.js';

/** Headers a dead-lettered record carries, besides its own. */
export const DeadLetterHeaders = {
  topic: 'dlq-original-topic',
  partition: 'dlq-original-partition',
  offset: 'dlq-original-offset',
  deliveryCount: 'dlq-delivery-count',
  reason: 'dlq-reason',
  queue: 'dlq-queue',
} as const;

/** Put on a redriven record: only the queue it names delivers it (see queue-service.ts load()). */
export const REDRIVEN_FOR_QUEUE_HEADER = 'redriven-for-queue';

const DEAD_LETTER_HEADER_PREFIX = 'dlq-';
/** Dead-letter bytes read per step. */
const READ_BYTES = 1024 * 1024;

export interface RedriveLimits {
  redriveRecordsMax: number;
  redriveScanBytesMax: number;
}

export interface RedriveRequest {
  max: number;
  dryRun: boolean;
}

export interface RedrivenLetter {
  deadLetterPartition: number;
  deadLetterOffset: number;
  partition: number;
  /** The offset it had when it was dead-lettered. */
  originalOffset: number;
  reason: string | null;
  /** Where it was appended again (absent in a dry run). */
  offset?: number;
}

export interface RedriveResult {
  topic: string;
  queue: string;
  deadLetterTopic: string;
  dryRun: boolean;
  redriven: RedrivenLetter[];
  /** Dead letters remain past what this request read: call again. */
  more: boolean;
}

function header(record: DecodedRecord, key: string): string | null {
  const found = record.headers.find((candidate) => candidate.key === key);
  return found?.value ? found.value.toString('utf8') : null;
}

/** The queue that a redriven record is for, or null for any other record. */
export function redrivenFor(record: DecodedRecord): string | null {
  return header(record, REDRIVEN_FOR_QUEUE_HEADER);
}

interface Found {
  letter: RedrivenLetter;
  record: DecodedRecord;
}

export class DeadLetterRedrive {
  constructor(
    private readonly topics: TopicService,
    private readonly store: QueueStore,
    private readonly limits: RedriveLimits,
  ) {}

  async redrive(topic: string, queue: string, config: QueueConfig, request: RedriveRequest): Promise<RedriveResult> {
    const sources = this.topics.partitions(topic);
    const deadLetterLogs = this.topics.names().includes(config.deadLetterTopic) ? this.topics.partitions(config.deadLetterTopic) : [];
    const cursors = this.store.redriveCursors(topic, queue);
    const found: Found[] = [];
    const budget = { records: Math.min(request.max, this.limits.redriveRecordsMax), bytes: this.limits.redriveScanBytesMax };
    let more = false;
    for (const log of deadLetterLogs) {
      const next = await this.scan(log, Math.max(cursors.get(log.partition) ?? 0, log.logStartOffset), { topic, queue, partitions: sources.length }, budget, found);
      cursors.set(log.partition, next);
      if (next < log.highWatermark) more = true;
    }
    if (!request.dryRun && found.length > 0) await this.appendAgain(sources, queue, found);
    if (!request.dryRun) this.store.saveRedriveCursors(topic, queue, cursors);
    return { topic, queue, deadLetterTopic: config.deadLetterTopic, dryRun: request.dryRun, redriven: found.map((entry) => entry.letter), more };
  }

  /** Collects this queue's letters from `from` on, within the budget; answers the next offset to look at. */
  private async scan(
    log: PartitionLog,
    from: number,
    owner: { topic: string; queue: string; partitions: number },
    budget: { records: number; bytes: number },
    found: Found[],
  ): Promise<number> {
    let next = from;
    while (next < log.highWatermark && found.length < budget.records && budget.bytes > 0) {
      const { data } = await log.read(next, Math.min(READ_BYTES, budget.bytes));
      if (data.length === 0) break;
      budget.bytes -= data.length;
      for (const batch of decodeRecordBatches(data)) {
        for (const record of batch.records) {
          if (record.offset < next) continue;
          if (found.length >= budget.records) return next;
          next = record.offset + 1;
          const letterQueue = header(record, DeadLetterHeaders.queue);
          if (header(record, DeadLetterHeaders.topic) !== owner.topic || (letterQueue !== null && letterQueue !== owner.queue)) continue;
          const partition = Number(header(record, DeadLetterHeaders.partition));
          found.push({
            record,
            letter: {
              deadLetterPartition: log.partition,
              deadLetterOffset: record.offset,
              // A letter whose partition the topic no longer has (deleted and created again smaller) goes to partition 0.
              partition: Number.isInteger(partition) && partition >= 0 && partition < owner.partitions ? partition : 0,
              originalOffset: Number(header(record, DeadLetterHeaders.offset) ?? -1),
              reason: header(record, DeadLetterHeaders.reason),
            },
          });
        }
      }
    }
    return next;
  }

  private async appendAgain(sources: PartitionLog[], queue: string, found: Found[]): Promise<void> {
    const byPartition = new Map<number, Found[]>();
    for (const entry of found) {
      const list = byPartition.get(entry.letter.partition) ?? [];
      list.push(entry);
      byPartition.set(entry.letter.partition, list);
    }
    for (const [partition, entries] of byPartition) {
      const batch = encodeRecordBatch(
        entries.map(({ record }) => {
          const headers: RecordHeader[] = record.headers.filter((candidate) => !candidate.key.startsWith(DEAD_LETTER_HEADER_PREFIX) && candidate.key !== REDRIVEN_FOR_QUEUE_HEADER);
          headers.push({ key: REDRIVEN_FOR_QUEUE_HEADER, value: Buffer.from(queue) });
          return { key: record.key, value: record.value, headers };
        }),
      );
      const { baseOffset } = await sources[partition]!.append(batch);
      entries.forEach((entry, i) => (entry.letter.offset = baseOffset + i));
    }
  }
}
