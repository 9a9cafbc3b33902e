/**
 * Event-sourcing streams over a topic with streamIndex (docs/event-sourcing.md). A stream is every
 * record with one key; it lives in the partition Kafka's partitioner picks for the key, and the
 * partition's stream index (storage/streams/) gives its offsets in version order.
 *
 * Appends are one batch, written only if the stream is at the expected version (decided by the
 * partition's append, see storage/log/partition-log.ts). An append retried with the same event ids
 * answers the original result, as EventStoreDB does: after a version mismatch, or before an append
 * that expects no particular version, the events where the retry would have gone are compared.
 */
import { encodeRecordBatch, type ExpectedVersion, isSpoolError, type PartitionLog, type RecordInput, type SpoolError, StorageError, type StreamAppendAnswer, type StreamEventView, type StreamInfo, type StreamMetadataView, type StreamSettings } from '../../storage/index.js';
import { BrokerError } from '../errors.js';
import { errorBody } from '../http/error-handler.js';
import type { BrokerLimits } from '../limits.js';
import type { BrokerMetrics } from '../metrics.js';
import { partitionOf } from '../produce/partitioner.js';
import type { TopicService } from '../topics/topic-service.js';
import { type EventInput, eventIdOf, toEventRecords, toEventView } from './stream-event.js';
import { type OriginalClaim, RecentAppends, type WrittenAppend } from './recent-appends.js';
import { readRecordsAt } from './stream-records.js';
import { metadataView, viewOf } from './stream-visibility.js';

export type StreamLimits = Pick<BrokerLimits, 'streamEventMetadataBytesMax' | 'streamIdBytesMax' | 'streamIdempotencyWindowEvents' | 'streamRecentAppendsPerPartition'>;


export interface ReadOptions {
  from: number | 'start' | 'end';
  direction: 'forward' | 'backward';
  limit: number;
}

export interface ReadAnswer {
  stream: string;
  partition: number;
  /** The stream's last version (-1: no event). */
  version: number;
  events: StreamEventView[];
  /** Where the next page starts (same direction), or null at the end. */
  nextVersion: number | null;
}

/** One append checked and encoded as records, before its partition decides it. */
interface PreparedAppend {
  stream: string;
  key: Buffer;
  log: PartitionLog;
  records: RecordInput[];
  ids: string[];
  /** Every event came with an id: a retry can be recognised. */
  clientIds: boolean;
  expectedVersion: ExpectedVersion;
}

/** One refused append of a many-stream request: its error as an error answer's body would carry it, with the status it would have. */
export interface AppendFailure {
  stream: string;
  error: Record<string, unknown> & { code: string; message: string; status: number };
}

function answerOf(append: PreparedAppend, firstVersion: number, offsets: number[], duplicate: boolean): StreamAppendAnswer {
  return {
    stream: append.stream,
    partition: append.log.partition,
    firstVersion,
    lastVersion: firstVersion + offsets.length - 1,
    offsets,
    ...(duplicate ? { duplicate: true } : {}),
  };
}

/** A refusal of one append (a SpoolError); anything else is the broker's fault and fails the request. */
function failureOf(stream: string, error: unknown): AppendFailure {
  if (!isSpoolError(error)) throw error;
  const { error: body } = errorBody(error);
  return { stream, error: { ...body, code: error.code, message: error.message, status: error.status } };
}

export class StreamService {
  private readonly recent: RecentAppends;

  constructor(
    private readonly topics: TopicService,
    private readonly metrics: BrokerMetrics,
    private readonly limits: StreamLimits,
  ) {
    this.recent = new RecentAppends(limits.streamRecentAppendsPerPartition);
  }

  /** The topic's partitions; refused unless it keeps a stream index. */
  private streamLogs(topic: string): PartitionLog[] {
    const logs = this.topics.partitions(topic);
    if (logs[0]!.config.streamIndex !== true) {
      throw new StorageError('SPOOL_ERR_STREAMS_NOT_ENABLED', `topic ${topic} was created without streamIndex: true`, { topic });
    }
    return logs;
  }

  /** The stream's key and the partition holding it. */
  locate(topic: string, stream: string, allowErased = false, logs = this.streamLogs(topic)): { key: Buffer; log: PartitionLog } {
    const key = Buffer.from(stream, 'utf8');
    if (key.length > this.limits.streamIdBytesMax) {
      throw new BrokerError('SPOOL_ERR_BAD_REQUEST', `stream id is ${key.length} bytes, over the limit of ${this.limits.streamIdBytesMax}`, { field: 'stream', limit: this.limits.streamIdBytesMax });
    }
    const log = logs[partitionOf(key, undefined, logs.length, () => 0)]!;
    if (!allowErased && log.streamMetadata.isErased(key)) {
      throw new StorageError('SPOOL_ERR_STREAM_ERASED', `stream ${stream} was erased: its id is refused for good`, { topic, partition: log.partition, erasePending: log.streamMetadata.erasePending(key) });
    }
    return { key, log };
  }

