/**
 * The HTTP API's security hooks, in the order a request meets them:
 *
 *   onRequest   Host header (host-check.ts), then who is asking (authenticator.ts): public routes
 *               and an open broker (no users or tokens) skip authentication; the body is not
 *               even read for a request that fails it. An authenticated request's connection
 *               holds a slot of its principal (quotaConnectionsPerPrincipal, http-connection-quota.ts)
 *   preValidation  what the route needs (permissions.ts) against the ACLs (authorizer.ts), once
 *               the body is parsed (POST /v1/topics names its topic there) and before it is
 *               validated, so a principal without the ACL learns nothing of the route's schema.
 *               A path or body resource missing from the request is refused (fail closed); an
 *               absent query parameter names no resource (GET /v1/live takes ?topic= or ?pattern=)
 *
 * A route without an entry in permissions.ts is allowed to superusers only (fail closed); the
 * permissions test keeps that from happening.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BrokerError } from '../errors.js';
import type { AccessRequest } from './acl.js';
import type { AuditLog } from './audit.js';
import { type Authenticator, unauthenticated } from './authenticator.js';
import type { Authorizer } from './authorizer.js';
import type { Credentials } from './credentials.js';
import { hostChecker } from './host-check.js';
import type { HttpConnectionQuota } from './http-connection-quota.js';
import type { Need, Rule } from './permissions.js';
import { ANONYMOUS, decoratePrincipal } from './request-principal.js';
import { decorateRouteFacts, type RouteFacts, routeFacts } from './route-facts.js';

export interface HttpSecurityOptions {
  credentials: Credentials;
  authenticator: Authenticator;
  authorizer: Authorizer;
  allowedHosts: string;
  metricsAuth: boolean;
  audit: AuditLog;
  connectionQuota: HttpConnectionQuota;
}

/** Challenges of a 401. Browsers' fetches get Bearer only: a Basic challenge would pop up the browser's own login box over the console. */
function challenge(request: FastifyRequest): string {
  const fromScript = request.headers['sec-fetch-mode'] !== undefined && request.headers['sec-fetch-mode'] !== 'navigate';
  return fromScript ? 'Bearer realm="spool"' : 'Bearer realm="spool", Basic realm="spool", charset="UTF-8"';
}

function isPublic(rule: Rule | undefined, metricsAuth: boolean): boolean {
  if (rule === undefined) return false;
  if (rule.access === 'public') return true;
  return rule.access === 'needs' && rule.publicUnless === 'metricsAuth' && !metricsAuth;
}

const allowAll = (): boolean => true;

export function registerHttpSecurity(app: FastifyInstance, options: HttpSecurityOptions): void {
  const { credentials, authenticator, authorizer, metricsAuth } = options;
  const hostAllowed = hostChecker(options.allowedHosts);
  decoratePrincipal(app);
  decorateRouteFacts(app);
  app.decorateRequest('accessWatch', function (this: FastifyRequest) {
    return watchAccess(this, authenticator, authorizer);
  });

  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    if (!hostAllowed(request.headers.host)) {
      done(new BrokerError('SPOOL_ERR_HOST_NOT_ALLOWED', `Host ${JSON.stringify(request.headers.host?.slice(0, 300))} is not one of this broker's names (allowedHosts)`, { field: 'host' }));
      return;
    }
    // The fast path of an open broker: one cached boolean, no promise.
    if (!credentials.hasPrincipals() || isPublic(routeFacts(request).rule, metricsAuth)) {
      request.openBroker = !credentials.hasPrincipals();
      request.principal = request.openBroker ? ANONYMOUS : null;
      if (request.openBroker) request.allows = allowAll;
      done();
      return;
    }
    authenticator.authenticate(request).then(
      (principal) => {
        request.principal = principal;
        request.allows = (access) => authorizer.allows(principal, request.ip, access);
        try {
          options.connectionQuota.hold(request.raw.socket, principal);
        } catch (error) {
          // Over the quota: this answer explains why, then the connection goes.
          reply.header('connection', 'close');
          return done(error as Error);
        }
        done();
      },
      (error: unknown) => {
        if (error instanceof BrokerError && error.code === 'SPOOL_ERR_UNAUTHENTICATED') reply.header('www-authenticate', challenge(request));
        done(error as Error);
      },
    );
  });

  // Destructive admin actions (deletes, config changes, resets) are audited once they succeeded.
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = routeFacts(request);
    if (reply.statusCode < 400 && isDestructive(request, route)) {
      options.audit({ action: `${request.method} ${route.url}`, principal: request.principal, address: request.ip, outcome: 'success', params: request.params });
    }
    done();
  });

  app.addHook('preValidation', (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
    const principal = request.principal;
    // Open broker or a public route (no principal): nothing to authorize. The flag, not the
    // principal's name, says which: a principal named ANONYMOUS is authorized like any other.
    if (principal === null || request.openBroker) return done();
    try {
      authorize(request, principal, routeFacts(request).rule, authorizer);
      done();
    } catch (error) {
      done(error as Error);
    }
  });
}

