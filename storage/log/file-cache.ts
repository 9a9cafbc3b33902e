/**
 * A bounded cache of segment file descriptors, shared by every partition of a LogManager, so that
 * thousands of partitions and their sealed segments never exhaust the process's descriptors.
 *
 * Readers and the writer take a lease; a leased descriptor is never closed. Unleased descriptors are
 * closed least-recently-used first once more than `maxOpen` are open. A retired segment (deleted by
 * retention or replaced by compaction) keeps its descriptor, and so its bytes, until the last lease
 * is released: only then is it closed and the retirement callback run (which unlinks the file).
 */
import { assert } from '../assert.js';
import { ioError } from '../errors.js';
import type { FileSystem } from '../io/file-system.js';

export interface CachedFile {
  /** The path to open; read at open time, so a segment can be renamed while closed. */
  readonly logPath: string;
  /** Opened read-write when true (the active segment). */
  readonly writable: boolean;
  /** Called when the descriptor is closed (a sealed segment drops its in-memory indexes). */
  onDescriptorClosed?(): void;
}

export interface FileLease {
  readonly fd: number;
  release(): void;
}

interface Entry {
  fd: Promise<number>;
  leases: number;
  onRetired: (() => Promise<void>) | null;
}

/** Thrown by acquire() for a segment that was retired and whose descriptor is already closed: its
 *  path may now name a replacement, so it must not be reopened. Callers look the segment up again. */
export class SegmentRetiredError extends Error {
  override name = 'SegmentRetiredError';
}

export class SegmentFileCache {
  private readonly entries = new Map<CachedFile, Entry>();
  private readonly retired = new WeakSet<CachedFile>();

  constructor(
    private readonly fs: FileSystem,
    private readonly maxOpen: number,
    private readonly onBackgroundError: (error: unknown) => void = () => {},
  ) {
    assert(maxOpen >= 1, 'maxOpen must be at least 1');
  }

  get openFiles(): number {
    return this.entries.size;
  }

  async acquire(file: CachedFile): Promise<FileLease> {
    let entry = this.entries.get(file);
    if (entry) {
      this.entries.delete(file); // re-insert: Map order is the LRU order
    } else {
      if (this.retired.has(file)) throw new SegmentRetiredError(`${file.logPath} was retired`);
      const path = file.logPath;
      entry = {
        fd: this.fs.open(path, file.writable ? 'r+' : 'r').catch((error: unknown) => {
          this.entries.delete(file);
          throw ioError(error, 'open', path);
        }),
        leases: 0,
        onRetired: null,
      };
    }
    this.entries.set(file, entry);
    entry.leases++;
    const current = entry;
    let fd: number;
    try {
      fd = await current.fd;
    } catch (error) {
      current.leases--;
      throw error;
    }
    this.evictIdle();
    let released = false;
    return {
      fd,
      release: () => {
        assert(!released, 'a file lease was released twice');
        released = true;
        current.leases--;
        if (current.leases === 0 && current.onRetired) this.closeEntry(file, current);
        else this.evictIdle();
      },
    };
  }

  /** The segment is gone from its log: close its descriptor once unleased, then run `onClosed`. */
  retire(file: CachedFile, onClosed: () => Promise<void>): void {
    this.retired.add(file);
    const entry = this.entries.get(file);
    if (!entry) {
      onClosed().catch(this.onBackgroundError);
      return;
    }
    entry.onRetired = onClosed;
    if (entry.leases === 0) this.closeEntry(file, entry);
  }

  /**
   * Gives up the descriptors of files that are gone for good (a deleted topic, a closed log): closes
   * the unleased ones now and the leased ones as their last lease is released, and resolves once
   * every one is closed, so that the disk space of deleted files is free when it resolves.
   */
  forget(files: readonly CachedFile[]): Promise<void> {
    return Promise.all(files.map((file) => new Promise<void>((resolve) => this.retire(file, async () => resolve())))).then(() => undefined);
  }

  /** Closes a segment's descriptor now (it must be unleased), e.g. before its file is truncated. */
  async close(file: CachedFile): Promise<void> {
    const entry = this.entries.get(file);
    if (!entry) return;
    assert(entry.leases === 0, `close of a leased file ${file.logPath}`);
    this.entries.delete(file);
    await this.fs.close(await entry.fd);
  }

  async closeAll(): Promise<void> {
    const entries = [...this.entries.entries()];
    this.entries.clear();
    await Promise.all(entries.map(async ([, entry]) => this.fs.close(await entry.fd).catch(this.onBackgroundError)));
  }

  private evictIdle(): void {
    if (this.entries.size <= this.maxOpen) return;
    for (const [file, entry] of this.entries) {
      if (this.entries.size <= this.maxOpen) break;
      if (entry.leases === 0) this.closeEntry(file, entry);
    }
  }

  private closeEntry(file: CachedFile, entry: Entry): void {
    this.entries.delete(file);
    entry.fd
      .then((fd) => this.fs.close(fd))
      // A failed close(2) still frees the descriptor on Linux: the file is closed either way, and a
      // retired file's callback (its unlink, a waiting forget()) must run all the same.
      .catch(this.onBackgroundError)
      .then(() => {
        file.onDescriptorClosed?.();
        return entry.onRetired?.();
      })
      .catch(this.onBackgroundError);
  }
}
