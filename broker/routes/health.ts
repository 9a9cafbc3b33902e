/** GET /health (liveness and readiness) and GET /metrics (Prometheus text format). */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { answer } from './schemas.js';
import type { BrokerMetrics } from '../metrics.js';

export interface HealthOptions {
  metrics: BrokerMetrics;
  isReady: () => boolean;
  startedAtMs: number;
}

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { metrics, isReady, startedAtMs }) => {
  const Health = answer({ status: Type.Union([Type.Literal('ok'), Type.Literal('shutting-down')]), uptimeMs: Type.Integer() });
  app.get('/health', { schema: { tags: ['operations'], summary: 'Liveness and readiness', response: { 200: Health, 503: Health } } }, async (_request, reply) => {
    const ready = isReady();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'shutting-down', uptimeMs: Date.now() - startedAtMs });
  });

  app.get('/metrics', {
    schema: { tags: ['operations'], summary: 'Prometheus metrics', response: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: Type.String() } } } } },
  }, async (_request, reply) => {
    const { contentType, text } = await metrics.scrape();
    return reply.type(contentType).send(text);
  });
};
