/**
 * TypeBox pieces shared by several routes. What a route accepts is strict (objects without
 * additional properties: an unknown field is a 400 naming it); what it answers is documented with
 * `answer()`, open to fields added later so that an answer never loses one to its serializer.
 */
import { type TProperties, Type } from '@sinclair/typebox';
import { BrokerError } from '../errors.js';

export const TopicParams = Type.Object({ topic: Type.String({ minLength: 1, maxLength: 300 }) }, { additionalProperties: false });
export const PartitionParams = Type.Object(
  {
    topic: Type.String({ minLength: 1, maxLength: 300 }),
    partition: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  },
  { additionalProperties: false },
);
export const ErrorBody = Type.Object(
  { error: Type.Object({ code: Type.String({ description: 'SPOOL_ERR_* (docs/errors.md)' }), message: Type.String() }, { additionalProperties: true }) },
  { description: 'An error: its code, a sentence about the request, and context (field, limit, topic, ...)' },
);

/** An offset in a query or a body: exact in a JavaScript number (2^53-1 and above are refused). */
export const OffsetInteger = (options: { description?: string } = {}) => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, ...options });

/**
 * `earliest`, `latest` or a non-negative integer offset. The digits are bounded by the schema and
 * the value by parseOffsetQuery: 9007199254740993 would otherwise be read as its neighbour.
 */
export const OffsetQuery = Type.Union([Type.Literal('earliest'), Type.Literal('latest'), Type.String({ pattern: '^[0-9]{1,16}$' })]);

export function parseOffsetQuery(value: string, field = 'offset'): number | 'earliest' | 'latest' {
  if (value === 'earliest' || value === 'latest') return value;
  const offset = Number(value);
  if (!Number.isSafeInteger(offset)) {
    throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `${field} ${value} is above 2^53-1, the largest offset Spool can hold exactly`, { field, limit: Number.MAX_SAFE_INTEGER });
  }
  return offset;
}

/** An answer's documented shape; open, so a field added to the answer is never dropped by the serializer. */
export function answer<T extends TProperties>(properties: T, description?: string) {
  return Type.Object(properties, { additionalProperties: true, ...(description ? { description } : {}) });
}

/**
 * A body that may be left out. Fastify validates a missing body as null, so the object schema is
 * `nullable` (ajv's OpenAPI keyword): absent or null is accepted, anything else must match.
 */
export function optionalBody<T extends TProperties>(properties: T, description?: string) {
  return Type.Object(properties, { additionalProperties: false, nullable: true, ...(description ? { description } : {}) });
}

/** The body of a POST that takes none: absent, or `{}`. */
export const NoBody = optionalBody({}, 'no body (or {})');

export const NoContent = Type.Unsafe<undefined>({ type: 'null', description: 'Done; no body' });

/** Routes that stream Server-Sent Events document their answer as text/event-stream. */
export const EventStream = {
  description: 'Server-Sent Events: `id` is the position to resume from (Last-Event-ID), `data` one record as JSON',
  content: { 'text/event-stream': { schema: Type.String() } },
};

export const TopicSummary = answer({ name: Type.String(), partitions: Type.Integer() });

export const PartitionDetail = answer({
  partition: Type.Integer(),
  logStartOffset: Type.Integer(),
  highWatermark: Type.Integer(),
  bytes: Type.Integer(),
  segments: Type.Integer(),
});

export const TopicDescriptionAnswer = answer({
  name: Type.String(),
  partitions: Type.Integer(),
  config: answer({}, 'the effective config: defaults, the broker flush policy, then the topic overrides'),
  createdAt: Type.String(),
  partitionDetails: Type.Array(PartitionDetail),
  temporary: Type.Optional(Type.Boolean()),
  idleMs: Type.Optional(Type.Integer()),
});

/** How JSON answers render values (broker/fetch/record-view.ts). */
export const ValueFormatSchema = Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('string'), Type.Literal('base64')]);
export const FromSchema = Type.Union([Type.Literal('earliest'), Type.Literal('latest')]);
/** A sampled live tail (broker/live/rate-budget.ts), as the web console asks for one. */
export const MaxRecordsPerSecSchema = Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'a sampled tail: at most this many records a second; when behind, skip to the newest (event skipped)' });

/** A record as JSON answers show it (broker/fetch/record-view.ts). */
export const JsonRecordAnswer = answer({
  offset: Type.Integer(),
  timestamp: Type.Integer(),
  key: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  keyBase64: Type.Optional(Type.String()),
  value: Type.Optional(Type.Unknown()),
  valueBase64: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  headers: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]))),
});

