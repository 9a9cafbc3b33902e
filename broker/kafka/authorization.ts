/**
 * Who may call which Kafka API, from the one permission table (security/permissions.ts):
 *
 *   no users or tokens        nothing is checked (asked on every request: adding the first user
 *                             closes the door of connections already open)
 *   not authenticated yet     only the public APIs (ApiVersions, SaslHandshake, SaslAuthenticate);
 *                             anything else closes the connection, as Kafka does on a SASL listener
 *   authenticated             each resource the request names (the table's `request.` path) is
 *                             checked; Metadata filters topics itself (only describable ones are
 *                             listed), the others close the connection on a refusal, logged with
 *                             the operation and resource
 */
import { type AccessRequest, CLUSTER_RESOURCE } from '../security/acl.js';
import { kafkaPermissions, type Need } from '../security/permissions.js';
import type { KafkaServices } from './context.js';
import { KafkaFrameError } from './protocol/frame-error.js';
import type { Message } from './protocol/codec.js';
import type { KafkaSession } from './session.js';

/** APIs whose handler authorizes per resource itself (answering per-topic codes or filtering). */
const SELF_AUTHORIZED = new Set(['Metadata']);

export function authorizeKafka(apiName: string, body: Message, session: KafkaSession, services: KafkaServices): void {
  const rule = kafkaPermissions[apiName];
  if (rule?.access === 'public') return;
  if (session.principal === null) {
    // Asked on every request, never remembered: the first user added closes every open connection's door.
    if (!services.security.credentials.hasPrincipals()) return;
    throw new KafkaFrameError(`${apiName} before SASL authentication (the broker requires credentials)`);
  }
  if (SELF_AUTHORIZED.has(apiName)) return;
  const { authorizer } = services.security;
  if (rule === undefined) {
    if (authorizer.isSuperUser(session.principal)) return;
    throw new KafkaFrameError(`${session.principal} may not call ${apiName} (an API without an ACL rule is for superusers only)`);
  }
  if (rule.access !== 'needs') return;
  for (const need of rule.needs) {
    for (const access of kafkaAccessRequests(need, body, services)) {
      if (!authorizer.allows(session.principal, session.address, access)) {
        throw new KafkaFrameError(`${session.principal} may not ${access.operation} ${access.resourceType} ${access.resourceName} (${apiName})`);
      }
    }
  }
}

/** Whether the session may do `operation` on a topic (Metadata's filter). */
export function mayAccessTopic(session: KafkaSession, services: KafkaServices, operation: AccessRequest['operation'], topic: string): boolean {
  if (session.principal === null) return !services.security.credentials.hasPrincipals();
  return services.security.authorizer.allows(session.principal, session.address, { operation, resourceType: 'topic', resourceName: topic });
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
  return values.filter((value): value is string => typeof value === 'string').map((resourceName) => ({ operation: need.operation, resourceType: need.resourceType, resourceName }));
}
