/**
 * ListOffsets (2): per partition, the offset for a timestamp. Special timestamps:
 *   -2 earliest (log start offset), -4 earliest local (the same: no tiered storage),
 *   -1 latest (high watermark), -3 the record with the largest timestamp is not tracked: latest,
 *   -5 latest tiered and any other negative time: -1, as Kafka answers without tiered storage.
 * A time finds the first record at or after it through the time index (the HTTP offsets route's
 * lookup), answered with that record's own timestamp; no such record: offset and timestamp -1.
 * A topic the principal may not Describe answers TOPIC_AUTHORIZATION_FAILED per partition.
 */
import { decodeRecordBatches, type PartitionLog } from '../../../storage/index.js';
import type { KafkaApi, KafkaServices } from '../context.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';

const EARLIEST = -2;
const LATEST = -1;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;

async function timestampAt(log: PartitionLog, offset: number): Promise<number> {
  const { data } = await log.read(offset, 1);
  for (const batch of decodeRecordBatches(data)) {
    const record = batch.records.find((candidate) => candidate.offset === offset);
    if (record) return record.timestamp;
  }
  return -1;
}

async function offsetFor(log: PartitionLog, timestamp: number): Promise<{ offset: number; timestamp: number }> {
  if (timestamp === EARLIEST || timestamp === EARLIEST_LOCAL) return { offset: log.logStartOffset, timestamp: -1 };
  if (timestamp === LATEST || timestamp === MAX_TIMESTAMP) return { offset: log.highWatermark, timestamp: -1 };
  if (timestamp < 0) return { offset: -1, timestamp: -1 };
  const offset = await log.offsetForTimestamp(timestamp);
  if (offset === null) return { offset: -1, timestamp: -1 };
  return { offset, timestamp: await timestampAt(log, offset) };
}

async function listPartition(topic: string, partition: Message, services: KafkaServices): Promise<Message> {
  const partitionIndex = partition.partitionIndex as number;
  try {
    const log = services.topics.partition(topic, partitionIndex);
    const found = await offsetFor(log, partition.timestamp as number);
    return { partitionIndex, errorCode: KafkaErrorCode.NONE, ...found, leaderEpoch: 0 };
  } catch (error) {
    return failedPartition(partitionIndex, kafkaErrorOf(error).errorCode);
  }
}

function failedPartition(partitionIndex: number, errorCode: number): Message {
  return { partitionIndex, errorCode, timestamp: -1, offset: -1, leaderEpoch: -1 };
}

export const listOffsets: KafkaApi = {
  name: 'ListOffsets',
  answersRefusals: true,
  async handle(body, request, services) {
    const topics = await Promise.all(
      (body.topics as Message[]).map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(
          (topic.partitions as Message[]).map((partition) => {
            const refused = request.refused.topic(topic.name as string);
            return refused !== null ? failedPartition(partition.partitionIndex as number, refused) : listPartition(topic.name as string, partition, services);
          }),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
};

