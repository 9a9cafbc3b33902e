/**
 * The two ways a compressed records block is refused, shared by every codec so that the broker and
 * the client see one code for each: damage (SPOOL_ERR_CORRUPT_BATCH, never a crash or a RangeError
 * escaping from a native package) and a block that would decompress past the caller's limit
 * (SPOOL_ERR_DECOMPRESSED_TOO_LARGE, refused before the output is allocated where the format
 * declares its size).
 */
import { StorageError } from '../../errors.js';

export function corruptBlock(codec: string, message: string, cause?: unknown): never {
  throw new StorageError('SPOOL_ERR_CORRUPT_BATCH', `${codec} block does not decompress: ${message}`, { compression: codec }, cause);
}

/**
 * `decompressedBytes` is what the block declares (or the most its framing allows), or for a block
 * stopped while decompressing, the bytes it had produced by then: "at least" that many.
 */
export function tooLarge(codec: string, decompressedBytes: number, maxBytes: number): never {
  throw new StorageError(
    'SPOOL_ERR_DECOMPRESSED_TOO_LARGE',
    `${codec} block decompresses to more than the limit of ${maxBytes} bytes (${decompressedBytes} or more)`,
    { compression: codec, decompressedBytes, maxBytes },
  );
}

/** Rethrows Spool's own errors as they are and wraps anything else a native package threw. */
export function rethrowAsCorrupt(codec: string, error: unknown): never {
  if (error instanceof StorageError) throw error;
  return corruptBlock(codec, error instanceof Error ? error.message : String(error), error);
}
