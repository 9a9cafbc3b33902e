/**
 * Consumer-group routes (/v1/groups/...). Thin: validate with TypeBox, call the GroupService,
 * shape the answer. Errors are SpoolErrors, answered by the app's one error handler.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { assignorNames } from '../groups/assignors.js';
import type { GroupService } from '../groups/group-service.js';
import { brokerLimits } from '../limits.js';
import { answer, NoContent, OffsetInteger, optionalBody } from './schemas.js';

const GroupName = Type.String({ minLength: 1, maxLength: 249, pattern: '^[A-Za-z0-9._-]+$' });
const TopicPartition = Type.Object({ topic: Type.String({ minLength: 1, maxLength: 300 }), partition: Type.Integer({ minimum: 0, maximum: 1_000_000 }) }, { additionalProperties: false });
const MemberView = Type.Object({
  generation: Type.Integer(),
  assignments: Type.Array(TopicPartition),
  revoke: Type.Array(TopicPartition),
  rebalancing: Type.Boolean(),
  resetEpoch: Type.Integer(),
  missingTopics: Type.Array(Type.String(), { description: 'subscribed topics that do not exist (yet): nothing is assigned from them' }),
});
const GroupParams = Type.Object({ group: GroupName }, { additionalProperties: false });
const MemberParams = Type.Object({ group: GroupName, memberId: Type.String({ minLength: 1, maxLength: 300 }) }, { additionalProperties: false });
const Offset = Type.Object({
  topic: Type.String(),
  partition: Type.Integer(),
  offset: Type.Integer(),
  metadata: Type.Union([Type.String(), Type.Null()]),
  committedAtMs: Type.Integer(),
});
const ResetTo = Type.Union([
  Type.Literal('earliest'),
  Type.Literal('latest'),
  Type.Object({ timestamp: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) }, { additionalProperties: false }),
  Type.Object({ offset: OffsetInteger() }, { additionalProperties: false }),
  Type.Object({ shiftBy: Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }) }, { additionalProperties: false }),
]);

export interface GroupRoutesOptions {
  groups: GroupService;
}

/**
 * Group answers name topics the group's members subscribed to (a pattern such as `#` matches them
 * all): a principal sees only the rows of topics it may Describe, as Kafka's Metadata lists them.
 */
function mayDescribe(request: FastifyRequest): (row: { topic: string }) => boolean {
  return (row) => request.allows({ operation: 'Describe', resourceType: 'topic', resourceName: row.topic });
}

function visibleMemberView<View extends { assignments: Array<{ topic: string }>; revoke: Array<{ topic: string }>; missingTopics: string[] }>(request: FastifyRequest, view: View): View {
  const visible = mayDescribe(request);
  return { ...view, assignments: view.assignments.filter(visible), revoke: view.revoke.filter(visible), missingTopics: view.missingTopics.filter((topic) => visible({ topic })) };
}

