/**
 * What the global hooks need of a request's route, its URL pattern and its permission rule, found
 * once per request and computed once per route: fastify's `request.routeOptions` builds a new
 * object of a dozen fields on every read, and the authentication, authorization, audit and metrics
 * hooks each asked it (with a string key built for the rule each time).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { httpPermissions, type Rule } from './permissions.js';

export interface RouteFacts {
  /** The route's URL pattern (`/v1/topics/:topic/records`); undefined when no route matched (404). */
  readonly url: string | undefined;
  /** Its entry in permissions.ts; undefined for a route without one (superusers only) and a 404. */
  readonly rule: Rule | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by routeFacts() at its first call for this request. */
    routeFacts: RouteFacts | null;
  }
}

export function decorateRouteFacts(app: FastifyInstance): void {
  app.decorateRequest('routeFacts', null);
}

/** Per route (fastify's config object of a route, one per registration) and per method. */
const byRoute = new WeakMap<object, Map<string, RouteFacts>>();

export function routeFacts(request: FastifyRequest): RouteFacts {
  if (request.routeFacts) return request.routeFacts;
  const { url, config } = request.routeOptions;
  const method = request.method;
  let methods = byRoute.get(config);
  if (methods === undefined) byRoute.set(config, (methods = new Map()));
  let facts = methods.get(method);
  if (facts === undefined) methods.set(method, (facts = { url, rule: ruleOf(method, url) }));
  request.routeFacts = facts;
  return facts;
}

function ruleOf(method: string, url: string | undefined): Rule | undefined {
  if (url === undefined) return undefined;
  // Swagger's pages and the OpenAPI document describe the API and hold no data.
  if (url === '/docs' || url.startsWith('/docs/')) return { access: 'public' };
  // CORS preflights (registered only with corsOrigin) carry no credentials by the CORS rules and
  // are answered by @fastify/cors with its headers alone: a 401 would make CORS unusable.
  if (method === 'OPTIONS' && url === '*') return { access: 'public' };
  return httpPermissions[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}
