/**
 * A real file system whose reads or writes of matching files wait until released: a broker held in
 * the middle of one I/O (a dead letter being written, a queue's load reading), so a test can act
 * on the broker meanwhile. Only the first matching call is held once `arm()`ed (or every one, with
 * `armed: true`, until released).
 */
import { type FileSystem, nodeFileSystem } from '../../../storage/index.js';

export interface HoldingFileSystem {
  fileSystem: FileSystem;
  /** Holds the next matching call. */
  arm(): void;
  /** Whether a call is being held (or was). */
  isHeld(): boolean;
  release(): void;
}

export function holdingFileSystem(operation: 'read' | 'writev', matches: (path: string) => boolean, options: { armed?: boolean } = {}): HoldingFileSystem {
  let armed = options.armed ?? false;
  let held = false;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const fds = new Set<number>();
  const hold = async (fd: number) => {
    if (!armed || !fds.has(fd)) return;
    if (!options.armed) armed = false;
    held = true;
    await released;
  };
  const fileSystem: FileSystem = {
    ...nodeFileSystem,
    async open(path, flags) {
      const fd = await nodeFileSystem.open(path, flags);
      if (matches(path)) fds.add(fd);
      else fds.delete(fd);
      return fd;
    },
    async close(fd) {
      fds.delete(fd);
      return nodeFileSystem.close(fd);
    },
    async read(fd, buffer, offset, length, position, recent) {
      if (operation === 'read') await hold(fd);
      return nodeFileSystem.read(fd, buffer, offset, length, position, recent);
    },
    async writev(fd, buffers, position) {
      if (operation === 'writev') await hold(fd);
      return nodeFileSystem.writev(fd, buffers, position);
    },
  };
  return { fileSystem, arm: () => (armed = true), isHeld: () => held, release };
}

/** Whether `path` is in a partition directory of `topic` (`…/<topic>/<partition>/…`), or of that partition only. */
export function inTopic(path: string, topic: string, partition?: number): boolean {
  const parts = path.split(/[\\/]/);
  const at = parts.lastIndexOf(topic);
  return at >= 0 && at + 1 < parts.length - 1 && (partition === undefined || parts[at + 1] === String(partition));
}
