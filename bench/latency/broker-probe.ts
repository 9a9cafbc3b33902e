/**
 * Preloaded into the broker by bench/latency-stages.ts (`node --import broker-probe.js`): listens
 * on the broker's diagnostics channels (broker/http/trace-channels.ts) and Node's
 * http.server.request.start, keeps one row per produce and per fetch request with the times it passed each mark
 * (clockMs(), the clock the bench's threads share), and writes them as JSON to
 * SPOOL_TRACE_FILE when the broker exits. GET /health requests carrying the sync header (x-spool-bench-sync: <i>) are kept too: the
 * bench measures the offset between its clock and the broker's with them. The broker's event-loop
 * stalls and collections (stalls.ts) go in the same file.
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { APPENDED_CHANNEL, type AppendedMessage, FETCH_READY_CHANNEL, type FetchReadyMessage } from '../../broker/http/trace-channels.js';
import { clockMs } from '../compare/payload.js';
import { watchStalls } from './stalls.js';
import { type BrokerTrace, SYNC_HEADER, type TracedRequest } from './trace.js';

const file = process.env.SPOOL_TRACE_FILE;
if (!file) throw new Error('broker-probe: SPOOL_TRACE_FILE names where the trace goes');

const trace: BrokerTrace = { produces: [], fetches: [], syncs: [] };
const stalls = watchStalls();
const arrivals = new WeakMap<IncomingMessage, number>();
const rows = new WeakMap<IncomingMessage, TracedRequest>();

subscribe('http.server.request.start', (message) => {
  const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
  const at = clockMs();
  arrivals.set(request, at);
  // The answer leaves when end() writes it to the socket: 'finish' (Node's
  // http.server.response.finish) comes from the write's callback, on a loaded machine after the
  // client already has the answer.
  const end = response.end;
  response.end = function (this: ServerResponse, ...args: Parameters<ServerResponse['end']>) {
    const row = rows.get(request);
    if (row) row.answeredAt = clockMs();
    return end.apply(this, args);
  } as ServerResponse['end'];
  const sync = request.headers[SYNC_HEADER];
  if (typeof sync === 'string') {
    const row = { receivedAt: at, answeredAt: 0, first: Number(sync), next: 0 };
    trace.syncs.push(row);
    rows.set(request, row);
  }
});

subscribe(APPENDED_CHANNEL, (message) => {
  const { request, baseOffset, lastOffset } = message as AppendedMessage;
  const row = { receivedAt: arrivals.get(request) ?? Number.NaN, markedAt: clockMs(), answeredAt: 0, first: baseOffset, next: lastOffset + 1 };
  trace.produces.push(row);
  rows.set(request, row);
});

subscribe(FETCH_READY_CHANNEL, (message) => {
  const { request, fromOffset, nextOffset, streamed } = message as FetchReadyMessage;
  if (nextOffset <= fromOffset) return; // a long-poll that ran out: nothing delivered
  const at = clockMs();
  // Batches written into a followed fetch are out as they are marked; the fetch was there before them.
  const row = { receivedAt: arrivals.get(request) ?? Number.NaN, markedAt: at, answeredAt: streamed ? at : 0, first: fromOffset, next: nextOffset };
  trace.fetches.push(row);
  if (!streamed) rows.set(request, row);
});

process.on('exit', () => writeFileSync(file, JSON.stringify({ ...trace, stalls: stalls.stop() })));
