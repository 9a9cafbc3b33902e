/**
 * The single writer of a partition: appends queue here and are written in rounds.
 *
 * Group commit (flush=always): while one round's write + fdatasync runs, new appends queue up; the
 * next round writes all of them with one writev(2) and shares one fdatasync. Throughput comes from
 * batching, never from skipping the sync: no append is acknowledged before its bytes are synced.
 * With flush=never or interval:<ms>, a round is acknowledged after its write(2).
 *
 * A round that fails (ENOSPC, EIO) rejects itself and every append queued behind it (their offsets
 * were assigned after its own), rewinds the log end to the high watermark, and truncates the file
 * back before the next write, so a partially written batch is never acknowledged, served or kept.
 */
import type { BatchSpan } from '../codec/record-batch.js';
import { ioError, isSpoolError, type SpoolError } from '../errors.js';
import { storageLimits } from '../limits.js';
import { join } from 'node:path';
import { activeSegment, type PartitionState, PRODUCER_SNAPSHOT_FILE } from './partition-state.js';
import { writeRecoveryPoint } from './recovery-point.js';
import { Segment } from './segment.js';

export interface PendingAppend {
  data: Buffer;
  spans: BatchSpan[];
  baseOffset: number;
  lastOffset: number;
  resolve: () => void;
  reject: (error: SpoolError) => void;
}

/** Largest relative offset a segment's uint32 index entries can hold. */
const RELATIVE_OFFSET_MAX = 0xffff_ffff;

export class LogWriter {
  private queue: PendingAppend[] = [];
  private queuedBytesTotal = 0;
  private running: Promise<void> | null = null;
  private truncateNeeded = false;
  private unsynced = false;
  private syncing: Promise<void> | null = null;

  constructor(
    private readonly state: PartitionState,
    private readonly onCommitted: (highWatermark: number) => void,
  ) {}

  /** Bytes accepted but not yet written. */
  get queuedBytes(): number {
    return this.queuedBytesTotal;
  }

