/**
 * The ACL model (acl.ts) in Kafka's wire terms, for CreateAcls, DescribeAcls and DeleteAcls:
 * the enum codes of org.apache.kafka.common.acl / .resource, and Kafka's binding filters.
 *
 *   resource type   TOPIC 2, GROUP 3, CLUSTER 4; Spool's queue is QUEUE_RESOURCE_TYPE (100, a
 *                   code Kafka does not use: Java clients show it as UNKNOWN); Kafka's others
 *                   (TRANSACTIONAL_ID, DELEGATION_TOKEN, USER) name nothing Spool has
 *   pattern type    LITERAL 3, PREFIXED 4; in a filter also ANY 1 and MATCH 2
 *   operation       ALL 2 ... ALTER_CONFIGS 11 (those acl.ts knows); in a filter also ANY 1
 *   permission      DENY 2, ALLOW 3; in a filter also ANY 1
 *
 * A filter's null name, principal or host matches any. MATCH matches the entries that would apply
 * to the named resource: the literal name, the literal `*`, and each prefix the name starts with.
 */
import { type AclEntry, type Operation, type PatternType, type Permission, resourceMatches, type ResourceType, WILDCARD } from './acl.js';

const ANY = 1;
const MATCH = 2;
export const QUEUE_RESOURCE_TYPE = 100;

const RESOURCE_CODES: Readonly<Record<ResourceType, number>> = { topic: 2, group: 3, cluster: 4, queue: QUEUE_RESOURCE_TYPE };
const PATTERN_CODES: Readonly<Record<PatternType, number>> = { literal: 3, prefixed: 4 };
const OPERATION_CODES: Readonly<Record<Operation, number>> = { All: 2, Read: 3, Write: 4, Create: 5, Delete: 6, Alter: 7, Describe: 8, DescribeConfigs: 10, AlterConfigs: 11 };
const PERMISSION_CODES: Readonly<Record<Permission, number>> = { deny: 2, allow: 3 };

/** An ACL entry on the wire (CreateAcls' creation, DescribeAcls' and DeleteAcls' filters). */
export interface KafkaAclFields {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}

/** Thrown for a code or value Spool cannot take; answered INVALID_REQUEST with its message. */
export class InvalidAcl extends Error {}

function fromCode<T extends string>(codes: Readonly<Record<T, number>>, code: number, what: string): T {
  const found = (Object.keys(codes) as T[]).find((key) => codes[key] === code);
  if (found === undefined) throw new InvalidAcl(`${what} ${code} is not one Spool serves (${Object.entries(codes).map(([name, value]) => `${value} ${name}`).join(', ')})`);
  return found;
}

/** A creation as an entry to store (its principal, names and host are checked by the authorizer). */
export function entryFromKafka(fields: KafkaAclFields): AclEntry {
  return {
    principal: fields.principal ?? '',
    resourceType: fromCode(RESOURCE_CODES, fields.resourceType, 'resource type'),
    resourceName: fields.resourceName ?? '',
    patternType: fromCode(PATTERN_CODES, fields.patternType, 'pattern type'),
    operation: fromCode(OPERATION_CODES, fields.operation, 'operation'),
    permission: fromCode(PERMISSION_CODES, fields.permissionType, 'permission type'),
    host: fields.host ?? WILDCARD,
  };
}

export function entryToKafka(entry: AclEntry): KafkaAclFields {
  return {
    resourceType: RESOURCE_CODES[entry.resourceType],
    resourceName: entry.resourceName,
    patternType: PATTERN_CODES[entry.patternType],
    principal: entry.principal,
    host: entry.host,
    operation: OPERATION_CODES[entry.operation],
    permissionType: PERMISSION_CODES[entry.permission],
  };
}

/** Checks a filter's codes (ANY allowed; MATCH for the pattern), and answers whether an entry matches it. */
export function kafkaFilter(filter: KafkaAclFields): (entry: AclEntry) => boolean {
  const type = filter.resourceType === ANY ? null : fromCode(RESOURCE_CODES, filter.resourceType, 'resource type');
  const pattern = filter.patternType === ANY || filter.patternType === MATCH ? null : fromCode(PATTERN_CODES, filter.patternType, 'pattern type');
  const operation = filter.operation === ANY ? null : fromCode(OPERATION_CODES, filter.operation, 'operation');
  const permission = filter.permissionType === ANY ? null : fromCode(PERMISSION_CODES, filter.permissionType, 'permission type');
  const { resourceName: name, principal, host } = filter;
  const nameMatches = (entry: AclEntry): boolean => {
    if (name === null) return true;
    if (filter.patternType === MATCH) return resourceMatches(entry, entry.resourceType, name);
    return entry.resourceName === name;
  };
  return (entry) =>
    (type === null || entry.resourceType === type) &&
    (pattern === null || entry.patternType === pattern) &&
    (operation === null || entry.operation === operation) &&
    (permission === null || entry.permission === permission) &&
    (principal === null || entry.principal === principal) &&
    (host === null || entry.host === host) &&
    nameMatches(entry);
}