export const groupRoutes: FastifyPluginAsyncTypebox<GroupRoutesOptions> = async (app, { groups }) => {
  const tags = ['groups'];

  app.post('/v1/groups/:group/members', {
    schema: {
      tags,
      summary: 'Join a consumer group',
      params: GroupParams,
      body: Type.Object(
        {
          topics: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 249 }), { maxItems: 1000 })),
          pattern: Type.Optional(Type.String({ minLength: 1, maxLength: 249 })),
          sessionTimeoutMs: Type.Optional(Type.Integer({ minimum: brokerLimits.sessionTimeoutMinMs, maximum: brokerLimits.sessionTimeoutMaxMs })),
          instanceId: Type.Optional(Type.String({ minLength: 1, maxLength: 249 })),
          clientId: Type.Optional(Type.String({ maxLength: 249 })),
          assignor: Type.Optional(Type.Union(assignorNames.map((name) => Type.Literal(name)))),
          offsetReset: Type.Optional(Type.Union([Type.Literal('earliest'), Type.Literal('latest')])),
        },
        { additionalProperties: false },
      ),
      response: { 200: Type.Intersect([Type.Object({ memberId: Type.String(), offsetReset: Type.String() }), MemberView]) },
    },
    handler: async (request) => {
      const { topics, pattern, sessionTimeoutMs, instanceId, clientId, assignor, offsetReset } = request.body;
      const joined = await groups.join(request.params.group, {
        subscription: { topics, pattern },
        sessionTimeoutMs: sessionTimeoutMs ?? brokerLimits.sessionTimeoutDefaultMs,
        instanceId,
        clientId,
        assignor,
        offsetReset,
        // Never assigned a partition its principal may not Read (a `#` pattern matches every topic).
        mayConsume: (topic) => request.allows({ operation: 'Read', resourceType: 'topic', resourceName: topic }),
      });
      return visibleMemberView(request, joined);
    },
  });

  app.post('/v1/groups/:group/members/:memberId/heartbeat', {
    schema: {
      tags,
      summary: 'Heartbeat; report revoked partitions; learn assignments',
      params: MemberParams,
      body: optionalBody({ revoked: Type.Optional(Type.Array(TopicPartition, { maxItems: 100_000 })) }),
      response: { 200: MemberView },
    },
    handler: async (request) => visibleMemberView(request, await groups.heartbeat(request.params.group, request.params.memberId, request.body?.revoked ?? [])),
  });

  app.delete('/v1/groups/:group/members/:memberId', {
    schema: { tags, summary: 'Leave the group now (partitions move at once)', params: MemberParams, response: { 204: NoContent } },
    handler: async (request, reply) => {
      groups.leave(request.params.group, request.params.memberId);
      return reply.code(204).send();
    },
  });

  app.post('/v1/groups/:group/offsets', {
    schema: {
      tags,
      summary: 'Commit offsets (the next offset to consume, per partition)',
      params: GroupParams,
      body: Type.Object(
        {
          memberId: Type.Optional(Type.String({ maxLength: 300 })),
          generation: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })),
          resetEpoch: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
          offsets: Type.Array(
            Type.Object(
              {
                topic: Type.String({ minLength: 1, maxLength: 300 }),
                partition: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
                offset: OffsetInteger({ description: 'the next offset to consume' }),
                metadata: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()])),
              },
              { additionalProperties: false },
            ),
            { minItems: 1, maxItems: 100_000 },
          ),
        },
        { additionalProperties: false },
      ),
      response: {
        200: Type.Object({
          offsets: Type.Array(Type.Object({ topic: Type.String(), partition: Type.Integer(), offset: Type.Integer(), metadata: Type.Union([Type.String(), Type.Null()]) })),
        }),
      },
    },
    handler: async (request) => ({ offsets: await groups.commit(request.params.group, request.body) }),
  });

  app.get('/v1/groups/:group/offsets', {
    schema: { tags, summary: 'Committed offsets', params: GroupParams, response: { 200: Type.Object({ offsets: Type.Array(Offset) }) } },
    handler: async (request) => ({ offsets: groups.committed(request.params.group).filter(mayDescribe(request)) }),
  });

  app.get('/v1/groups', {
    schema: {
      tags,
      summary: 'List groups with state and total lag',
      response: { 200: Type.Object({ groups: Type.Array(answer({ name: Type.String(), state: Type.String(), members: Type.Integer(), totalLag: Type.Integer() })) }) },
    },
    // The total counts only topics the caller may Describe: a lag is a fact about a topic's traffic.
    handler: async (request) => {
      const visible = mayDescribe(request);
      return { groups: await groups.list((topic) => visible({ topic })) };
    },
  });

  app.get('/v1/groups/:group', {
    schema: {
      tags,
      summary: 'Describe: members, assignments, committed offsets, lag in records and time',
      params: GroupParams,
      response: {
        200: answer({
          name: Type.String(),
          state: Type.String(),
          generation: Type.Integer(),
          members: Type.Array(answer({ memberId: Type.String(), assignments: Type.Array(answer({ topic: Type.String(), partition: Type.Integer() })) })),
          partitions: Type.Array(answer({ topic: Type.String(), partition: Type.Integer() }, 'committed offset, high watermark, lag in records and ms')),
        }),
      },
    },
    handler: async (request) => {
      const visible = mayDescribe(request);
      const described = await groups.describe(request.params.group);
      return {
        ...described,
        members: described.members.map((member) => ({ ...member, assignments: member.assignments.filter(visible) })),
        partitions: described.partitions.filter(visible),
      };
    },
  });

  app.delete('/v1/groups/:group', {
    schema: { tags, summary: 'Delete an empty group and its offsets', params: GroupParams, response: { 204: NoContent } },
    handler: async (request, reply) => {
      groups.delete(request.params.group);
      return reply.code(204).send();
    },
  });

  app.post('/v1/groups/:group/reset', {
    schema: {
      tags,
      summary: 'Reset committed offsets (allowed while members are active)',
      params: GroupParams,
      body: Type.Object(
        {
          topic: Type.String({ minLength: 1, maxLength: 300 }),
          to: ResetTo,
          partitions: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 1_000_000 }), { maxItems: 100_000 })),
          dryRun: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
      response: {
        200: answer({
          group: Type.String(),
          topic: Type.String(),
          dryRun: Type.Boolean({ description: 'true: nothing was changed, the answer previews the reset' }),
          partitions: Type.Array(answer({ topic: Type.String(), partition: Type.Integer(), previousOffset: Type.Union([Type.Integer(), Type.Null()]), newOffset: Type.Integer() })),
        }),
      },
    },
    handler: async (request) => {
      const { topic, to, partitions, dryRun } = request.body;
      return groups.reset(request.params.group, topic, to, partitions, dryRun ?? false);
    },
  });
};
