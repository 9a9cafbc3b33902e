/**
 * A partition: an append-only log of segments with a log start offset and a high watermark.
 *
 * - append(batches) validates every batch (size, magic, CRC, compression) and walks its records
 *   without allocating them (a CRC computed over malformed records must not get a batch stored that
 *   no consumer can read: about 60 ns a record, measured), checks the optional expectedOffset
 *   (optimistic concurrency), assigns offsets by rewriting baseOffset, and resolves once the
 *   batches are acknowledged (see LogWriter).
 * - read(offset, maxBytes) returns whole raw batches as they are on disk, CRC-checked.
 * - waitForData(offset) lets long-polls and live tails sleep until the high watermark passes.
 *
 * Open one with openPartitionLog() (partition-open.ts), which runs recovery first.
 */
import { type BatchSpan, checkProducedBatch, lastOffsetOf, type RecordInput, setBaseOffset, splitBatches } from '../codec/record-batch.js';
import { partitionForKey } from '../codec/murmur2.js';
import { StorageError, isSpoolError, type SpoolError } from '../errors.js';
import { storageLimits } from '../limits.js';
import { flushPolicyOf, type LogConfig } from './config.js';
import type { LogWriter } from './log-writer.js';
import { OffsetWaiters } from './offset-waiters.js';
import { activeSegment, type PartitionState, segmentAfter, segmentHolding } from './partition-state.js';
import type { Segment } from './segment.js';
import { type FileLease, SegmentRetiredError } from './file-cache.js';
import { deleteOldestSegments, swapInCleanedSegment } from './segment-lifecycle.js';
import { applyRetention } from './retention.js';
import { compactPartition, type CompactionOutcome } from '../compaction/compaction.js';
import { type CopyEraser, type EraseOutcome, eraseKeyEverywhere, runErasures } from '../compaction/erase.js';
import { cleanStreams, type StreamCleaningOutcome } from '../compaction/stream-cleaning.js';
import type { StreamIndex } from '../streams/stream-index.js';
import type { StreamMetadataTable } from '../streams/stream-metadata.js';
import { expectedVersionMatches, type StreamCondition } from '../streams/expected-version.js';
import { findOffsetByTime, IndexMismatchError, readFromSegment } from './segment-reader.js';
import { type AcceptedAppend, batchBytesAtMost, type KeyedRecord, packBatches, type StreamAppendOutcome, type StreamAppendRequest } from './stream-appends.js';

export interface AppendOptions {
  /** Reject with SPOOL_ERR_OFFSET_MISMATCH unless the log's end offset is exactly this. */
  expectedOffset?: number;
  /**
   * Called for each batch carrying a producer id, once the batch is validated and before the
   * partition's producer state sees it: throwing refuses the whole append. The broker checks there
   * that it issued the id and epoch (broker/metadata/producer-id-store.ts).
   */
  authorizeProducer?: (producerId: number, producerEpoch: number) => void;
  /**
   * A producer (or epoch) the partition does not know must start at sequence 0, else
   * SPOOL_ERR_OUT_OF_ORDER_SEQUENCE (`unknownProducer`). The HTTP route asks for it: its client keeps
   * several requests in flight over pooled connections, and a later one arriving first must be
   * refused, not taken as the start of a sequence. Kafka's Produce keeps Kafka's rule (any
   * sequence starts an unknown producer: its requests come in order on one connection).
   */
  sequenceFromZero?: boolean;
  /** A conditional append to one stream (topics with streamIndex): refused with
   *  SPOOL_ERR_WRONG_EXPECTED_VERSION unless the key's stream is at `expectedVersion`. */
  stream?: StreamCondition;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** Base and last offset of each batch, in order. */
  batches: Array<{ baseOffset: number; lastOffset: number }>;
  /** True when an idempotent producer's retry was recognised and nothing was written again. */
  duplicate?: boolean;
  /** With `stream`: the versions the append's records of that key got (-1, -1 when none). */
  streamVersions?: { first: number; last: number };
}