/** The request's authentication and authorization again, at each use of a connection it opened (request-principal.ts's accessWatch). */
function watchAccess(request: FastifyRequest, authenticator: Authenticator, authorizer: Authorizer): () => BrokerError | null {
  const principal = request.principal;
  if (principal === null || request.openBroker) return () => null;
  const live = authenticator.liveness(request);
  const rule = routeFacts(request).rule;
  return () => {
    if (!live()) return unauthenticated('the credentials this connection was opened with were revoked, expired or changed: connect again');
    try {
      authorize(request, principal, rule, authorizer);
      return null;
    } catch (error) {
      return error as BrokerError;
    }
  };
}

const DESTRUCTIVE = new Set(['Delete', 'Alter', 'AlterConfigs']);

function isDestructive(request: FastifyRequest, { url, rule }: RouteFacts): boolean {
  if (rule?.access !== 'needs') return false;
  // Users, tokens and ACLs have their own audit lines, with what changed.
  if (url?.startsWith('/v1/admin/')) return false;
  return request.method === 'DELETE' || rule.needs.some((need) => DESTRUCTIVE.has(need.operation));
}

function authorize(request: FastifyRequest, principal: string, rule: Rule | undefined, authorizer: Authorizer): void {
  if (rule === undefined) {
    if (authorizer.isSuperUser(principal)) return;
    throw new BrokerError('SPOOL_ERR_FORBIDDEN', `${principal} may not call ${request.method} ${request.url.split('?')[0]} (a route without an ACL rule is for superusers only)`, { principal });
  }
  if (rule.access !== 'needs') return;
  for (const need of rule.needs) {
    const accesses = accessRequests(need, request);
    if (accesses.length === 0 && !need.resource.startsWith('query.')) {
      throw new BrokerError('SPOOL_ERR_FORBIDDEN', `${principal} may not ${need.operation} ${need.resourceType}: the request names none (${need.resource})`, { principal, operation: need.operation, resourceType: need.resourceType });
    }
    for (const access of accesses) authorizer.check(principal, request.ip, access);
  }
}

/** The resources one need names in this request (a repeated query parameter names several). */
export function accessRequests(need: Need, request: FastifyRequest): AccessRequest[] {
  const { operation, resourceType, resource } = need;
  const field = (source: unknown, name: string): unknown => (source as Record<string, unknown> | null | undefined)?.[name];
  let values: unknown;
  if (resource.startsWith(':')) values = field(request.params, resource.slice(1));
  else if (resource.startsWith('body.')) values = bodyValues(request.body, resource.slice(5));
  else if (resource.startsWith('query.')) values = field(request.query, resource.slice(6));
  else values = resource;
  const names = [values].flat().filter((value): value is string => typeof value === 'string');
  return names.map((name) => ({ operation, resourceType, resourceName: resource === 'query.pattern' ? patternPrefix(name) : name, ...(resource === 'query.pattern' ? { prefixOnly: true } : {}) }));
}

/** The values at a body path such as `offsets[].topic`: `[]` walks an array, the last segment is the name. */
export function bodyValues(body: unknown, path: string): unknown[] {
  let values: unknown[] = [body];
  for (const segment of path.split('.')) {
    const array = segment.endsWith('[]');
    const name = array ? segment.slice(0, -2) : segment;
    values = values.flatMap((value) => {
      const next = (value as Record<string, unknown> | null | undefined)?.[name];
      return array ? (Array.isArray(next) ? next : []) : [next];
    });
  }
  return values;
}

/**
 * The topic names a pattern (`orders.*`, `logs.#`) can match all start with its words before the
 * first wildcard: `orders.` for `orders.*`, but `logs` for `logs.#` (which matches `logs` itself).
 * Reading by pattern needs Read on that prefix through a prefixed ACL (or on every topic, `*`).
 */
function patternPrefix(pattern: string): string {
  const words = pattern.split('.');
  const first = words.findIndex((word) => word === '*' || word === '#');
  if (first === -1) return pattern;
  const literal = words.slice(0, first).join('.');
  return words[first] === '#' || literal === '' ? literal : `${literal}.`;
}
