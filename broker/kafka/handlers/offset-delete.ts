/**
 * OffsetDelete (47): forgets committed offsets of some partitions. A partition of a topic the
 * group's live Kafka members consume answers GROUP_SUBSCRIBED_TO_TOPIC, as in Kafka; the rest go.
 */
import type { KafkaApi, KafkaServices } from '../context.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';

function consumedTopics(groupId: string, services: KafkaServices): Set<string> {
  const topics = new Set<string>();
  for (const member of services.classicGroups.group(groupId)?.members.values() ?? []) for (const tp of member.partitions) topics.add(tp.topic);
  return topics;
}

export const offsetDelete: KafkaApi = {
  name: 'OffsetDelete',
  handle(body, _request, services) {
    const groupId = body.groupId as string;
    const consumed = consumedTopics(groupId, services);
    const topics = body.topics as Message[];
    const deletable = topics
      .filter((topic) => !consumed.has(topic.name as string))
      .flatMap((topic) => (topic.partitions as Message[]).map((partition) => ({ topic: topic.name as string, partition: partition.partitionIndex as number })));
    let errorCode: number = KafkaErrorCode.NONE;
    try {
      services.groups.deleteOffsets(groupId, deletable);
    } catch (error) {
      errorCode = kafkaErrorOf(error).errorCode;
    }
    return {
      errorCode,
      throttleTimeMs: 0,
      topics: topics.map((topic) => ({
        name: topic.name,
        partitions: (topic.partitions as Message[]).map((partition) => ({
          partitionIndex: partition.partitionIndex,
          errorCode: consumed.has(topic.name as string) ? KafkaErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : KafkaErrorCode.NONE,
        })),
      })),
    };
  },
};
