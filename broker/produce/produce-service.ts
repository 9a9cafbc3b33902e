/**
 * Produce: records from JSON/msgpack bodies are partitioned, encoded into one RecordBatch v2 per
 * partition and appended; raw batches are appended as they came (the storage engine validates
 * size, magic and CRC without decoding them).
 *
 * Answers carry `subscribers: {live, groups}`: who receives the topic's records as they arrive
 * (Redis PUBLISH's receiver count; see broker/live/subscriber-counts.ts).
 *
 * A rejected request touches no partition: every check that can fail (record shape, batch size,
 * expectedOffset, backpressure) runs for all partitions before the first append starts, and no
 * await separates the checks from the appends' own synchronous checks.
 */
import { type AppendResult, encodeRecordBatch, type PartitionLog, type RecordInput, StorageError, storageLimits } from '../../storage/index.js';
import { BrokerError } from '../errors.js';
import type { SubscriberCount } from '../live/subscriber-counts.js';
import type { BrokerMetrics } from '../metrics.js';
import type { ProducerIdStore } from '../metadata/producer-id-store.js';
import { ANONYMOUS } from '../security/request-principal.js';
import type { TopicService } from '../topics/topic-service.js';
import { KeylessSpreader, partitionOf } from './partitioner.js';
import { type ProduceRecord, toRecordInput } from './record-input.js';

export interface ProduceAnswer {
  topic: string;
  /** Per input record, in order: where it went. */
  records: Array<{ partition: number; offset: number }>;
  partitions: Array<{ partition: number; baseOffset: number; lastOffset: number; duplicate?: boolean }>;
  subscribers: SubscriberCount;
}

const NO_COUNTS = { of: (): SubscriberCount => ({ live: 0, groups: 0 }) };

interface PlannedAppend {
  log: PartitionLog;
  batch: Buffer;
  expectedOffset: number | undefined;
  recordIndexes: number[];
}

export class ProduceService {
  private readonly spreader = new KeylessSpreader();

  constructor(
    private readonly topics: TopicService,
    private readonly metrics: BrokerMetrics,
    /** Checks that the broker issued a batch's producer id and epoch (metadata/producer-id-store.ts). */
    private readonly producers: Pick<ProducerIdStore, 'authorize'>,
    private readonly counts: { of(topic: string): SubscriberCount } = NO_COUNTS,
  ) {}

  async produceRecords(topic: string, records: ProduceRecord[], expectedOffsets: Record<string, number> | undefined, body: 'json' | 'msgpack'): Promise<ProduceAnswer> {
    // The body passed its schema (broker/produce/record-input.ts): 1 to recordsPerRequestMax records.
    const logs = this.topics.partitions(topic);
    const byPartition = new Map<number, { inputs: RecordInput[]; indexes: number[] }>();
    let keylessPartition: number | null = null;
    const keyless = () => (keylessPartition ??= this.spreader.pick(logs.length));
    records.forEach((record, index) => {
      const input = toRecordInput(record, index, body);
      if (record.partition !== undefined && (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= logs.length)) {
        throw new BrokerError('SPOOL_ERR_PARTITION_NOT_FOUND', `records[${index}].partition ${record.partition} is not one of 0-${logs.length - 1}`, { topic, index });
      }
      const partition = partitionOf(input.key ?? null, record.partition, logs.length, keyless);
      const group = byPartition.get(partition) ?? { inputs: [], indexes: [] };
      group.inputs.push(input);
      group.indexes.push(index);
      byPartition.set(partition, group);
    });
    const plans: PlannedAppend[] = [...byPartition].map(([partition, group]) => ({
      log: logs[partition]!,
      batch: encodeRecordBatch(group.inputs),
      expectedOffset: expectedOffsets?.[String(partition)],
      recordIndexes: group.indexes,
    }));
    for (const key of Object.keys(expectedOffsets ?? {})) {
      if (!byPartition.has(Number(key))) throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `expectedOffsets names partition ${key}, which gets no record`, { topic });
    }
    const results = await this.appendAll(topic, plans);
    const answer: ProduceAnswer = { topic, records: new Array(records.length), partitions: [], subscribers: this.counts.of(topic) };
    plans.forEach((plan, i) => {
      const result = results[i]!;
      plan.recordIndexes.forEach((recordIndex, j) => {
        answer.records[recordIndex] = { partition: plan.log.partition, offset: result.baseOffset + j };
      });
      answer.partitions.push({ partition: plan.log.partition, baseOffset: result.baseOffset, lastOffset: result.lastOffset, ...(result.duplicate ? { duplicate: true } : {}) });
    });
    return answer;
  }

  /**
   * Raw batches; a producer id they carry must have been issued to `principal` (the caller).
   * `sequenceFromZero`: a producer new to the partition must start at sequence 0 (HTTP, whose
   * client pipelines over several connections; see AppendOptions).
   */
  async produceBatches(topic: string, partition: number, data: Buffer, expectedOffset: number | undefined, principal: string, sequenceFromZero = false) {
    const log = this.topics.partition(topic, partition);
    const [result] = await this.appendAll(topic, [{ log, batch: data, expectedOffset, recordIndexes: [] }], principal, sequenceFromZero);
    return {
      topic,
      partition,
      baseOffset: result!.baseOffset,
      lastOffset: result!.lastOffset,
      batches: result!.batches,
      ...(result!.duplicate ? { duplicate: true } : {}),
      subscribers: this.counts.of(topic),
    };
  }

  private precheck(plan: PlannedAppend): void {
    const { log, batch, expectedOffset } = plan;
    const context = { topic: log.topic, partition: log.partition };
    if (batch.length > log.config.maxMessageBytes) {
      throw new StorageError('SPOOL_ERR_MESSAGE_TOO_LARGE', `a batch of ${batch.length} bytes exceeds maxMessageBytes ${log.config.maxMessageBytes}`, {
        ...context,
        batchBytes: batch.length,
        maxMessageBytes: log.config.maxMessageBytes,
      });
    }
    if (expectedOffset !== undefined && expectedOffset !== log.nextOffset) {
      throw new StorageError('SPOOL_ERR_OFFSET_MISMATCH', `expected partition ${log.partition} to end at ${expectedOffset}, it ends at ${log.nextOffset}`, {
        ...context,
        expectedOffset,
        actualOffset: log.nextOffset,
      });
    }
    if (log.stats().queuedBytes + batch.length > storageLimits.pendingBytesMax) {
      throw new StorageError('SPOOL_ERR_BACKPRESSURE', `partition ${log.partition} has too many bytes queued`, context);
    }
  }

  private async appendAll(topic: string, plans: PlannedAppend[], principal = ANONYMOUS, sequenceFromZero = false): Promise<AppendResult[]> {
    if (plans.length > 1) for (const plan of plans) this.precheck(plan);
    const started = performance.now();
    const authorizeProducer = (producerId: number, producerEpoch: number) => this.producers.authorize(producerId, producerEpoch, principal);
    const results = await Promise.all(plans.map((plan) => plan.log.append(plan.batch, { expectedOffset: plan.expectedOffset, authorizeProducer, sequenceFromZero })));
    this.metrics.observeAppend((performance.now() - started) / 1000);
    for (let i = 0; i < plans.length; i++) {
      if (results[i]!.duplicate) continue;
      this.metrics.recordsIn.inc(topic, results[i]!.lastOffset - results[i]!.baseOffset + 1);
      this.metrics.bytesIn.inc(topic, plans[i]!.batch.length);
    }
    return results;
  }
}
