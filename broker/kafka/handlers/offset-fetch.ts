/**
 * OffsetFetch (9): committed offsets from the store HTTP groups share, so a group that committed
 * over HTTP resumes over Kafka at the same place (and after an HTTP reset). v0-v7 ask for one
 * group, v8+ for several; a null topic list asks for every committed partition (of the topics the
 * principal may Describe). A partition with
 * no commit (or an unknown group) answers offset -1, as Kafka does. No transactions: every
 * offset is stable, so require_stable changes nothing. A group the principal may not Describe
 * answers GROUP_AUTHORIZATION_FAILED (per partition before v2), a topic TOPIC_AUTHORIZATION_FAILED
 * per partition.
 */
import type { CommittedOffset } from '../../groups/offset-store.js';
import { mayAccessTopic } from '../authorization.js';
import type { KafkaApi, KafkaRequest, KafkaServices } from '../context.js';
import { KafkaErrorCode } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';

const NO_OFFSET = -1;

function committedOf(groupId: string, services: KafkaServices): CommittedOffset[] {
  try {
    return services.groups.committed(groupId);
  } catch {
    return []; // an unknown group has no offsets: every partition answers -1
  }
}

function refusedTopics(topics: Message[] | null, errorCode: number): Message[] {
  return (topics ?? []).map((topic) => ({
    name: topic.name,
    partitions: (topic.partitionIndexes as number[]).map((partitionIndex) => ({ partitionIndex, committedOffset: NO_OFFSET, committedLeaderEpoch: -1, metadata: '', errorCode })),
  }));
}

function fetchGroup(groupId: string, topics: Message[] | null, { session, refused }: KafkaRequest, services: KafkaServices): Message[] {
  // Asked for every topic (null), the answer lists only those the principal may Describe: a named
  // topic was checked already by the permission table.
  const committed = committedOf(groupId, services).filter((entry) => topics !== null || mayAccessTopic(session, services, 'Describe', entry.topic));
  const byKey = new Map(committed.map((entry) => [`${entry.topic}:${entry.partition}`, entry]));
  const asked =
    topics?.map((topic) => ({ name: topic.name as string, partitions: topic.partitionIndexes as number[] })) ??
    [...new Set(committed.map((entry) => entry.topic))].map((name) => ({ name, partitions: committed.filter((entry) => entry.topic === name).map((entry) => entry.partition) }));
  return asked.map(({ name, partitions }) => ({
    name,
    partitions: partitions.map((partitionIndex) => {
      const refusal = refused.topic(name);
      if (refusal !== null) return { partitionIndex, committedOffset: NO_OFFSET, committedLeaderEpoch: -1, metadata: '', errorCode: refusal };
      const entry = byKey.get(`${name}:${partitionIndex}`);
      return { partitionIndex, committedOffset: entry?.offset ?? NO_OFFSET, committedLeaderEpoch: -1, metadata: entry ? entry.metadata : '', errorCode: KafkaErrorCode.NONE };
    }),
  }));
}

export const offsetFetch: KafkaApi = {
  name: 'OffsetFetch',
  answersRefusals: true,
  handle(body, request, services) {
    if (request.apiVersion < 8) {
      const groupId = body.groupId as string;
      const refused = request.refused.group(groupId);
      // v0-v1 have no top-level error code: each partition asked for carries it.
      if (refused !== null && request.apiVersion < 2) return { throttleTimeMs: 0, topics: refusedTopics(body.topics as Message[] | null, refused), errorCode: refused, groups: [] };
      const topics = refused !== null ? [] : fetchGroup(groupId, body.topics as Message[] | null, request, services);
      return { throttleTimeMs: 0, topics, errorCode: refused ?? KafkaErrorCode.NONE, groups: [] };
    }
    const groups = (body.groups as Message[]).map((group) => {
      const refused = request.refused.group(group.groupId as string);
      const topics = refused !== null ? [] : fetchGroup(group.groupId as string, group.topics as Message[] | null, request, services);
      return { groupId: group.groupId, topics, errorCode: refused ?? KafkaErrorCode.NONE };
    });
    return { throttleTimeMs: 0, topics: [], errorCode: KafkaErrorCode.NONE, groups };
  },
};
