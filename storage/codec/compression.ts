/**
 * Compression codecs of RecordBatch v2, selected by attributes bits 0-2: the one place every
 * reader and writer of a compressed records block goes through (broker, compactor, client).
 * The whole records section is compressed as one block.
 *
 *   id  codec   form                                              implementation
 *    0  none    -                                                 -
 *    1  gzip    RFC 1952                                          node:zlib
 *    2  snappy  raw block, or xerial-framed (read both; write xerial) snappy (napi-rs)
 *    3  lz4     LZ4 frame format                                  lz4-napi
 *    4  zstd    Zstandard frames                                  @toondepauw/node-zstd (+ fzstd)
 *
 * API:
 *   compress(id, data)             the block for a batch with that compression id
 *   decompress(id, data, maxBytes) the records section, never more than maxBytes: a block that
 *                                  declares or would produce more is refused with
 *                                  SPOOL_ERR_DECOMPRESSED_TOO_LARGE before its output is
 *                                  allocated (gzip: after at most maxBytes of output)
 *
 * Damage is SPOOL_ERR_CORRUPT_BATCH (never a crash or a foreign error); an id outside 0..4, or a
 * codec whose native package has no binary for this platform, is SPOOL_ERR_UNSUPPORTED_COMPRESSION.
 * Native packages load on first use (compression/native-package.ts).
 */
import { StorageError } from '../errors.js';
import { compressGzip, decompressGzip } from './compression/gzip.js';
import { compressLz4, decompressLz4 } from './compression/lz4.js';
import { compressSnappy, decompressSnappy } from './compression/snappy.js';
import { compressZstd, decompressZstd } from './compression/zstd.js';

export const Compression = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
} as const;

export type CompressionName = keyof typeof Compression;
export type CompressionId = (typeof Compression)[CompressionName];

/** The codec names, in id order: what options and docs list. */
export const compressionNames = Object.keys(Compression) as CompressionName[];

interface Codec {
  compress(data: Buffer): Buffer;
  decompress(data: Buffer, maxBytes: number): Buffer;
}

const codecs = new Map<number, Codec>([
  [Compression.gzip, { compress: compressGzip, decompress: decompressGzip }],
  [Compression.snappy, { compress: compressSnappy, decompress: decompressSnappy }],
  [Compression.lz4, { compress: compressLz4, decompress: decompressLz4 }],
  [Compression.zstd, { compress: compressZstd, decompress: decompressZstd }],
]);

const namesById = new Map<number, string>(Object.entries(Compression).map(([name, id]) => [id, name]));

export function compressionName(id: number): string {
  return namesById.get(id) ?? `unknown(${id})`;
}

/** The id of a codec name ('none', 'gzip', ...); undefined for anything else. */
export function compressionIdOf(name: string): CompressionId | undefined {
  return Object.hasOwn(Compression, name) ? Compression[name as CompressionName] : undefined;
}

/** Whether a batch with this compression id can be decoded here (ids 5-7 are unassigned). */
export function isSupportedCompression(id: number): boolean {
  return namesById.has(id);
}

function codecOf(id: number): Codec {
  const codec = codecs.get(id);
  if (codec) return codec;
  throw new StorageError(
    'SPOOL_ERR_UNSUPPORTED_COMPRESSION',
    `compression codec ${compressionName(id)} is not supported (supported: ${compressionNames.join(', ')})`,
    { compression: id },
  );
}

export function compress(id: number, data: Buffer): Buffer {
  if (id === Compression.none) return data;
  return codecOf(id).compress(data);
}

/** Decompresses a records block; `maxBytes` bounds the output (see the table above). */
export function decompress(id: number, data: Buffer, maxBytes: number): Buffer {
  if (id === Compression.none) return data;
  if (!(maxBytes >= 0)) throw new RangeError(`maxBytes must be a non-negative number, got ${maxBytes}`);
  return codecOf(id).decompress(data, maxBytes);
}
