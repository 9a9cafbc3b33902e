/** GET /v1/topics/:topic/live: Server-Sent Events tail of a topic (all partitions or ?partition=). */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type LiveDeps, serveLive } from '../live/live-session.js';
import { EventStream, FromSchema, MaxRecordsPerSecSchema, TopicParams, ValueFormatSchema } from './schemas.js';


export const liveRoutes: FastifyPluginAsyncTypebox<LiveDeps> = async (app, deps) => {
  // Live tails never go idle: end them before the server waits for open connections to close.
  app.addHook('preClose', async () => deps.registry.abortAll());

  app.get('/v1/topics/:topic/live', {
    schema: {
      tags: ['live'],
      summary: 'Live tail over Server-Sent Events; event id partition:offset, resumable with Last-Event-ID',
      params: TopicParams,
      querystring: Type.Object(
        {
          partition: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
          from: Type.Optional(FromSchema),
          valueFormat: Type.Optional(ValueFormatSchema),
          maxRecordsPerSec: Type.Optional(MaxRecordsPerSecSchema),
        },
        { additionalProperties: false },
      ),
      response: { 200: EventStream },
    },
    handler: async (request, reply) => {
      const { topic } = request.params;
      const { partition, from, valueFormat, maxRecordsPerSec } = request.query;
      const logs = partition === undefined ? deps.topics.partitions(topic) : [deps.topics.partition(topic, partition)];
      await serveLive(request, reply, deps, { named: [topic], logs, qualifiedIds: false, from, valueFormat, maxRecordsPerSec });
    },
  });
};
