/** GET /health (liveness and readiness) and GET /metrics (Prometheus text format). */
import type { FastifyPluginAsync } from 'fastify';
import type { BrokerMetrics } from '../metrics.js';

export interface HealthOptions {
  metrics: BrokerMetrics;
  isReady: () => boolean;
  startedAtMs: number;
}

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { metrics, isReady, startedAtMs }) => {
  app.get('/health', { schema: { tags: ['operations'], summary: 'Liveness and readiness' } }, async (_request, reply) => {
    const ready = isReady();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'shutting-down', uptimeMs: Date.now() - startedAtMs });
  });

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics', hide: false } }, async (_request, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.scrape());
  });
};