export interface ReadResult {
  /** Whole batches, back to back, as stored. Empty at the end of the log. The first batch may
   *  start before the requested offset: skip records below it. */
  data: Buffer;
  /** Where the next read continues. */
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}

export interface PartitionStats {
  logStartOffset: number;
  highWatermark: number;
  sizeBytes: number;
  segments: number;
  queuedBytes: number;
  waiters: number;
}

const EMPTY = Buffer.alloc(0);

export class PartitionLog {
  private readonly waiters = new OffsetWaiters(storageLimits.waitersPerPartitionMax);
  private closed = false;
  private syncTimer: NodeJS.Timeout | null = null;
  /** Passes that rewrite segments (compaction, the erase worker, the stream cleaner), one at a time. */
  private rewriting: Promise<unknown> = Promise.resolve(null);

  constructor(
    private readonly state: PartitionState,
    private readonly writer: LogWriter,
    /** Erases copies of an erased stream's records in other topics (LogManagerOptions.eraseCopies). */
    private readonly eraseCopies?: CopyEraser,
  ) {
    this.scheduleIntervalSync();
  }

  get topic(): string {
    return this.state.topic;
  }

  get partition(): number {
    return this.state.partition;
  }

  get config(): LogConfig {
    return this.state.config;
  }

  get logStartOffset(): number {
    return Math.max(this.state.segments[0]!.baseOffset, this.state.logStartFloor);
  }

