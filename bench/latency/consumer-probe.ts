/**
 * The consuming side of bench/latency-stages.ts, in a worker thread with its own connections (as
 * bench:compare's consumers are): a group consumer as bench:compare's Spool driver makes it, which
 * notes when each fetch answer's headers and body arrived (undici's diagnostics channels, keyed by
 * the fetch's offset) and when each record reached the handler.
 *
 *   workerData: { url, topic, follow }   out: { type: 'started' }, { type: 'count', records }
 *   in: 'stop'                     out: { type: 'stopped', marks: ConsumerMarks }
 */
import { subscribe } from 'node:diagnostics_channel';
import { parentPort, workerData } from 'node:worker_threads';
import { Spool } from '../../client/index.js';
import { clockMs } from '../compare/payload.js';
import { type StallLog, watchStalls } from './stalls.js';

export interface ConsumerMarks {
  /** Fetch offset → when its answer's headers arrived (the last answer for that offset). */
  headersAt: Record<number, number>;
  /** Fetch offset → when its answer's body was complete. */
  bodyAt: Record<number, number>;
  /** Per record: [offset, when the handler got it]. */
  delivered: Array<[number, number]>;
  /** The consumer thread's stalls. */
  stalls?: StallLog;
}

const port = parentPort!;
const { url, topic, follow } = workerData as { url: string; topic: string; follow: boolean };
const marks: ConsumerMarks = { headersAt: {}, bodyAt: {}, delivered: [] };

/** The offset a GET .../records?offset=N asks for, or null for any other request. */
function fetchOffset(request: { method?: string; path?: string }): number | null {
  if (request.method !== 'GET' || !request.path?.includes('/records?')) return null;
  const match = /[?&]offset=(\d+)/.exec(request.path);
  return match ? Number(match[1]) : null;
}

subscribe('undici:request:headers', (message) => {
  const offset = fetchOffset((message as { request: { method?: string; path?: string } }).request);
  if (offset !== null) marks.headersAt[offset] = clockMs();
});
subscribe('undici:request:trailers', (message) => {
  const offset = fetchOffset((message as { request: { method?: string; path?: string } }).request);
  if (offset !== null) marks.bodyAt[offset] = clockMs();
});

const stalls = watchStalls();
const spool = new Spool({ url });
const consumer = spool.consumer<Buffer>({ groupId: 'stages', topics: [topic], offsetReset: 'earliest', codec: 'bytes', follow });
await consumer.run({
  eachBatch: ({ messages }) => {
    const now = clockMs();
    for (const message of messages) marks.delivered.push([message.offset, now]);
    port.postMessage({ type: 'count', records: marks.delivered.length });
  },
});
port.postMessage({ type: 'started' });
port.on('message', () => {
  void (async () => {
    await consumer.close();
    await spool.close();
    marks.stalls = stalls.stop();
    port.postMessage({ type: 'stopped', marks });
  })();
});
