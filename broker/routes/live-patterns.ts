/**
 * Live pub/sub over many topics:
 *   GET /v1/live?pattern=orders.*        SSE of every matching topic, including topics created later
 *   GET /v1/live?topic=a&topic=b         SSE of the named topics
 *   GET /v1/live/topics?pattern=         topics with their live subscribers and consumer groups
 * Event ids are <topic>/<partition>:<offset>; resume with Last-Event-ID (see broker/live/resume.ts).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BrokerError } from '../errors.js';
import { checkPattern, compilePattern } from '../groups/topic-pattern.js';
import { type LiveDeps, serveLive } from '../live/live-session.js';
import type { SubscriberCounts } from '../live/subscriber-counts.js';
import { answer, EventStream, FromSchema, MaxRecordsPerSecSchema, ValueFormatSchema } from './schemas.js';

/** Topics one `?topic=` subscription may name. */
const NAMED_TOPICS_MAX = 100;

function patternMatcher(pattern: string, wordsMax: number): (topic: string) => boolean {
  return compilePattern(checkPattern(pattern, wordsMax));
}

export const livePatternRoutes: FastifyPluginAsyncTypebox<LiveDeps & { counts: SubscriberCounts }> = async (app, deps) => {
  app.addHook('preClose', async () => deps.registry.abortAll());

  app.get('/v1/live', {
    schema: {
      tags: ['live'],
      summary: 'Live pub/sub over Server-Sent Events: every topic matching ?pattern= (also those created later), or the ?topic= named; event id topic/partition:offset',
      querystring: Type.Object(
        {
          pattern: Type.Optional(Type.String({ maxLength: 300 })),
          topic: Type.Optional(Type.Array(Type.String({ maxLength: 300 }), { minItems: 1, maxItems: NAMED_TOPICS_MAX })),
          from: Type.Optional(FromSchema),
          valueFormat: Type.Optional(ValueFormatSchema),
          maxRecordsPerSec: Type.Optional(MaxRecordsPerSecSchema),
        },
        { additionalProperties: false },
      ),
      response: { 200: EventStream },
    },
    handler: async (request, reply) => {
      const { pattern, topic: named, from, valueFormat, maxRecordsPerSec } = request.query;
      if ((pattern === undefined) === (named === undefined)) {
        throw new BrokerError('SPOOL_ERR_BAD_REQUEST', 'a live subscription names either ?pattern= or ?topic= (one or more)');
      }
      let matches: (topic: string) => boolean;
      if (named) {
        for (const name of named) deps.topics.partitions(name); // 404 for a topic that does not exist
        const names = new Set(named);
        matches = (topic) => names.has(topic);
      } else {
        const inPattern = patternMatcher(pattern!, deps.limits.patternWordsMax);
        // The route's rule checked the pattern's prefix; each topic joining the tail (now or once
        // created) is checked again, so a deny on one topic or an ACL changed since holds.
        matches = (topic) => inPattern(topic) && request.allows({ operation: 'Read', resourceType: 'topic', resourceName: topic });
      }
      await serveLive(request, reply, deps, { named: named ?? [], matches, qualifiedIds: true, from, valueFormat, maxRecordsPerSec });
    },
  });

  app.get('/v1/live/topics', {
    schema: {
      tags: ['live'],
      summary: 'Topics (matching ?pattern=) with their numbers of live subscribers and of consumer groups with live members',
      querystring: Type.Object({ pattern: Type.Optional(Type.String({ maxLength: 300 })) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          topics: Type.Array(answer({ name: Type.String(), partitions: Type.Integer(), live: Type.Integer({ description: 'live subscribers' }), groups: Type.Integer({ description: 'consumer groups with live members' }) })),
        }),
      },
    },
    handler: async (request) => {
      const { pattern } = request.query;
      const matches = pattern === undefined ? () => true : patternMatcher(pattern, deps.limits.patternWordsMax);
      const topics = deps.topics.list().filter((topic) => matches(topic.name));
      return { topics: topics.map((topic) => ({ name: topic.name, partitions: topic.partitions, ...deps.counts.of(topic.name) })) };
    },
  });
};
