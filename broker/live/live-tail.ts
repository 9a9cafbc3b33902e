/**
 * A live tail: follows partitions over Server-Sent Events, reading from the log at the subscriber's
 * own pace. Nothing is buffered per subscriber beyond one read (liveReadBytes): when the socket's
 * buffer is full the loop waits for 'drain', so a slow subscriber costs no server memory, only a
 * position in the log. When retention deletes records a subscriber has not read yet, it is told
 * (event `overtaken`) and continues from the log start.
 *
 *   id: <partition>:<offset>          (with several topics: <topic>/<partition>:<offset>)
 *   event: record
 *   data: {"topic","partition","offset","timestamp","key","value"|"valueBase64","headers"}
 */
import type { ServerResponse } from 'node:http';
import { decodeRecordBatches, isSpoolError, type PartitionLog } from '../../storage/index.js';
import { toJsonRecord, type ValueFormat } from '../fetch/record-view.js';
import { brokerLimits } from '../limits.js';

export interface LiveSource {
  log: PartitionLog;
  /** Next offset to send. */
  position: number;
}

export interface LiveTailOptions {
  /** Event ids name the topic too (pattern subscriptions over several topics). */
  qualifiedIds: boolean;
  valueFormat: ValueFormat;
  signal: AbortSignal;
  onRecords?: (topic: string, count: number, bytes: number) => void;
  /** Called between rounds: lets a pattern subscription add sources for topics created later. */
  refreshSources?: (sources: LiveSource[]) => Promise<void> | void;
}

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

export function eventId(source: LiveSource, offset: number, qualified: boolean): string {
  return qualified ? `${source.log.topic}/${source.log.partition}:${offset}` : `${source.log.partition}:${offset}`;
}

/** Sends what one source has, up to one read; returns whether anything was sent. */
async function pump(response: ServerResponse, source: LiveSource, options: LiveTailOptions): Promise<boolean> {
  const { log } = source;
  if (source.position >= log.highWatermark) return false;
  let read;
  try {
    read = await log.read(source.position, brokerLimits.liveReadBytes);
  } catch (error) {
    if (!isSpoolError(error) || error.code !== 'SPOOL_ERR_OFFSET_OUT_OF_RANGE') throw error;
    const from = source.position;
    source.position = log.logStartOffset;
    const data = JSON.stringify({ topic: log.topic, partition: log.partition, from, to: source.position });
    await write(response, `event: overtaken\ndata: ${data}\n\n`);
    return true;
  }
  let count = 0;
  for (const batch of decodeRecordBatches(read.data)) {
    for (const record of batch.records) {
      if (record.offset < source.position) continue;
      const body = { topic: log.topic, partition: log.partition, ...toJsonRecord(record, options.valueFormat) };
      const pending = write(response, `id: ${eventId(source, record.offset, options.qualifiedIds)}\nevent: record\ndata: ${JSON.stringify(body)}\n\n`);
      count++;
      if (pending) await pending;
      if (options.signal.aborted) return true;
    }
  }
  source.position = Math.max(source.position, read.nextOffset);
  options.onRecords?.(log.topic, count, read.data.length);
  return true;
}

/** Runs until the client goes away or the broker closes the logs. */
export async function runLiveTail(response: ServerResponse, sources: LiveSource[], options: LiveTailOptions): Promise<void> {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  response.write(': connected\n\n');
  while (!options.signal.aborted) {
    await options.refreshSources?.(sources);
    let sent = false;
    for (const source of sources) {
      if (source.log.isClosed) continue;
      if (await pump(response, source, options)) sent = true;
      if (options.signal.aborted) return;
    }
    if (sent) continue;
    const round = new AbortController();
    const stop = () => round.abort();
    options.signal.addEventListener('abort', stop, { once: true });
    const waits = sources.filter((source) => !source.log.isClosed).map((source) => source.log.waitForData(source.position, brokerLimits.liveHeartbeatMs, round.signal).catch(() => false));
    // With no partition to wait on (a pattern that matches nothing yet), look again in a second.
    const idle = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000).unref());
    const arrived = await Promise.race(waits.length === 0 ? [idle] : waits);
    round.abort();
    options.signal.removeEventListener('abort', stop);
    if (!arrived && !options.signal.aborted) {
      const pending = write(response, ': heartbeat\n\n');
      if (pending) await pending;
    }
    if (waits.length === 0 && !options.refreshSources) return;
  }
}
