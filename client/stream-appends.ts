/**
 * Coalesced stream appends (docs/event-sourcing.md "Many streams in one request"): appends to one
 * topic's streams issued while a request is in flight, or in the same turn of the event loop, go
 * out together as one POST .../streams/events, bounded as the broker bounds it; each caller gets
 * its own append's result or error. One HTTP request was ~90 % of an append's broker CPU, so 64
 * writers appending one event each cost the broker one request, not 64.
 *
 * Up to `maxInFlight` requests are in flight (default 1): with more, the client encodes one request
 * (and the writers refill the queue) while the broker appends another; with one, the two take
 * turns and the rate is bounded by the sum of their CPU per event. A flush shares what waits among
 * the requests that may still go out (each at least SPLIT_MIN_APPENDS), so the next is ready while
 * the broker works on the first. Per-stream order holds across requests: an append to a stream with an append in
 * flight waits for that request's answer (within one request the broker appends in order).
 *
 * A flush with one append left uses the one-stream route (the same answer, a smaller request). A
 * many-stream request refused whole with 400 (one malformed append fails the body's schema; nothing
 * was written) is sent again as one-stream requests, one after another (so a stream's appends keep
 * their order), so only the bad append's caller sees the error.
 */
import type { ExpectedVersion } from '../storage/streams/expected-version.js';
import type { StreamAppendAnswer } from '../storage/streams/stream-wire.js';
import { SpoolClientError } from './errors.js';
import { type HttpClient, isRetriableStatus, urlPath } from './http.js';

/** The broker's bounds on one many-stream request (broker/limits.ts streamAppends*). */
export const MANY_APPENDS_MAX = 1_000;
export const MANY_EVENTS_MAX = 10_000;
export const MANY_BODY_BYTES_MAX = 4 * 1024 * 1024;
/**
 * Requests in flight at once, by default: 1. With 2 the broker appends one while the client
 * prepares the next, but 64 writers then fill two requests of 32 instead of one of 64, and on this
 * 2-core machine under load the per-request CPU that adds cost more than the overlap won
 * (bench:streams, 1 December 2026: 20,098-23,467 events/s against 31,465-39,997; docs/event-sourcing.md).
 */
export const DEFAULT_MAX_IN_FLIGHT = 1;
/** The most `maxInFlight` may be: the client's 64 connections are shared with everything else. */
export const MAX_IN_FLIGHT_LIMIT = 16;
/** Fewest appends a request gets when a flush is split (below that, one request is cheaper). */
export const SPLIT_MIN_APPENDS = 8;
/** Room for the request's envelope, `{"appends":[...]}` and its commas. */
const ENVELOPE_BYTES = 64;

interface Pending {
  stream: string;
  events: unknown[];
  expectedVersion: ExpectedVersion;
  /** The append as JSON, `{stream, events, expectedVersion}`: measured once, sent as is. */
  json: string;
  jsonBytes: number;
  resolve(answer: StreamAppendAnswer): void;
  reject(error: unknown): void;
}

type Result = StreamAppendAnswer | { stream: string; error: { code: string; message: string; status: number } & Record<string, unknown> };

export class AppendCoalescer {
  private queue: Pending[] = [];
  private inFlight = 0;
  private maxInFlight = DEFAULT_MAX_IN_FLIGHT;
  /** Streams with appends in flight, and how many: their later appends wait for the answer. */
  private readonly busyStreams = new Map<string, number>();
  private flushScheduled = false;
  /** Requests sent, one-stream ones included (for benches: how well appends coalesce). */
  requests = 0;

  constructor(
    private readonly http: HttpClient,
    private readonly topic: string,
    /** Turns an error of one append into what the caller sees (e.g. WrongExpectedVersionError). */
    private readonly typed: (error: SpoolClientError) => SpoolClientError,
  ) {}

  /** Requests this topic's appends may have in flight at once (1 to MAX_IN_FLIGHT_LIMIT). */
  setMaxInFlight(maxInFlight: number): void {
    if (!Number.isSafeInteger(maxInFlight) || maxInFlight < 1 || maxInFlight > MAX_IN_FLIGHT_LIMIT) {
      throw SpoolClientError.local('SPOOL_ERR_INVALID_ARGUMENT', `streams: maxInFlight ${String(maxInFlight)} is not a whole number from 1 to ${MAX_IN_FLIGHT_LIMIT}`, { maxInFlight });
    }
    this.maxInFlight = maxInFlight;
    if (this.queue.length > 0) this.schedule();
  }

  append(stream: string, events: unknown[], expectedVersion: ExpectedVersion): Promise<StreamAppendAnswer> {
    const json = JSON.stringify({ stream, events, expectedVersion });
    return new Promise((resolve, reject) => {
      this.queue.push({ stream, events, expectedVersion, json, jsonBytes: Buffer.byteLength(json), resolve, reject });
      this.schedule();
    });
  }

