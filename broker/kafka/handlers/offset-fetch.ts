/**
 * OffsetFetch (9): committed offsets from the store HTTP groups share, so a group that committed
 * over HTTP resumes over Kafka at the same place (and after an HTTP reset). v0-v7 ask for one
 * group, v8+ for several; a null topic list asks for every committed partition (of the topics the
 * principal may Describe). A partition with
 * no commit (or an unknown group) answers offset -1, as Kafka does. No transactions: every
 * offset is stable, so require_stable changes nothing.
 */
import type { CommittedOffset } from '../../groups/offset-store.js';
import { mayAccessTopic } from '../authorization.js';
import type { KafkaApi, KafkaServices } from '../context.js';
import { KafkaErrorCode } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';
import type { KafkaSession } from '../session.js';

const NO_OFFSET = -1;

function committedOf(groupId: string, services: KafkaServices): CommittedOffset[] {
  try {
    return services.groups.committed(groupId);
  } catch {
    return []; // an unknown group has no offsets: every partition answers -1
  }
}

function fetchGroup(groupId: string, topics: Message[] | null, session: KafkaSession, services: KafkaServices): Message[] {
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
      const entry = byKey.get(`${name}:${partitionIndex}`);
      return { partitionIndex, committedOffset: entry?.offset ?? NO_OFFSET, committedLeaderEpoch: -1, metadata: entry ? entry.metadata : '', errorCode: KafkaErrorCode.NONE };
    }),
  }));
}

export const offsetFetch: KafkaApi = {
  name: 'OffsetFetch',
  handle(body, request, services) {
    if (request.apiVersion < 8) {
      return { throttleTimeMs: 0, topics: fetchGroup(body.groupId as string, body.topics as Message[] | null, request.session, services), errorCode: KafkaErrorCode.NONE, groups: [] };
    }
    const groups = (body.groups as Message[]).map((group) => ({
      groupId: group.groupId,
      topics: fetchGroup(group.groupId as string, group.topics as Message[] | null, request.session, services),
      errorCode: KafkaErrorCode.NONE,
    }));
    return { throttleTimeMs: 0, topics: [], errorCode: KafkaErrorCode.NONE, groups };
  },
};
