/**
 * Metadata (3): one broker (node 0, the controller and every partition's leader), the cluster id,
 * and the topics asked for (null = all; in v0 an empty list also means all). An unknown topic is
 * created with one partition when auto-creation is on and the client allows it (Kafka's
 * auto.create.topics.enable), else answered UNKNOWN_TOPIC_OR_PARTITION. Once the broker requires
 * credentials, only topics the principal may Describe are listed, a named one it may not is answered
 * TOPIC_AUTHORIZATION_FAILED, and auto-creation needs Create on the topic (Kafka's rules).
 */
import { mayAccessTopic } from '../authorization.js';
import type { KafkaApi, KafkaServices } from '../context.js';
import type { KafkaSession } from '../session.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';
import { NODE_ID } from '../cluster.js';
import type { Message } from '../protocol/codec.js';
import { ZERO_UUID } from '../protocol/schema.js';
import { ANONYMOUS } from '../../security/request-principal.js';

const NO_OPERATIONS = -2147483648;

function topicAnswer(name: string, partitions: number, services: KafkaServices): Message {
  return {
    errorCode: KafkaErrorCode.NONE,
    name,
    topicId: services.cluster.topicId(name),
    isInternal: false,
    partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({
      errorCode: KafkaErrorCode.NONE,
      partitionIndex,
      leaderId: NODE_ID,
      leaderEpoch: 0,
      replicaNodes: [NODE_ID],
      isrNodes: [NODE_ID],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: NO_OPERATIONS,
  };
}

function errorAnswer(name: string | null, topicId: string, errorCode: number): Message {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: NO_OPERATIONS };
}

async function requestedTopic(wanted: Message, allowCreate: boolean, known: Map<string, number>, services: KafkaServices, session: KafkaSession): Promise<Message> {
  const name = (wanted.name as string | null) ?? services.cluster.topicName(wanted.topicId as string) ?? null;
  if (name === null) return errorAnswer(null, wanted.topicId as string, KafkaErrorCode.UNKNOWN_TOPIC_ID);
  if (!mayAccessTopic(session, services, 'Describe', name)) return errorAnswer(name, ZERO_UUID, KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED);
  const partitions = known.get(name);
  if (partitions !== undefined) return topicAnswer(name, partitions, services);
  if (!allowCreate || !mayAccessTopic(session, services, 'Create', name)) return errorAnswer(name, ZERO_UUID, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  try {
    const created = await services.topics.create(name, 1, {}, { principal: session.principal ?? ANONYMOUS });
    return topicAnswer(name, created.partitions, services);
  } catch (error) {
    const { errorCode } = kafkaErrorOf(error);
    // Another request is creating it this moment: Kafka's answer for a topic being created, retriable.
    if (errorCode === KafkaErrorCode.TOPIC_ALREADY_EXISTS) return errorAnswer(name, ZERO_UUID, KafkaErrorCode.LEADER_NOT_AVAILABLE);
    return errorAnswer(name, ZERO_UUID, errorCode);
  }
}

export const metadata: KafkaApi = {
  name: 'Metadata',
  // Filters and refuses per topic itself (auto-creation needs Create as well).
  answersRefusals: true,
  async handle(body, request, services) {
    const known = new Map(services.topics.list().map((topic) => [topic.name, topic.partitions]));
    const wanted = body.topics as Message[] | null;
    const all = wanted === null || (request.apiVersion === 0 && wanted.length === 0);
    const allowCreate = services.autoCreateTopics && body.allowAutoTopicCreation !== false;
    const topics = all
      ? [...known].filter(([name]) => mayAccessTopic(request.session, services, 'Describe', name)).map(([name, partitions]) => topicAnswer(name, partitions, services))
      : await Promise.all(wanted.map((topic) => requestedTopic(topic, allowCreate, known, services, request.session)));
    return {
      throttleTimeMs: 0,
      brokers: services.cluster.brokers(),
      clusterId: services.cluster.clusterId,
      controllerId: NODE_ID,
      topics,
      clusterAuthorizedOperations: NO_OPERATIONS,
    };
  },
};
