/**
 * DescribeConfigs (32): a topic's configs under Kafka's names (topic-configs.ts), each marked as
 * the default or a topic override. A broker resource is answered with no configs; others with
 * INVALID_REQUEST; a topic the principal may not DescribeConfigs TOPIC_AUTHORIZATION_FAILED.
 */
import type { Refusals } from '../authorization.js';
import type { KafkaApi, KafkaServices } from '../context.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';
import { toKafkaConfigs } from '../topic-configs.js';

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
/** Kafka's ConfigSource: a topic override, or the default. */
const SOURCE_TOPIC = 1;
const SOURCE_DEFAULT = 5;

function describeResource(resource: Message, refused: Refusals, services: KafkaServices): Message {
  const { resourceType, resourceName } = resource;
  const answer = { errorCode: KafkaErrorCode.NONE, errorMessage: null, resourceType, resourceName, configs: [] as Message[] };
  if (resourceType === RESOURCE_BROKER) return answer;
  const refusal = resourceType === RESOURCE_TOPIC ? refused.topic(resourceName as string) : null;
  if (refusal !== null) return { ...answer, errorCode: refusal, errorMessage: `not authorized to DescribeConfigs topic ${resourceName}` };
  if (resourceType !== RESOURCE_TOPIC) return { ...answer, errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: `resource type ${resourceType} has no configs here` };
  try {
    const keys = resource.configurationKeys as string[] | null;
    const configs = toKafkaConfigs(services.topics.describe(resourceName as string).config, services.brokerFlush);
    answer.configs = configs
      .filter(({ name }) => keys === null || keys.includes(name))
      .map(({ name, value, isDefault, configType }) => ({
        name,
        value,
        readOnly: false,
        isDefault,
        configSource: isDefault ? SOURCE_DEFAULT : SOURCE_TOPIC,
        isSensitive: false,
        synonyms: [],
        configType,
        documentation: null,
      }));
    return answer;
  } catch (error) {
    return { ...answer, ...kafkaErrorOf(error) };
  }
}

export const describeConfigs: KafkaApi = {
  name: 'DescribeConfigs',
  // The table checks every resource's name as a topic's: only topic resources consult the refusals.
  answersRefusals: true,
  handle: (body, request, services) => ({ throttleTimeMs: 0, results: (body.resources as Message[]).map((resource) => describeResource(resource, request.refused, services)) }),
};
