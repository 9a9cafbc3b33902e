/**
 * Swagger's /docs (the UI, /docs/json, /docs/yaml), built at its first request: @fastify/swagger
 * and @fastify/swagger-ui with what they bring (yaml, @fastify/static, glob, send...: ~100 modules,
 * ~2 MB of heap) were loaded and registered by every broker, and an idle one never serves /docs
 * (issue 22: idle memory of an embedded broker).
 *
 * The main app answers `/docs` and `/docs/*` by asking a small fastify instance made on first use:
 * it holds Swagger and the API's routes (the route table of route-table.ts: method, url, schema,
 * hidden routes already left out), with handlers that are never called, so the document is
 * generated from the same schemas as before.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { RouteEntry } from './route-table.js';

/** Hop-by-hop headers of the inner answer, which the outer reply sets itself. */
const OWN_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date', 'content-length']);

async function buildDocsApp(routes: readonly RouteEntry[], title: string, description: string): Promise<FastifyInstance> {
  const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([import('@fastify/swagger'), import('@fastify/swagger-ui')]);
  const docs = Fastify({ logger: false });
  // Nothing is validated or serialized here: the handlers are never called.
  docs.setValidatorCompiler(() => () => true);
  docs.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await docs.register(swagger, { openapi: { info: { title, version: '1', description } } });
  await docs.register(swaggerUi, { routePrefix: '/docs' });
  for (const route of routes) docs.route({ method: route.method as 'GET', url: route.url, schema: route.schema, handler: async () => undefined });
  await docs.ready();
  return docs;
}

export function registerLazyDocs(app: FastifyInstance, routes: readonly RouteEntry[], info: { title: string; description: string }): { close(): Promise<void> } {
  let docs: Promise<FastifyInstance> | null = null;
  const answer = async (request: { method: string; url: string; headers: Record<string, string | string[] | undefined> }, reply: import('fastify').FastifyReply) => {
    docs ??= buildDocsApp(routes, info.title, info.description);
    const inner = await (await docs).inject({ method: request.method as 'GET', url: request.url, headers: request.headers as Record<string, string> });
    for (const [name, value] of Object.entries(inner.headers)) if (!OWN_HEADERS.has(name) && value !== undefined) reply.header(name, value);
    return reply.code(inner.statusCode).send(inner.rawPayload);
  };
  app.get('/docs', answer);
  app.get('/docs/*', answer);
  return {
    async close() {
      if (docs) await (await docs).close();
    },
  };
}
