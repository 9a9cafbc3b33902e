/**
 * A live tail: follows partitions over Server-Sent Events, reading from the log at the subscriber's
 * own pace. Nothing is buffered per subscriber beyond one read (liveReadBytes), whose events go out
 * in one write: when the socket's buffer is full the loop waits for 'drain' before it reads or
 * writes anything more, so a slow subscriber costs no server memory, only a position in the log. When retention deletes records a
 * subscriber has not read yet, it is told (event `overtaken`) and continues from the log start.
 *
 *   event: follow                     once at the start, then for each partition added later
 *   data: [{"topic","partition","offset"}]   (offset: the next one this stream sends)
 *
 *   id: <partition>:<offset>          (pattern subscriptions: <topic>/<partition>:<offset>)
 *   event: record
 *   data: {"topic","partition","offset","timestamp","key","value"|"valueBase64","headers"}
 *
 *   event: overtaken
 *   data: {"topic","partition","from","to"}  (records from..to-1 were deleted before being sent)
 *
 *   event: skipped                    (only with maxRecordsPerSec: see rate-budget.ts)
 *   data: {"topic","partition","from","to"}  (records from..to-1 were passed over to stay within the rate)
 *
 * `follow` lets a client keep a full cursor (every partition it follows, even those that sent
 * nothing yet), so a reconnect misses nothing; see resume.ts.
 */
import type { ServerResponse } from 'node:http';
import { decodeRecordBatchesWithin, isSpoolError, type PartitionLog } from '../../storage/index.js';
import { toJsonRecord, type ValueFormat } from '../fetch/record-view.js';
import { brokerLimits } from '../limits.js';
import type { RateBudget } from './rate-budget.js';
import { AppendSignal, type AppendWatcher } from './append-signal.js';
import { openEventStream } from './event-stream-response.js';

export interface LiveSource {
  log: PartitionLog;
  /** Next offset to send. */
  position: number;
}

/** Adds and drops sources while the tail runs (pattern subscriptions; see topic-follower.ts). */
export interface SourceFollower {
  /** Drops sources of deleted topics and adds new ones, in place; answers the added ones, or null when nothing changed. */
  refresh(sources: LiveSource[]): LiveSource[] | null;
  /** Resolves once sources may have changed (or the signal aborts). */
  changed(signal: AbortSignal): Promise<boolean>;
}

export interface LiveTailOptions {
  /** Event ids name the topic too (pattern subscriptions over several topics). */
  qualifiedIds: boolean;
  valueFormat: ValueFormat;
  signal: AbortSignal;
  /** Bytes read from the log per step (default brokerLimits.liveReadBytes). */
  readBytes?: number;
  /** Comment line sent when nothing happened for this long (default brokerLimits.liveHeartbeatMs). */
  heartbeatMs?: number;
  onRecords?: (topic: string, count: number, bytes: number) => void;
  follower?: SourceFollower;
  /** Told the sources after each change (the registry counts subscribers per topic). */
  onSources?: (sources: readonly LiveSource[]) => void;
  /** A sampled tail: at most this many records a second, skipping ahead to the newest when behind. */
  budget?: RateBudget;
  /** Reports partitions written to (without one, only records there at the start are sent). */
  watcher?: AppendWatcher;
}

/** Writes; when the socket's buffer is full, answers a promise that settles on 'drain' (or close). */
function write(response: ServerResponse, text: string): Promise<void> | null {
  if (response.write(text)) return null;
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.once('drain', done);
    response.once('close', done);
  });
}

/** Writes, waiting for the socket to drain when its buffer is full (every SSE writer goes through it). */
export async function send(response: ServerResponse, text: string): Promise<void> {
  const pending = write(response, text);
  if (pending) await pending;
}

export function eventId(source: LiveSource, offset: number, qualified: boolean): string {
  return qualified ? `${source.log.topic}/${source.log.partition}:${offset}` : `${source.log.partition}:${offset}`;
}

