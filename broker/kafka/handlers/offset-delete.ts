/**
 * OffsetDelete (47): forgets committed offsets of some partitions. A partition of a topic the
 * group's live Kafka members consume answers GROUP_SUBSCRIBED_TO_TOPIC, as in Kafka; the rest go.
 * A group the principal may not Delete answers GROUP_AUTHORIZATION_FAILED, a topic it may not Read
 * TOPIC_AUTHORIZATION_FAILED per partition (Kafka's rules).
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
  answersRefusals: true,
  handle(body, request, services) {
    const groupId = body.groupId as string;
    const topics = body.topics as Message[];
    const groupRefused = request.refused.group(groupId);
    if (groupRefused !== null) return { errorCode: groupRefused, throttleTimeMs: 0, topics: [] };
    const consumed = consumedTopics(groupId, services);
    const partitionError = (topic: string) => request.refused.topic(topic) ?? (consumed.has(topic) ? KafkaErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : KafkaErrorCode.NONE);
    const deletable = topics
      .filter((topic) => partitionError(topic.name as string) === KafkaErrorCode.NONE)
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
          errorCode: partitionError(topic.name as string),
        })),
      })),
    };
  },
};
