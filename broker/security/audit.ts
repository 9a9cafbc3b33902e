/**
 * The audit log: a pino child logger named `spool.audit`, so operators can route it apart
 * (`jq 'select(.name == "spool.audit")'`). It records authentications (success and failure),
 * changes to users, tokens and ACLs, and destructive admin actions, each with the principal and the
 * client address. It never records a secret: no password, token or Authorization header, only a
 * token's id.
 */
import type { FastifyBaseLogger } from 'fastify';

export const AUDIT_LOGGER_NAME = 'spool.audit';

export interface AuditEvent {
  /** What happened: `authenticate`, `user.put`, `token.create`, `acl.add`, `topic.delete`... */
  action: string;
  /** `User:<name>`, `User:ANONYMOUS` on an open broker, or null when authentication failed. */
  principal: string | null;
  address: string | null;
  outcome: 'success' | 'failure';
  [detail: string]: unknown;
}

export type AuditLog = (event: AuditEvent) => void;

export function auditLog(log: FastifyBaseLogger): AuditLog {
  const audit = log.child({ name: AUDIT_LOGGER_NAME });
  return (event) => {
    if (event.outcome === 'failure') audit.warn(event, `${event.action} failed`);
    else audit.info(event, event.action);
  };
}
