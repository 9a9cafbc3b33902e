/**
 * gzip (attributes compression id 1): RFC 1952 members, as zlib writes them (Java's
 * GZIPOutputStream, librdkafka and KafkaJS all do). zlib stops at `maxOutputLength`, so a block
 * that inflates past the caller's limit is refused having cost at most the limit.
 */
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { rethrowAsCorrupt, tooLarge } from './codec-errors.js';

const CODEC = 'gzip';

export function decompressGzip(data: Buffer, maxBytes: number): Buffer {
  let plain: Buffer;
  try {
    // maxOutputLength must be at least 1: a limit of 0 is checked below.
    plain = gunzipSync(data, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(CODEC, maxBytes + 1, maxBytes);
    return rethrowAsCorrupt(CODEC, error);
  }
  if (plain.length > maxBytes) tooLarge(CODEC, plain.length, maxBytes);
  return plain;
}

export function compressGzip(data: Buffer): Buffer {
  // zlib's default level 6, as the Java client uses (Deflater.DEFAULT_COMPRESSION).
  return gzipSync(data, { level: constants.Z_DEFAULT_COMPRESSION });
}
