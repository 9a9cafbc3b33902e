/**
 * CreateTopics (19): through the topic service, like POST /v1/topics. One broker: a replication
 * factor other than 1 (or -1, the default) and replica assignments naming another broker are
 * refused; -1 partitions means the default, 1 (Kafka's num.partitions). validate_only checks
 * everything and creates nothing. A topic the principal may not Create answers
 * TOPIC_AUTHORIZATION_FAILED. The created partitions count against the principal's
 * quotaPartitionsPerPrincipal (POLICY_VIOLATION past it) and controller mutation rate
 * (controller-mutations.ts).
 */
import { BrokerError } from '../../errors.js';
import { validateTopicConfig } from '../../topics/topic-config.js';
import { assertTopicName } from '../../topics/topic-name.js';
import type { Refusals } from '../authorization.js';
import { NODE_ID } from '../cluster.js';
import type { KafkaApi, KafkaServices } from '../context.js';
import { ControllerMutations } from '../controller-mutations.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';
import { ZERO_UUID } from '../protocol/schema.js';
import { fromKafkaConfigs, toKafkaConfigs } from '../topic-configs.js';
import { mapInTurn } from './in-turn.js';

const DEFAULT_PARTITIONS = 1;

function refusal(topic: Message, services: KafkaServices): { errorCode: number; errorMessage: string } | null {
  const partitions = topic.numPartitions as number;
  const max = services.limits.partitionsPerTopicMax;
  if (partitions !== -1 && (partitions < 1 || partitions > max)) return { errorCode: KafkaErrorCode.INVALID_PARTITIONS, errorMessage: `partitions must be 1-${max}, not ${partitions}` };
  const factor = topic.replicationFactor as number;
  if (factor !== -1 && factor !== 1) return { errorCode: KafkaErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: `one broker: the replication factor is 1, not ${factor}` };
  const assignments = topic.assignments as Message[];
  if (assignments.some((assignment) => (assignment.brokerIds as number[]).some((id) => id !== NODE_ID))) {
    return { errorCode: KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `one broker: assignments may name broker ${NODE_ID} only` };
  }
  return null;
}

async function createTopic(topic: Message, validateOnly: boolean, refusals: Refusals, services: KafkaServices, mutations: ControllerMutations): Promise<Message> {
  const name = topic.name as string;
  const failed = (errorCode: number, errorMessage: string) => ({ name, topicId: ZERO_UUID, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null });
  const unauthorized = refusals.topic(name);
  if (unauthorized !== null) return failed(unauthorized, `not authorized to Create topic ${name}`);
  const refused = refusal(topic, services) ?? mutations.refusal();
  if (refused) return failed(refused.errorCode, refused.errorMessage);
  const assigned = (topic.assignments as Message[]).length;
  const partitions = assigned > 0 ? assigned : topic.numPartitions === -1 ? DEFAULT_PARTITIONS : (topic.numPartitions as number);
  try {
    const config = fromKafkaConfigs(topic.configs as Array<{ name: string; value: string | null }>);
    if (validateOnly) {
      assertTopicName(name);
      validateTopicConfig(config);
      if (services.topics.names().includes(name)) throw new BrokerError('SPOOL_ERR_TOPIC_EXISTS', `topic ${name} exists already`, { topic: name });
    } else {
      await services.topics.create(name, partitions, config, { principal: mutations.principal });
      mutations.record(partitions);
    }
    const effective = validateOnly ? null : services.topics.describe(name).config;
    return {
      name,
      topicId: validateOnly ? ZERO_UUID : services.cluster.topicId(name),
      errorCode: KafkaErrorCode.NONE,
      errorMessage: null,
      numPartitions: partitions,
      replicationFactor: 1,
      configs: effective
        ? toKafkaConfigs(effective, services.brokerFlush).map(({ name: key, value, isDefault }) => ({ name: key, value, readOnly: false, configSource: isDefault ? 5 : 1, isSensitive: false }))
        : [],
    };
  } catch (error) {
    const { errorCode, errorMessage } = kafkaErrorOf(error);
    return failed(errorCode, errorMessage);
  }
}

export const createTopics: KafkaApi = {
  name: 'CreateTopics',
  answersRefusals: true,
  async handle(body, request, services) {
    const mutations = new ControllerMutations(services, request, 'CreateTopics');
    const topics = await mapInTurn(body.topics as Message[], (topic) => createTopic(topic, body.validateOnly as boolean, request.refused, services, mutations));
    return { throttleTimeMs: mutations.throttleTimeMs(), topics };
  },
};
