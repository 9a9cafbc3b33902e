/**
 * What every HTTP route and every Kafka API needs: the one table (docs/security.md prints it, and
 * test/broker/security/permissions.test.ts fails on a route fastify registers, or an API the Kafka
 * listener serves, that has no entry here).
 *
 *   public          answered without credentials (liveness, the console's static files, the
 *                   session route that checks a token itself, Kafka's ApiVersions and SASL)
 *   authenticated   any authenticated principal (a producer id: it lets nothing be written)
 *   needs           each listed operation on the named resource, by ACL (acl.ts)
 *
 * A resource name is `:param` (a path parameter), `body.<field>` (`[]` walks an array:
 * `body.offsets[].topic`), `query.<field>` (each value of
 * a repeated one) or a fixed name (`kafka-cluster`). Kafka APIs name their resources per topic or
 * group inside the request: `request` says which field, and the handler checks each and answers
 * the matching *_AUTHORIZATION_FAILED code for it.
 */
import type { Operation, ResourceType } from './acl.js';

export interface Need {
  operation: Exclude<Operation, 'All'>;
  resourceType: ResourceType;
  resource: string;
}

export type Rule = { access: 'public' } | { access: 'authenticated' } | { access: 'needs'; needs: readonly Need[]; publicUnless?: 'metricsAuth' };

const open: Rule = { access: 'public' };
const cluster = (operation: Need['operation']): Need => ({ operation, resourceType: 'cluster', resource: 'kafka-cluster' });
const topic = (operation: Need['operation'], resource = ':topic'): Need => ({ operation, resourceType: 'topic', resource });
const group = (operation: Need['operation']): Need => ({ operation, resourceType: 'group', resource: ':group' });
const groupIn = (operation: Need['operation'], resource: string): Need => ({ operation, resourceType: 'group', resource });
const queue = (operation: Need['operation']): Need => ({ operation, resourceType: 'queue', resource: ':queue' });
const needs = (...list: Need[]): Rule => ({ access: 'needs', needs: list });

/** Keyed `METHOD /url` exactly as fastify registers the route. */
export const httpPermissions: Readonly<Record<string, Rule>> = {
  'GET /health': open,
  'GET /metrics': { access: 'needs', needs: [cluster('Describe')], publicUnless: 'metricsAuth' },
  'GET /console': open,
  'GET /console/*': open,
  'POST /v1/session': open,
  'DELETE /v1/session': open,
  'GET /v1/stats': needs(cluster('Describe')),
  'GET /v1/topics': needs(cluster('Describe')),
  'POST /v1/topics': needs(topic('Create', 'body.name')),
  'GET /v1/topics/:topic': needs(topic('Describe')),
  'DELETE /v1/topics/:topic': needs(topic('Delete')),
  'PATCH /v1/topics/:topic/config': needs(topic('AlterConfigs')),
  'POST /v1/topics/:topic/clean': needs(topic('Alter')),
  'POST /v1/topics/:topic/records': needs(topic('Write')),
  'GET /v1/topics/:topic/partitions/:partition/records': needs(topic('Read')),
  'GET /v1/topics/:topic/partitions/:partition/offsets': needs(topic('Describe')),
  'GET /v1/topics/:topic/live': needs(topic('Read')),
  // Event streams are records of the topic: their ids and versions are data, so reading needs Read.
  'POST /v1/topics/:topic/streams/:stream/events': needs(topic('Write')),
  'POST /v1/topics/:topic/streams/events': needs(topic('Write')),
  'GET /v1/topics/:topic/streams/:stream/events': needs(topic('Read')),
  'GET /v1/topics/:topic/streams/:stream': needs(topic('Read')),
  'GET /v1/topics/:topic/streams/:stream/live': needs(topic('Read')),
  'GET /v1/topics/:topic/streams': needs(topic('Read')),
  'GET /v1/topics/:topic/streams/:stream/metadata': needs(topic('Read')),
  // Metadata and soft deletes hide events from every reader: as much a write as an append.
  'PUT /v1/topics/:topic/streams/:stream/metadata': needs(topic('Write')),
  'DELETE /v1/topics/:topic/streams/:stream': needs(topic('Write')),
  // Erase removes records for good, as DeleteRecords does: Kafka asks Delete on the topic for that.
  'POST /v1/topics/:topic/streams/:stream/erase': needs(topic('Delete')),
  'GET /v1/live': needs(topic('Read', 'query.topic'), topic('Read', 'query.pattern')),
  'GET /v1/live/topics': needs(cluster('Describe')),
  'POST /v1/producers': { access: 'authenticated' },
  'GET /v1/groups': needs(cluster('Describe')),
  'GET /v1/groups/:group': needs(group('Describe')),
  'DELETE /v1/groups/:group': needs(group('Delete')),
  'POST /v1/groups/:group/members': needs(group('Read')),
  'POST /v1/groups/:group/members/:memberId/heartbeat': needs(group('Read')),
  'DELETE /v1/groups/:group/members/:memberId': needs(group('Read')),
  // Committing or resetting a topic's offsets needs Read on the topic too (Kafka's OffsetCommit).
  'POST /v1/groups/:group/offsets': needs(group('Read'), topic('Read', 'body.offsets[].topic')),
  'GET /v1/groups/:group/offsets': needs(group('Describe')),
  'POST /v1/groups/:group/reset': needs(group('Read'), topic('Read', 'body.topic')),
  'GET /v1/queues': needs(cluster('Describe')),
  'PUT /v1/topics/:topic/queues/:queue': needs(queue('Create'), topic('Describe')),
  'GET /v1/topics/:topic/queues/:queue': needs(queue('Describe')),
  'DELETE /v1/topics/:topic/queues/:queue': needs(queue('Delete')),
  'POST /v1/topics/:topic/queues/:queue/receive': needs(queue('Read'), topic('Read')),
  // A session receives and settles: the permissions of both (Read on the queue covers ack, nack, reject).
  'GET /v1/topics/:topic/queues/:queue/session': needs(queue('Read'), topic('Read')),
  'POST /v1/topics/:topic/queues/:queue/ack': needs(queue('Read')),
  'POST /v1/topics/:topic/queues/:queue/nack': needs(queue('Read')),
  'POST /v1/topics/:topic/queues/:queue/reject': needs(queue('Read')),
  'POST /v1/topics/:topic/queues/:queue/redrive': needs(queue('Alter'), topic('Write')),
  'GET /v1/admin/users': needs(cluster('Describe')),
  'PUT /v1/admin/users/:user': needs(cluster('Alter')),
  'DELETE /v1/admin/users/:user': needs(cluster('Alter')),
  'GET /v1/admin/tokens': needs(cluster('Describe')),
  'POST /v1/admin/tokens': needs(cluster('Alter')),
  'DELETE /v1/admin/tokens/:id': needs(cluster('Alter')),
  'GET /v1/admin/acls': needs(cluster('Describe')),
  'POST /v1/admin/acls': needs(cluster('Alter')),
  'DELETE /v1/admin/acls': needs(cluster('Alter')),
};

