/** GET /v1/topics/:topic/live: Server-Sent Events tail of a topic (all partitions or ?partition=). */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BrokerError } from '../errors.js';
import { runLiveTail } from '../live/live-tail.js';
import { parseLastEventId, resumeTimestampOf, startPosition } from '../live/resume.js';
import type { BrokerMetrics } from '../metrics.js';
import type { TopicService } from '../topics/topic-service.js';
import { TopicParams } from './schemas.js';

export const liveRoutes: FastifyPluginAsyncTypebox<{ topics: TopicService; metrics: BrokerMetrics; maxSubscribers: number }> = async (app, { topics, metrics, maxSubscribers }) => {
  let subscribers = 0;
  const active = new Set<AbortController>();
  // Live tails never go idle: end them before the server waits for open connections to close.
  app.addHook('preClose', async () => {
    for (const subscription of active) subscription.abort();
  });

  app.get('/v1/topics/:topic/live', {
    schema: {
      tags: ['live'],
      summary: 'Live tail over Server-Sent Events; event id partition:offset, resumable with Last-Event-ID',
      params: TopicParams,
      querystring: Type.Object({
        partition: Type.Optional(Type.Integer({ minimum: 0 })),
        from: Type.Optional(Type.Union([Type.Literal('earliest'), Type.Literal('latest')])),
        valueFormat: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('string'), Type.Literal('base64')])),
      }),
    },
    handler: async (request, reply) => {
      const { topic } = request.params;
      const { partition, from, valueFormat } = request.query;
      const logs = partition === undefined ? topics.partitions(topic) : [topics.partition(topic, partition)];
      if (subscribers >= maxSubscribers) {
        throw new BrokerError('SPOOL_ERR_TOO_MANY_SUBSCRIBERS', `${maxSubscribers} live subscribers already`, { retryAfterMs: 1000 });
      }
      const positions = parseLastEventId(request.headers['last-event-id'] as string | undefined);
      const resumeTimestamp = positions.size > 0 ? await resumeTimestampOf(logs, positions, false) : null;
      const sources = [];
      for (const log of logs) sources.push({ log, position: await startPosition(log, positions, false, from ?? 'latest', resumeTimestamp) });
      const abort = new AbortController();
      request.raw.once('close', () => abort.abort());
      reply.raw.once('close', () => abort.abort());
      reply.hijack();
      active.add(abort);
      subscribers++;
      metrics.liveSubscribers.inc();
      try {
        await runLiveTail(reply.raw, sources, {
          qualifiedIds: false,
          valueFormat: valueFormat ?? 'auto',
          signal: abort.signal,
          onRecords: (name, count, bytes) => {
            metrics.recordsOut.inc({ topic: name }, count);
            metrics.bytesOut.inc({ topic: name }, bytes);
          },
        });
      } catch (error) {
        request.log.warn({ err: error, topic }, 'live tail ended by an error');
      } finally {
        active.delete(abort);
        subscribers--;
        metrics.liveSubscribers.dec();
        reply.raw.end();
      }
    },
  });
};
