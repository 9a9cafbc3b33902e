/**
 * Coalesced stream appends (docs/event-sourcing.md "Many streams in one request"): appends to one
 * topic's streams issued while a request is in flight, or in the same turn of the event loop, go
 * out together as one POST .../streams/events, bounded as the broker bounds it; each caller gets
 * its own append's result or error. One HTTP request was ~90 % of an append's broker CPU, so 64
 * writers appending one event each cost the broker one request, not 64.
 *
 * A flush with one append left uses the one-stream route (the same answer, a smaller request). A
 * many-stream request refused whole with 400 (one malformed append fails the body's schema; nothing
 * was written) is sent again as one-stream requests, so only the bad append's caller sees the error.
 */
import type { ExpectedVersion } from '../storage/streams/expected-version.js';
import type { StreamAppendAnswer } from '../storage/streams/stream-wire.js';
import { SpoolClientError } from './errors.js';
import { type HttpClient, isRetriableStatus, urlPath } from './http.js';

/** The broker's bounds on one many-stream request (broker/limits.ts streamAppends*). */
export const MANY_APPENDS_MAX = 1_000;
export const MANY_EVENTS_MAX = 10_000;
export const MANY_BODY_BYTES_MAX = 4 * 1024 * 1024;
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
  private flushScheduled = false;
  /** Requests sent, one-stream ones included (for benches: how well appends coalesce). */
  requests = 0;

  constructor(
    private readonly http: HttpClient,
    private readonly topic: string,
    /** Turns an error of one append into what the caller sees (e.g. WrongExpectedVersionError). */
    private readonly typed: (error: SpoolClientError) => SpoolClientError,
  ) {}

  append(stream: string, events: unknown[], expectedVersion: ExpectedVersion): Promise<StreamAppendAnswer> {
    const json = JSON.stringify({ stream, events, expectedVersion });
    return new Promise((resolve, reject) => {
      this.queue.push({ stream, events, expectedVersion, json, jsonBytes: Buffer.byteLength(json), resolve, reject });
      this.schedule();
    });
  }

  /** Flushes at the end of this turn when no request is in flight; else when the last one answers. */
  private schedule(): void {
    if (this.flushScheduled || this.inFlight > 0) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.queue.length > 0) {
      const taken = this.take();
      this.inFlight++;
      void this.send(taken).finally(() => {
        this.inFlight--;
        if (this.inFlight === 0 && this.queue.length > 0) this.schedule();
      });
    }
  }

  /** The next request's appends: from the head of the queue, within the broker's bounds. */
  private take(): Pending[] {
    let bytes = ENVELOPE_BYTES;
    let events = 0;
    let count = 0;
    for (const pending of this.queue) {
      if (count > 0 && (count === MANY_APPENDS_MAX || events + pending.events.length > MANY_EVENTS_MAX || bytes + pending.jsonBytes + 1 > MANY_BODY_BYTES_MAX)) break;
      bytes += pending.jsonBytes + 1;
      events += pending.events.length;
      count++;
    }
    return this.queue.splice(0, count);
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
    this.requests += appends.length;
    await Promise.all(
      appends.map((pending) =>
        this.sendOne(pending).then(pending.resolve, (error: unknown) => pending.reject(error instanceof SpoolClientError ? this.typed(error) : error)),
      ),
    );
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
