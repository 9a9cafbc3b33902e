/**
 * The storage engine's only door to the file system. Everything in storage/ does its I/O through a
 * FileSystem, so tests can inject faults (ENOSPC, EIO, EMFILE) at chosen moments, and so that every
 * failure is wrapped with the file and the operation that failed.
 *
 * Descriptor-based calls (pread/pwritev/fdatasync) are used rather than streams: the log needs
 * positional writes after a truncation, one writev for many batches, and one fdatasync per group
 * commit, and each of these costs exactly one libuv thread-pool hop.
 */
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { ioError } from '../errors.js';

export interface FileStat {
  size: number;
  mtimeMs: number;
  isDirectory: boolean;
}

export interface FileSystem {
  open(path: string, flags: string): Promise<number>;
  close(fd: number): Promise<void>;
  /**
   * Reads up to `length` bytes at `position` into `buffer` at `offset`; returns bytes read.
   * `recent`: the bytes were just written (the end of the active segment), so they are in the page
   * cache and a small read may be made on the calling thread.
   */
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number, recent?: boolean): Promise<number>;
  /** Writes all of `buffers` at `position` (loops on short writes). */
  writev(fd: number, buffers: Buffer[], position: number): Promise<void>;
  fdatasync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  fstat(fd: number): Promise<FileStat>;
  stat(path: string): Promise<FileStat | null>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  readFile(path: string): Promise<Buffer | null>;
  /** Writes a small file durably: temp file, fsync, rename, fsync of the directory. */
  writeFileAtomic(path: string, data: Buffer): Promise<void>;
  /** fsync of a directory, so that created, renamed and deleted entries survive a crash. */
  fsyncDirectory(path: string): Promise<void>;
}

const fsRead = promisify(fs.read);
const fsWritev = promisify(fs.writev);
const fsClose = promisify(fs.close);
const fsOpen = promisify(fs.open);
const fsFdatasync = promisify(fs.fdatasync);
const fsFtruncate = promisify(fs.ftruncate);
const fsFstat = promisify(fs.fstat);

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Writes up to this size go straight to the page cache on the calling thread. Measured here: a
 * 300-byte writev costs 0.7 µs synchronously and 8-29 µs through the thread pool (a hop each way),
 * and one-record produce went from 61-62k to 75-78k requests in 5 s (with rounds started on the
 * next turn of the loop, see LogWriter). Larger writes, which a disk under pressure may block,
 * still go through the thread pool, so the event loop never waits on them.
 */
export const SYNC_WRITE_BYTES_MAX = 64 * 1024;

/**
 * Reads of recently written bytes up to this size are made on the calling thread too: a consumer
 * waiting at the end of the log reads the few KiB just written (in the page cache), and the
 * thread-pool hop each way was most of the time from an append to its delivery. Every other read
 * (old data, which may have to come from the disk) goes through the thread pool, so a slow or
 * failing disk never stalls the event loop.
 */
export const SYNC_READ_BYTES_MAX = 64 * 1024;

async function writevFully(fd: number, buffers: Buffer[], position: number): Promise<void> {
  let pending = buffers;
  let total = 0;
  for (const buffer of pending) total += buffer.length;
  while (pending.length > 0) {
    // fs.writev promisifies to { bytesWritten, buffers }.
    const written = total <= SYNC_WRITE_BYTES_MAX ? fs.writevSync(fd, pending, position) : (await fsWritev(fd, pending, position)).bytesWritten;
    position += written;
    let skip = written;
    const rest: Buffer[] = [];
    for (const buffer of pending) {
      if (skip >= buffer.length) {
        skip -= buffer.length;
      } else {
        rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
        skip = 0;
      }
    }
    pending = rest;
  }
}

export const nodeFileSystem: FileSystem = {
  open: (path, flags) => fsOpen(path, flags),
  close: (fd) => fsClose(fd),
  read: async (fd, buffer, offset, length, position, recent = false) =>
    recent && length <= SYNC_READ_BYTES_MAX ? fs.readSync(fd, buffer, offset, length, position) : (await fsRead(fd, buffer, offset, length, position)).bytesRead,
  writev: writevFully,
  fdatasync: (fd) => fsFdatasync(fd),
  ftruncate: (fd, length) => fsFtruncate(fd, length),
  fstat: async (fd) => {
    const stat = await fsFstat(fd);
    return { size: stat.size, mtimeMs: stat.mtimeMs, isDirectory: stat.isDirectory() };
  },
  stat: async (path) => {
    try {
      const stat = await fs.promises.stat(path);
      return { size: stat.size, mtimeMs: stat.mtimeMs, isDirectory: stat.isDirectory() };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  },
  rename: (from, to) => fs.promises.rename(from, to),
  unlink: async (path) => {
    try {
      await fs.promises.unlink(path);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },
  readdir: async (path) => {
    try {
      return await fs.promises.readdir(path);
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  },
  mkdir: async (path) => {
    await fs.promises.mkdir(path, { recursive: true });
  },
  rmdir: (path) => fs.promises.rm(path, { recursive: true, force: true }),
  readFile: (path) => readSmallFile(path),
  writeFileAtomic: async (path, data) => {
    const temp = `${path}.tmp`;
    const handle = await fs.promises.open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temp, path);
    await nodeFileSystem.fsyncDirectory(path.slice(0, path.lastIndexOf('/')) || '/');
  },
  fsyncDirectory: async (path) => {
    const handle = await fs.promises.open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/** Opens `path`, runs `use` with its descriptor, and closes it whatever happens; a failed open names the file. */
export async function withFile<T>(fs: FileSystem, path: string, flags: string, use: (fd: number) => Promise<T>): Promise<T> {
  const fd = await fs.open(path, flags).catch((error: unknown) => {
    throw ioError(error, 'open', path);
  });
  try {
    return await use(fd);
  } finally {
    await fs.close(fd);
  }
}

/**
 * A whole file, or null when there is none. Opening a partition reads four small files (indexes,
 * producer snapshot, recovery point), 40,000 at a start with 10,000 partitions: fs.promises.readFile
 * took five thread-pool hops for each (open, fstat, read, a read to see EOF, close); this takes
 * four, and three for an empty file (every fresh segment's indexes), with callback calls rather
 * than a FileHandle object per file.
 */
async function readSmallFile(path: string): Promise<Buffer | null> {
  let fd: number;
  try {
    fd = await fsOpen(path, 'r');
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
  try {
    const { size } = await fsFstat(fd);
    const buffer = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await fsRead(fd, buffer, filled, size - filled, filled);
      if (bytesRead === 0) break; // shrank meanwhile: what is there is the file
      filled += bytesRead;
    }
    return filled === size ? buffer : buffer.subarray(0, filled);
  } finally {
    await fsClose(fd);
  }
}
