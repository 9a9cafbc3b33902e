/**
 * CreatePartitions (37): grows a topic through the topic service. One broker: assignments may
 * name broker 0 only. A count that does not grow the topic is INVALID_PARTITIONS, as in Kafka; a
 * topic the principal may not Alter TOPIC_AUTHORIZATION_FAILED. Added partitions count against the
 * topic creator's quotaPartitionsPerPrincipal (POLICY_VIOLATION past it) and the caller's
 * controller mutation rate (controller-mutations.ts).
 */
import type { Refusals } from '../authorization.js';
import type { KafkaApi, KafkaServices } from '../context.js';
import { NODE_ID } from '../cluster.js';
import { ControllerMutations } from '../controller-mutations.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';
import { mapInTurn } from './in-turn.js';

async function grow(topic: Message, validateOnly: boolean, refused: Refusals, services: KafkaServices, mutations: ControllerMutations): Promise<Message> {
  const name = topic.name as string;
  const refusal = refused.topic(name);
  if (refusal !== null) return { name, errorCode: refusal, errorMessage: `not authorized to Alter topic ${name}` };
  const count = topic.count as number;
  const assignments = (topic.assignments as Message[] | null) ?? [];
  if (assignments.some((assignment) => (assignment.brokerIds as number[]).some((id) => id !== NODE_ID))) {
    return { name, errorCode: KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `one broker: assignments may name broker ${NODE_ID} only` };
  }
  try {
    const current = services.topics.partitions(name).length;
    if (count <= current || count > services.limits.partitionsPerTopicMax) {
      return { name, errorCode: KafkaErrorCode.INVALID_PARTITIONS, errorMessage: `topic ${name} has ${current} partitions: the new count must be ${current + 1}-${services.limits.partitionsPerTopicMax}, not ${count}` };
    }
    const throttled = mutations.refusal();
    if (throttled) return { name, ...throttled };
    if (!validateOnly) {
      await services.topics.addPartitions(name, count, services.limits.partitionsPerTopicMax);
      mutations.record(count - current);
    }
    return { name, errorCode: KafkaErrorCode.NONE, errorMessage: null };
  } catch (error) {
    return { name, ...kafkaErrorOf(error) };
  }
}

export const createPartitions: KafkaApi = {
  name: 'CreatePartitions',
  answersRefusals: true,
  async handle(body, request, services) {
    const mutations = new ControllerMutations(services, request, 'CreatePartitions');
    const results = await mapInTurn(body.topics as Message[], (topic) => grow(topic, body.validateOnly as boolean, request.refused, services, mutations));
    return { throttleTimeMs: mutations.throttleTimeMs(), results };
  },
};
