/**
 * DeleteTopics (20): by name (v1-v5 topic_names, v6 topics with a name or an id). A topic the
 * principal may not Delete answers TOPIC_AUTHORIZATION_FAILED. The deleted partitions count against
 * the principal's controller mutation rate (controller-mutations.ts).
 */
import type { Refusals } from '../authorization.js';
import type { KafkaApi, KafkaServices } from '../context.js';
import { ControllerMutations } from '../controller-mutations.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';
import { ZERO_UUID } from '../protocol/schema.js';
import { mapInTurn } from './in-turn.js';

async function deleteTopic(name: string | null, topicId: string, refused: Refusals, services: KafkaServices, mutations: ControllerMutations): Promise<Message> {
  const resolved = name ?? services.cluster.topicName(topicId) ?? null;
  if (resolved === null) return { name: null, topicId, errorCode: KafkaErrorCode.UNKNOWN_TOPIC_ID, errorMessage: `no topic has id ${topicId}` };
  const refusal = refused.topic(resolved);
  if (refusal !== null) return { name: resolved, topicId, errorCode: refusal, errorMessage: `not authorized to Delete topic ${resolved}` };
  const id = services.cluster.topicId(resolved);
  const throttled = mutations.refusal();
  if (throttled) return { name: resolved, topicId: id, ...throttled };
  try {
    const partitions = services.topics.partitions(resolved).length;
    await services.topics.delete(resolved);
    mutations.record(partitions);
    return { name: resolved, topicId: id, errorCode: KafkaErrorCode.NONE, errorMessage: null };
  } catch (error) {
    return { name: resolved, topicId: id, ...kafkaErrorOf(error) };
  }
}

export const deleteTopics: KafkaApi = {
  name: 'DeleteTopics',
  answersRefusals: true,
  async handle(body, request, services) {
    const wanted: Array<{ name: string | null; topicId: string }> =
      request.apiVersion >= 6 ? (body.topics as Message[]).map((topic) => ({ name: topic.name, topicId: topic.topicId })) : (body.topicNames as string[]).map((name) => ({ name, topicId: ZERO_UUID }));
    const mutations = new ControllerMutations(services, request, 'DeleteTopics');
    const responses = await mapInTurn(wanted, ({ name, topicId }) => deleteTopic(name, topicId, request.refused, services, mutations));
    return { throttleTimeMs: mutations.throttleTimeMs(), responses };
  },
};