  async append(topic: string, stream: string, events: EventInput[], expectedVersion: ExpectedVersion): Promise<StreamAppendAnswer> {
    return this.decide(topic, this.prepare(topic, stream, events, expectedVersion));
  }

  /** One prepared append, alone: its original's answer when it repeats one, else written if its stream is at the expected version. */
  private async decide(topic: string, append: PreparedAppend): Promise<StreamAppendAnswer> {
    const earlier = await this.earlierAppend(append);
    if (earlier) return earlier;
    const claim = this.claim(append);
    if (claim && 'earlier' in claim) return this.repeat(topic, append, claim.earlier);
    const batch = encodeRecordBatch(append.records);
    let written: WrittenAppend | null = null;
    try {
      const result = await append.log.append(batch, { stream: { key: append.key, expectedVersion: append.expectedVersion } });
      this.metrics.recordsIn.inc(topic, append.records.length);
      this.metrics.bytesIn.inc(topic, batch.length);
      written = { firstVersion: result.streamVersions!.first, offsets: append.records.map((_, index) => result.baseOffset + index) };
      return answerOf(append, written.firstVersion, written.offsets, false);
    } catch (error) {
      if (!isSpoolError(error)) throw error;
      const retry = await this.retriedAppend(append, error);
      if (retry) return retry;
      throw error;
    } finally {
      claim?.settle(written);
    }
  }

  /**
   * In the synchronous step before the write (see RecentAppends): null when the append cannot be
   * recognised as a retry, the earlier append with the same ids, or this one registered as the original.
   */
  private claim(append: PreparedAppend): { earlier: Promise<WrittenAppend | null> } | OriginalClaim | null {
    if (!append.clientIds || (append.expectedVersion !== 'any' && append.expectedVersion !== 'exists')) return null;
    return this.recent.claim(append.log, append.key, append.ids);
  }

  /** A duplicate of an append in flight or just written: its answer, or, if it was not written, this one decided on its own. */
  private async repeat(topic: string, append: PreparedAppend, earlier: Promise<WrittenAppend | null>): Promise<StreamAppendAnswer> {
    const written = await earlier;
    return written ? answerOf(append, written.firstVersion, written.offsets, true) : this.decide(topic, append);
  }

  /**
   * Many conditional appends in one request (POST .../streams/events): each decided on its own as
   * append() decides it, answered in order with its result or its error (nothing of a refused one
   * written); the appends of one partition are written together (PartitionLog.appendStreams).
   * Refusals of the whole request (no such topic, no stream index) are thrown.
   */
  async appendMany(topic: string, appends: ReadonlyArray<{ stream: string; events: EventInput[]; expectedVersion: ExpectedVersion }>): Promise<Array<StreamAppendAnswer | AppendFailure>> {
    const logs = this.streamLogs(topic);
    const results: Array<StreamAppendAnswer | AppendFailure> = new Array(appends.length);
    const byLog = new Map<PartitionLog, Array<{ index: number; append: PreparedAppend }>>();
    for (const [index, { stream, events, expectedVersion }] of appends.entries()) {
      try {
        const append = this.prepare(topic, stream, events, expectedVersion, logs);
        const group = byLog.get(append.log) ?? [];
        if (group.length === 0) byLog.set(append.log, group);
        group.push({ index, append });
      } catch (error) {
        results[index] = failureOf(stream, error);
      }
    }
    await Promise.all([...byLog].map(([log, group]) => this.appendGroup(topic, log, group, results)));
    return results;
  }

  private async appendGroup(topic: string, log: PartitionLog, group: Array<{ index: number; append: PreparedAppend }>, results: Array<StreamAppendAnswer | AppendFailure>): Promise<void> {
    const earlier = await Promise.all(group.map(({ append }) => this.earlierAppend(append)));
    // From here to appendStreams nothing awaits: a duplicate in this group, or in a concurrent request, finds its original claimed.
    const toWrite: Array<{ index: number; append: PreparedAppend; claim: OriginalClaim | null }> = [];
    const repeats: Array<Promise<void>> = [];
    for (const [at, { index, append }] of group.entries()) {
      if (earlier[at]) {
        results[index] = earlier[at]!;
        continue;
      }
      const claim = this.claim(append);
      if (claim && 'earlier' in claim) {
        repeats.push(this.repeat(topic, append, claim.earlier).then((answer) => void (results[index] = answer), (error: unknown) => void (results[index] = failureOf(append.stream, error))));
      } else toWrite.push({ index, append, claim });
    }
    if (toWrite.length > 0) await this.writeGroup(topic, log, toWrite, results);
    await Promise.all(repeats);
  }

