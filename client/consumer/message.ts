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
import { ATTRIBUTE_CONTROL, batchSizeAt, readBatchHeader, readHeaders, type RecordLayout, scanRecordBatch } from '../../storage/codec/index.js';
import { type Codec, CONTENT_TYPE_HEADER, decodeValue } from '../codecs.js';
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

class LazyMessage<T> implements Message<T> {
  private decodedValue: T | typeof NOT_YET = NOT_YET;
  private decodedHeaders: Record<string, string> | null = null;
  private failure: SpoolClientError | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly timestamp: number,
    private readonly block: Buffer,
    private readonly keyStart: number,
    private readonly keyLength: number,
    private readonly valueStart: number,
    private readonly valueLength: number,
    private readonly headersStart: number,
    private readonly headerCount: number,
    private readonly decoding: ValueDecoding,
  ) {}

  get keyBytes(): Buffer | null {
    return this.keyLength < 0 ? null : this.block.subarray(this.keyStart, this.keyStart + this.keyLength);
  }

  get key(): string | null {
    return this.keyLength < 0 ? null : this.block.toString('utf8', this.keyStart, this.keyStart + this.keyLength);
  }

  get rawValue(): Buffer | null {
    return this.valueLength < 0 ? null : this.block.subarray(this.valueStart, this.valueStart + this.valueLength);
  }

  get headers(): Record<string, string> {
    if (this.decodedHeaders) return this.decodedHeaders;
    if (this.headerCount === 0) return (this.decodedHeaders = NO_HEADERS);
    const headers: Record<string, string> = {};
    for (const { key, value } of readHeaders(this.block, this.headersStart, this.headerCount)) headers[key] = value === null ? '' : value.toString('utf8');
    return (this.decodedHeaders = headers);
  }

  get value(): T {
    if (this.decodedValue === NOT_YET) {
      try {
        this.decodedValue = decodeValue(this.rawValue, this.headers[CONTENT_TYPE_HEADER] ?? null, this.decoding.codec, this.decoding.userCodecs) as T;
      } catch (error) {
        this.failure = error as SpoolClientError;
        this.decodedValue = undefined as T;
      }
    }
    return this.decodedValue;
  }

  get decodeError(): SpoolClientError | undefined {
    void this.value;
    return this.failure;
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
  if (data.length === 0) return messages;
  const take = (block: Buffer, layout: RecordLayout) => {
    if (layout.offset < fromOffset) return;
    messages.push(
      new LazyMessage<T>(topic, partition, layout.offset, layout.timestamp, block, layout.keyStart, layout.keyLength, layout.valueStart, layout.valueLength, layout.headersStart, layout.headerCount, decoding),
    );
  };
  // One pass: scanRecordBatch checks each batch (size, magic, CRC) as it goes.
  for (let position = 0; position < data.length; ) {
    const end = position + batchSizeAt(data, position);
    // Control batches (transaction markers) carry no user records.
    if (!(readBatchHeader(data, position).attributes & ATTRIBUTE_CONTROL)) scanRecordBatch(data, position, end, take);
    position = end;
  }
  return messages;
}
