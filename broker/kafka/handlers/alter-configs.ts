/**
 * AlterConfigs (33) and IncrementalAlterConfigs (44) on topics, through the topic service like
 * PATCH /v1/topics/:topic/config. IncrementalAlterConfigs: SET, DELETE (back to the default);
 * APPEND and SUBTRACT (list configs) are refused. AlterConfigs sets the configs given and puts
 * every other back to its default, as Kafka's replaces the whole set. A topic the principal may not
 * AlterConfigs answers TOPIC_AUTHORIZATION_FAILED.
 */
import { BrokerError } from '../../errors.js';
import { validateTopicConfig } from '../../topics/topic-config.js';
import type { KafkaApi, KafkaRequest, KafkaServices } from '../context.js';
import { KafkaErrorCode, kafkaErrorOf } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';
import { defaultOf, fromKafkaConfigs, toKafkaConfigs } from '../topic-configs.js';
import { RESOURCE_BROKER, RESOURCE_TOPIC } from './describe-configs.js';

const SET = 0;
const DELETE = 1;

type Entry = { name: string; value: string | null };

function alterResource(resource: Message, entries: (topic: string) => Entry[], body: Message, request: KafkaRequest, services: KafkaServices): Message {
  const { resourceType, resourceName } = resource;
  const answer = { errorCode: KafkaErrorCode.NONE, errorMessage: null, resourceType, resourceName };
  const refusal = resourceType === RESOURCE_TOPIC ? request.refused.topic(resourceName as string) : null;
  if (refusal !== null) return { ...answer, errorCode: refusal, errorMessage: `not authorized to AlterConfigs topic ${resourceName}` };
  const validateOnly = body.validateOnly as boolean;
  if (resourceType !== RESOURCE_TOPIC) {
    const what = resourceType === RESOURCE_BROKER ? 'broker configs are set at start-up (flags)' : `resource type ${resourceType} has no configs here`;
    return { ...answer, errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: what };
  }
  try {
    const config = fromKafkaConfigs(entries(resourceName as string));
    if (validateOnly) {
      services.topics.describe(resourceName as string);
      validateTopicConfig(config);
    } else {
      services.topics.updateConfig(resourceName as string, config);
    }
    return answer;
  } catch (error) {
    return { ...answer, ...kafkaErrorOf(error) };
  }
}

function incrementalEntries(resource: Message, services: KafkaServices): Entry[] {
  return (resource.configs as Message[]).map(({ name, configOperation, value }) => {
    if (configOperation === SET) return { name, value };
    if (configOperation === DELETE) return { name, value: defaultOf(name, services.brokerFlush) };
    throw new BrokerError('SPOOL_ERR_INVALID_CONFIG', `${name}: operation ${configOperation} (APPEND/SUBTRACT) is not supported`, { key: name });
  });
}

function replacingEntries(resource: Message, topic: string, services: KafkaServices): Entry[] {
  const given = resource.configs as Entry[];
  const current = toKafkaConfigs(services.topics.describe(topic).config, services.brokerFlush);
  const reset = current.filter(({ name }) => !given.some((entry) => entry.name === name)).map(({ name }) => ({ name, value: defaultOf(name, services.brokerFlush) }));
  return [...given, ...reset];
}

export const incrementalAlterConfigs: KafkaApi = {
  name: 'IncrementalAlterConfigs',
  answersRefusals: true,
  handle: (body, request, services) => ({
    throttleTimeMs: 0,
    responses: (body.resources as Message[]).map((resource) => alterResource(resource, () => incrementalEntries(resource, services), body, request, services)),
  }),
};

export const alterConfigs: KafkaApi = {
  name: 'AlterConfigs',
  answersRefusals: true,
  handle: (body, request, services) => ({
    throttleTimeMs: 0,
    responses: (body.resources as Message[]).map((resource) => alterResource(resource, (topic) => replacingEntries(resource, topic, services), body, request, services)),
  }),
};