  enqueue(append: PendingAppend): void {
    this.state.filesCurrent = false;
    this.queue.push(append);
    this.queuedBytesTotal += append.data.length;
    // A round starts on the next turn of the event loop, so every append of this turn (the
    // requests parsed from one read of the sockets) shares its write, and its sync.
    this.running ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run());
  }

  /** Resolves when everything queued so far has been written (or failed). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Seals the active segment now (when it holds anything), after every append queued so far is
   * written: the erase worker rewrites only sealed segments. Appends that arrive meanwhile wait
   * for the roll, then go to the new segment.
   */
  async rollNow(): Promise<void> {
    await this.drain();
    while (this.running) await this.drain(); // an append may have started a round since
    if (activeSegment(this.state).isEmpty) return;
    let failure: unknown = null;
    // Holding `running` makes appends of this moment queue behind the roll (enqueue starts no round).
    const rolled = (async () => {
      if (this.truncateNeeded) await this.truncateToVisible();
      await this.roll(this.state.nextOffset);
    })().catch((error: unknown) => {
      failure = error;
    });
    this.running = rolled.then(() => this.run());
    await rolled;
    if (failure) throw isSpoolError(failure) ? failure : ioError(failure, 'roll', activeSegment(this.state).logPath);
  }

  /** fdatasync of the active segment if anything was written since the last sync. */
  async sync(): Promise<void> {
    if (this.syncing) return this.syncing;
    if (!this.unsynced) return;
    this.unsynced = false;
    this.syncing = this.fdatasync().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  /** Writes the active segment's indexes and gives up its descriptor (on close). */
  async close(): Promise<void> {
    await this.drain();
    if (this.state.filesCurrent) return; // nothing appended since a trusted open: the files are as memory says
    // A failed round's bytes must not outlive a clean shutdown: the next open trusts the files.
    if (this.truncateNeeded) await this.truncateToVisible();
    await this.sync();
    await activeSegment(this.state).writeIndexFiles(this.state.fs);
    await this.writeProducerSnapshot(this.state.highWatermark);
  }

  /** Producer state up to `offset`, so recovery replays only the batches after it. */
  private async writeProducerSnapshot(offset: number): Promise<void> {
    const path = join(this.state.dir, PRODUCER_SNAPSHOT_FILE);
    await this.state.fs.writeFileAtomic(path, this.state.producers.toSnapshot(offset)).catch((error: unknown) => {
      throw ioError(error, 'write', path);
    });
  }

  private async run(): Promise<void> {
    for (;;) {
      // Cleared in the same step that finds the queue empty: an append after it starts a new run.
      if (this.queue.length === 0) {
        this.running = null;
        return;
      }
      const round = this.takeRound();
      try {
        await this.writeRound(round);
        for (const append of round) append.resolve();
      } catch (error) {
        this.failFrom(round, error);
        // Cut the failed round's bytes off now, not only before the next write: a write that
        // completed but whose fdatasync failed holds whole, valid batches that a restart would
        // otherwise keep and serve. If the truncate fails too, the next round retries it.
        await this.truncateToVisible().catch(() => {});
      }
    }
  }

  /**
   * Runs `use` with a lease on the active segment's descriptor. The writer holds it only for the
   * length of a round, like any reader: an idle partition's active segment is then one more
   * cached file the cache may close, so thousands of partitions stay within openSegmentFilesMax.
   */
  private async withActive<T>(use: (fd: number, active: Segment) => Promise<T>): Promise<T> {
    const active = activeSegment(this.state);
    const lease = await this.state.cache.acquire(active);
    try {
      return await use(lease.fd, active);
    } finally {
      lease.release();
    }
  }

  /** Truncates the active segment to its visible (acknowledged) size. */
  private async truncateToVisible(): Promise<void> {
    await this.withActive((fd, active) =>
      this.state.fs.ftruncate(fd, active.sizeBytes).catch((error: unknown) => {
        throw ioError(error, 'truncate', active.logPath);
      }),
    );
    this.truncateNeeded = false;
  }

  private takeRound(): PendingAppend[] {
    let bytes = 0;
    let count = 0;
    while (count < this.queue.length && (count === 0 || bytes + this.queue[count]!.data.length <= storageLimits.writeRoundBytesMax)) {
      bytes += this.queue[count]!.data.length;
      count++;
    }
    this.queuedBytesTotal -= bytes;
    return this.queue.splice(0, count);
  }

  private failFrom(round: PendingAppend[], error: unknown): void {
    const active = activeSegment(this.state);
    const failure = isSpoolError(error) ? error : ioError(error, 'write', active.logPath);
    const rejected = [...round, ...this.queue];
    this.queue = [];
    this.queuedBytesTotal = 0;
    this.truncateNeeded = true;
    this.state.nextOffset = this.state.highWatermark;
    this.state.producers.rewindTo(this.state.highWatermark);
    this.state.streams?.rewindTo(this.state.highWatermark);
    for (const append of rejected) append.reject(failure);
  }

  private async writeRound(round: PendingAppend[]): Promise<void> {
    const { fs, config } = this.state;
    const roundBytes = round.reduce((sum, append) => sum + append.data.length, 0);
    const lastOffset = round[round.length - 1]!.lastOffset;
    if (this.truncateNeeded) await this.truncateToVisible();
    if (this.shouldRoll(roundBytes, lastOffset)) await this.roll(round[0]!.baseOffset);
    const active = activeSegment(this.state);
    const position = active.sizeBytes;
    await this.withActive(async (fd) => {
      // Small writes are synchronous in nodeFileSystem (cheaper than a thread-pool hop); rounds
      // still batch, because a round starts on the loop turn after its first append.
      await fs.writev(fd, round.map((append) => append.data), position).catch((error: unknown) => {
        throw ioError(error, 'write', active.logPath, { topic: this.state.topic, partition: this.state.partition });
      });
      if (this.state.flush.mode === 'always') await this.fdatasyncOf(fd, active);
      else this.unsynced = true;
    });
    let at = position;
    for (const append of round) {
      for (const span of append.spans) {
        active.trackBatch(span.header, at, span.size, config.indexIntervalBytes);
        at += span.size;
      }
    }
    this.state.highWatermark = lastOffset + 1;
    this.onCommitted(this.state.highWatermark);
  }

  private shouldRoll(roundBytes: number, lastOffset: number): boolean {
    const active = activeSegment(this.state);
    if (active.isEmpty) return false;
    const { segmentBytes, segmentMs } = this.state.config;
    if (active.sizeBytes + roundBytes > segmentBytes) return true;
    if (lastOffset - active.baseOffset > RELATIVE_OFFSET_MAX) return true;
    return segmentMs >= 0 && active.firstAppendMs >= 0 && Date.now() - active.firstAppendMs >= segmentMs;
  }

  private fdatasync(): Promise<void> {
    return this.withActive((fd, active) => this.fdatasyncOf(fd, active));
  }

  private async fdatasyncOf(fd: number, segment: Segment): Promise<void> {
    await this.state.fs.fdatasync(fd).catch((error: unknown) => {
      throw ioError(error, 'fdatasync', segment.logPath);
    });
  }

  /**
   * Seals the active segment (synced whatever the flush policy, so recovery need never scan it
   * again) and starts a new one at `baseOffset`. State changes only once the new file exists.
   */
  private async roll(baseOffset: number): Promise<void> {
    const { fs, dir } = this.state;
    const sealed = activeSegment(this.state);
    await this.fdatasync();
    this.unsynced = false;
    await sealed.writeIndexFiles(fs);
    const fresh = new Segment(dir, baseOffset, { sizeBytes: 0, nextOffset: baseOffset, writable: true });
    fresh.resetIndexes();
    try {
      await fs.close(await fs.open(fresh.logPath, 'w')); // 'w' also empties a leftover of a failed roll
      await fs.fsyncDirectory(dir);
    } catch (error) {
      throw ioError(error, 'create segment', fresh.logPath);
    }
    sealed.writable = false;
    this.state.segments.push(fresh);
    // The sealed segment's stream index moves to its `.keys` file. A failed write is not the
    // append's failure: lookups keep the table in memory, and the next open rebuilds the file.
    await this.state.streams?.onSealed(sealed, baseOffset).catch(() => {});
    await this.writeProducerSnapshot(baseOffset);
    await writeRecoveryPoint(fs, dir, baseOffset);
  }
}
