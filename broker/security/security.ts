/**
 * The broker's security parts, built once from spool.db and the config, and the start-up rule of
 * safe defaults:
 *
 *   users or tokens exist, or      every request authenticates (HTTP) whatever the address
 *   client certificates (tls.ts)
 *   none, loopback addresses       open as before security existed; said once at start-up
 *   none, a non-loopback address   refused (SPOOL_ERR_INVALID_CONFIG) unless allowAnonymous,
 *                                  and then a loud warning
 *
 * and at run time: with a non-loopback address and no allowAnonymous, the last user or token
 * cannot be removed (SPOOL_ERR_LAST_PRINCIPAL), so the broker never turns open while it runs.
 */
import type Database from 'better-sqlite3';
import type { FastifyBaseLogger } from 'fastify';
import type { BrokerConfig } from '../config.js';
import { BrokerError } from '../errors.js';
import type { BrokerLimits } from '../limits.js';
import { type AuditLog, auditLog } from './audit.js';
import { Authenticator } from './authenticator.js';
import { Authorizer } from './authorizer.js';
import { Credentials } from './credentials.js';
import { isLoopback } from './host-check.js';
import { HttpConnectionQuota } from './http-connection-quota.js';
import { Quotas, type QuotaSettings } from './quotas.js';
import { clientCertificatesOn, type TlsConfig } from './tls.js';

export interface Security {
  credentials: Credentials;
  authenticator: Authenticator;
  authorizer: Authorizer;
  audit: AuditLog;
  quotas: Quotas;
  /** quotaConnectionsPerPrincipal on the HTTP listener, counted with the Kafka listener's in `quotas`. */
  connectionQuota: HttpConnectionQuota;
}

type SecurityConfig = Pick<BrokerConfig, 'host' | 'kafkaHost' | 'kafkaPort' | 'allowAnonymous' | 'superUsers'> & QuotaSettings & Partial<TlsConfig>;

/** `kafkaOn`: whether the Kafka listener runs (an embedded broker's runs on a free port with kafkaPort 0). */
export function openSecurity(db: Database.Database, config: SecurityConfig, limits: BrokerLimits, log: FastifyBaseLogger, kafkaOn = config.kafkaPort !== 0): Security {
  const exposed = exposedAddresses(config, kafkaOn);
  const clientCertificates = config.tlsCert !== undefined && clientCertificatesOn(config as TlsConfig);
  const credentials = new Credentials(db, limits, { keepLastPrincipal: exposed.length > 0 && !config.allowAnonymous, clientCertificates });
  const audit = auditLog(log);
  checkSafeDefaults(config, exposed, credentials.hasPrincipals(), log);
  const quotas = new Quotas(config);
  return {
    credentials,
    audit,
    authenticator: new Authenticator(credentials, audit, limits),
    authorizer: new Authorizer(db, config.superUsers, limits),
    quotas,
    connectionQuota: new HttpConnectionQuota(quotas, audit),
  };
}

/** The addresses a config listens on that are not loopback (the Kafka listener's when it is on). */
export function exposedAddresses(config: SecurityConfig, kafkaOn: boolean): string[] {
  const hosts = [config.host, ...(kafkaOn ? [config.kafkaHost] : [])];
  return hosts.filter((host) => !isLoopback(host));
}

function checkSafeDefaults(config: SecurityConfig, exposed: string[], hasPrincipals: boolean, log: FastifyBaseLogger): void {
  if (hasPrincipals) {
    log.info('authentication required: users, tokens or client certificates (docs/security.md)');
    return;
  }
  if (exposed.length === 0) {
    log.info('no users or tokens: the API is open to every process on this machine (loopback only); add a user to require credentials (docs/security.md)');
    return;
  }
  if (!config.allowAnonymous) {
    throw new BrokerError(
      'SPOOL_ERR_INVALID_CONFIG',
      `refusing to listen on ${exposed.join(', ')} without authentication: add a user (spool users add <name> --data-dir ...) or a token first, or pass --allow-anonymous to accept that anyone who reaches the port can read, write and delete everything`,
      { key: 'host' },
    );
  }
  log.warn({ addresses: exposed }, 'ANONYMOUS ACCESS: listening on a non-loopback address with no users or tokens (--allow-anonymous): anyone who reaches the port can read, write and delete everything');
}
