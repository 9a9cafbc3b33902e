/**
 * OffsetFetch (9): committed offsets from the store HTTP groups share, so a group that committed
 * over HTTP resumes over Kafka at the same place (and after an HTTP reset). v0-v7 ask for one
 * group, v8+ for several; a null topic list asks for every committed partition. A partition with
 * no commit (or an unknown group) answers offset -1, as Kafka does. No transactions: every
 * offset is stable, so require_stable changes nothing.
 */
import type { CommittedOffset } from '../../groups/offset-store.js';
import type { KafkaApi, KafkaServices } from '../context.js';
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

function fetchGroup(groupId: string, topics: Message[] | null, services: KafkaServices): Message[] {
  const committed = committedOf(groupId, services);
  const byKey = new Map(committed.map((entry) => [`${entry.topic}:${entry.partition}`, entry]));
  const asked =
    topics?.map((topic) => ({ name: topic.name as string, partitions: topic.partitionIndexes as number[] })) ??
    [...new Set(committed.map((entry) => entry.topic))].map((name) => ({ name, partitions: committed.filter((entry) => entry.topic === name).map((entry) => entry.partition) }));
  return asked.map(({ name, partitions }) => ({
    name,
    partitions: partitions.map((partitionIndex) => {
      const entry = byKey.get(`${name}:${partitionIndex}`);
      return { partitionIndex, committedOffset: entry?.offset ?? NO_OFFSET, committedLeaderEpoch: -1, metadata: entry ? entry.metadata : '', errorCode: KafkaErrorCode.NONE };
    }),
  }));
}

export const offsetFetch: KafkaApi = {
  name: 'OffsetFetch',
  handle(body, request, services) {
    if (request.apiVersion < 8) {
      return { throttleTimeMs: 0, topics: fetchGroup(body.groupId as string, body.topics as Message[] | null, services), errorCode: KafkaErrorCode.NONE, groups: [] };
    }
    const groups = (body.groups as Message[]).map((group) => ({
      groupId: group.groupId,
      topics: fetchGroup(group.groupId as string, group.topics as Message[] | null, services),
      errorCode: KafkaErrorCode.NONE,
    }));
    return { throttleTimeMs: 0, topics: [], errorCode: KafkaErrorCode.NONE, groups };
  },
};