  /**
   * Kafka's DeleteRecords: moves the log start offset up to `offset` (at most the high watermark;
   * never down). Records below it are no longer served at once; sealed segments wholly below it
   * go at the next retention run (the cleaner is the only one that removes segments). The caller
   * persists the offset and raises it again after a restart. Answers the new log start offset.
   */
  raiseLogStartOffset(offset: number): number {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > this.highWatermark) throw this.outOfRange(offset);
    this.state.logStartFloor = Math.max(this.state.logStartFloor, offset);
    return this.logStartOffset;
  }

  /** The offset after the last acknowledged record: readers see offsets below it. */
  get highWatermark(): number {
    return this.state.highWatermark;
  }

  /** The offset the next appended record will get (the high watermark plus queued appends). */
  get nextOffset(): number {
    return this.state.nextOffset;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  stats(): PartitionStats {
    return {
      logStartOffset: this.logStartOffset,
      highWatermark: this.highWatermark,
      sizeBytes: this.state.segments.reduce((sum, segment) => sum + segment.sizeBytes, 0),
      segments: this.state.segments.length,
      queuedBytes: this.writer.queuedBytes,
      waiters: this.waiters.size,
    };
  }

  /** Called by the writer after each acknowledged round. */
  onCommitted(highWatermark: number): void {
    this.state.streams?.committed(highWatermark);
    this.waiters.notify(highWatermark);
  }

  private context(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { topic: this.state.topic, partition: this.state.partition, ...extra };
  }

  /**
   * Appends one or more RecordBatch v2 laid back to back. The buffer's baseOffset fields are
   * rewritten in place. A rejected append leaves the log untouched.
   */
  async append(data: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    if (options.stream) await this.streamsReady();
    else {
      const loading = this.state.streams?.activeLoad(); // keyed records go into the active table
      if (loading) await loading;
    }
    return this.appendNow(data, options);
  }

  /**
   * The synchronous part of an append: from its start to the enqueue there is no await, so the
   * stream and offset checks and the offsets assigned are one step of the event loop, in the order
   * the single writer writes. Throws a refusal at once; the promise settles once acknowledged.
   */
  private appendNow(data: Buffer, options: AppendOptions, built?: KeyedRecord[]): Promise<AppendResult> {
    if (this.closed) throw new StorageError('SPOOL_ERR_LOG_CLOSED', 'the partition log is closed', this.context());
    const { spans, keyed } = built ? { spans: splitBatches(data, true), keyed: built } : this.checkBatches(data, options);
    const duplicate = this.checkProducers(spans, options.sequenceFromZero === true);
    if (duplicate) return duplicate;
    if (options.expectedOffset !== undefined && options.expectedOffset !== this.state.nextOffset) {
      throw new StorageError('SPOOL_ERR_OFFSET_MISMATCH', `expected the partition to end at offset ${options.expectedOffset}, it ends at ${this.state.nextOffset}`, this.context({ expectedOffset: options.expectedOffset, actualOffset: this.state.nextOffset }));
    }
    if (this.writer.queuedBytes + data.length > storageLimits.pendingBytesMax) {
      throw new StorageError('SPOOL_ERR_BACKPRESSURE', `${this.writer.queuedBytes} bytes are already queued for this partition`, this.context({ retryAfterMs: 100 }));
    }
    const streamVersions = options.stream ? this.checkStream(options.stream, keyed) : undefined;
    const baseOffset = this.state.nextOffset;
    let nextOffset = baseOffset;
    const batches = spans.map((span) => {
      const batchBase = nextOffset;
      setBaseOffset(data, span.position, batchBase);
      span.header.baseOffset = batchBase;
      nextOffset = lastOffsetOf(span.header) + 1;
      return { baseOffset: batchBase, lastOffset: nextOffset - 1 };
    });
    const lastOffset = nextOffset - 1;
    this.indexKeyed(keyed, batches, baseOffset);
    // Only once the keys are in: an index that throws must not leave an offset taken and never written.
    this.state.nextOffset = nextOffset;
    const acknowledged = new Promise<void>((resolve, reject: (error: SpoolError) => void) => {
      this.writer.enqueue({ data, spans, baseOffset, lastOffset, resolve, reject });
    });
    for (const span of spans) this.state.producers.record(span.header, acknowledged);
    return acknowledged.then(() => (streamVersions ? { baseOffset, lastOffset, batches, streamVersions } : { baseOffset, lastOffset, batches }));
  }

  /** The keyed records into the active stream table; if one throws, the ones added are taken out again. */
  private indexKeyed(keyed: readonly KeyedRecord[], batches: ReadonlyArray<{ baseOffset: number }>, baseOffset: number): void {
    if (keyed.length === 0) return;
    const streams = this.state.streams!;
    try {
      for (const record of keyed) streams.add(record.key, batches[record.spanIndex]!.baseOffset + record.offsetDelta);
    } catch (error) {
      streams.rewindTo(baseOffset);
      throw error;
    }
  }

  /**
   * A produced buffer's batches, validated (CRC, records, sizes, producer), and its keyed records
   * checked against the stream index's rules.
   */
  private checkBatches(data: Buffer, options: AppendOptions): { spans: BatchSpan[]; keyed: KeyedRecord[] } {
    let spans;
    try {
      spans = splitBatches(data);
    } catch (error) {
      if (isSpoolError(error)) Object.assign(error.context, this.context());
      throw error;
    }
    const { maxMessageBytes } = this.state.config;
    const keyed: KeyedRecord[] = [];
    for (const [spanIndex, span] of spans.entries()) {
      if (span.size > maxMessageBytes) {
        throw new StorageError('SPOOL_ERR_MESSAGE_TOO_LARGE', `a batch of ${span.size} bytes exceeds maxMessageBytes ${maxMessageBytes}`, this.context({ batchBytes: span.size, maxMessageBytes }));
      }
      this.checkRecords(data, span, maxMessageBytes, this.state.streams ? (key, offsetDelta) => keyed.push({ spanIndex, offsetDelta, key }) : undefined);
      if (span.header.producerId >= 0) options.authorizeProducer?.(span.header.producerId, span.header.producerEpoch);
    }
    if (keyed.length > 0) this.checkStreamKeys(keyed);
    return { spans, keyed };
  }

  /**
   * Several conditional appends to streams of this partition (two may name one stream: the later
   * one sees the earlier one's events). Each is decided on its own, in order, in one synchronous
   * step as in append: a refused one gets its error and writes nothing, and the accepted ones are
   * written together, one batch for many appends (stream-appends.ts), acknowledged together.
   */
  async appendStreams(appends: readonly StreamAppendRequest[]): Promise<{ outcomes: StreamAppendOutcome[]; bytes: number }> {
    const streams = await this.streamsReady();
    const outcomes: StreamAppendOutcome[] = new Array(appends.length);
    const accepted: Array<{ index: number; firstVersion: number; recordsBefore: number }> = [];
    const acceptedAppends: AcceptedAppend[] = [];
    const eventsInCall = new Map<string, number>();
    const { maxMessageBytes } = this.state.config;
    let records = 0;
    for (const [index, append] of appends.entries()) {
      try {
        const name = append.key.toString('latin1');
        this.checkStreamKey(append.key, streams);
        const batchBytes = batchBytesAtMost(append.records);
        if (batchBytes > maxMessageBytes) {
          throw new StorageError('SPOOL_ERR_MESSAGE_TOO_LARGE', `an append of ${batchBytes} bytes exceeds maxMessageBytes ${maxMessageBytes}`, this.context({ batchBytes, maxMessageBytes }));
        }
        const before = eventsInCall.get(name) ?? 0;
        const firstVersion = this.checkStreamVersion(append, before, name);
        eventsInCall.set(name, before + append.records.length);
        accepted.push({ index, firstVersion, recordsBefore: records });
        acceptedAppends.push({ key: append.key, records: append.records, batchBytes });
        records += append.records.length;
      } catch (error) {
        if (!isSpoolError(error)) throw error;
        outcomes[index] = { error };
      }
    }
    if (accepted.length === 0) return { outcomes, bytes: 0 };
    // The batches are encoded here from checked appends: appendNow frames them without walking them again.
    const { data, keyed } = packBatches(acceptedAppends, maxMessageBytes);
    try {
      const { baseOffset } = await this.appendNow(data, {}, keyed);
      for (const [position, { index, firstVersion, recordsBefore }] of accepted.entries()) {
        const count = acceptedAppends[position]!.records.length;
        const offsets: number[] = new Array(count);
        for (let at = 0; at < count; at++) offsets[at] = baseOffset + recordsBefore + at;
        outcomes[index] = { firstVersion, offsets };
      }
    } catch (error) {
      if (!isSpoolError(error)) throw error;
      for (const { index } of accepted) outcomes[index] = { error };
      return { outcomes, bytes: 0 };
    }
    return { outcomes, bytes: data.length };
  }

  /** Loads the stream index of every sealed segment (see StreamIndex.prepare). */
  private async streamsReady(): Promise<StreamIndex> {
    const streams = this.state.streams;
    if (!streams) throw new StorageError('SPOOL_ERR_STREAMS_NOT_ENABLED', `topic ${this.state.topic} keeps no stream index (streamIndex is false)`, this.context());
    await streams.prepare(this.state.segments);
    return streams;
  }

  /**
   * On a stream topic every keyed record must be in its key's partition (a record placed elsewhere,
   * by an explicit partition or a raw batch, would split its stream: versions and erase cover one
   * partition), and an erased stream's id is refused for good, whatever API writes it (HTTP, Kafka).
   */
  private checkStreamKeys(keyed: KeyedRecord[]): void {
    const streams = this.state.streams!;
    const checked = new Set<string>();
    for (const { key } of keyed) {
      const name = key.toString('latin1');
      if (checked.has(name)) continue;
      checked.add(name);
      this.checkStreamKey(key, streams);
    }
  }

  private checkStreamKey(key: Buffer, streams: StreamIndex): void {
    const home = partitionForKey(key, streams.partitionCount);
    if (home !== this.state.partition) {
      throw new StorageError('SPOOL_ERR_STREAM_WRONG_PARTITION', `a record's key belongs to partition ${home} (the key's stream lives there), not ${this.state.partition}`, this.context({ field: 'partition', keyPartition: home }));
    }
    if (streams.metadata.hasErased && streams.metadata.isErased(key)) {
      throw new StorageError('SPOOL_ERR_STREAM_ERASED', 'a record\'s key names an erased stream: its id is refused for writes', this.context({ erasePending: streams.metadata.erasePending(key) }));
    }
  }

  /** Decides a conditional append (synchronously, see append) and answers the versions it gets. */
  private checkStream(condition: StreamCondition, keyed: KeyedRecord[]): { first: number; last: number } {
    const current = this.checkStreamVersion(condition, 0);
    const own = keyed.filter((record) => record.key.equals(condition.key)).length;
    return own === 0 ? { first: -1, last: -1 } : { first: current, last: current + own - 1 };
  }

  /**
   * Refuses with SPOOL_ERR_WRONG_EXPECTED_VERSION unless the stream, with `eventsAhead` more events
   * accepted earlier in the same step (appendStreams), is at the expected version; answers the
   * version its next event gets.
   */
  private checkStreamVersion(condition: StreamCondition, eventsAhead: number, keyString = condition.key.toString('latin1')): number {
    const streams = this.state.streams!;
    // prepare() ran before append's synchronous stretch, but a roll since then may have sealed more.
    const current = streams.nextVersionOf(condition.key, keyString, this.state.segments) + eventsAhead;
    const softDeleted = streams.metadata.isSoftDeleted(keyString, current - 1);
    if (!expectedVersionMatches(condition.expectedVersion, current - 1, softDeleted)) {
      throw new StorageError('SPOOL_ERR_WRONG_EXPECTED_VERSION', `stream expected at version ${condition.expectedVersion}, it is at ${current - 1}`, this.context({ expectedVersion: condition.expectedVersion, actualVersion: current - 1 }));
    }
    return current;
  }

  /**
   * The visible offsets of a stream (the key's versioned records below the high watermark, from
   * the log start on), in version order: offsets[i] holds version firstVersion + i, where
   * firstVersion is the stream's version base (0 without one) plus the key's versioned records
   * below the log start.
   */
  async streamOffsets(key: Buffer): Promise<{ offsets: number[]; firstVersion: number }> {
    const streams = await this.streamsReady();
    const { offsets: all, firstVersion } = streams.versionedOffsetsOf(key, this.state.segments);
    let end = all.length;
    while (end > 0 && all[end - 1]! >= this.highWatermark) end--;
    let start = 0;
    while (start < end && all[start]! < this.logStartOffset) start++;
    return { offsets: all.slice(start, end), firstVersion: firstVersion + start };
  }

  /** The partition's per-stream metadata, soft deletes and erasures (topics with streamIndex). */
  get streamMetadata(): StreamMetadataTable {
    const streams = this.state.streams;
    if (!streams) throw new StorageError('SPOOL_ERR_STREAMS_NOT_ENABLED', `topic ${this.state.topic} keeps no stream index (streamIndex is false)`, this.context());
    return streams.metadata;
  }

  /**
   * Erases a stream (GDPR): its id is refused for writes from the moment this resolves (the mark
   * is durable), and the erase worker removes every record of it from the segments in the
   * background (compaction/erase.ts). `done` settles when that pass has finished.
   */
  async eraseStream(key: Buffer): Promise<{ done: Promise<EraseOutcome | null> }> {
    await this.streamMetadata.markErasing(key);
    return { done: this.resumeErasures() };
  }

  /** Runs the erase worker over every stream marked and not yet done (also at open, after a crash). */
  resumeErasures(): Promise<EraseOutcome | null> {
    return this.afterRewrites(() => (!this.state.streams?.metadata.pendingErasures().length ? null : runErasures(this.state, () => this.writer.rollNow(), this.eraseCopies)));
  }

  /**
   * The stream cleaner's pass (compaction/stream-cleaning.ts): hidden prefixes of at least
   * `minHiddenEvents` records become version bases, and the records below each base still being
   * removed leave the sealed segments. Null on a topic without streams. Infinity: only finish what
   * earlier passes left.
   */
  cleanStreams(nowMs: number, minHiddenEvents: number): Promise<StreamCleaningOutcome | null> {
    return this.afterRewrites(() => (this.state.streams ? cleanStreams(this, this.state, nowMs, minHiddenEvents) : null));
  }

  /**
   * Removes every record with `key` from this partition, which keeps no stream index: the copies
   * of an erased stream's events in a dead-letter topic (compaction/erase.ts eraseKeyEverywhere).
   */
  eraseKey(key: Buffer): Promise<EraseOutcome | null> {
    return this.afterRewrites(() => eraseKeyEverywhere(this.state, key, () => this.writer.rollNow()));
  }

  /** Runs `pass` after every segment rewrite queued before it (null once the log is closed). */
  private afterRewrites<T>(pass: () => Promise<T> | null): Promise<T | null> {
    const run = this.rewriting.catch(() => null).then(() => (this.closed ? null : pass()));
    this.rewriting = run;
    return run;
  }

  /** Stream ids (keys) of this partition starting with `prefix`, at most `limit`. */
  async listStreams(prefix: Buffer, limit: number): Promise<{ keys: Buffer[]; more: boolean }> {
    const streams = await this.streamsReady();
    return streams.listKeys(prefix, limit, this.state.segments);
  }

  /**
   * Walks the batch's records (decompressing them, as Kafka validates compressed batches): the
   * decompressed records must also fit maxMessageBytes, or a small compressed batch could store a
   * record every reader then has to inflate (a compression bomb).
   */
  private checkRecords(data: Buffer, span: BatchSpan, maxMessageBytes: number, onKey?: (key: Buffer, offsetDelta: number) => void): void {
    try {
      checkProducedBatch(data, span.position, span.header, maxMessageBytes, onKey);
    } catch (error) {
      if (!isSpoolError(error)) throw error;
      Object.assign(error.context, this.context({ batchPosition: span.position }));
      if (error.code !== 'SPOOL_ERR_DECOMPRESSED_TOO_LARGE') throw error;
      const { compression, decompressedBytes } = error.context;
      throw new StorageError('SPOOL_ERR_DECOMPRESSED_TOO_LARGE', `a ${compression} batch of ${span.size} bytes decompresses to ${decompressedBytes} bytes or more, over maxMessageBytes ${maxMessageBytes}`, { ...error.context, batchBytes: span.size, maxMessageBytes });
    }
  }

  /**
   * Idempotent producers: when every batch is a retry of one already accepted, answers with the
   * original offsets (after the original is acknowledged) instead of writing it again.
   */
  private checkProducers(spans: BatchSpan[], fromZero: boolean): Promise<AppendResult> | null {
    const previousInAppend = new Map<number, BatchSpan>();
    const checks = spans.map((span) => {
      const { producerId, baseSequence } = span.header;
      const previous = producerId >= 0 ? previousInAppend.get(producerId) : undefined;
      if (producerId >= 0) previousInAppend.set(producerId, span);
      if (!previous) return this.state.producers.check(span.header, this.context(), fromZero);
      // A later batch of the same producer in one append must follow the earlier one.
      if (baseSequence !== previous.header.baseSequence + previous.header.recordsCount) {
        throw new StorageError('SPOOL_ERR_OUT_OF_ORDER_SEQUENCE', `producer ${producerId}'s batches in one append are not consecutive`, this.context({ producerId }));
      }
      return { kind: 'append' as const };
    });
    const duplicates = checks.filter((check) => check.kind === 'duplicate');
    if (duplicates.length === 0) return null;
    if (duplicates.length !== checks.length) {
      throw new StorageError('SPOOL_ERR_OUT_OF_ORDER_SEQUENCE', 'an append mixes retried and new batches of idempotent producers', this.context());
    }
    return (async () => {
      for (const duplicate of duplicates) await duplicate.pending;
      const batches = duplicates.map(({ batch }) => ({ baseOffset: batch.baseOffset, lastOffset: batch.lastOffset }));
      return { baseOffset: batches[0]!.baseOffset, lastOffset: batches[batches.length - 1]!.lastOffset, batches, duplicate: true };
    })();
  }

  private outOfRange(offset: number): StorageError {
    return new StorageError(
      'SPOOL_ERR_OFFSET_OUT_OF_RANGE',
      `offset ${offset} is outside the log [${this.logStartOffset}, ${this.highWatermark}]`,
      this.context({ offset, logStartOffset: this.logStartOffset, highWatermark: this.highWatermark }),
    );
  }

  /** Reads whole batches from `offset` (logStartOffset <= offset <= highWatermark). */
  async read(offset: number, maxBytes: number): Promise<ReadResult> {
    if (!Number.isSafeInteger(offset) || offset < this.logStartOffset || offset > this.highWatermark) throw this.outOfRange(offset);
    const { fs, config } = this.state;
    let target = offset;
    while (target < this.highWatermark) {
      const segment = segmentHolding(this.state, target);
      if (!segment) throw this.outOfRange(offset); // retention passed it while we read
      const limitBytes = segment.sizeBytes;
      const lease = await this.leaseOf(segment);
      if (!lease) continue;
      try {
        await segment.ensureIndexes(fs, lease.fd, config.indexIntervalBytes);
        const found = await this.throughIndex(segment, lease.fd, (useIndex) => readFromSegment(fs, lease.fd, segment, target, Math.max(1, maxBytes), limitBytes, useIndex));
        if (found) return { ...found, highWatermark: this.highWatermark, logStartOffset: this.logStartOffset };
      } catch (error) {
        if (isSpoolError(error)) Object.assign(error.context, this.context({ offset: target }));
        throw error;
      } finally {
        lease.release();
      }
      const next = segmentAfter(this.state, segment);
      if (!next) break;
      target = Math.max(target, next.baseOffset);
    }
    return { data: EMPTY, nextOffset: Math.max(offset, target), highWatermark: this.highWatermark, logStartOffset: this.logStartOffset };
  }

  /**
   * A lease on a segment's descriptor, or null when the segment was replaced meanwhile (look it up
   * again). A closed log has given its descriptors up (see close()): reads of it end here.
   */
  private async leaseOf(segment: Segment): Promise<FileLease | null> {
    if (this.closed) throw new StorageError('SPOOL_ERR_LOG_CLOSED', 'the partition log is closed', this.context());
    return this.state.cache.acquire(segment).catch((error: unknown) => {
      if (!(error instanceof SegmentRetiredError)) throw error;
      if (this.closed) throw new StorageError('SPOOL_ERR_LOG_CLOSED', 'the partition log is closed', this.context());
      return null;
    });
  }

  /**
   * Runs a read through the segment's indexes. When an index entry turns out not to point at the
   * batch it names (a damaged index file), a sealed segment's indexes are rebuilt from its log and
   * the read repeated; the active segment, still being appended to, is read without its index.
   */
  private async throughIndex<T>(segment: Segment, fd: number, read: (useIndex: boolean) => Promise<T>): Promise<T> {
    try {
      return await read(true);
    } catch (error) {
      if (!(error instanceof IndexMismatchError)) throw error;
      if (segment.writable) return read(false);
      await segment.rebuildIndexes(this.state.fs, fd, this.state.config.indexIntervalBytes);
    }
    try {
      return await read(true);
    } catch (error) {
      // The rebuilt index points at the batch again: the batch itself is damaged.
      if (!(error instanceof IndexMismatchError)) throw error;
      throw new StorageError('SPOOL_ERR_CORRUPT_BATCH', error.message, { path: segment.logPath });
    }
  }

  /** Resolves true when the high watermark passes `offset`; false on timeout, abort or close. */
  waitForData(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.highWatermark > offset) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return this.waiters.wait(offset, timeoutMs, signal);
  }

  /** The offset of the first record with timestamp >= `timestamp`, or null when there is none. */
  async offsetForTimestamp(timestamp: number): Promise<number | null> {
    const { fs, config } = this.state;
    for (const segment of [...this.state.segments]) {
      const maxTimestamp = segment.writable ? segment.maxTimestamp : await segment.loadMaxTimestamp(fs);
      if (maxTimestamp !== null && maxTimestamp >= 0 && maxTimestamp < timestamp) continue;
      if (segment.isEmpty || !this.state.segments.includes(segment)) continue;
      const limitBytes = segment.sizeBytes;
      const lease = await this.leaseOf(segment);
      if (!lease) continue; // replaced by compaction meanwhile: its replacement holds the same records
      try {
        await segment.ensureIndexes(fs, lease.fd, config.indexIntervalBytes);
        const found = await this.throughIndex(segment, lease.fd, (useIndex) => findOffsetByTime(fs, lease.fd, segment, timestamp, limitBytes, useIndex));
        if (found !== null && found >= this.logStartOffset) return found;
      } finally {
        lease.release();
      }
    }
    return null;
  }

  updateConfig(config: LogConfig): void {
    this.state.config = Object.freeze({ ...config });
    this.state.flush = flushPolicyOf(config);
    this.scheduleIntervalSync();
  }

  private scheduleIntervalSync(): void {
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.syncTimer = null;
    if (this.state.flush.mode !== 'interval') return;
    this.syncTimer = setInterval(() => {
      this.writer.sync().catch(() => {
        // A failed background sync is retried at the next tick; appends report their own errors.
      });
    }, this.state.flush.intervalMs);
    this.syncTimer.unref();
  }

  /** Sealed segments, oldest first (for retention and compaction). */
  sealedSegments(): Segment[] {
    return this.state.segments.slice(0, -1);
  }

  /** Runs retention now (see retention.ts); returns the number of segments deleted. */
  applyRetention(nowMs = Date.now()): Promise<number> {
    return this.closed ? Promise.resolve(0) : applyRetention(this.state, nowMs);
  }

  /** Runs key compaction now if the topic is compacted (see compaction/compaction.ts). */
  compact(nowMs = Date.now(), force = false): Promise<CompactionOutcome | null> {
    // After any other rewrite of the partition's segments (an erasure of dead-letter copies): both write `.cleaned` files.
    return this.afterRewrites(() => compactPartition(this.state, nowMs, force));
  }

  /** Retention: deletes the oldest `count` sealed segments (see segment-lifecycle.ts). */
  deleteOldestSegments(count: number): Promise<Segment[]> {
    return deleteOldestSegments(this.state, count);
  }

  /** Compaction: swaps in `<base>.*.cleaned` for a sealed segment (see segment-lifecycle.ts). */
  swapInCleanedSegment(old: Segment): Promise<Segment | null> {
    return swapInCleanedSegment(this.state, old);
  }

  /**
   * Waits for queued appends, syncs, writes the active segment's indexes, then closes every
   * descriptor of the log's segments (a read in flight keeps its own until it is done). A deleted
   * topic's files are then really gone, and their disk space free, once the folder is removed.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.waiters.closeAll();
    await this.rewriting.catch(() => {}); // a pass swaps segments in: not under a closing log
    try {
      await this.writer.close();
      await this.state.streams?.saveActive(activeSegment(this.state));
    } finally {
      this.state.streams?.close();
      await this.state.cache.forget(this.state.segments);
    }
  }

  activeSegment(): Segment {
    return activeSegment(this.state);
  }
}
