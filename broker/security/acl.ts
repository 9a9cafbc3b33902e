/**
 * ACLs in Kafka's model (kafka.security.authorizer.AclAuthorizer), so Kafka's admin tools and
 * Spool's CLI manage the same entries:
 *
 *   principal      User:<name>, or User:* for every principal
 *   resource       type topic | group | cluster | queue, a name, and a pattern type:
 *                  literal (exactly the name; the name * matches every resource of the type)
 *                  or prefixed (every name starting with it)
 *   operation      Read Write Create Delete Alter Describe DescribeConfigs AlterConfigs, or All
 *   permission     allow | deny: a matching deny wins over any allow
 *   host           the client's address, or * for any
 *
 * As in Kafka, granting Read, Write, Delete or Alter grants Describe too, and AlterConfigs grants
 * DescribeConfigs. No matching allow means denied (Kafka's allow.everyone.if.no.acl.found=false);
 * superusers (the superUsers setting) are allowed everything. The cluster is one resource,
 * named `kafka-cluster` as in Kafka.
 */
import { canonicalAddress } from './ip-address.js';

export const RESOURCE_TYPES = ['topic', 'group', 'cluster', 'queue'] as const;
export const PATTERN_TYPES = ['literal', 'prefixed'] as const;
export const OPERATIONS = ['All', 'Read', 'Write', 'Create', 'Delete', 'Alter', 'Describe', 'DescribeConfigs', 'AlterConfigs'] as const;
export const PERMISSIONS = ['allow', 'deny'] as const;

export type ResourceType = (typeof RESOURCE_TYPES)[number];
export type PatternType = (typeof PATTERN_TYPES)[number];
export type Operation = (typeof OPERATIONS)[number];
export type Permission = (typeof PERMISSIONS)[number];

export const CLUSTER_RESOURCE = 'kafka-cluster';
export const WILDCARD = '*';

export interface AclEntry {
  principal: string;
  resourceType: ResourceType;
  resourceName: string;
  patternType: PatternType;
  operation: Operation;
  permission: Permission;
  host: string;
}

/** What one operation on one resource needs: the question an authorization asks. */
export interface AccessRequest {
  operation: Exclude<Operation, 'All'>;
  resourceType: ResourceType;
  resourceName: string;
  /**
   * The name is the common prefix of the resources asked for (a topic pattern's words before its
   * first wildcard), not one resource: only `*` and prefixed entries covering the prefix match.
   */
  prefixOnly?: boolean;
}

/** Operations whose allow also allows another (Kafka's implied operations). */
const IMPLIED_BY: Partial<Record<Operation, readonly Operation[]>> = {
  Describe: ['Read', 'Write', 'Delete', 'Alter'],
  DescribeConfigs: ['AlterConfigs'],
};

export function resourceMatches(entry: Pick<AclEntry, 'resourceType' | 'resourceName' | 'patternType'>, type: ResourceType, name: string, prefixOnly = false): boolean {
  if (entry.resourceType !== type) return false;
  if (entry.patternType === 'prefixed') return name.startsWith(entry.resourceName);
  return entry.resourceName === WILDCARD || (!prefixOnly && entry.resourceName === name);
}

/** Whether an entry covers some resource whose name starts with `prefix` (a literal longer name, or a prefixed entry either way). */
function mayOverlapPrefix(entry: Pick<AclEntry, 'resourceType' | 'resourceName' | 'patternType'>, type: ResourceType, prefix: string): boolean {
  if (entry.resourceType !== type) return false;
  if (entry.patternType === 'prefixed') return entry.resourceName.startsWith(prefix) || prefix.startsWith(entry.resourceName);
  return entry.resourceName === WILDCARD || entry.resourceName.startsWith(prefix);
}

function principalMatches(entry: AclEntry, principal: string): boolean {
  return entry.principal === principal || entry.principal === 'User:*';
}

function hostMatches(entry: AclEntry, host: string): boolean {
  return entry.host === WILDCARD || entry.host === host || canonicalAddress(entry.host) === canonicalAddress(host);
}

/**
 * Whether `entries` (those of the principal and of User:*) let `principal` from `host` do the
 * request: some allow matches and no deny does.
 */
export function decide(entries: readonly AclEntry[], principal: string, host: string, request: AccessRequest): boolean {
  const concerning = entries.filter((entry) => principalMatches(entry, principal) && hostMatches(entry, host));
  // A prefix asks for many resources: any deny that could cover one of them refuses it all.
  const denies = concerning.some(
    (entry) => entry.permission === 'deny' && (entry.operation === 'All' || entry.operation === request.operation) && (request.prefixOnly ? mayOverlapPrefix(entry, request.resourceType, request.resourceName) : resourceMatches(entry, request.resourceType, request.resourceName)),
  );
  if (denies) return false;
  const applicable = concerning.filter((entry) => resourceMatches(entry, request.resourceType, request.resourceName, request.prefixOnly));
  const granting = new Set<Operation>(['All', request.operation, ...(IMPLIED_BY[request.operation] ?? [])]);
  return applicable.some((entry) => entry.permission === 'allow' && granting.has(entry.operation));
}

/** Case-insensitive parse of an operation, resource type or pattern type (Kafka's tools print them in several cases). */
export function parseEnum<T extends string>(values: readonly T[], text: string): T | null {
  const lower = text.toLowerCase().replace(/_/g, '');
  return values.find((value) => value.toLowerCase() === lower) ?? null;
}