  private async writeGroup(topic: string, log: PartitionLog, toWrite: Array<{ index: number; append: PreparedAppend; claim: OriginalClaim | null }>, results: Array<StreamAppendAnswer | AppendFailure>): Promise<void> {
    let outcomes: Awaited<ReturnType<PartitionLog['appendStreams']>>['outcomes'] = [];
    try {
      const written = await log.appendStreams(toWrite.map(({ append }) => ({ key: append.key, expectedVersion: append.expectedVersion, records: append.records })));
      outcomes = written.outcomes;
      this.metrics.bytesIn.inc(topic, written.bytes);
    } finally {
      for (const [at, { claim }] of toWrite.entries()) {
        const outcome = outcomes[at];
        claim?.settle(outcome && !('error' in outcome) ? outcome : null);
      }
    }
    await Promise.all(
      toWrite.map(async ({ index, append }, at) => {
        const outcome = outcomes[at]!;
        if ('error' in outcome) {
          results[index] = (await this.retriedAppend(append, outcome.error)) ?? failureOf(append.stream, outcome.error);
          return;
        }
        this.metrics.recordsIn.inc(topic, append.records.length);
        results[index] = answerOf(append, outcome.firstVersion, outcome.offsets, false);
      }),
    );
  }

  /** Checks one append's stream id and events and turns them into records (throws what is wrong with them). */
  private prepare(topic: string, stream: string, events: EventInput[], expectedVersion: ExpectedVersion, logs?: PartitionLog[]): PreparedAppend {
    const { key, log } = this.locate(topic, stream, false, logs);
    const { records, ids } = toEventRecords(key, events, this.limits);
    return { stream, key, log, records, ids, clientIds: events.every((event) => event.id !== undefined), expectedVersion };
  }

  /** With every event id given and expectedVersion any/exists: the original answer when the events are already in the stream. */
  private async earlierAppend(append: PreparedAppend): Promise<StreamAppendAnswer | null> {
    if (!append.clientIds || (append.expectedVersion !== 'any' && append.expectedVersion !== 'exists')) return null;
    const retry = await this.findRetry(append.log, append.key, append.ids, null);
    return retry ? answerOf(append, retry.firstVersion, retry.offsets, true) : null;
  }

  /** After a version mismatch, with every event id given: the original answer when this was a retry of it. */
  private async retriedAppend(append: PreparedAppend, error: SpoolError): Promise<StreamAppendAnswer | null> {
    if (!append.clientIds || error.code !== 'SPOOL_ERR_WRONG_EXPECTED_VERSION') return null;
    const { expectedVersion } = append;
    const from = expectedVersion === 'no_stream' ? 0 : typeof expectedVersion === 'number' ? expectedVersion + 1 : null;
    const retry = await this.findRetry(append.log, append.key, append.ids, from);
    return retry ? answerOf(append, retry.firstVersion, retry.offsets, true) : null;
  }

  /**
   * Events `ids` already in the stream, in order, from version `from` (or, when null, anywhere in
   * the last streamIdempotencyWindowEvents): the original of a retried append.
   */
  private async findRetry(log: PartitionLog, key: Buffer, ids: string[], from: number | null): Promise<{ firstVersion: number; offsets: number[] } | null> {
    const { offsets, firstVersion } = await log.streamOffsets(key);
    const window = this.limits.streamIdempotencyWindowEvents;
    const start = from ?? Math.max(firstVersion, firstVersion + offsets.length - window);
    const end = from === null ? firstVersion + offsets.length : Math.min(from + ids.length, firstVersion + offsets.length);
    if (start < firstVersion || end - start < ids.length) return null;
    const candidates = offsets.slice(start - firstVersion, end - firstVersion);
    const records = await readRecordsAt(log, candidates);
    const at = records.findIndex((record) => eventIdOf(record) === ids[0]);
    if (at < 0 || (from !== null && at !== 0) || at + ids.length > records.length) return null;
    for (let i = 1; i < ids.length; i++) if (eventIdOf(records[at + i]!) !== ids[i]) return null;
    return { firstVersion: start + at, offsets: candidates.slice(at, at + ids.length) };
  }

