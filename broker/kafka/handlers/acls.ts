/**
 * CreateAcls (30), DescribeAcls (29), DeleteAcls (31): the same ACL entries as `spool acl` and
 * /v1/admin/acls, through the same authorizer (its checks and its aclsMax), audited like the admin
 * routes. Codes and filters in Kafka's terms: security/acl-kafka.ts. A creation or filter Spool
 * cannot take (an unknown code, a type Spool has no resource for, a bad principal or host) is
 * answered INVALID_REQUEST on its own, as Kafka does; the others are served. The authorizer is
 * always there (an open broker keeps ACLs for when it requires credentials), so SECURITY_DISABLED
 * is never answered. Without Alter (Describe) on the cluster every result is
 * CLUSTER_AUTHORIZATION_FAILED.
 */
import { type AclEntry } from '../../security/acl.js';
import { entryFromKafka, entryToKafka, InvalidAcl, kafkaFilter, type KafkaAclFields } from '../../security/acl-kafka.js';
import { checkEntry } from '../../security/authorizer.js';
import type { KafkaApi, KafkaRequest, KafkaServices } from '../context.js';
import { KafkaErrorCode, kafkaErrorOf, type KafkaErrorAnswer } from '../error-codes.js';
import type { Message } from '../protocol/codec.js';

const OK = { errorCode: KafkaErrorCode.NONE, errorMessage: null };

function errorOf(error: unknown): KafkaErrorAnswer {
  return error instanceof InvalidAcl ? { errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: error.message } : kafkaErrorOf(error);
}

function filterFields(filter: Message): KafkaAclFields {
  return {
    resourceType: filter.resourceTypeFilter,
    resourceName: filter.resourceNameFilter,
    patternType: filter.patternTypeFilter,
    principal: filter.principalFilter,
    host: filter.hostFilter,
    operation: filter.operation,
    permissionType: filter.permissionType,
  };
}

function audit(action: string, request: KafkaRequest, services: KafkaServices, acls: AclEntry[]): void {
  if (acls.length > 0) services.security.audit({ action, principal: request.session.principal, address: request.session.address, outcome: 'success', acls, via: 'kafka' });
}

/** CreateAcls and DeleteAcls need Alter on the cluster: each entry of a refused request says so. */
function alterRefusal(request: KafkaRequest): { errorCode: number; errorMessage: string } | null {
  const refused = request.refused.cluster;
  return refused === null ? null : { errorCode: refused, errorMessage: 'not authorized to Alter the cluster' };
}

export const createAcls: KafkaApi = {
  name: 'CreateAcls',
  answersRefusals: true,
  handle(body, request, services) {
    const creations = body.creations as Message[];
    const refusal = alterRefusal(request);
    if (refusal !== null) return { throttleTimeMs: 0, results: creations.map(() => refusal) };
    const results: Message[] = [];
    const valid: Array<{ index: number; entry: AclEntry }> = [];
    for (const creation of creations) {
      try {
        const entry = entryFromKafka({ ...(creation as KafkaAclFields), patternType: creation.resourcePatternType });
        checkEntry(entry);
        valid.push({ index: results.length, entry });
        results.push(OK);
      } catch (error) {
        results.push(errorOf(error));
      }
    }
    try {
      services.security.authorizer.add(valid.map(({ entry }) => entry));
      audit('acl.add', request, services, valid.map(({ entry }) => entry));
    } catch (error) {
      for (const { index } of valid) results[index] = errorOf(error);
    }
    return { throttleTimeMs: 0, results };
  },
};

/** Entries grouped by resource, as DescribeAcls answers them. */
function byResource(entries: AclEntry[]): Message[] {
  const resources = new Map<string, Message>();
  for (const entry of entries) {
    const wire = entryToKafka(entry);
    const key = `${wire.resourceType}\u0000${wire.patternType}\u0000${wire.resourceName}`;
    let resource = resources.get(key);
    if (!resource) resources.set(key, (resource = { resourceType: wire.resourceType, resourceName: wire.resourceName, patternType: wire.patternType, acls: [] }));
    resource.acls.push({ principal: wire.principal, host: wire.host, operation: wire.operation, permissionType: wire.permissionType });
  }
  return [...resources.values()];
}

export const describeAcls: KafkaApi = {
  name: 'DescribeAcls',
  handle(body, _request, services) {
    try {
      const matches = kafkaFilter(filterFields(body));
      return { throttleTimeMs: 0, ...OK, resources: byResource(services.security.authorizer.list().filter(matches)) };
    } catch (error) {
      return { throttleTimeMs: 0, ...errorOf(error), resources: [] };
    }
  },
};

export const deleteAcls: KafkaApi = {
  name: 'DeleteAcls',
  answersRefusals: true,
  handle(body, request, services) {
    const filters = body.filters as Message[];
    const refusal = alterRefusal(request);
    if (refusal !== null) return { throttleTimeMs: 0, filterResults: filters.map(() => ({ ...refusal, matchingAcls: [] })) };
    const filterResults = filters.map((filter) => {
      try {
        const matches = kafkaFilter(filterFields(filter));
        const removed = services.security.authorizer.remove(services.security.authorizer.list().filter(matches));
        audit('acl.remove', request, services, removed);
        return { ...OK, matchingAcls: removed.map((entry) => ({ ...OK, ...entryToKafka(entry) })) };
      } catch (error) {
        return { ...errorOf(error), matchingAcls: [] };
      }
    });
    return { throttleTimeMs: 0, filterResults };
  },
};
