/**
 * The route table, and the one rule that makes every route strict about what it accepts: a route
 * that declares no query string accepts none (`?ofset=5` on a route without query parameters is a
 * 400 naming it, like a typo in a declared one). Body, query and path schemas of the routes
 * themselves are TypeBox objects without additional properties; test/broker/route-schemas.test.ts
 * walks this table and fails on a route that is not.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { ErrorBody } from '../routes/schemas.js';

export interface RouteEntry {
  method: string;
  url: string;
  schema: FastifySchema & { hide?: boolean; summary?: string };
}

const NO_QUERY = Type.Object({}, { additionalProperties: false });

/**
 * Registers the hook before any route; `routes` receives each route as it is added. Answers are
 * serialized by JSON.stringify whatever their schema: response schemas document the API (OpenAPI)
 * and never change what is sent (a schema-driven serializer drops fields the schema does not name
 * and coerces types, so a field added to an answer could vanish without a test noticing).
 */
export function strictRouteSchemas(app: FastifyInstance, routes: RouteEntry[], served: string[] = []): void {
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addHook('onRoute', (route) => {
    // Every route but Swagger's, hidden ones too: the permission table must cover them all.
    if (!route.url.startsWith('/docs')) for (const method of [route.method].flat()) if (method !== 'HEAD') served.push(`${method} ${route.url}`);
    const schema = (route.schema ??= {}) as RouteEntry['schema'];
    // Swagger's own routes (/docs/*) are not the API: they keep fastify's defaults.
    if (schema.hide === true || route.url.startsWith('/docs')) return;
    schema.querystring ??= NO_QUERY;
    // Every route may answer an error, always in the one shape (broker/http/error-handler.ts).
    const response = (schema.response ??= {}) as Record<string, unknown>;
    response['4xx'] ??= ErrorBody;
    response['5xx'] ??= ErrorBody;
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, schema });
  });
}
