/**
 * DeleteRecords (21): moves each partition's log start offset up to the offset given (-1: the
 * high watermark, as Kafka reads it), through the topic service, which keeps it across restarts.
 * Records below it are not served from then on; whole segments below it go at the next retention
 * run. The low watermark answered is the new log start offset. A topic the principal may not
 * Delete answers TOPIC_AUTHORIZATION_FAILED per partition.
 */
import type { KafkaApi, KafkaServices } from '../context.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';

const HIGH_WATERMARK = -1;

function deletePartition(topic: string, partition: Message, services: KafkaServices): Message {
  const partitionIndex = partition.partitionIndex as number;
  try {
    const requested = partition.offset as number;
    const offset = requested === HIGH_WATERMARK ? services.topics.partition(topic, partitionIndex).highWatermark : requested;
    return { partitionIndex, lowWatermark: services.topics.deleteRecordsBefore(topic, partitionIndex, offset), errorCode: KafkaErrorCode.NONE };
  } catch (error) {
    return { partitionIndex, lowWatermark: -1, errorCode: kafkaErrorOf(error).errorCode };
  }
}

export const deleteRecords: KafkaApi = {
  name: 'DeleteRecords',
  answersRefusals: true,
  handle: (body, request, services) => ({
    throttleTimeMs: 0,
    topics: (body.topics as Message[]).map((topic) => {
      const refused = request.refused.topic(topic.name as string);
      return {
        name: topic.name,
        partitions: (topic.partitions as Message[]).map((partition) =>
          refused !== null ? { partitionIndex: partition.partitionIndex, lowWatermark: -1, errorCode: refused } : deletePartition(topic.name as string, partition, services),
        ),
      };
    }),
  }),
};
