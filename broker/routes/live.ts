/** GET /v1/topics/:topic/live: Server-Sent Events tail of a topic (all partitions or ?partition=). */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type LiveDeps, serveLive } from '../live/live-session.js';
import { TopicParams } from './schemas.js';

export const FromQuery = Type.Optional(Type.Union([Type.Literal('earliest'), Type.Literal('latest')]));
export const ValueFormatQuery = Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('string'), Type.Literal('base64')]));
export const MaxRecordsPerSecQuery = Type.Optional(
  Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'a sampled tail: at most this many records a second; when behind, skip to the newest (event skipped)' }),
);

export const liveRoutes: FastifyPluginAsyncTypebox<LiveDeps> = async (app, deps) => {
  // Live tails never go idle: end them before the server waits for open connections to close.
  app.addHook('preClose', async () => deps.registry.abortAll());

  app.get('/v1/topics/:topic/live', {
    schema: {
      tags: ['live'],
      summary: 'Live tail over Server-Sent Events; event id partition:offset, resumable with Last-Event-ID',
      params: TopicParams,
      querystring: Type.Object({
        partition: Type.Optional(Type.Integer({ minimum: 0 })),
        from: FromQuery,
        valueFormat: ValueFormatQuery,
        maxRecordsPerSec: MaxRecordsPerSecQuery,
      }),
    },
    handler: async (request, reply) => {
      const { topic } = request.params;
      const { partition, from, valueFormat, maxRecordsPerSec } = request.query;
      const logs = partition === undefined ? deps.topics.partitions(topic) : [deps.topics.partition(topic, partition)];
      await serveLive(request, reply, deps, { named: [topic], logs, qualifiedIds: false, from, valueFormat, maxRecordsPerSec });
    },
  });
};
