/**
 * OffsetCommit (8): offsets go to the same store as HTTP group commits (metadata kept), checked
 * per partition by the group service. A member commits with its generation (checked by the
 * classic coordinator: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS,
 * FENCED_INSTANCE_ID); generation -1 without a member id is an admin commit, allowed while the
 * group has no live member (kafka-consumer-groups --reset-offsets, v0 clients). A group the
 * principal may not Read answers GROUP_AUTHORIZATION_FAILED on every partition, a topic it may not
 * Read TOPIC_AUTHORIZATION_FAILED on its own, and neither is committed.
 */
import { type ClassicError, isValidGroupId } from '../../groups/classic-group.js';
import type { KafkaApi, KafkaServices } from '../context.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';

function memberCheck(body: Message, services: KafkaServices): ClassicError {
  const groupId = body.groupId as string;
  if (!isValidGroupId(groupId, services.limits.groupIdLengthMax)) return 'INVALID_GROUP_ID';
  const generationId = body.generationIdOrMemberEpoch as number;
  const memberId = body.memberId as string;
  if (generationId < 0 && memberId === '') return services.classicGroups.liveMembers(groupId) > 0 ? 'UNKNOWN_MEMBER_ID' : 'NONE';
  return services.classicGroups.checkCommit({ groupId, memberId, generationId, groupInstanceId: body.groupInstanceId as string | null });
}

export const offsetCommit: KafkaApi = {
  name: 'OffsetCommit',
  answersRefusals: true,
  async handle(body, request, services) {
    const groupId = body.groupId as string;
    const topics = body.topics as Message[];
    const errors = new Map<string, number>();
    let groupError: number = request.refused.group(groupId) ?? KafkaErrorCode[memberCheck(body, services)];
    if (groupError === KafkaErrorCode.NONE) {
      const entries = [];
      for (const topic of topics) {
        const refused = request.refused.topic(topic.name as string);
        for (const partition of topic.partitions as Message[]) {
          if (refused !== null) {
            errors.set(`${topic.name}:${partition.partitionIndex}`, refused);
            continue;
          }
          const entry = { topic: topic.name as string, partition: partition.partitionIndex as number, offset: partition.committedOffset as number, metadata: partition.committedMetadata as string | null };
          if (Buffer.byteLength(entry.metadata ?? '') > services.limits.offsetMetadataBytesMax) errors.set(`${entry.topic}:${entry.partition}`, KafkaErrorCode.OFFSET_METADATA_TOO_LARGE);
          else entries.push(entry);
        }
      }
      try {
        const refused = await services.groups.commitKafka(groupId, entries);
        for (const [key, error] of refused) errors.set(key, kafkaErrorOf(error).errorCode);
      } catch (error) {
        groupError = kafkaErrorOf(error).errorCode;
      }
    }
    return {
      throttleTimeMs: 0,
      topics: topics.map((topic) => ({
        name: topic.name,
        partitions: (topic.partitions as Message[]).map((partition) => ({
          partitionIndex: partition.partitionIndex,
          errorCode: groupError !== KafkaErrorCode.NONE ? groupError : (errors.get(`${topic.name}:${partition.partitionIndex}`) ?? KafkaErrorCode.NONE),
        })),
      })),
    };
  },
};
