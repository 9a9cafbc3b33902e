/**
 * Messages as consumers see them, read from the raw RecordBatch v2 bytes the broker serves
 * (format=batch: no re-encoding on either side). A message is decoded lazily: the scan notes where
 * its key, value and headers lie, and each is decoded on first access (then kept), so a consumer
 * that reads millions of records a second pays only for the fields it touches.
 *
 * A record's `content-type` header picks its codec; records without one are decoded with the
 * consumer's codec when one was chosen, else handed over as bytes (as the broker's JSON view shows
 * them: base64).
 */
import { inspect } from 'node:util';
import { ATTRIBUTE_CONTROL, type BatchHeader, batchSizeAt, readHeaders, readLayoutAt, type RecordLayout, scanRecordBatch } from '../../storage/codec/index.js';
import { bytesCodec, type Codec, CONTENT_TYPE_HEADER, decodeValue } from '../codecs.js';
import type { SpoolClientError } from '../errors.js';

export interface Message<T = unknown> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** ms since epoch. */
  readonly timestamp: number;
  /** The key as UTF-8 text; keyBytes holds the exact bytes. */
  readonly key: string | null;
  readonly keyBytes: Buffer | null;
  readonly value: T;
  /** The value's bytes as stored. */
  readonly rawValue: Buffer | null;
  readonly headers: Record<string, string>;
  /**
   * Set when the value does not decode with its codec (a poison message): `value` is then
   * undefined and `rawValue` holds the bytes. The partition is not blocked by it.
   */
  readonly decodeError?: SpoolClientError;
}

export interface Batch<T = unknown> {
  topic: string;
  partition: number;
  messages: Message<T>[];
  /** The partition's end when this batch was fetched: lag = highWatermark - last offset - 1. */
  highWatermark: number;
}

export interface ValueDecoding {
  codec: Codec;
  userCodecs: Codec[];
}

const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NOT_YET = Symbol('not decoded yet');

/** What the messages of one batch share: kept once, not per message. */
interface BatchContext {
  topic: string;
  partition: number;
  block: Buffer;
  header: BatchHeader;
  decoding: ValueDecoding;
}

/** A message's fields once it was first looked into. */
interface Decoded<T> {
  layout: RecordLayout;
  value: T | typeof NOT_YET;
  headers: Record<string, string> | null;
  failure: SpoolClientError | undefined;
}

/**
 * Eight fields a message until it is looked into: a replay of millions a second allocates little.
 * The value's place is kept, so bytes values (the common fast case) need nothing more; anything
 * else reads the record again from `recordStart` (already checked by the scan) on first access.
 */
class LazyMessage<T> implements Message<T> {
  private decoded: Decoded<T> | undefined;

  constructor(
    private readonly context: BatchContext,
    readonly offset: number,
    readonly timestamp: number,
    private readonly recordStart: number,
    private readonly valueStart: number,
    private readonly valueLength: number,
    private readonly headerCount: number,
  ) {}

  get topic(): string {
    return this.context.topic;
  }

  get partition(): number {
    return this.context.partition;
  }

  private get fields(): Decoded<T> {
    this.decoded ??= { layout: readLayoutAt(this.context.block, this.recordStart, this.context.header), value: NOT_YET, headers: null, failure: undefined };
    return this.decoded;
  }

  get keyBytes(): Buffer | null {
    const { keyStart, keyLength } = this.fields.layout;
    return keyLength < 0 ? null : this.context.block.subarray(keyStart, keyStart + keyLength);
  }

  get key(): string | null {
    const { keyStart, keyLength } = this.fields.layout;
    return keyLength < 0 ? null : this.context.block.toString('utf8', keyStart, keyStart + keyLength);
  }

  get rawValue(): Buffer | null {
    return this.valueLength < 0 ? null : this.context.block.subarray(this.valueStart, this.valueStart + this.valueLength);
  }

  get headers(): Record<string, string> {
    const fields = this.fields;
    if (fields.headers) return fields.headers;
    const { headersStart, headerCount } = fields.layout;
    if (headerCount === 0) return (fields.headers = NO_HEADERS);
    const headers: Record<string, string> = {};
    for (const { key, value } of readHeaders(this.context.block, headersStart, headerCount)) headers[key] = value === null ? '' : value.toString('utf8');
    return (fields.headers = headers);
  }

  get value(): T {
    // No header names a codec and the consumer wants bytes: the value is its bytes.
    if (this.headerCount === 0 && this.context.decoding.codec === bytesCodec) return this.rawValue as T;
    const fields = this.fields;
    if (fields.value === NOT_YET) {
      try {
        const { codec, userCodecs } = this.context.decoding;
        fields.value = decodeValue(this.rawValue, this.headers[CONTENT_TYPE_HEADER] ?? null, codec, userCodecs) as T;
      } catch (error) {
        fields.failure = error as SpoolClientError;
        fields.value = undefined as T;
      }
    }
    return fields.value;
  }

  get decodeError(): SpoolClientError | undefined {
    void this.value;
    return this.decoded?.failure;
  }

  toJSON() {
    const { topic, partition, offset, timestamp, key, value, headers } = this;
    return { topic, partition, offset, timestamp, key, value, headers };
  }

  [inspect.custom]() {
    return this.toJSON();
  }
}

/** Reads fetched batches into messages at or after `fromOffset` (a batch may start before it). */
export function decodeMessages<T>(topic: string, partition: number, data: Buffer, fromOffset: number, decoding: ValueDecoding): Message<T>[] {
  const messages: Message<T>[] = [];
  for (let position = 0; position < data.length; ) {
    const end = position + batchSizeAt(data, position);
    // One pass: each batch is checked (size, magic, CRC) and its records walked as they are read.
    const { header, records } = scanRecordBatch(data, position, end);
    // Control batches (transaction markers) carry no user records.
    if (!(header.attributes & ATTRIBUTE_CONTROL)) {
      const context: BatchContext = { topic, partition, block: records.block, header, decoding };
      const layout = records.layout;
      while (records.next()) {
        if (layout.offset < fromOffset) continue;
        messages.push(new LazyMessage<T>(context, layout.offset, layout.timestamp, layout.recordStart, layout.valueStart, layout.valueLength, layout.headerCount));
      }
    }
    position = end;
  }
  return messages;
}
