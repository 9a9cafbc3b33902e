/**
 * All partition logs of a data directory (`<data>/topics`): opening and recovering them, the shared
 * file-descriptor cache, the clean-shutdown marker, and the background cleaner (retention and
 * compaction). The broker owns topic metadata (SQLite) and tells the manager which topics exist.
 *
 *   <root>.clean-shutdown         written by close() after every partition was synced and closed;
 *                                 removed on open, so a crash after it leaves no marker. It sits
 *                                 beside the root, never inside it: every name inside the root
 *                                 belongs to a topic (a topic named like the marker once made every
 *                                 shutdown fail with EISDIR and every start exit 1)
 *   <root>/<topic>/<partition>/   one folder per partition; the root holds nothing else
 */
import { loadStreamIdKey } from '../streams/stream-id-key.js';
import { basename, dirname, join } from 'node:path';
import { assert } from '../assert.js';
import { forEachBounded } from '../concurrency.js';
import { ioError } from '../errors.js';
import { type FileSystem, nodeFileSystem } from '../io/file-system.js';
import { storageLimits } from '../limits.js';
import { cleanPartition, type PartitionCleaning } from './cleaner.js';
import { defaultLogConfig, type LogConfig } from './config.js';
import { SegmentFileCache } from './file-cache.js';
import { openPartitionLog, type RecoveryEvent } from './partition-open.js';
import type { PartitionLog } from './partition-log.js';

/** `<data>/topics` → `<data>/topics.clean-shutdown`: beside the topics folder, outside its names. */
/**
 * The stream cleaner's default threshold: a stream's hidden prefix leaves the disk once it holds
 * this many events, so a maxCount stream costs one segment rewrite per 100 appends at most, not one
 * per append (each pass that moves a base rewrites the segments holding what it hides).
 */
export const STREAM_CLEAN_MIN_HIDDEN_EVENTS_DEFAULT = 100;

export function cleanShutdownMarkerPath(root: string): string {
  return join(dirname(root), `${basename(root)}.clean-shutdown`);
}

export interface LogManagerOptions {
  /** The folder holding one folder per topic (the broker passes `<data>/topics`). */
  root: string;
  fs?: FileSystem;
  maxOpenFiles?: number;
  onRecoveryEvent?: (event: RecoveryEvent) => void;
  /** Told after each acknowledged round of appends to any partition (live tails wait on it: one waiter for many partitions). */
  onCommitted?: (log: PartitionLog) => void;
  /** Reports errors of background work (cleaner, closing files) that no caller awaits. */
  onBackgroundError?: (error: unknown) => void;
  /** How often the cleaner runs retention (Kafka's log.retention.check.interval.ms: 5 minutes). */
  cleanerIntervalMs?: number;
  /**
   * Erases the copies of an erased stream's records kept in other topics (the broker: the
   * dead-letter topics of the queues on `topic`), before the stream's erasure counts as done.
   * Throwing leaves the erasure pending: it runs again at resumeErasures().
   */
  eraseCopies?: (topic: string, key: Buffer) => Promise<void>;
  /** The fewest hidden events of a stream the cleaner's pass removes from the disk (default 100). */
  streamCleanMinHiddenEvents?: number;
}

export class LogManager {
  private readonly topics = new Map<string, PartitionLog[]>();
  private closed = false;
  private cleanerTimer: NodeJS.Timeout | null = null;
  private cleanerPass: Promise<number> | null = null;
  /** The last cleaning queued (background pass or topic clean): the next one starts after it. */
  private cleaning: Promise<unknown> = Promise.resolve();
  /** The erased-stream-id secret (streams/stream-id-key.ts), read or created by the first stream topic. */
  private streamIdKey: Promise<Buffer> | null = null;

  private constructor(
    readonly root: string,
    private readonly fs: FileSystem,
    readonly cache: SegmentFileCache,
    /** Whether the previous run ended with a clean shutdown (its marker was found). */
    readonly cleanShutdown: boolean,
    private readonly options: LogManagerOptions,
  ) {}

