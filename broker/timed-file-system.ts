/** Wraps the storage engine's FileSystem to time every fdatasync (the fsync latency metric). */
import type { FileSystem } from '../storage/index.js';

export function timedFileSystem(inner: FileSystem, onSync: (seconds: number) => void): FileSystem {
  return {
    ...inner,
    fdatasync: async (fd) => {
      const started = performance.now();
      try {
        await inner.fdatasync(fd);
      } finally {
        onSync((performance.now() - started) / 1000);
      }
    },
  };
}
