/**
 * Value codecs. A producer encodes values with its codec and names it in the record header
 * `content-type`, so a consumer decodes what it did not produce: a record's own content-type wins
 * over the consumer's default codec.
 */
import { pack, unpack } from 'msgpackr';
import { SpoolClientError } from './errors.js';

export interface Codec<T = unknown> {
  /** Travels in the `content-type` record header. */
  readonly contentType: string;
  encode(value: T): Buffer;
  decode(bytes: Buffer): T;
}

export const jsonCodec: Codec = {
  contentType: 'application/json',
  encode: (value) => Buffer.from(JSON.stringify(value) ?? 'null'),
  decode: (bytes) => JSON.parse(bytes.toString('utf8')),
};

export const msgpackCodec: Codec = {
  contentType: 'application/x-msgpack',
  encode: (value) => pack(value),
  decode: (bytes) => unpack(bytes),
};

export const stringCodec: Codec<string> = {
  contentType: 'text/plain; charset=utf-8',
  encode: (value) => Buffer.from(String(value), 'utf8'),
  decode: (bytes) => bytes.toString('utf8'),
};

export const bytesCodec: Codec<Buffer> = {
  contentType: 'application/octet-stream',
  encode: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array)),
  decode: (bytes) => bytes,
};

export type CodecName = 'json' | 'msgpack' | 'string' | 'bytes';

const byName: Record<CodecName, Codec> = {
  json: jsonCodec,
  msgpack: msgpackCodec,
  string: stringCodec as Codec,
  bytes: bytesCodec as Codec,
};

const byContentType = new Map<string, Codec>(Object.values(byName).map((codec) => [codec.contentType.split(';')[0]!, codec]));

export const CONTENT_TYPE_HEADER = 'content-type';

export function resolveCodec(codec: CodecName | Codec | undefined): Codec {
  if (codec === undefined) return jsonCodec;
  if (typeof codec === 'string') {
    const found = byName[codec];
    if (!found) throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', `unknown codec ${codec} (json, msgpack, string, bytes)`);
    return found;
  }
  return codec;
}

/** Decodes a value with the codec its record names, else with `fallback`. */
export function decodeValue(bytes: Buffer | null, contentType: string | null, fallback: Codec, userCodecs: Codec[] = []): unknown {
  if (bytes === null) return null;
  const type = contentType?.split(';')[0]?.trim();
  const codec = (type && (userCodecs.find((candidate) => candidate.contentType.split(';')[0] === type) ?? byContentType.get(type))) || fallback;
  try {
    return codec.decode(bytes);
  } catch (error) {
    throw SpoolClientError.local('SPOOL_ERR_CODEC', `value does not decode as ${codec.contentType}: ${(error as Error).message}`, {}, error);
  }
}
