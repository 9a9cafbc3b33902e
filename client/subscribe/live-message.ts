/**
 * A live record event (`event: record`, asked for with valueFormat=base64 so bytes are exact) as
 * the same Message a consumer hands over: the value decoded by its content-type header, else by
 * the subscription's codec, else left as bytes; a value that does not decode sets decodeError.
 */
import { type Codec, CONTENT_TYPE_HEADER, decodeValue } from '../codecs.js';
import type { SpoolClientError } from '../errors.js';
import type { Message, ValueDecoding } from '../consumer/message.js';

/** The `data` of a record event (see broker/live/live-tail.ts). */
export interface LiveRecordData {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  keyBase64?: string;
  value?: unknown;
  valueBase64?: string;
  headers: Record<string, string | null>;
}

function keyBytesOf(data: LiveRecordData): Buffer | null {
  if (data.keyBase64 !== undefined) return Buffer.from(data.keyBase64, 'base64');
  return data.key === null ? null : Buffer.from(data.key, 'utf8');
}

export function liveMessage<T>(data: LiveRecordData, decoding: ValueDecoding): Message<T> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(data.headers ?? {})) headers[name] = value ?? '';
  const keyBytes = keyBytesOf(data);
  const rawValue = data.valueBase64 === undefined ? null : Buffer.from(data.valueBase64, 'base64');
  let value: T = undefined as T;
  let decodeError: SpoolClientError | undefined;
  try {
    value = decodeValue(rawValue, headers[CONTENT_TYPE_HEADER] ?? null, decoding.codec as Codec, decoding.userCodecs) as T;
  } catch (error) {
    decodeError = error as SpoolClientError;
  }
  return {
    topic: data.topic,
    partition: data.partition,
    offset: data.offset,
    timestamp: data.timestamp,
    key: keyBytes === null ? null : keyBytes.toString('utf8'),
    keyBytes,
    value,
    rawValue,
    headers,
    ...(decodeError ? { decodeError } : {}),
  };
}