  static async open(options: LogManagerOptions): Promise<LogManager> {
    const fs = options.fs ?? nodeFileSystem;
    await fs.mkdir(options.root).catch((error: unknown) => {
      throw ioError(error, 'mkdir', options.root);
    });
    const markerPath = cleanShutdownMarkerPath(options.root);
    const cleanShutdown = (await fs.stat(markerPath)) !== null;
    if (cleanShutdown) {
      await fs.unlink(markerPath);
      await fs.fsyncDirectory(dirname(markerPath));
    }
    const cache = new SegmentFileCache(fs, options.maxOpenFiles ?? storageLimits.openSegmentFilesMax, options.onBackgroundError);
    const manager = new LogManager(options.root, fs, cache, cleanShutdown, options);
    manager.startCleaner(options.cleanerIntervalMs ?? 5 * 60 * 1000);
    return manager;
  }

  private get streamCleanMinHiddenEvents(): number {
    return this.options.streamCleanMinHiddenEvents ?? STREAM_CLEAN_MIN_HIDDEN_EVENTS_DEFAULT;
  }

  private startCleaner(intervalMs: number): void {
    this.cleanerTimer = setInterval(() => {
      this.runCleanerOnce().catch((error: unknown) => this.options.onBackgroundError?.(error));
    }, intervalMs);
    this.cleanerTimer.unref();
  }

  /**
   * One pass of the background cleaner over every partition, one partition at a time, so that it
   * never competes with itself for the same segments. Returns the number of segments deleted.
   */
  runCleanerOnce(nowMs = Date.now()): Promise<number> {
    this.cleanerPass ??= this.oneCleanerAtATime(async () => {
      let deleted = 0;
      for (const log of this.allPartitions()) {
        try {
          deleted += (await cleanPartition(log, nowMs, false, this.streamCleanMinHiddenEvents)).segmentsDeleted;
        } catch (error) {
          this.options.onBackgroundError?.(error);
        }
      }
      return deleted;
    }).finally(() => {
      this.cleanerPass = null;
    });
    return this.cleanerPass;
  }

  /**
   * Cleans one topic now (an operator's request), after any pass already running, with compaction
   * forced past minCleanableDirtyRatio. Errors go to the caller.
   */
  cleanTopic(topic: string, nowMs = Date.now()): Promise<PartitionCleaning[]> {
    return this.oneCleanerAtATime(async () => {
      const cleanings: PartitionCleaning[] = [];
      for (const log of this.partitions(topic)) cleanings.push(await cleanPartition(log, nowMs, true, this.streamCleanMinHiddenEvents));
      return cleanings;
    });
  }

