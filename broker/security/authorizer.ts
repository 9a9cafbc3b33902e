/**
 * Decides whether a principal may do an operation on a resource (acl.ts is the model), and manages
 * the ACL entries behind the decisions for the CLI, the admin routes and Kafka's ACL APIs. Entries
 * of a principal are read from spool.db once and cached until an ACL changes, so an authorization
 * costs a walk of the principal's entries and no query.
 */
import { isIP } from 'node:net';
import type Database from 'better-sqlite3';
import { BrokerError } from '../errors.js';
import type { BrokerLimits } from '../limits.js';
import { AclStore } from '../metadata/acl-store.js';
import { type AccessRequest, type AclEntry, CLUSTER_RESOURCE, decide, WILDCARD } from './acl.js';
import { CERTIFICATE_PRINCIPAL } from './certificate-principal.js';
import { USER_NAME } from './credentials.js';
import { ANONYMOUS } from './request-principal.js';

/** An ACL's principal: User:<user name>, User:* (everyone) or User:ANONYMOUS (an open listener). */
const ACL_PRINCIPAL = new RegExp(`^User:(\\*|${USER_NAME.source.replace(/^\^|\$$/g, '')})$`);

export interface AclFilter {
  principal?: string;
  resourceType?: AclEntry['resourceType'];
  resourceName?: string;
}

export class Authorizer {
  private readonly store: AclStore;
  private readonly superUsers: ReadonlySet<string>;
  private readonly cache = new Map<string, AclEntry[]>();

  constructor(db: Database.Database, superUsers: string, private readonly limits: Pick<BrokerLimits, 'aclsMax'>) {
    this.store = new AclStore(db);
    this.superUsers = new Set(superUserList(superUsers));
  }

  isSuperUser(principal: string): boolean {
    return this.superUsers.has(principal);
  }

  allows(principal: string, host: string, request: AccessRequest): boolean {
    if (this.superUsers.has(principal)) return true;
    let entries = this.cache.get(principal);
    if (!entries) {
      entries = this.store.forPrincipal(principal);
      // Bounded like the principals themselves; a miss only costs a query.
      if (this.cache.size >= 10_000) this.cache.clear();
      this.cache.set(principal, entries);
    }
    return decide(entries, principal, host, request);
  }

  /** Throws 403 SPOOL_ERR_FORBIDDEN naming the operation and the resource unless allowed. */
  check(principal: string, host: string, request: AccessRequest): void {
    if (this.allows(principal, host, request)) return;
    const { operation, resourceType, resourceName } = request;
    throw new BrokerError('SPOOL_ERR_FORBIDDEN', `${principal} may not ${operation} ${resourceType} ${resourceName}`, { principal, operation, resourceType, resource: resourceName });
  }

  add(entries: readonly AclEntry[]): number {
    entries.forEach(checkEntry);
    if (this.store.count() + entries.length > this.limits.aclsMax) {
      throw new BrokerError('SPOOL_ERR_TOO_MANY_PRINCIPALS', `the broker holds its maximum of ${this.limits.aclsMax} ACL entries`, { limit: this.limits.aclsMax });
    }
    const added = this.store.add(entries);
    this.cache.clear();
    return added;
  }

  remove(entries: readonly AclEntry[]): AclEntry[] {
    entries.forEach(checkEntry);
    const removed = this.store.remove(entries);
    this.cache.clear();
    return removed;
  }

  list(filter: AclFilter = {}): AclEntry[] {
    return this.store
      .all()
      .filter((entry) => (filter.principal === undefined || entry.principal === filter.principal) && (filter.resourceType === undefined || entry.resourceType === filter.resourceType) && (filter.resourceName === undefined || entry.resourceName === filter.resourceName));
  }
}

/** An entry's principal, names and host, checked before it is stored (the enums are checked by their schemas). */
export function checkEntry(entry: AclEntry): void {
  if (!ACL_PRINCIPAL.test(entry.principal) && entry.principal !== ANONYMOUS && !CERTIFICATE_PRINCIPAL.test(entry.principal)) {
    throw new BrokerError('SPOOL_ERR_INVALID_PRINCIPAL', `principal ${JSON.stringify(entry.principal.slice(0, 140))} is not User:<name>, User:<certificate subject DN> or User:*`, { field: 'principal' });
  }
  if (entry.resourceName.length === 0 || entry.resourceName.length > 249) {
    throw new BrokerError('SPOOL_ERR_BAD_REQUEST', 'resourceName has 1 to 249 characters', { field: 'resourceName', limit: 249 });
  }
  if (entry.resourceType === 'cluster' && entry.resourceName !== CLUSTER_RESOURCE) {
    throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `the cluster resource is named ${CLUSTER_RESOURCE}`, { field: 'resourceName' });
  }
  if (entry.host !== WILDCARD && isIP(entry.host) === 0) {
    throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `host must be * or an IP address, got ${JSON.stringify(entry.host.slice(0, 60))}`, { field: 'host' });
  }
}

/**
 * The superUsers setting: `;`-separated as Kafka's super.users, since a certificate principal
 * (`User:CN=admin,O=Example`) holds commas; a piece without `=` may list user principals with
 * commas (`User:admin,User:ops`), the form before certificates.
 */
export function superUserList(setting: string): string[] {
  return setting.split(';').flatMap((piece) => (piece.includes('=') ? [piece] : piece.split(','))).filter((name) => name !== '');
}
