/**
 * Event-sourcing streams (docs/event-sourcing.md) over topics created with streamIndex: true.
 *
 *   POST /v1/topics/:topic/streams/:stream/events   conditional append of one batch of events
 *   POST /v1/topics/:topic/streams/events           many streams' conditional appends, one result each
 *   GET  /v1/topics/:topic/streams/:stream/events   read one stream forward or backward
 *   GET  /v1/topics/:topic/streams/:stream          its version, event count, first/last offset
 *   GET  /v1/topics/:topic/streams                  stream ids by prefix
 *   GET|PUT /v1/topics/:topic/streams/:stream/metadata   maxCount, maxAgeMs, truncateBefore
 *   DELETE  /v1/topics/:topic/streams/:stream            soft delete (hides every event so far)
 *   POST    /v1/topics/:topic/streams/:stream/erase      erase (GDPR): every record removed
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { ExpectedVersion } from '../../storage/index.js';
import type { LiveDeps } from '../live/live-session.js';
import { BrokerError } from '../errors.js';
import type { BrokerLimits } from '../limits.js';
import { serveStreamLive } from '../streams/stream-live.js';
import type { StreamService } from '../streams/stream-service.js';
import { requestBodyBytes } from '../http/body-bytes.js';
import type { Quotas } from '../security/quotas.js';
import { principalOf } from '../security/request-principal.js';
import { answer, EventStream, NoBody, TopicParams } from './schemas.js';

const StreamParams = Type.Object(
  {
    topic: Type.String({ minLength: 1, maxLength: 300 }),
    stream: Type.String({ minLength: 1, maxLength: 2048, description: 'the stream id: the records\' key (UTF-8, at most streamIdBytesMax bytes)' }),
  },
  { additionalProperties: false },
);

const VersionInteger = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

const MetadataBody = Type.Object(
  {
    maxCount: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'only the last maxCount events are visible' })),
    maxAgeMs: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'events older than this (record timestamp) are hidden' })),
    truncateBefore: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'events below this version are hidden' })),
  },
  { additionalProperties: false },
);

const MetadataAnswer = {
  stream: Type.String(),
  maxCount: Type.Union([Type.Integer(), Type.Null()]),
  maxAgeMs: Type.Union([Type.Integer(), Type.Null()]),
  truncateBefore: Type.Union([Type.Integer(), Type.Null()]),
};

function schemasOf(limits: BrokerLimits) {
  const field = Type.String({ minLength: 1, maxLength: limits.streamEventFieldLengthMax });
  const event = Type.Object(
    {
      type: field,
      data: Type.Unknown({ description: 'any JSON: the record value' }),
      metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: `JSON object, at most ${limits.streamEventMetadataBytesMax} bytes as JSON` })),
      id: Type.Optional(Type.String({ minLength: 1, maxLength: limits.streamEventFieldLengthMax, description: 'event id (idempotent retries); a UUID is assigned when absent' })),
    },
    { additionalProperties: false },
  );
  const expectedVersion = Type.Union([VersionInteger, Type.Literal('any'), Type.Literal('no_stream'), Type.Literal('exists')], {
    description: 'the last version the stream must be at (0-based), any, no_stream or exists; any when absent',
  });
  const appendBody = Type.Object(
    { events: Type.Array(event, { minItems: 1, maxItems: limits.streamEventsPerAppendMax }), expectedVersion: Type.Optional(expectedVersion) },
    { additionalProperties: false },
  );
  const readQuery = Type.Object(
    {
      from: Type.Optional(Type.Union([Type.Literal('start'), Type.Literal('end'), Type.String({ pattern: '^[0-9]{1,15}$' })], { description: 'a version, start or end (default: start forward, end backward)' })),
      direction: Type.Optional(Type.Union([Type.Literal('forward'), Type.Literal('backward')])),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.streamReadEventsMax })),
    },
    { additionalProperties: false },
  );
  const listQuery = Type.Object(
    {
      prefix: Type.Optional(Type.String({ maxLength: limits.streamIdBytesMax })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.streamListMax })),
    },
    { additionalProperties: false },
  );
  const manyBody = Type.Object(
    {
      appends: Type.Array(
        Type.Object(
          {
            stream: StreamParams.properties.stream,
            events: appendBody.properties.events,
            expectedVersion: Type.Optional(expectedVersion),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: limits.streamAppendsPerRequestMax, description: `at most ${limits.streamAppendsEventsMax} events over all appends` },
      ),
    },
    { additionalProperties: false },
  );
  return { appendBody, manyBody, readQuery, listQuery };
}

const EventAnswer = answer({
  version: Type.Integer(),
  offset: Type.Integer(),
  timestamp: Type.Integer(),
  type: Type.Union([Type.String(), Type.Null()]),
  id: Type.Union([Type.String(), Type.Null()]),
  data: Type.Optional(Type.Unknown()),
  dataBase64: Type.Optional(Type.String()),
  metadata: Type.Optional(Type.Unknown()),
});

export const streamRoutes: FastifyPluginAsyncTypebox<{ streams: StreamService; limits: BrokerLimits; live: Pick<LiveDeps, 'registry' | 'metrics'>; quotas: Pick<Quotas, 'check' | 'record'> }> = async (app, { streams, limits, live, quotas }) => {
  const { appendBody, manyBody, readQuery, listQuery } = schemasOf(limits);
  const NoQuery = Type.Object({}, { additionalProperties: false });
  // Appends are produces and reads are fetches, for the principal's byte quotas as on the records
  // routes: over a quota, 429 before anything is written or read; within it, counted.
  const chargeProduce = (request: FastifyRequest) => {
    quotas.check('produce', principalOf(request));
    quotas.record('produce', principalOf(request), requestBodyBytes(request));
  };
  const chargeFetchAnswer = async (request: FastifyRequest, _reply: unknown, payload: unknown) => {
    if (typeof payload === 'string') quotas.record('fetch', principalOf(request), Buffer.byteLength(payload));
    return payload;
  };

  app.post('/v1/topics/:topic/streams/:stream/events', {
    schema: {
      tags: ['streams'],
      summary: 'Append events to one stream, only if it is at expectedVersion (409 SPOOL_ERR_WRONG_EXPECTED_VERSION otherwise)',
      params: StreamParams,
      querystring: NoQuery,
      body: appendBody,
      response: {
        200: answer(
          {
            stream: Type.String(),
            partition: Type.Integer(),
            firstVersion: Type.Integer(),
            lastVersion: Type.Integer(),
            offsets: Type.Array(Type.Integer()),
            duplicate: Type.Optional(Type.Boolean({ description: 'a retry with the same event ids: the original result, nothing written' })),
          },
          'The versions and offsets the events got',
        ),
      },
    },
    handler: async (request) => {
      chargeProduce(request);
      const { topic, stream } = request.params;
      const { events, expectedVersion } = request.body;
      return streams.append(topic, stream, events, (expectedVersion ?? 'any') as ExpectedVersion);
    },
  });

  app.post('/v1/topics/:topic/streams/events', {
    bodyLimit: limits.streamAppendsBodyBytesMax,
    schema: {
      tags: ['streams'],
      summary: 'Append to many streams at once: each append is decided on its own (expectedVersion) and answered in order with its result or its error',
      params: TopicParams,
      querystring: NoQuery,
      body: manyBody,
      response: {
        200: answer(
          {
            results: Type.Array(
              Type.Union([
                answer({ stream: Type.String(), partition: Type.Integer(), firstVersion: Type.Integer(), lastVersion: Type.Integer(), offsets: Type.Array(Type.Integer()), duplicate: Type.Optional(Type.Boolean()) }),
                answer({
                  stream: Type.String(),
                  error: Type.Object({ code: Type.String(), message: Type.String(), status: Type.Integer({ description: 'the HTTP status the one-stream route would answer' }) }, { additionalProperties: true }),
                }),
              ]),
            ),
          },
          'One result per append, in the order asked: the versions and offsets it got, or why it was refused (nothing of it written)',
        ),
      },
    },
    handler: async (request) => {
      chargeProduce(request);
      const { appends } = request.body;
      const events = appends.reduce((sum, append) => sum + append.events.length, 0);
      if (events > limits.streamAppendsEventsMax) {
        throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `the appends carry ${events} events, over the limit of ${limits.streamAppendsEventsMax} a request`, { field: 'appends', limit: limits.streamAppendsEventsMax });
      }
      const asked = appends.map(({ stream, events, expectedVersion }) => ({ stream, events, expectedVersion: (expectedVersion ?? 'any') as ExpectedVersion }));
      return { results: await streams.appendMany(request.params.topic, asked) };
    },
  });

  app.get('/v1/topics/:topic/streams/:stream/events', {
    schema: {
      tags: ['streams'],
      summary: 'Read one stream\'s events from a version, forward or backward',
      params: StreamParams,
      querystring: readQuery,
      response: {
        200: answer(
          {
            stream: Type.String(),
            partition: Type.Integer(),
            version: Type.Integer({ description: 'the stream\'s last version; -1 without events' }),
            events: Type.Array(EventAnswer),
            nextVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'where the next page starts, null at the end' }),
          },
          'Events in the order asked',
        ),
      },
    },
    onSend: chargeFetchAnswer,
    handler: async (request) => {
      quotas.check('fetch', principalOf(request));
      const { topic, stream } = request.params;
      const direction = request.query.direction ?? 'forward';
      const from = request.query.from ?? (direction === 'forward' ? 'start' : 'end');
      return streams.read(topic, stream, {
        direction,
        from: from === 'start' || from === 'end' ? from : Number(from),
        limit: request.query.limit ?? limits.streamReadEventsDefault,
      });
    },
  });

  app.get('/v1/topics/:topic/streams/:stream/live', {
    schema: {
      tags: ['streams'],
      summary: 'One stream over Server-Sent Events, catch-up then live; event id = version, resumable with Last-Event-ID',
      params: StreamParams,
      querystring: Type.Object({ from: Type.Optional(VersionInteger) }, { additionalProperties: false }),
      response: { 200: EventStream },
    },
    handler: async (request, reply) => {
      const { topic, stream } = request.params;
      await serveStreamLive(request, reply, { ...live, limits, streams }, { topic, stream, from: request.query.from });
    },
  });

  app.get('/v1/topics/:topic/streams/:stream', {
    schema: {
      tags: ['streams'],
      summary: 'Describe one stream: version, visible event count, first and last visible offset, metadata',
      params: StreamParams,
      querystring: NoQuery,
      response: {
        200: answer({
          stream: Type.String(),
          partition: Type.Integer(),
          version: Type.Integer(),
          eventCount: Type.Integer(),
          firstOffset: Type.Union([Type.Integer(), Type.Null()]),
          lastOffset: Type.Union([Type.Integer(), Type.Null()]),
          deleted: Type.Boolean({ description: 'soft-deleted and not written since' }),
          metadata: Type.Object({ maxCount: MetadataAnswer.maxCount, maxAgeMs: MetadataAnswer.maxAgeMs, truncateBefore: MetadataAnswer.truncateBefore }),
        }),
      },
    },
    handler: async (request) => streams.describe(request.params.topic, request.params.stream),
  });

  app.get('/v1/topics/:topic/streams', {
    schema: {
      tags: ['streams'],
      summary: 'List stream ids of a topic by prefix',
      params: TopicParams,
      querystring: listQuery,
      response: { 200: answer({ streams: Type.Array(Type.String()), more: Type.Boolean({ description: 'more ids match than were answered' }) }) },
    },
    handler: async (request) => streams.list(request.params.topic, request.query.prefix ?? '', request.query.limit ?? limits.streamListMax),
  });

  app.get('/v1/topics/:topic/streams/:stream/metadata', {
    schema: {
      tags: ['streams'],
      summary: 'A stream\'s metadata: maxCount, maxAgeMs, truncateBefore (null where unset)',
      params: StreamParams,
      querystring: NoQuery,
      response: { 200: answer(MetadataAnswer) },
    },
    handler: async (request) => streams.metadata(request.params.topic, request.params.stream),
  });

  app.put('/v1/topics/:topic/streams/:stream/metadata', {
    schema: {
      tags: ['streams'],
      summary: 'Replace a stream\'s metadata (an absent field is cleared); reads then skip what it hides',
      params: StreamParams,
      querystring: NoQuery,
      body: MetadataBody,
      response: { 200: answer(MetadataAnswer) },
    },
    handler: async (request) => streams.setMetadata(request.params.topic, request.params.stream, request.body),
  });

  app.delete('/v1/topics/:topic/streams/:stream', {
    schema: {
      tags: ['streams'],
      summary: 'Soft-delete a stream: it reads empty and is written again from the next version',
      params: StreamParams,
      querystring: NoQuery,
      response: { 200: answer({ stream: Type.String(), partition: Type.Integer(), truncateBefore: Type.Integer({ description: 'the version the stream goes on from' }) }) },
    },
    handler: async (request) => streams.softDelete(request.params.topic, request.params.stream),
  });

  app.post('/v1/topics/:topic/streams/:stream/erase', {
    schema: {
      tags: ['streams'],
      summary: 'Erase a stream (GDPR): its id is refused from now on, the background worker removes every record of it from the segments',
      params: StreamParams,
      querystring: NoQuery,
      body: NoBody,
      response: {
        202: answer(
          { stream: Type.String(), partition: Type.Integer(), erasePending: Type.Boolean({ description: 'the worker has not removed every record yet (GET the stream: 410 with erasePending)' }) },
          'The stream is erased for writes and reads; its records go in the background',
        ),
      },
    },
    handler: async (request, reply) => {
      const answered = await streams.erase(request.params.topic, request.params.stream);
      return reply.code(202).send(answered);
    },
  });
};
