/**
 * Who may call which Kafka API, from the one permission table (security/permissions.ts):
 *
 *   no users or tokens        nothing is checked (asked on every request: adding the first user
 *                             closes the door of connections already open)
 *   not authenticated yet     only the public APIs (ApiVersions, SaslHandshake, SaslAuthenticate);
 *                             anything else closes the connection, as Kafka does on a SASL listener
 *   authenticated             each resource the request names (the table's `request.` path) is
 *                             checked, and the refused ones are answered as Kafka answers them:
 *                             the handler gets the refusals and answers TOPIC_, GROUP_ or
 *                             CLUSTER_AUTHORIZATION_FAILED for each refused topic, group or the
 *                             cluster while serving the rest; an API whose handler does not answer
 *                             refusals itself gets its top-level error code (JoinGroup, Heartbeat,
 *                             DescribeCluster...). An API without an entry is for superusers only.
 */
import { type AccessRequest, CLUSTER_RESOURCE, type ResourceType } from '../security/acl.js';
import { kafkaPermissions, type Need } from '../security/permissions.js';
import type { KafkaServices } from './context.js';
import { KafkaErrorCode } from './error-codes.js';
import { KafkaFrameError } from './protocol/frame-error.js';
import type { Message } from './protocol/codec.js';
import type { KafkaSession } from './session.js';

const FAILED: Readonly<Record<ResourceType, number>> = {
  topic: KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED,
  group: KafkaErrorCode.GROUP_AUTHORIZATION_FAILED,
  cluster: KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  // Spool's own resource type: Kafka has no code for it, and no Kafka API names a queue.
  queue: KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED,
};

/** The resources of one request the principal may not use, by type. */
export class Refusals {
  static readonly NONE = new Refusals([]);
  private readonly names = new Map<ResourceType, Set<string>>();

  constructor(readonly refused: readonly AccessRequest[]) {
    for (const access of refused) {
      let names = this.names.get(access.resourceType);
      if (!names) this.names.set(access.resourceType, (names = new Set()));
      names.add(access.resourceName);
    }
  }

  get any(): boolean {
    return this.refused.length > 0;
  }

  /** The Kafka error code of the first refusal (the code a top-level error answers). */
  get firstCode(): number {
    return this.refused.length === 0 ? KafkaErrorCode.NONE : FAILED[this.refused[0]!.resourceType];
  }

  /** TOPIC_AUTHORIZATION_FAILED when the topic is refused, else null. */
  topic(name: string | null | undefined): number | null {
    return name != null && this.names.get('topic')?.has(name) ? FAILED.topic : null;
  }

  /** GROUP_AUTHORIZATION_FAILED when the group is refused, else null. */
  group(name: string | null | undefined): number | null {
    return name != null && this.names.get('group')?.has(name) ? FAILED.group : null;
  }

  /** CLUSTER_AUTHORIZATION_FAILED when the cluster is refused, else null. */
  get cluster(): number | null {
    return this.names.has('cluster') ? FAILED.cluster : null;
  }
}

/**
 * Checks a request against the table: throws (closing the connection) before authentication or
 * for an API without an entry, else answers what the principal may not use.
 */
export function authorizeKafka(apiName: string, body: Message, session: KafkaSession, services: KafkaServices): Refusals {
  const rule = kafkaPermissions[apiName];
  if (rule?.access === 'public') return Refusals.NONE;
  if (session.principal === null) {
    // Asked on every request, never remembered: the first user added closes every open connection's door.
    if (!services.security.credentials.hasPrincipals()) return Refusals.NONE;
    throw new KafkaFrameError(`${apiName} before SASL authentication (the broker requires credentials)`);
  }
  const { authorizer } = services.security;
  if (rule === undefined) {
    if (authorizer.isSuperUser(session.principal)) return Refusals.NONE;
    throw new KafkaFrameError(`${session.principal} may not call ${apiName} (an API without an ACL rule is for superusers only)`);
  }
  if (rule.access !== 'needs') return Refusals.NONE;
  const refused: AccessRequest[] = [];
  for (const need of rule.needs) {
    for (const access of kafkaAccessRequests(need, body, services)) {
      if (!authorizer.allows(session.principal, session.address, access)) refused.push(access);
    }
  }
  if (refused.length > 0) {
    const names = refused.map(({ operation, resourceType, resourceName }) => `${operation} ${resourceType} ${resourceName}`);
    services.log.info({ principal: session.principal, address: session.address, api: apiName, refused: names.slice(0, 10) }, 'kafka request refused in part or whole');
  }
  return new Refusals(refused);
}

/** Whether the session may do `operation` on a resource (Metadata's and listings' filters). */
export function mayAccess(session: KafkaSession, services: KafkaServices, operation: AccessRequest['operation'], resourceType: ResourceType, resourceName: string): boolean {
  if (session.principal === null) return !services.security.credentials.hasPrincipals();
  return services.security.authorizer.allows(session.principal, session.address, { operation, resourceType, resourceName });
}

/** Whether the session may do `operation` on a topic. */
export function mayAccessTopic(session: KafkaSession, services: KafkaServices, operation: AccessRequest['operation'], topic: string): boolean {
  return mayAccess(session, services, operation, 'topic', topic);
}

/**
 * The resources a request names along a table path such as `request.topicData[].name`: `[]` walks
 * an array, the last segment is the name. A topic given by id (Fetch v13+) is named by the cluster.
 */
export function kafkaAccessRequests(need: Need, body: Message, services: KafkaServices): AccessRequest[] {
  if (!need.resource.startsWith('request.')) return [{ operation: need.operation, resourceType: need.resourceType, resourceName: need.resourceType === 'cluster' ? CLUSTER_RESOURCE : need.resource }];
  let values: unknown[] = [body];
  for (const segment of need.resource.slice('request.'.length).split('.')) {
    const array = segment.endsWith('[]');
    const field = array ? segment.slice(0, -2) : segment;
    values = values.flatMap((value) => {
      const element = value as Message | null;
      let next = element?.[field];
      if ((next === null || next === undefined) && element && typeof element.topicId === 'string') next = services.cluster.topicName(element.topicId) ?? undefined;
      return array ? ((next as unknown[] | null) ?? []) : [next];
    });
  }
  const names = new Set(values.filter((value): value is string => typeof value === 'string'));
  return [...names].map((resourceName) => ({ operation: need.operation, resourceType: need.resourceType, resourceName }));
}
