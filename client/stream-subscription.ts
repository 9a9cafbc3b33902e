/**
 * `spool.streams(topic).subscribe(stream, {from})`: one stream's events, catch-up then live, as an
 * async iterator over the broker's SSE route (GET .../streams/:stream/live). Each event's SSE id is
 * its version: after a dropped connection the iterator reconnects by itself (backoff with jitter,
 * Retry-After as a floor) from the version after the last one it yielded, so no event is skipped
 * or yielded twice. Leaving the loop (break, return, throw) closes the connection.
 *
 * Backpressure is end to end: the next chunk is read only when the loop asks for the next event.
 */
import { backoffDelayMs, type BackoffOptions, sleep } from './backoff.js';
import { SpoolClientError } from './errors.js';
import { answerError } from './http.js';
import type { StreamEventView } from '../storage/streams/stream-wire.js';
import { SseParser } from './subscribe/sse-parser.js';
import type { ClientTlsOptions } from './tls.js';
import { loadUndici } from './undici.js';

export interface StreamSubscribeOptions {
  /** The first version to deliver (default 0: the whole stream, then live). */
  from?: number;
  /** Reconnect backoff. Default 100 ms doubling up to 5 s, forever. */
  retry?: Partial<Pick<BackoffOptions, 'baseMs' | 'maxMs'>>;
  /** A connection silent this long (the broker sends a heartbeat every 15 s) is reconnected. Default 45 s. */
  heartbeatTimeoutMs?: number;
  /** Told about each connection failure that is retried. */
  onError?: (error: SpoolClientError) => void;
}

const toClientError = (error: unknown, what: string): SpoolClientError =>
  error instanceof SpoolClientError ? error : SpoolClientError.local('SPOOL_ERR_NETWORK', `${what}: ${(error as Error)?.message ?? String(error)}`, {}, error);

export async function* followStream<T>(url: string, path: string, options: StreamSubscribeOptions, authorization?: string, tls?: ClientTlsOptions): AsyncGenerator<StreamEventView<T>> {
  const from = options.from ?? 0;
  if (!Number.isSafeInteger(from) || from < 0) throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', `subscribe: from ${String(from)} is not a version (0 to 2^53-1)`);
  const what = `subscribe to ${path}`;
  const backoff = { baseMs: 100, maxMs: 5000, retries: Number.MAX_SAFE_INTEGER, ...options.retry };
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 45_000;
  // A connection of its own: the stream holds it for as long as it lives. (undici is loaded at the
  // client's first request: see undici.ts.)
  const { Client } = await loadUndici();
  const client = new Client(url, { headersTimeout: 30_000, bodyTimeout: 0, keepAliveTimeout: 1000, ...(tls ? { connect: tls } : {}) });
  const closing = new AbortController();
  let next = from;
  let failures = 0;
  try {
    for (;;) {
      let retryAfterMs = 0;
      const request = new AbortController();
      const onClose = () => request.abort();
      closing.signal.addEventListener('abort', onClose);
      let watchdog: NodeJS.Timeout | undefined;
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (authorization !== undefined) headers.authorization = authorization;
        const answer = await client.request({ method: 'GET', path: `${path}?from=${next}`, headers, signal: request.signal });
        if (answer.statusCode !== 200) {
          throw answerError({ status: answer.statusCode, headers: answer.headers, body: Buffer.from(await answer.body.arrayBuffer()) }, what);
        }
        const arm = () => {
          clearTimeout(watchdog);
          watchdog = setTimeout(() => request.abort(new Error(`no data or heartbeat for ${heartbeatTimeoutMs} ms`)), heartbeatTimeoutMs);
        };
        const parser = new SseParser();
        arm();
        for await (const chunk of answer.body) {
          clearTimeout(watchdog); // a slow loop body is not a silent broker
          for (const event of parser.push(chunk as Buffer)) {
            if (event.type !== 'record') continue;
            const streamEvent = JSON.parse(event.data) as StreamEventView<T>;
            next = streamEvent.version + 1;
            failures = 0;
            yield streamEvent;
          }
          arm();
        }
      } catch (raw) {
        const error = toClientError(raw, what);
        if (!error.retriable) throw error;
        options.onError?.(error);
        retryAfterMs = Number(error.context.retryAfterMs ?? 0);
      } finally {
        clearTimeout(watchdog);
        closing.signal.removeEventListener('abort', onClose);
      }
      await sleep(backoffDelayMs(failures++, backoff, retryAfterMs));
    }
  } finally {
    closing.abort();
    await client.destroy().catch(() => {});
  }
}
