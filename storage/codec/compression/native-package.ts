/**
 * Loads a codec's native package on first use, not at start-up: a broker or client on a platform
 * for which the package ships no prebuilt binary still runs, and only batches of that codec are
 * refused (SPOOL_ERR_UNSUPPORTED_COMPRESSION naming the package), as Kafka clients do for a codec
 * they were built without.
 */
import { createRequire } from 'node:module';
import { StorageError } from '../../errors.js';

const require = createRequire(import.meta.url);

export function nativeLoader<T>(codec: string, packageName: string): () => T {
  let loaded: T | undefined;
  return () => {
    if (loaded !== undefined) return loaded;
    try {
      loaded = require(packageName) as T;
      return loaded;
    } catch (error) {
      throw new StorageError(
        'SPOOL_ERR_UNSUPPORTED_COMPRESSION',
        `compression codec ${codec} is unavailable: its package ${packageName} did not load (${(error as Error).message})`,
        { compression: codec, package: packageName },
        error,
      );
    }
  };
}
