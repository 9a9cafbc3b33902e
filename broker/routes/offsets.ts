/** GET /v1/topics/:topic/partitions/:partition/offsets?timestamp=: offsets for a time, earliest, latest. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { TopicService } from '../topics/topic-service.js';
import { answer, PartitionParams } from './schemas.js';

export const offsetRoutes: FastifyPluginAsyncTypebox<{ topics: TopicService }> = async (app, { topics }) => {
  app.get('/v1/topics/:topic/partitions/:partition/offsets', {
    schema: {
      tags: ['records'],
      summary: 'Earliest and latest offsets, and the first offset at or after ?timestamp= (ms) from the time index',
      params: PartitionParams,
      querystring: Type.Object({ timestamp: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })) }, { additionalProperties: false }),
      response: {
        200: answer({
          earliest: Type.Integer({ description: 'the log start offset' }),
          latest: Type.Integer({ description: 'the high watermark: the next offset to be written' }),
          timestamp: Type.Optional(Type.Integer()),
          offset: Type.Optional(Type.Integer({ description: 'the first offset at or after timestamp (latest when none)' })),
        }),
      },
    },
    handler: async (request) => {
      const log = topics.partition(request.params.topic, request.params.partition);
      const { timestamp } = request.query;
      const answer: { earliest: number; latest: number; timestamp?: number; offset?: number } = {
        earliest: log.logStartOffset,
        latest: log.highWatermark,
      };
      if (timestamp !== undefined) {
        answer.timestamp = timestamp;
        // No record at or after the time: the next record to be written (Kafka answers the log end).
        answer.offset = (await log.offsetForTimestamp(timestamp)) ?? log.highWatermark;
      }
      return answer;
    },
  });
};