  /** Cleaning passes run one after another, so two never compete for the same segments. */
  private oneCleanerAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = this.cleaning.then(work);
    this.cleaning = run.catch(() => undefined);
    return run;
  }

  partitionDir(topic: string, partition: number): string {
    return join(this.root, topic, String(partition));
  }

  /** Opens (creating when new) partitions 0..partitions-1 of a topic. Idempotent. */
  async openTopic(topic: string, partitions: number, config: Partial<LogConfig> = {}): Promise<PartitionLog[]> {
    assert(!this.closed, 'openTopic on a closed LogManager');
    assert(Number.isInteger(partitions) && partitions >= 1, 'a topic has at least one partition');
    const existing = this.topics.get(topic);
    if (existing) return existing;
    const logs = await this.openPartitions(topic, 0, partitions, config);
    this.topics.set(topic, logs);
    return logs;
  }

  /** Opens partitions up to `total` of an open topic; the topic's array of logs grows in place. */
  async addPartitions(topic: string, total: number, config: Partial<LogConfig> = {}): Promise<PartitionLog[]> {
    const logs = this.topics.get(topic);
    assert(logs !== undefined, 'addPartitions on a topic that is not open');
    assert(total > logs.length, 'a topic only grows');
    logs.push(...(await this.openPartitions(topic, logs.length, total, config)));
    return logs;
  }

  private async openPartitions(topic: string, from: number, to: number, config: Partial<LogConfig>): Promise<PartitionLog[]> {
    const full: LogConfig = { ...defaultLogConfig, ...config };
    const streamIdKey = full.streamIndex ? await (this.streamIdKey ??= loadStreamIdKey(this.fs, this.root)) : undefined;
    const logs: PartitionLog[] = [];
    const open = (partition: number) =>
      openPartitionLog({
        topic,
        partition,
        partitionCount: to,
        streamIdKey,
        dir: this.partitionDir(topic, partition),
        fs: this.fs,
        cache: this.cache,
        config: full,
        cleanShutdown: this.cleanShutdown,
        onRecoveryEvent: this.options.onRecoveryEvent,
        onCommitted: this.options.onCommitted,
        eraseCopies: this.options.eraseCopies,
      });
    // Several partitions at once: opening one is a dozen small file operations and, after a crash,
    // an fdatasync or two, each waiting on the disk. One at a time, 10,000 partitions took minutes.
    const numbers = Array.from({ length: to - from }, (_, i) => from + i);
    try {
      await forEachBounded(numbers, storageLimits.partitionsOpeningMax, async (partition) => {
        logs[partition - from] = await open(partition);
      });
    } catch (error) {
      await forEachBounded(logs.filter(Boolean), storageLimits.closeConcurrency, (log) => log.close()).catch(() => {});
      throw error;
    }
    await this.fs.fsyncDirectory(join(this.root, topic)).catch(() => {});
    await this.fs.fsyncDirectory(this.root).catch(() => {});
    return logs;
  }

  partition(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.[partition];
  }

  partitions(topic: string): PartitionLog[] {
    return this.topics.get(topic) ?? [];
  }

  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  allPartitions(): PartitionLog[] {
    return [...this.topics.values()].flat();
  }

  /**
   * Runs again every stream erasure still pending, in the background: the broker calls it once
   * every topic is open, since an erasure resumed at a partition's open may have found a
   * dead-letter topic not open yet (eraseCopies threw) and been left pending.
   */
  resumeErasures(): void {
    for (const log of this.allPartitions()) {
      if (!log.config.streamIndex || log.streamMetadata.pendingErasures().length === 0) continue;
      log.resumeErasures().catch((error: unknown) => this.options.onBackgroundError?.(error));
    }
  }

  /** Topic folders on disk (opened or not): the broker removes those its metadata does not know. */
  async topicDirectories(): Promise<string[]> {
    return (await this.fs.readdir(this.root)).filter((name) => !name.startsWith('.'));
  }

  updateTopicConfig(topic: string, config: Partial<LogConfig>): void {
    for (const log of this.partitions(topic)) log.updateConfig({ ...log.config, ...config });
  }

  /** Closes a topic's partitions and removes its folder. Readers holding segments finish first. */
  async deleteTopic(topic: string): Promise<void> {
    const logs = this.topics.get(topic) ?? [];
    this.topics.delete(topic);
    await forEachBounded(logs, storageLimits.closeConcurrency, (log) => log.close());
    await this.removeTopicDirectory(topic);
  }

  async removeTopicDirectory(topic: string): Promise<void> {
    const path = join(this.root, topic);
    await this.fs.rmdir(path).catch((error: unknown) => {
      throw ioError(error, 'remove', path);
    });
    await this.fs.fsyncDirectory(this.root).catch(() => {});
  }

  /**
   * Syncs and closes every partition, a few at a time (storageLimits.closeConcurrency: all at once
   * exhausts the descriptors with many partitions), then writes the clean-shutdown marker. A
   * partition that fails to close leaves no marker, so the next start recovers.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.cleanerTimer) clearInterval(this.cleanerTimer);
    await this.cleaning;
    const logs = this.allPartitions();
    this.topics.clear();
    await forEachBounded(logs, storageLimits.closeConcurrency, (log) => log.close());
    await this.cache.closeAll();
    await this.fs.writeFileAtomic(cleanShutdownMarkerPath(this.root), Buffer.from(`${new Date().toISOString()}\n`));
  }
}
