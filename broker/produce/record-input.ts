/**
 * Records as users send them in JSON or msgpack, turned into RecordBatch v2 inputs.
 *
 * A value is exactly one of:
 *   value        any JSON (JSON body) or any msgpack value (msgpack body). JSON values are stored as
 *                their JSON text with header content-type: application/json; msgpack bin values are
 *                stored as the raw bytes; other msgpack values as msgpack with content-type
 *                application/x-msgpack. `value: null` (or no value at all) is a tombstone.
 *   valueString  stored as UTF-8 bytes, header content-type: text/plain; charset=utf-8
 *   valueBase64  stored as the decoded bytes, no header: byte-exact binary in JSON
 * A key is `key` (a UTF-8 string, or bin in msgpack) or `keyBase64`. Headers are an object of
 * string values (or null).
 */
import { pack } from 'msgpackr';
import type { RecordHeader, RecordInput } from '../../storage/index.js';
import { BrokerError } from '../errors.js';

export interface ProduceRecord {
  key?: unknown;
  keyBase64?: string;
  value?: unknown;
  valueString?: string;
  valueBase64?: string;
  headers?: Record<string, string | null>;
  partition?: number;
  timestamp?: number;
}

export const CONTENT_TYPE_HEADER = 'content-type';
export const JSON_CONTENT_TYPE = 'application/json';
export const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';
export const MSGPACK_CONTENT_TYPE = 'application/x-msgpack';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(text: string, field: string, index: number): Buffer {
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `records[${index}].${field} is not valid base64`, { field, index });
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
  throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `records[${index}].key must be a string (or use keyBase64)`, { index });
}

function valueOf(record: ProduceRecord, index: number, body: 'json' | 'msgpack'): { value: Buffer | null; contentType: string | null } {
  const given = [record.value !== undefined, record.valueString !== undefined, record.valueBase64 !== undefined].filter(Boolean).length;
  if (given > 1) throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `records[${index}] has more than one of value, valueString, valueBase64`, { index });
  if (record.valueBase64 !== undefined) return { value: decodeBase64(record.valueBase64, 'valueBase64', index), contentType: null };
  if (record.valueString !== undefined) {
    if (typeof record.valueString !== 'string') throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `records[${index}].valueString must be a string`, { index });
    return { value: Buffer.from(record.valueString, 'utf8'), contentType: TEXT_CONTENT_TYPE };
  }
  if (record.value === undefined || record.value === null) return { value: null, contentType: null };
  if (body === 'msgpack') {
    if (isBinary(record.value)) return { value: Buffer.from(record.value), contentType: null };
    return { value: pack(record.value), contentType: MSGPACK_CONTENT_TYPE };
  }
  return { value: Buffer.from(JSON.stringify(record.value), 'utf8'), contentType: JSON_CONTENT_TYPE };
}

function headersOf(record: ProduceRecord, contentType: string | null, index: number): RecordHeader[] {
  const headers: RecordHeader[] = [];
  if (record.headers !== undefined) {
    if (typeof record.headers !== 'object' || record.headers === null || Array.isArray(record.headers)) {
      throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `records[${index}].headers must be an object of strings`, { index });
    }
    for (const [key, value] of Object.entries(record.headers)) {
      if (value !== null && typeof value !== 'string' && !isBinary(value)) {
        throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `records[${index}].headers.${key} must be a string or null`, { index });
      }
      headers.push({ key, value: value === null ? null : Buffer.from(value as string | Uint8Array) });
    }
  }
  if (contentType && !headers.some((header) => header.key === CONTENT_TYPE_HEADER)) {
    headers.push({ key: CONTENT_TYPE_HEADER, value: Buffer.from(contentType) });
  }
  return headers;
}

/** Turns one user record into a batch input; throws SPOOL_ERR_BAD_REQUEST with the record's index. */
export function toRecordInput(record: ProduceRecord, index: number, body: 'json' | 'msgpack'): RecordInput {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `records[${index}] must be an object`, { index });
  }
  if (record.timestamp !== undefined && (!Number.isSafeInteger(record.timestamp) || record.timestamp < 0)) {
    throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `records[${index}].timestamp must be ms since the epoch`, { index });
  }
  const { value, contentType } = valueOf(record, index, body);
  return { key: keyOf(record, index), value, headers: headersOf(record, contentType, index), timestamp: record.timestamp };
}