  /** Flushes at the end of this turn when a request may go out; else when one answers. */
  private schedule(): void {
    if (this.flushScheduled || this.inFlight >= this.maxInFlight) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      // Shared among the free requests, so the next is ready while the broker works on this one.
      const parts = Math.max(1, Math.min(this.maxInFlight - this.inFlight, Math.floor(this.queue.length / SPLIT_MIN_APPENDS)));
      const taken = this.take(Math.min(MANY_APPENDS_MAX, Math.ceil(this.queue.length / parts)));
      if (taken.length === 0) return; // every waiting append's stream is in flight
      this.inFlight++;
      for (const { stream } of taken) this.busyStreams.set(stream, (this.busyStreams.get(stream) ?? 0) + 1);
      void this.send(taken).finally(() => {
        this.inFlight--;
        for (const { stream } of taken) {
          const left = this.busyStreams.get(stream)! - 1;
          if (left === 0) this.busyStreams.delete(stream);
          else this.busyStreams.set(stream, left);
        }
        if (this.queue.length > 0) this.schedule();
      });
    }
  }

  /**
   * The next request's appends, in queue order, within the broker's bounds and `most`; skipping
   * those whose stream has an append in flight (they keep their place).
   */
  private take(most: number): Pending[] {
    const taken: Pending[] = [];
    const left: Pending[] = [];
    let bytes = ENVELOPE_BYTES;
    let events = 0;
    let full = false;
    for (const pending of this.queue) {
      if (!full && taken.length > 0 && (taken.length === most || events + pending.events.length > MANY_EVENTS_MAX || bytes + pending.jsonBytes + 1 > MANY_BODY_BYTES_MAX)) full = true;
      if (full || this.busyStreams.has(pending.stream)) {
        left.push(pending);
        continue;
      }
      bytes += pending.jsonBytes + 1;
      events += pending.events.length;
      taken.push(pending);
    }
    this.queue = left;
    return taken;
  }

  private async send(appends: Pending[]): Promise<void> {
    this.requests++;
    try {
      if (appends.length === 1) {
        appends[0]!.resolve(await this.sendOne(appends[0]!));
        return;
      }
      const body = Buffer.from(`{"appends":[${appends.map((pending) => pending.json).join(',')}]}`);
      const answer = await this.http.json<{ results: Result[] }>(
        { method: 'POST', path: `/v1/topics/${urlPath(this.topic)}/streams/events`, body, contentType: 'application/json' },
        `append to ${appends.length} streams of ${this.topic}`,
      );
      for (const [index, pending] of appends.entries()) settle(pending, answer.results[index], this.typed);
    } catch (error) {
      if (appends.length > 1 && error instanceof SpoolClientError && error.status === 400) {
        await this.sendEachAlone(appends);
        return;
      }
      for (const pending of appends) pending.reject(error instanceof SpoolClientError ? this.typed(error) : error);
    }
  }

  /**
   * After a 400 of a many-stream request (nothing of it was written: one malformed append fails the
   * whole body's schema), each append alone, so each caller gets its own answer and one bad append
   * does not fail the good ones. The broker stays the one place that knows the rules.
   */
  private async sendEachAlone(appends: Pending[]): Promise<void> {
    for (const pending of appends) {
      this.requests++;
      await this.sendOne(pending).then(pending.resolve, (error: unknown) => pending.reject(error instanceof SpoolClientError ? this.typed(error) : error));
    }
  }

  /** One append alone (also one too large for a many-stream request): the one-stream route. */
  private sendOne({ stream, events, expectedVersion }: Pending): Promise<StreamAppendAnswer> {
    return this.http.json<StreamAppendAnswer>({ method: 'POST', path: `/v1/topics/${urlPath(this.topic)}/streams/${urlPath(stream, 'events')}`, body: { events, expectedVersion } }, `append to stream ${stream}`);
  }
}

function settle(pending: Pending, result: Result | undefined, typed: (error: SpoolClientError) => SpoolClientError): void {
  if (result === undefined || result.stream !== pending.stream) {
    pending.reject(new SpoolClientError('SPOOL_ERR_CORRUPT_ANSWER', `append to stream ${pending.stream}: the broker's answer has no result for it`, false, 502));
    return;
  }
  if (!('error' in result)) {
    pending.resolve(result);
    return;
  }
  const { code, message, status, ...context } = result.error;
  pending.reject(typed(new SpoolClientError(code, `append to stream ${pending.stream}: ${message}`, isRetriableStatus(status), status, context)));
}
