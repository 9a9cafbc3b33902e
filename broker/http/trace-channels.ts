/**
 * Diagnostics channels (node:diagnostics_channel) that mark where records are on their way through
 * the broker, for tools that break latency down by stage (bench/latency-stages.ts subscribes from a
 * module preloaded into the broker with `node --import`). Node's own `http.server.request.start`
 * and `http.server.response.finish` mark a request's arrival and its answer leaving; these two
 * name the records in between. Publishing is skipped while nobody subscribes (one property read).
 *
 *   spool:produce:appended  { request, topic, partition, baseOffset, lastOffset }  the append was acknowledged by the log
 *   spool:fetch:ready       { request, topic, partition, fromOffset, nextOffset, streamed? }  a fetch has its answer
 *                           (after any long-poll); streamed: written into a followed fetch (follow=true), which stays open
 *
 * `request` is the IncomingMessage, so a subscriber joins them to Node's http channels.
 */
import { channel } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';

export interface AppendedMessage {
  request: IncomingMessage;
  topic: string;
  partition: number;
  baseOffset: number;
  lastOffset: number;
}

export interface FetchReadyMessage {
  request: IncomingMessage;
  topic: string;
  partition: number;
  fromOffset: number;
  nextOffset: number;
  /** A followed fetch (follow=true): these batches go (or went) into its open answer, not one of their own. */
  streamed?: boolean;
}

export const APPENDED_CHANNEL = 'spool:produce:appended';
export const FETCH_READY_CHANNEL = 'spool:fetch:ready';

const appended = channel(APPENDED_CHANNEL);
const fetchReady = channel(FETCH_READY_CHANNEL);

export function traceAppended(message: () => AppendedMessage): void {
  if (appended.hasSubscribers) appended.publish(message());
}

export function traceFetchReady(message: () => FetchReadyMessage): void {
  if (fetchReady.hasSubscribers) fetchReady.publish(message());
}
