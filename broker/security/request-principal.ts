/**
 * The principal of an HTTP request, set by the authentication hook (http-authentication.ts):
 * `User:<name>`, or `User:ANONYMOUS` on a broker that runs open (Kafka's name for it).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    principal: string | null;
  }
}

export const ANONYMOUS = 'User:ANONYMOUS';

export function userPrincipal(user: string): string {
  return `User:${user}`;
}

export function decoratePrincipal(app: FastifyInstance): void {
  app.decorateRequest('principal', null);
}

export function principalOf(request: FastifyRequest): string {
  return request.principal ?? ANONYMOUS;
}
