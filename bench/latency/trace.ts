import type { StallLog } from './stalls.js';

/** What bench/latency-stages.ts collects in each place: the broker's rows (broker-probe.ts) and the clients' marks. */

/** One request in the broker; offsets [first, next). Times are clockMs() of the broker's process. */
export interface TracedRequest {
  /** http.server.request.start: the request's head was parsed. */
  receivedAt: number;
  /** Produce: the log acknowledged the append. Fetch: the answer was read (after any long-poll). */
  markedAt?: number;
  /** The answer was handed to the socket (its response.end() was called). */
  answeredAt: number;
  first: number;
  next: number;
}

/** The clock-sync requests' header: its value is the request's index. */
export const SYNC_HEADER = 'x-spool-bench-sync';

export interface BrokerTrace {
  produces: TracedRequest[];
  fetches: TracedRequest[];
  /** GET /health with the sync header (SYNC_HEADER: <i>): `first` is i. */
  syncs: TracedRequest[];
  /** The broker's event-loop stalls and collections (the broker's clock). */
  stalls?: StallLog;
}
