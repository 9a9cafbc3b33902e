/**
 * Compression codecs of RecordBatch v2, selected by attributes bits 0-2. The whole records section
 * is compressed as one block. Spool implements gzip (zlib); the others are refused with a typed
 * error rather than stored undecodable or crashing a reader.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { StorageError } from '../errors.js';

export const Compression = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
} as const;

export type CompressionName = keyof typeof Compression;
export type CompressionId = (typeof Compression)[CompressionName];

const namesById = new Map<number, string>(Object.entries(Compression).map(([name, id]) => [id, name]));

export function compressionName(id: number): string {
  return namesById.get(id) ?? `unknown(${id})`;
}

/** Whether a batch with this compression id can be decoded here. */
export function isSupportedCompression(id: number): boolean {
  return id === Compression.none || id === Compression.gzip;
}

function unsupported(id: number): never {
  throw new StorageError(
    'SPOOL_ERR_UNSUPPORTED_COMPRESSION',
    `compression codec ${compressionName(id)} is not supported (supported: none, gzip)`,
    { compression: id },
  );
}

export function compress(id: number, data: Buffer): Buffer {
  if (id === Compression.none) return data;
  if (id === Compression.gzip) return gzipSync(data);
  return unsupported(id);
}

export function decompress(id: number, data: Buffer): Buffer {
  if (id === Compression.none) return data;
  if (id !== Compression.gzip) return unsupported(id);
  try {
    return gunzipSync(data);
  } catch (error) {
    throw new StorageError('SPOOL_ERR_CORRUPT_BATCH', `gzip block does not decompress: ${(error as Error).message}`, {}, error);
  }
}
