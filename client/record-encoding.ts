/**
 * What a user hands the producer, and its RecordBatch form. The value goes through the producer's
 * codec, whose content type travels in the record header `content-type` (except for raw bytes,
 * which need no decoding: a record without the header is bytes to readers that chose no codec, as
 * on the broker).
 */
import type { RecordHeader, RecordInput } from '../storage/codec/index.js';
import { bytesCodec, type Codec, CONTENT_TYPE_HEADER } from './codecs.js';

export interface ProducerRecord<T = unknown> {
  /** Records with the same key go to the same partition (murmur2, as Kafka's clients do). */
  key?: string | Buffer | null;
  /** `null` is a tombstone: compaction deletes the key. */
  value: T | null;
  headers?: Record<string, string | Buffer>;
  partition?: number;
  /** ms since epoch; the producer's clock by default. */
  timestamp?: number;
}

/** Per-record bytes beyond key, value and headers in a RecordBatch: length, attributes, deltas. */
const RECORD_OVERHEAD_BYTES = 12;

export interface EncodedRecord {
  input: RecordInput;
  /** Its size in a batch, near enough to decide when a batch is full. */
  size: number;
}

function toBuffer(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

export function encodeRecord<T>(record: ProducerRecord<T>, codec: Codec<T>): EncodedRecord {
  const key = record.key === undefined || record.key === null ? null : toBuffer(record.key);
  const value = record.value === null ? null : codec.encode(record.value);
  let size = RECORD_OVERHEAD_BYTES + (key?.length ?? 0) + (value?.length ?? 0);
  let headers: RecordHeader[] | undefined;
  if (record.headers) {
    headers = Object.entries(record.headers).map(([name, headerValue]) => ({ key: name, value: toBuffer(headerValue) }));
  }
  if (value !== null && codec !== bytesCodec && !record.headers?.[CONTENT_TYPE_HEADER]) {
    (headers ??= []).push({ key: CONTENT_TYPE_HEADER, value: contentTypeBytes(codec) });
  }
  if (headers) for (const header of headers) size += header.key.length + (header.value?.length ?? 0) + 2;
  return { input: { key, value, headers, timestamp: record.timestamp }, size };
}

const contentTypeCache = new WeakMap<Codec<any>, Buffer>();
function contentTypeBytes(codec: Codec<any>): Buffer {
  let bytes = contentTypeCache.get(codec);
  if (!bytes) contentTypeCache.set(codec, (bytes = Buffer.from(codec.contentType, 'utf8')));
  return bytes;
}
