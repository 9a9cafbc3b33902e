/**
 * Per-topic config as users send it (Kafka's names, camelCased): a TypeBox schema for the routes and
 * a check of relations the schema cannot express. Unset keys fall back to the broker's defaults
 * (storage's defaultLogConfig, with the broker's flush policy).
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { defaultLogConfig, flushPolicyGrammar, type LogConfig, parseFlushPolicy } from '../../storage/index.js';
import { BrokerError } from '../errors.js';

/** Failures of these schemas answer SPOOL_ERR_INVALID_CONFIG (see broker/http/validation-message.ts). */
const invalidConfig = { errorCode: 'SPOOL_ERR_INVALID_CONFIG' } as const;

export const TopicConfigSchema = Type.Object(
  {
    flush: Type.Optional(Type.String({ description: 'always | never | interval:<ms>', ...invalidConfig })),
    retentionMs: Type.Optional(Type.Integer({ minimum: -1, maximum: Number.MAX_SAFE_INTEGER, ...invalidConfig })),
    retentionBytes: Type.Optional(Type.Integer({ minimum: -1, maximum: Number.MAX_SAFE_INTEGER, ...invalidConfig })),
    segmentBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 1024 * 1024 * 1024, ...invalidConfig })),
    segmentMs: Type.Optional(Type.Integer({ minimum: -1, maximum: Number.MAX_SAFE_INTEGER, ...invalidConfig })),
    cleanupPolicy: Type.Optional(Type.Union([Type.Literal('delete'), Type.Literal('compact'), Type.Literal('compact,delete')], invalidConfig)),
    deleteRetentionMs: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, ...invalidConfig })),
    minCompactionLagMs: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, ...invalidConfig })),
    minCleanableDirtyRatio: Type.Optional(Type.Number({ minimum: 0, maximum: 1, ...invalidConfig })),
    maxMessageBytes: Type.Optional(Type.Integer({ minimum: 128, maximum: 64 * 1024 * 1024, ...invalidConfig })),
    indexIntervalBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 * 1024, ...invalidConfig })),
    streamIndex: Type.Optional(Type.Boolean({ description: 'keep a per-key stream index (event-sourcing streams); set at creation only', ...invalidConfig })),
  },
  { additionalProperties: false, ...invalidConfig },
);

export type TopicConfigInput = Static<typeof TopicConfigSchema>;

/**
 * Checks the schema (for callers that are not a route with it, such as the Kafka listener) and what
 * the schema cannot express, and returns the overrides as LogConfig keys.
 */
export function validateTopicConfig(input: TopicConfigInput): Partial<LogConfig> {
  const [problem] = Value.Errors(TopicConfigSchema, input);
  if (problem) {
    const key = problem.path.replace(/^\//, '');
    throw new BrokerError('SPOOL_ERR_INVALID_CONFIG', `config ${key || '(body)'}: ${problem.message}`, { key });
  }
  if (input.flush !== undefined && !parseFlushPolicy(input.flush)) {
    throw new BrokerError('SPOOL_ERR_INVALID_CONFIG', `flush must be ${flushPolicyGrammar}, got ${JSON.stringify(input.flush)}`, { key: 'flush' });
  }
  return { ...input } as Partial<LogConfig>;
}

/**
 * A stream's versions are positions among all its key's records, so a stream topic never loses or
 * rewrites records behind the index's back: no time or size retention, no compaction. (Per-stream
 * maxCount / maxAge are the event-sourcing way to trim.) Checked on the topic's whole overrides,
 * at creation and at every change; streamIndex itself is fixed at creation.
 */
export function checkStreamIndexConfig(overrides: Partial<LogConfig>, previous?: Partial<LogConfig>): void {
  const wanted = overrides.streamIndex === true;
  if (previous && wanted !== (previous.streamIndex === true)) {
    throw new BrokerError('SPOOL_ERR_INVALID_CONFIG', 'config streamIndex: is set when the topic is created and cannot change (the index must cover the whole log)', { key: 'streamIndex' });
  }
  if (!wanted) return;
  for (const key of ['retentionMs', 'retentionBytes'] as const) {
    const value = overrides[key];
    if (value !== undefined && value !== -1) {
      throw new BrokerError('SPOOL_ERR_INVALID_CONFIG', `config ${key}: must be -1 on a topic with streamIndex (retention would renumber stream versions), got ${value}`, { key });
    }
  }
  if (overrides.cleanupPolicy !== undefined && overrides.cleanupPolicy !== 'delete') {
    throw new BrokerError('SPOOL_ERR_INVALID_CONFIG', `config cleanupPolicy: must be delete on a topic with streamIndex (compaction would drop stream events), got ${overrides.cleanupPolicy}`, { key: 'cleanupPolicy' });
  }
}

/** The effective config of a topic: defaults, then the broker's flush, then the topic's overrides.
 *  A stream topic keeps its records for ever (see checkStreamIndexConfig). */
export function effectiveConfig(overrides: Partial<LogConfig>, brokerFlush: LogConfig['flush']): LogConfig {
  const keepForever = overrides.streamIndex === true ? { retentionMs: -1, retentionBytes: -1 } : {};
  return { ...defaultLogConfig, flush: brokerFlush, ...keepForever, ...overrides };
}
