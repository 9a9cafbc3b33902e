/**
 * DescribeConfigs (32): a topic's configs under Kafka's names (topic-configs.ts), each marked as
 * the default or a topic override. A broker resource is answered with no configs; others with
 * INVALID_REQUEST.
 */
import type { KafkaApi, KafkaServices } from '../context.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';
import { toKafkaConfigs } from '../topic-configs.js';

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
/** Kafka's ConfigSource: a topic override, or the default. */
const SOURCE_TOPIC = 1;
const SOURCE_DEFAULT = 5;

function describeResource(resource: Message, services: KafkaServices): Message {
  const { resourceType, resourceName } = resource;
  const answer = { errorCode: KafkaErrorCode.NONE, errorMessage: null, resourceType, resourceName, configs: [] as Message[] };
  if (resourceType === RESOURCE_BROKER) return answer;
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
  handle: (body, _request, services) => ({ throttleTimeMs: 0, results: (body.resources as Message[]).map((resource) => describeResource(resource, services)) }),
};
