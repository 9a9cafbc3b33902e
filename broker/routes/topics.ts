/**
 * Topic administration: create, list, describe, delete, change config, clean now. Creating and
 * deleting count the topic's partitions against the caller's quotaControllerMutationsPerSec (Kafka's
 * controller mutation rate): refused 429 with Retry-After while in debt, counted once done. A
 * created topic's partitions also count against its creator's quotaPartitionsPerPrincipal.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BrokerError } from '../errors.js';
import { brokerLimits } from '../limits.js';
import { TopicConfigSchema } from '../topics/topic-config.js';
import type { Quotas } from '../security/quotas.js';
import { principalOf } from '../security/request-principal.js';
import type { TopicService } from '../topics/topic-service.js';
import { TOPIC_NAME_RULE } from '../topics/topic-name.js';
import { answer, NoBody, NoContent, TopicDescriptionAnswer, TopicParams, TopicSummary } from './schemas.js';

export const topicRoutes: FastifyPluginAsyncTypebox<{ topics: TopicService; quotas: Pick<Quotas, 'check' | 'record'> }> = async (app, { topics, quotas }) => {
  const tags = ['topics'];

  /** Runs a topic change of `partitions` within the principal's controller mutation quota. */
  const mutate = async <T>(principal: string, partitions: () => number, change: () => Promise<T>): Promise<T> => {
    quotas.check('mutations', principal);
    const count = partitions();
    const result = await change();
    quotas.record('mutations', principal, count);
    return result;
  };

  app.post('/v1/topics', {
    schema: {
      tags,
      summary: 'Create a topic',
      body: Type.Object(
        {
          name: Type.String({ maxLength: 300, description: TOPIC_NAME_RULE }),
          partitions: Type.Optional(Type.Integer({ minimum: 1, maximum: brokerLimits.partitionsPerTopicMax, default: 1 })),
          config: Type.Optional(TopicConfigSchema),
          temporary: Type.Optional(Type.Boolean({ description: 'deleted after idleMs without a fetch, produce or live subscriber naming it' })),
          idleMs: Type.Optional(Type.Integer({ minimum: brokerLimits.temporaryIdleMsMin, maximum: brokerLimits.temporaryIdleMsMax, description: `temporary topics only; default ${brokerLimits.temporaryIdleMsDefault}` })),
        },
        { additionalProperties: false },
      ),
      response: { 201: TopicDescriptionAnswer },
    },
    handler: async (request, reply) => {
      const { name, partitions, config, temporary, idleMs } = request.body;
      if (idleMs !== undefined && temporary !== true) throw new BrokerError('SPOOL_ERR_BAD_REQUEST', 'idleMs applies to temporary topics only (temporary: true)', { topic: name.slice(0, 300) });
      const temporaryIdleMs = temporary ? (idleMs ?? brokerLimits.temporaryIdleMsDefault) : undefined;
      const principal = principalOf(request);
      const created = await mutate(principal, () => partitions ?? 1, () => topics.create(name, partitions ?? 1, config ?? {}, { temporaryIdleMs, principal }));
      return reply.code(201).send(created);
    },
  });

  app.get('/v1/topics', {
    schema: { tags, summary: 'List topics', response: { 200: Type.Object({ topics: Type.Array(TopicSummary) }) } },
    handler: async () => ({ topics: topics.list() }),
  });

  app.get('/v1/topics/:topic', {
    schema: { tags, summary: 'Describe a topic: config and, per partition, logStartOffset, highWatermark, bytes, segments', params: TopicParams, response: { 200: TopicDescriptionAnswer } },
    handler: async (request) => topics.describe(request.params.topic),
  });

  app.delete('/v1/topics/:topic', {
    schema: { tags, summary: 'Delete a topic and its data', params: TopicParams, response: { 204: NoContent } },
    handler: async (request, reply) => {
      const { topic } = request.params;
      await mutate(principalOf(request), () => topics.partitions(topic).length, () => topics.delete(topic));
      return reply.code(204).send();
    },
  });

  app.patch('/v1/topics/:topic/config', {
    schema: { tags, summary: 'Change topic config (merged with the current overrides)', params: TopicParams, body: TopicConfigSchema, response: { 200: TopicDescriptionAnswer } },
    handler: async (request) => topics.updateConfig(request.params.topic, request.body),
  });

  app.post('/v1/topics/:topic/clean', {
    schema: {
      tags,
      summary: 'Run retention, compaction and the stream cleaner of the topic now; answers, per partition, the segments deleted, the log start offset before and after, what compaction kept and dropped, and what the stream cleaner removed',
      params: TopicParams,
      body: NoBody,
      response: {
        200: answer({
          topic: Type.String(),
          partitions: Type.Array(
            answer({
              partition: Type.Integer(),
              segmentsDeleted: Type.Integer(),
              logStartOffsetBefore: Type.Integer(),
              logStartOffset: Type.Integer(),
              compaction: Type.Union([answer({}, 'what compaction kept and dropped'), Type.Null()]),
              sealedSegments: Type.Integer(),
              streams: Type.Union([answer({}, 'what the stream cleaner did: streamsRebased, segmentsRewritten, recordsDropped'), Type.Null()]),
            }),
          ),
        }),
      },
    },
    handler: async (request) => topics.clean(request.params.topic),
  });
};