  async read(topic: string, stream: string, options: ReadOptions): Promise<ReadAnswer> {
    const { key, log } = this.locate(topic, stream);
    const { offsets, firstVersion, lastVersion, visibleFrom } = await viewOf(log, key, Date.now());
    const forward = options.direction === 'forward';
    const from = options.from === 'start' ? visibleFrom : options.from === 'end' ? lastVersion : options.from;
    let low: number;
    let high: number; // versions [low, high] are read
    if (forward) {
      low = Math.max(from, visibleFrom);
      high = Math.min(lastVersion, low + options.limit - 1);
    } else {
      high = Math.min(from, lastVersion);
      low = Math.max(visibleFrom, high - options.limit + 1);
    }
    const versions = high >= low ? high - low + 1 : 0;
    const records = versions > 0 ? await readRecordsAt(log, offsets.slice(low - firstVersion, high - firstVersion + 1)) : [];
    const events = records.map((record, index) => toEventView(record, low + index));
    if (!forward) events.reverse();
    const nextVersion = forward ? (high < lastVersion && versions > 0 ? high + 1 : null) : versions > 0 && low > visibleFrom ? low - 1 : null;
    return { stream, partition: log.partition, version: lastVersion, events, nextVersion };
  }

  /** Version and visible events of a stream (what its metadata hides is not counted). */
  async describe(topic: string, stream: string): Promise<StreamInfo> {
    const { key, log } = this.locate(topic, stream);
    const view = await viewOf(log, key, Date.now());
    const visible = view.offsets.slice(view.visibleFrom - view.firstVersion);
    return {
      stream,
      partition: log.partition,
      version: view.lastVersion,
      eventCount: visible.length,
      firstOffset: visible[0] ?? null,
      lastOffset: visible[visible.length - 1] ?? null,
      deleted: view.deleted,
      metadata: metadataView(view.metadata),
    };
  }

  metadata(topic: string, stream: string): StreamMetadataView & { stream: string } {
    const { key, log } = this.locate(topic, stream);
    return { stream, ...metadataView(log.streamMetadata.metadataOf(key.toString('latin1'))) };
  }

  /** Replaces the stream's settings (stored durably before the answer). */
  async setMetadata(topic: string, stream: string, settings: StreamSettings): Promise<StreamMetadataView & { stream: string }> {
    const { key, log } = this.locate(topic, stream);
    await this.refuseWithoutEvents(topic, stream, key, log);
    return { stream, ...metadataView(await log.streamMetadata.setSettings(key, settings)) };
  }

  /**
   * Metadata and soft deletes take an entry of the partition's bounded table: only a stream that
   * exists gets one, so ids never written cannot fill it.
   */
  private async refuseWithoutEvents(topic: string, stream: string, key: Buffer, log: PartitionLog): Promise<{ offsets: number[]; firstVersion: number }> {
    const found = await log.streamOffsets(key);
    if (found.firstVersion + found.offsets.length > 0) return found;
    throw new BrokerError('SPOOL_ERR_STREAM_NOT_FOUND', `stream ${stream} has no event: append one before setting its metadata or deleting it`, { topic, stream });
  }

  /**
   * Soft delete: hides every event written so far; the stream is written again from the next
   * version (expectedVersion no_stream matches it until then). An event appended while the delete
   * runs may land after the version it records and stay visible.
   */
  async softDelete(topic: string, stream: string): Promise<{ stream: string; partition: number; truncateBefore: number }> {
    const { key, log } = this.locate(topic, stream);
    const { offsets, firstVersion } = await this.refuseWithoutEvents(topic, stream, key, log);
    const metadata = await log.streamMetadata.softDelete(key, firstVersion + offsets.length - 1);
    return { stream, partition: log.partition, truncateBefore: metadata.truncateBefore! };
  }

  /**
   * Erase (GDPR): refused for writes and reads from the answer on; the erase worker removes its
   * records from every segment in the background (erasePending until it has). Erasing again is
   * harmless, and runs the worker again if a pass failed.
   */
  async erase(topic: string, stream: string): Promise<{ stream: string; partition: number; erasePending: boolean }> {
    const { key, log } = this.locate(topic, stream, true);
    const { done } = await log.eraseStream(key);
    // A failed pass leaves the stream pending: the next erase request or open runs it again.
    done.catch(() => {});
    return { stream, partition: log.partition, erasePending: log.streamMetadata.erasePending(key) ?? true };
  }

  /** Stream ids starting with `prefix` over every partition, sorted, at most `limit`. */
  async list(topic: string, prefix: string, limit: number): Promise<{ streams: string[]; more: boolean }> {
    const logs = this.streamLogs(topic);
    const found: Buffer[] = [];
    let more = false;
    for (const log of logs) {
      const page = await log.listStreams(Buffer.from(prefix, 'utf8'), limit);
      found.push(...page.keys);
      more ||= page.more;
    }
    found.sort(Buffer.compare);
    if (found.length > limit) more = true;
    return { streams: found.slice(0, limit).map((key) => key.toString('utf8')), more };
  }
}
