/**
 * Event-sourcing streams of one topic (docs/event-sourcing.md): conditional appends, reads of one
 * stream as an async iterator, and an aggregate loader.
 *
 *   const orders = spool.streams('orders');
 *   const { version, state } = await orders.load('order-42', (state, event) => apply(state, event), {});
 *   try {
 *     await orders.append('order-42', [{ type: 'OrderPaid', data: { amount: 40 } }], { expectedVersion: version });
 *   } catch (error) {
 *     if (error instanceof WrongExpectedVersionError) ... // reload and decide again
 *   }
 *   for await (const event of orders.subscribe('order-42', { from: version + 1 })) project(event);
 */
import type { ExpectedVersion } from '../storage/streams/expected-version.js';
import type { StreamAppendAnswer, StreamEventView, StreamInfo, StreamMetadataView } from '../storage/streams/stream-wire.js';
import { SpoolClientError } from './errors.js';
import { type HttpClient, urlPath } from './http.js';
import { AppendCoalescer } from './stream-appends.js';
import { followStream, type StreamSubscribeOptions } from './stream-subscription.js';
import type { ClientTlsOptions } from './tls.js';


export interface StreamEventInput<T = unknown> {
  type: string;
  data: T;
  metadata?: Record<string, unknown>;
  /** Give every event an id to make retries idempotent; the broker assigns a UUID otherwise. */
  id?: string;
}

export type { ExpectedVersion, StreamInfo, StreamMetadataView, StreamSubscribeOptions };
export type StreamEvent<T = unknown> = StreamEventView<T>;
export type AppendResult = StreamAppendAnswer;

/** Options of spool.streams(topic, options): they apply to the topic's one shared Streams. */
export interface StreamsOptions {
  /**
   * Many-stream append requests in flight at once (default 1, at most 16): with 2 the broker
   * appends one while the client prepares the next, at the cost of smaller requests (it paid only
   * with idle cores: docs/event-sourcing.md). A stream's appends keep their order whatever the
   * value: one waits for the answer to an earlier append to that stream.
   */
  maxInFlight?: number;
}

export interface ReadStreamOptions {
  from?: number | 'start' | 'end';
  direction?: 'forward' | 'backward';
  /** Events in all (default: every one); pages are fetched as the iterator goes. */
  limit?: number;
}

/** The broker's wire page: at most this many events a request (broker streamReadEventsMax). */
const PAGE_EVENTS = 1000;

/** The stream was not at the expected version: reload it and decide again. */
export class WrongExpectedVersionError extends SpoolClientError {
  override name = 'WrongExpectedVersionError';
  readonly expectedVersion: ExpectedVersion;
  /** The stream's version when the append was refused (-1: no event). */
  readonly actualVersion: number;

  constructor(error: SpoolClientError) {
    super(error.code, error.message, false, error.status, error.context, error);
    this.expectedVersion = error.context.expectedVersion as ExpectedVersion;
    this.actualVersion = error.context.actualVersion as number;
  }
}

const typedAppendError = (error: SpoolClientError): SpoolClientError => (error.code === 'SPOOL_ERR_WRONG_EXPECTED_VERSION' ? new WrongExpectedVersionError(error) : error);

export class Streams {
  /** Coalesces this topic's appends into shared requests. */
  readonly appends: AppendCoalescer;

  constructor(
    private readonly http: HttpClient,
    readonly topic: string,
    private readonly authorization?: string,
    private readonly tls?: ClientTlsOptions,
  ) {
    this.appends = new AppendCoalescer(http, topic, typedAppendError);
  }

  private path(stream: string, ...rest: string[]): string {
    return `/v1/topics/${urlPath(this.topic)}/streams/${urlPath(stream, ...rest)}`;
  }

  /** Appends `events` as one batch if the stream is at `expectedVersion` (default any). */
  /**
   * Appends `events` as one batch if the stream is at `expectedVersion` (default any). Appends
   * called while another is in flight, or in the same turn, go to the broker together in one
   * request (stream-appends.ts); each still resolves or fails on its own.
   */
  append<T>(stream: string, events: Array<StreamEventInput<T>>, options: { expectedVersion?: ExpectedVersion } = {}): Promise<AppendResult> {
    return this.appends.append(stream, events, options.expectedVersion ?? 'any');
  }

  /** The stream's events in order (or newest first with direction backward), page by page. */
  async *read<T = unknown>(stream: string, options: ReadStreamOptions = {}): AsyncGenerator<StreamEvent<T>> {
    const direction = options.direction ?? 'forward';
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    let from: number | 'start' | 'end' | null = options.from ?? (direction === 'forward' ? 'start' : 'end');
    while (from !== null && remaining > 0) {
      const limit = Math.min(PAGE_EVENTS, remaining);
      const page: { events: Array<StreamEvent<T>>; nextVersion: number | null } = await this.http.json({ method: 'GET', path: this.path(stream, 'events'), query: { from, direction, limit } }, `read stream ${stream}`);
      for (const event of page.events) yield event;
      remaining -= page.events.length;
      from = page.nextVersion;
    }
  }

  /** Folds the stream's events into a state: an aggregate and the version to append after. */
  async load<S, T = unknown>(stream: string, reducer: (state: S, event: StreamEvent<T>) => S, initial: S): Promise<{ state: S; version: number }> {
    let state = initial;
    let version = -1;
    for await (const event of this.read<T>(stream)) {
      state = reducer(state, event);
      version = event.version;
    }
    return { state, version };
  }

  describe(stream: string): Promise<StreamInfo> {
    return this.http.json({ method: 'GET', path: this.path(stream) }, `describe stream ${stream}`);
  }

  /**
   * The stream's events from version `from` (default 0), then each new one as it is appended,
   * reconnecting by itself and resuming after the last event yielded. Break out of the loop to stop.
   */
  subscribe<T = unknown>(stream: string, options: StreamSubscribeOptions = {}): AsyncGenerator<StreamEvent<T>> {
    return followStream<T>(this.http.url, this.path(stream, 'live'), options, this.authorization, this.tls);
  }

  /** Soft delete: the stream reads empty and is written again from the next version. */
  delete(stream: string): Promise<{ stream: string; partition: number; truncateBefore: number }> {
    return this.http.json({ method: 'DELETE', path: this.path(stream) }, `delete stream ${stream}`);
  }

  /** Erase (GDPR): the id is refused from now on; the broker removes every record of it in the background. */
  erase(stream: string): Promise<{ stream: string; partition: number; erasePending: boolean }> {
    return this.http.json({ method: 'POST', path: this.path(stream, 'erase') }, `erase stream ${stream}`);
  }

  metadata(stream: string): Promise<StreamMetadataView & { stream: string }> {
    return this.http.json({ method: 'GET', path: this.path(stream, 'metadata') }, `read metadata of stream ${stream}`);
  }

  /** Replaces the stream's metadata (an absent field is cleared); reads then skip what it hides. */
  setMetadata(stream: string, settings: { maxCount?: number; maxAgeMs?: number; truncateBefore?: number }): Promise<StreamMetadataView & { stream: string }> {
    return this.http.json({ method: 'PUT', path: this.path(stream, 'metadata'), body: settings }, `set metadata of stream ${stream}`);
  }

  list(options: { prefix?: string; limit?: number } = {}): Promise<{ streams: string[]; more: boolean }> {
    return this.http.json({ method: 'GET', path: `/v1/topics/${urlPath(this.topic)}/streams`, query: options }, `list streams of ${this.topic}`);
  }
}
