/**
 * The principal of an HTTP request, set by the authentication hook (http-authentication.ts):
 * `User:<name>`, or `User:ANONYMOUS` on a broker that runs open (Kafka's name for it).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SpoolError } from '../../storage/errors.js';
import type { AccessRequest } from './acl.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: string | null;
    /** Set for a request of an open broker (no users or tokens): never inferred from the principal's name. */
    openBroker: boolean;
    /**
     * Whether this request's principal may do one more access than its route's rule checked (a
     * pattern tail asks it of each topic that joins). False until authentication set it.
     */
    allows: (access: AccessRequest) => boolean;
    /**
     * For a connection that outlives its request (a queue session): a check, to call at each use,
     * that its credentials still hold and its route's ACLs still allow it; answers the error to
     * close with (401 SPOOL_ERR_UNAUTHENTICATED, 403 SPOOL_ERR_FORBIDDEN) or null.
     */
    accessWatch: () => () => SpoolError | null;
  }
}

export const ANONYMOUS = 'User:ANONYMOUS';

export function userPrincipal(user: string): string {
  return `User:${user}`;
}

const refuseAll = (): boolean => false;

export function decoratePrincipal(app: FastifyInstance): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('openBroker', false);
  app.decorateRequest('allows', refuseAll);
}

export function principalOf(request: FastifyRequest): string {
  return request.principal ?? ANONYMOUS;
}