function followEvent(sources: readonly LiveSource[]): string {
  const data = sources.map(({ log, position }) => ({ topic: log.topic, partition: log.partition, offset: position }));
  return `event: follow\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * A sampled tail's allowance for one source: how many records it may send now, after skipping to
 * the newest `allowed` when it is further behind (told with a `skipped` event).
 */
async function allowance(response: ServerResponse, source: LiveSource, budget: RateBudget): Promise<number> {
  const allowed = budget.available();
  const { log } = source;
  if (allowed > 0 && log.highWatermark - source.position > allowed) {
    const from = source.position;
    source.position = log.highWatermark - allowed;
    await send(response, `event: skipped\ndata: ${JSON.stringify({ topic: log.topic, partition: log.partition, from, to: source.position })}\n\n`);
  }
  return allowed;
}

/** Sends what one source has, up to one read; returns whether anything was sent. */
async function pump(response: ServerResponse, source: LiveSource, options: LiveTailOptions): Promise<boolean> {
  const { log } = source;
  if (source.position >= log.highWatermark) return false;
  // The unsampled path stays free of extra awaits: it is the one every ordinary subscriber runs.
  const allowed = options.budget ? await allowance(response, source, options.budget) : Infinity;
  if (allowed <= 0) return false;
  const readBytes = options.readBytes ?? brokerLimits.liveReadBytes;
  let read;
  try {
    read = await log.read(source.position, readBytes);
  } catch (error) {
    if (!isSpoolError(error) || error.code !== 'SPOOL_ERR_OFFSET_OUT_OF_RANGE') throw error;
    const from = source.position;
    source.position = log.logStartOffset;
    const data = JSON.stringify({ topic: log.topic, partition: log.partition, from, to: source.position });
    await send(response, `event: overtaken\ndata: ${data}\n\n`);
    return true;
  }
  // Decompressed up to one read's worth: compressed batches could inflate far past it. Records
  // before the position (the read starts at the batch holding it) are not even materialized.
  const decoded = decodeRecordBatchesWithin(read.data, readBytes, source.position);
  let next = decoded.cut ? decoded.nextOffset : read.nextOffset;
  // One write for the whole read, not one per record: at 100,000 records/s a write each was most
  // of a tail's cost. What one write holds is bounded by the read (readBytes) as before.
  const events: string[] = [];
  sending: for (const batch of decoded.batches) {
    for (const record of batch.records) {
      if (events.length >= allowed) {
        next = record.offset;
        break sending;
      }
      const body = { topic: log.topic, partition: log.partition, ...toJsonRecord(record, options.valueFormat) };
      events.push(`id: ${eventId(source, record.offset, options.qualifiedIds)}\nevent: record\ndata: ${JSON.stringify(body)}\n\n`);
    }
  }
  // Backpressure: a full socket stops this tail (and so its next read) until it drains.
  if (events.length > 0) await send(response, events.join(''));
  options.budget?.take(events.length);
  source.position = Math.max(source.position, next);
  options.onRecords?.(log.topic, events.length, read.data.length);
  return true;
}

/** Sleeps until a followed partition gets records, the follower's topics change, or a heartbeat is due. */
async function waitForWork(watcher: AppendWatcher, options: LiveTailOptions): Promise<boolean> {
  const heartbeatMs = options.heartbeatMs ?? brokerLimits.liveHeartbeatMs;
  const round = new AbortController();
  const stop = () => round.abort();
  options.signal.addEventListener('abort', stop, { once: true });
  const waits = [watcher.changed(round.signal)];
  if (options.follower) waits.push(options.follower.changed(round.signal));
  let timer: NodeJS.Timeout | undefined;
  waits.push(new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), heartbeatMs))));
  try {
    return await Promise.race(waits);
  } finally {
    clearTimeout(timer);
    round.abort();
    options.signal.removeEventListener('abort', stop);
  }
}

/**
 * Runs until the client goes away, the broker closes, or (without a follower) every log closed.
 * Each round pumps only the sources with something to send: those behind their high watermark
 * after the last round, and those the watcher reports written to since.
 */
export async function runLiveTail(response: ServerResponse, sources: LiveSource[], options: LiveTailOptions): Promise<void> {
  openEventStream(response);
  const watcher = options.watcher ?? new AppendSignal().watcher();
  let byLog = new Map<PartitionLog, LiveSource>();
  const sourcesChanged = () => {
    byLog = new Map(sources.map((source) => [source.log, source]));
    watcher.follow(sources.map((source) => source.log.topic));
    options.onSources?.(sources);
  };
  sourcesChanged();
  await send(response, followEvent(sources));
  // Every source may have records at the start.
  let pending = new Set<LiveSource>(sources);
  try {
    while (!options.signal.aborted) {
      if (options.budget) await options.budget.ready(options.signal);
      const added = options.follower?.refresh(sources) ?? null;
      if (added) {
        sourcesChanged();
        for (const source of added) pending.add(source);
        if (added.length > 0) await send(response, followEvent(added));
      }
      for (const log of watcher.take()) {
        const source = byLog.get(log);
        if (source) pending.add(source);
      }
      const behind = new Set<LiveSource>();
      for (const source of pending) {
        if (source.log.isClosed) continue;
        await pump(response, source, options);
        if (options.signal.aborted) return;
        if (source.position < source.log.highWatermark) behind.add(source);
      }
      pending = behind;
      if (pending.size > 0) continue;
      if (!options.follower && sources.every((source) => source.log.isClosed)) return;
      const woken = await waitForWork(watcher, options);
      if (!woken && !options.signal.aborted) await send(response, ': heartbeat\n\n');
    }
  } finally {
    watcher.dispose();
  }
}
