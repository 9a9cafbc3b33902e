/**
 * Messages as consumers see them, decoded from the raw RecordBatch v2 bytes the broker serves
 * (format=batch: no re-encoding on either side). A record's `content-type` header picks its codec;
 * records without one are decoded with the consumer's codec when one was chosen, else handed over
 * as bytes (as the broker's JSON view shows them: base64).
 */
import { ATTRIBUTE_CONTROL, decodeRecordBatch, splitBatches } from '../../storage/codec/index.js';
import { type Codec, CONTENT_TYPE_HEADER, decodeValue } from '../codecs.js';
import type { SpoolClientError } from '../errors.js';

export interface Message<T = unknown> {
  topic: string;
  partition: number;
  offset: number;
  /** ms since epoch. */
  timestamp: number;
  /** The key as UTF-8 text; keyBytes holds the exact bytes. */
  key: string | null;
  keyBytes: Buffer | null;
  value: T;
  /** The value's bytes as stored. */
  rawValue: Buffer | null;
  headers: Record<string, string>;
  /**
   * Set when the value does not decode with its codec (a poison message): `value` is then
   * undefined and `rawValue` holds the bytes. The partition is not blocked by it.
   */
  decodeError?: SpoolClientError;
}

export interface Batch<T = unknown> {
  topic: string;
  partition: number;
  messages: Message<T>[];
  /** The partition's end when this batch was fetched: lag = highWatermark - last offset - 1. */
  highWatermark: number;
}

const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Decodes fetched batches into messages at or after `fromOffset` (a batch may start before it). */
export function decodeMessages<T>(topic: string, partition: number, data: Buffer, fromOffset: number, codec: Codec<T>, userCodecs: Codec[]): Message<T>[] {
  const messages: Message<T>[] = [];
  if (data.length === 0) return messages;
  for (const span of splitBatches(data)) {
    const { header, records } = decodeRecordBatch(data, span.position, span.position + span.size);
    if (header.attributes & ATTRIBUTE_CONTROL) continue;
    for (const record of records) {
      if (record.offset < fromOffset) continue;
      let headers = NO_HEADERS;
      let contentType: string | null = null;
      if (record.headers.length > 0) {
        headers = {};
        for (const { key, value } of record.headers) headers[key] = value === null ? '' : value.toString('utf8');
        contentType = headers[CONTENT_TYPE_HEADER] ?? null;
      }
      const message: Message<T> = {
        topic,
        partition,
        offset: record.offset,
        timestamp: record.timestamp,
        key: record.key === null ? null : record.key.toString('utf8'),
        keyBytes: record.key,
        value: undefined as T,
        rawValue: record.value,
        headers,
      };
      try {
        message.value = decodeValue(record.value, contentType, codec as Codec, userCodecs) as T;
      } catch (error) {
        message.decodeError = error as SpoolClientError;
      }
      messages.push(message);
    }
  }
  return messages;
}
