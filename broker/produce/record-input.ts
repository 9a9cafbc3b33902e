/**
 * Records as users send them in JSON or msgpack, turned into RecordBatch v2 inputs.
 *
 * A value is exactly one of:
 *   value        any JSON (JSON body) or any msgpack value (msgpack body). JSON values are stored as
 *                their JSON text with header content-type: application/json; msgpack bin values are
 *                stored as the raw bytes; other msgpack values as msgpack with content-type
 *                application/x-msgpack. Only an explicit `value: null` is a tombstone: a
 *                record with no value field at all is refused (a misspelled `vlaue` once wrote one).
 *   valueString  stored as UTF-8 bytes, header content-type: text/plain; charset=utf-8
 *   valueBase64  stored as the decoded bytes, no header: byte-exact binary in JSON
 * A key is `key` (a UTF-8 string, or bin in msgpack) or `keyBase64`. Headers are an object of
 * string values (or null).
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { pack } from 'msgpackr';
import type { RecordHeader, RecordInput } from '../../storage/index.js';
import { BrokerError } from '../errors.js';
import { JSON_CONTENT_TYPE, MSGPACK_CONTENT_TYPE } from '../http/content-types.js';
import { type BrokerLimits, brokerLimits } from '../limits.js';

export { JSON_CONTENT_TYPE, MSGPACK_CONTENT_TYPE };
export const CONTENT_TYPE_HEADER = 'content-type';
export const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';

/**
 * One record of a produce body. `bytes` is what a key, a value or a header value may be in this
 * body: a string in JSON; a string or bin in msgpack (checked in code, which JSON Schema cannot).
 */
type BodyLimits = Pick<BrokerLimits, 'recordsPerRequestMax' | 'headersPerRecordMax' | 'partitionsPerTopicMax'>;

function recordSchema(limits: BodyLimits, bytes: TSchema, value: TSchema) {
  return Type.Object(
    {
      key: Type.Optional(Type.Union([bytes, Type.Null()], { description: 'UTF-8 key; partitions by murmur2 like Kafka' })),
      keyBase64: Type.Optional(Type.String({ description: 'a binary key, base64' })),
      value: Type.Optional(value),
      valueString: Type.Optional(Type.String({ description: 'stored as UTF-8 bytes' })),
      valueBase64: Type.Optional(Type.String({ description: 'stored as the decoded bytes' })),
      headers: Type.Optional(
        Type.Record(Type.String(), Type.Union([bytes, Type.Null()]), {
          maxProperties: limits.headersPerRecordMax,
          description: `at most ${limits.headersPerRecordMax} headers`,
        }),
      ),
      partition: Type.Optional(Type.Integer({ minimum: 0, maximum: limits.partitionsPerTopicMax - 1 })),
      timestamp: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'ms since the epoch' })),
    },
    { additionalProperties: false },
  );
}

function produceBodySchema(limits: BodyLimits, record: TSchema) {
  return Type.Object(
    {
      records: Type.Array(record, { minItems: 1, maxItems: limits.recordsPerRequestMax }),
      expectedOffsets: Type.Optional(
        Type.Record(Type.String({ pattern: '^[0-9]{1,9}$' }), Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), {
          additionalProperties: false,
          description: 'partition → the offset it must end at before this write (409 SPOOL_ERR_OFFSET_MISMATCH otherwise, nothing written)',
        }),
      ),
    },
    { additionalProperties: false },
  );
}

/** The produce body's schemas, per content type, with the broker's configured limits. */
export function produceBodySchemas(limits: BodyLimits) {
  const anyBytes = Type.Unknown({ description: 'a string or bin' });
  const msgpackValue = Type.Unknown({ description: 'any msgpack value; bin is stored as its bytes; nil is a tombstone' });
  return {
    json: produceBodySchema(limits, recordSchema(limits, Type.String(), Type.Unknown({ description: 'any JSON; null is a tombstone' }))),
    msgpack: produceBodySchema(limits, recordSchema(limits, anyBytes, msgpackValue)),
  };
}

const JsonRecord = recordSchema(brokerLimits, Type.String(), Type.Unknown());
export type ProduceRecord = Static<typeof JsonRecord> & { key?: unknown; headers?: Record<string, unknown> };
export type ProduceBody = Static<ReturnType<typeof produceBodySchemas>['json']>;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(text: string, field: string, index: number): Buffer {
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `records[${index}].${field} is not valid base64`, { field: `records[${index}].${field}`, index });
  }
  return Buffer.from(text, 'base64');
}

function isBinary(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

function keyOf(record: ProduceRecord, index: number): Buffer | null {
  if (record.keyBase64 !== undefined) return decodeBase64(record.keyBase64, 'keyBase64', index);
  if (record.key === undefined || record.key === null) return null;
  if (isBinary(record.key)) return Buffer.from(record.key);
  if (typeof record.key === 'string') return Buffer.from(record.key, 'utf8');
  throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `records[${index}].key must be a string or bin (or use keyBase64)`, { index, field: `records[${index}].key` });
}

function valueOf(record: ProduceRecord, index: number, body: 'json' | 'msgpack'): { value: Buffer | null; contentType: string | null } {
  const given = [record.value !== undefined, record.valueString !== undefined, record.valueBase64 !== undefined].filter(Boolean).length;
  if (given > 1) throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `records[${index}] has more than one of value, valueString, valueBase64`, { index });
  if (record.valueBase64 !== undefined) return { value: decodeBase64(record.valueBase64, 'valueBase64', index), contentType: null };
  if (record.valueString !== undefined) return { value: Buffer.from(record.valueString, 'utf8'), contentType: TEXT_CONTENT_TYPE };
  if (given === 0) {
    throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `records[${index}] has no value: give value, valueString or valueBase64 (value: null writes a tombstone)`, { index, field: `records[${index}].value` });
  }
  if (record.value === null) return { value: null, contentType: null };
  if (body === 'msgpack') {
    if (isBinary(record.value)) return { value: Buffer.from(record.value), contentType: null };
    return { value: pack(record.value), contentType: MSGPACK_CONTENT_TYPE };
  }
  return { value: Buffer.from(JSON.stringify(record.value), 'utf8'), contentType: JSON_CONTENT_TYPE };
}

function headersOf(record: ProduceRecord, contentType: string | null, index: number): RecordHeader[] {
  const headers: RecordHeader[] = [];
  // Read with Object.entries only: a header may be named __proto__ (see http/content-types.ts).
  for (const [key, value] of Object.entries(record.headers ?? {})) {
    if (value !== null && typeof value !== 'string' && !isBinary(value)) {
      throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `records[${index}].headers.${key} must be a string, bin or null`, { index, field: `records[${index}].headers.${key}` });
    }
    headers.push({ key, value: value === null ? null : Buffer.from(value as string | Uint8Array) });
  }
  if (contentType && !headers.some((header) => header.key === CONTENT_TYPE_HEADER)) {
    headers.push({ key: CONTENT_TYPE_HEADER, value: Buffer.from(contentType) });
  }
  return headers;
}

/**
 * Turns one record of a body that passed its schema (JsonProduceBody or MsgpackProduceBody) into a
 * batch input, checking what a schema cannot: base64, one value field at most, msgpack's types.
 */
export function toRecordInput(record: ProduceRecord, index: number, body: 'json' | 'msgpack'): RecordInput {
  const { value, contentType } = valueOf(record, index, body);
  return { key: keyOf(record, index), value, headers: headersOf(record, contentType, index), timestamp: record.timestamp };
}
