/**
 * Stored records as JSON or msgpack answers. Keys are UTF-8 strings when they decode cleanly,
 * else `keyBase64`. Values follow `valueFormat`:
 *   auto (default)  the record's content-type header decides: application/json → `value` (parsed),
 *                   text/plain → `value` (string), anything else → `valueBase64`
 *   json            `value` parsed as JSON (records that are not JSON fall back to `valueBase64`)
 *   string          `value` as a UTF-8 string
 *   base64          `valueBase64`, byte-exact
 * msgpack answers always carry values as bin (raw bytes), byte-exact; the consumer decodes them.
 *
 * A value that `auto` or `json` cannot render as JSON (not valid JSON, or nested deeper than
 * jsonValueDepthMax) is served as `valueBase64` with `valueError` saying why: one poison record
 * (say 100,000 nested `[`, which JSON.stringify cannot serialize without overflowing the stack)
 * never makes a fetch, a live tail or a queue receive of other records fail.
 */
import { isUtf8 } from 'node:buffer';
import type { DecodedRecord } from '../../storage/index.js';
import { brokerLimits } from '../limits.js';
import { CONTENT_TYPE_HEADER, JSON_CONTENT_TYPE } from '../produce/record-input.js';
import { jsonNestingExceeds } from './json-depth.js';

export type ValueFormat = 'auto' | 'json' | 'string' | 'base64';

export interface JsonRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  keyBase64?: string;
  value?: unknown;
  valueBase64?: string;
  /** Why a value asked for as JSON came as valueBase64. */
  valueError?: string;
  headers: Record<string, string | null>;
}

export type ValueFields = { value?: unknown; valueBase64?: string; valueError?: string };

function contentTypeOf(record: DecodedRecord): string | null {
  const header = record.headers.find((candidate) => candidate.key === CONTENT_TYPE_HEADER);
  return header?.value ? header.value.toString('utf8') : null;
}

function jsonValue(bytes: Buffer): ValueFields {
  const depthMax = brokerLimits.jsonValueDepthMax;
  // Checked on the bytes before parsing: JSON.parse takes any depth, the answer's serializer does not.
  if (jsonNestingExceeds(bytes, depthMax)) return { valueBase64: bytes.toString('base64'), valueError: `JSON nested deeper than ${depthMax} levels` };
  try {
    return { value: JSON.parse(bytes.toString('utf8')) };
  } catch {
    return { valueBase64: bytes.toString('base64'), valueError: 'not valid JSON' };
  }
}

/** A record's value as the answer's fields for `format` (see the top). */
export function valueFields(record: DecodedRecord, format: ValueFormat): ValueFields {
  const bytes = record.value;
  if (bytes === null) return { value: null };
  if (format === 'base64') return { valueBase64: bytes.toString('base64') };
  if (format === 'string') return { value: bytes.toString('utf8') };
  if (format === 'json') return jsonValue(bytes);
  const contentType = contentTypeOf(record)?.split(';')[0]?.trim();
  if (contentType === JSON_CONTENT_TYPE) return jsonValue(bytes);
  if (contentType === 'text/plain' && isUtf8(bytes)) return { value: bytes.toString('utf8') };
  return { valueBase64: bytes.toString('base64') };
}

/**
 * Header maps have no prototype: a header may be named `__proto__`, and on a plain object that
 * assignment would set the prototype instead of adding the header.
 */
function headerMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

export function toJsonRecord(record: DecodedRecord, format: ValueFormat): JsonRecord {
  const headers = headerMap<string | null>();
  for (const header of record.headers) headers[header.key] = header.value === null ? null : header.value.toString('utf8');
  const key = record.key;
  const keyFields = key === null ? { key: null } : isUtf8(key) ? { key: key.toString('utf8') } : { key: null, keyBase64: key.toString('base64') };
  return { offset: record.offset, timestamp: record.timestamp, ...keyFields, ...valueFields(record, format), headers };
}

export interface MsgpackRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null>;
}

export function toMsgpackRecord(record: DecodedRecord): MsgpackRecord {
  const headers = headerMap<Buffer | null>();
  for (const header of record.headers) headers[header.key] = header.value;
  return { offset: record.offset, timestamp: record.timestamp, key: record.key, value: record.value, headers };
}
