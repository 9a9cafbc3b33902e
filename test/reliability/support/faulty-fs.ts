/**
 * A FileSystem that fails chosen operations with chosen errno codes (ENOSPC, EIO, EMFILE), for a
 * number of calls or until cleared, optionally only for paths that match. Everything else goes to
 * the real file system. Descriptor-based calls are matched by the path the descriptor was opened on.
 */
import { type FileSystem, nodeFileSystem } from '../../../storage/index.js';

export type FaultOperation = 'open' | 'read' | 'writev' | 'fdatasync' | 'ftruncate' | 'rename' | 'writeFileAtomic' | 'fsyncDirectory';
export type Errno = 'ENOSPC' | 'EIO' | 'EMFILE';

interface Fault {
  operation: FaultOperation;
  errno: Errno;
  /** Calls left to fail; Infinity until cleared. */
  remaining: number;
  path: RegExp | null;
  /** writev only: bytes really written before the failure (a torn write). */
  partialBytes: number;
}

export interface FaultyFileSystem {
  fs: FileSystem;
  inject(operation: FaultOperation, errno: Errno, options?: { times?: number; path?: RegExp; partialBytes?: number }): void;
  clear(): void;
  /** Calls that failed because of an injected fault. */
  failures: number;
}

const messages: Record<Errno, string> = {
  ENOSPC: 'no space left on device',
  EIO: 'i/o error',
  EMFILE: 'too many open files',
};

export function faultyFileSystem(inner: FileSystem = nodeFileSystem): FaultyFileSystem {
  let faults: Fault[] = [];
  const paths = new Map<number, string>();
  const handle: FaultyFileSystem = {
    fs: inner,
    failures: 0,
    inject(operation, errno, options = {}) {
      faults.push({ operation, errno, remaining: options.times ?? Infinity, path: options.path ?? null, partialBytes: options.partialBytes ?? 0 });
    },
    clear() {
      faults = [];
    },
  };
  /** The fault that applies to this call, if any (and counts it). */
  function take(operation: FaultOperation, path: string | undefined): Fault | null {
    const fault = faults.find((candidate) => candidate.operation === operation && candidate.remaining > 0 && (!candidate.path || (path !== undefined && candidate.path.test(path))));
    if (!fault) return null;
    fault.remaining--;
    handle.failures++;
    return fault;
  }
  const error = (fault: Fault, operation: string, path = '?') =>
    Object.assign(new Error(`${fault.errno}: ${messages[fault.errno]}, ${operation} '${path}'`), { code: fault.errno, syscall: operation, path });
  const guard = <T>(operation: FaultOperation, path: string | undefined, call: () => Promise<T>): Promise<T> => {
    const fault = take(operation, path);
    return fault ? Promise.reject(error(fault, operation, path)) : call();
  };
  handle.fs = {
    ...inner,
    open: (path, flags) =>
      guard('open', path, async () => {
        const fd = await inner.open(path, flags);
        paths.set(fd, path);
        return fd;
      }),
    close: async (fd) => {
      paths.delete(fd);
      return inner.close(fd);
    },
    read: (fd, buffer, offset, length, position, recent) => guard('read', paths.get(fd), () => inner.read(fd, buffer, offset, length, position, recent)),
    writev: async (fd, buffers, position) => {
      const fault = take('writev', paths.get(fd));
      if (!fault) return inner.writev(fd, buffers, position);
      if (fault.partialBytes > 0) await inner.writev(fd, [Buffer.concat(buffers).subarray(0, fault.partialBytes)], position);
      throw error(fault, 'writev', paths.get(fd));
    },
    fdatasync: (fd) => guard('fdatasync', paths.get(fd), () => inner.fdatasync(fd)),
    ftruncate: (fd, length) => guard('ftruncate', paths.get(fd), () => inner.ftruncate(fd, length)),
    rename: (from, to) => guard('rename', from, () => inner.rename(from, to)),
    writeFileAtomic: (path, data) => guard('writeFileAtomic', path, () => inner.writeFileAtomic(path, data)),
    fsyncDirectory: (path) => guard('fsyncDirectory', path, () => inner.fsyncDirectory(path)),
  };
  return handle;
}