/** Keyed by Kafka's API name (the message definitions' `name` without Request). */
export const kafkaPermissions: Readonly<Record<string, Rule>> = {
  ApiVersions: open,
  SaslHandshake: open,
  SaslAuthenticate: open,
  Produce: needs(topic('Write', 'request.topicData[].name')),
  Fetch: needs(topic('Read', 'request.topics[].topic')),
  ListOffsets: needs(topic('Describe', 'request.topics[].name')),
  Metadata: needs(topic('Describe', 'request.topics[].name')),
  CreateTopics: needs(topic('Create', 'request.topics[].name')),
  // v6 names topics by name or id (an id is named by the cluster): both paths are checked.
  DeleteTopics: needs(topic('Delete', 'request.topicNames[]'), topic('Delete', 'request.topics[].name')),
  DeleteRecords: needs(topic('Delete', 'request.topics[].name')),
  DescribeConfigs: needs(topic('DescribeConfigs', 'request.resources[].resourceName')),
  AlterConfigs: needs(topic('AlterConfigs', 'request.resources[].resourceName')),
  IncrementalAlterConfigs: needs(topic('AlterConfigs', 'request.resources[].resourceName')),
  CreatePartitions: needs(topic('Alter', 'request.topics[].name')),
  DescribeCluster: needs(cluster('Describe')),
  // Versions name groups and topics in different fields (OffsetFetch v8+ batches groups, FindCoordinator v4+ keys): each path is checked.
  FindCoordinator: needs(groupIn('Describe', 'request.key'), groupIn('Describe', 'request.coordinatorKeys[]')),
  JoinGroup: needs(groupIn('Read', 'request.groupId')),
  SyncGroup: needs(groupIn('Read', 'request.groupId')),
  Heartbeat: needs(groupIn('Read', 'request.groupId')),
  LeaveGroup: needs(groupIn('Read', 'request.groupId')),
  OffsetCommit: needs(groupIn('Read', 'request.groupId'), topic('Read', 'request.topics[].name')),
  OffsetFetch: needs(
    groupIn('Describe', 'request.groupId'),
    topic('Describe', 'request.topics[].name'),
    groupIn('Describe', 'request.groups[].groupId'),
    topic('Describe', 'request.groups[].topics[].name'),
  ),
  OffsetDelete: needs(groupIn('Delete', 'request.groupId'), topic('Read', 'request.topics[].name')),
  ListGroups: needs(cluster('Describe')),
  DescribeGroups: needs(groupIn('Describe', 'request.groups[]')),
  DeleteGroups: needs(groupIn('Delete', 'request.groupsNames[]')),
  InitProducerId: { access: 'authenticated' },
  CreateAcls: needs(cluster('Alter')),
  DescribeAcls: needs(cluster('Describe')),
  DeleteAcls: needs(cluster('Alter')),
};

/** One markdown row per entry, as docs/security.md prints the table (its test compares them). */
export function permissionRows(table: Readonly<Record<string, Rule>>): string[] {
  return Object.entries(table).map(([key, rule]) => {
    const needs =
      rule.access === 'public'
        ? 'public'
        : rule.access === 'authenticated'
          ? 'any authenticated principal'
          : rule.needs.map((need) => `${need.operation} ${need.resourceType} \`${need.resource}\``).join(' and ') + (rule.publicUnless ? ' (public unless metricsAuth)' : '');
    return `| \`${key}\` | ${needs} |`;
  });
}
