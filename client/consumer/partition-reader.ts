/**
 * Reads one partition for a consumer: long-poll fetches of raw batches from its position, handed to
 * the consumer's delivery queue one batch at a time. The next fetch is sent as soon as an answer's
 * headers name the next offset, before its body has arrived, so the broker reads the next batch
 * while this one is in transit and while the handler runs. Once caught up with the partition's
 * end, the next fetch is a followed one (`follow`): the broker keeps its answer open and writes
 * each append into it as it is acknowledged, so a live consumer gets records with no request per
 * delivery (nor the wait for one). The handler is awaited before the stream is read further, so a
 * slow handler fills the socket and the broker waits, as with fetches. Network errors and a restarting broker
 * are retried with backoff, forever, until the reader is stopped; an offset that retention overtook
 * resets by the consumer's policy (earliest or latest), as Kafka's auto.offset.reset does.
 */
import { backoffDelayMs, defaultBackoff, sleep } from '../backoff.js';
import { SpoolClientError } from '../errors.js';
import { DECOMPRESSED_BYTES_MAX_DEFAULT } from '../../storage/codec/index.js';
import { answerError, type HttpAnswerHead, type HttpClient, type HttpRequest, urlPath } from '../http.js';
import { BatchStream } from './batch-stream.js';
import { type Batch, decodeMessages, type ValueDecoding } from './message.js';

const EMPTY = Buffer.alloc(0);

export type StartPosition = number | 'earliest' | 'latest';

export interface ReaderSettings {
  http: HttpClient;
  decoding: ValueDecoding;
  maxBytes: number;
  maxWaitMs: number;
  offsetReset: 'earliest' | 'latest';
  /** Follow the partition's end with a streamed fetch once caught up (see above); else long-poll. */
  follow: boolean;
  /** Hands a batch to the handler; resolves once it is processed (or dropped after a seek). */
  deliver(reader: PartitionReader, batch: Batch, epoch: number): Promise<void>;
  onError(error: SpoolClientError, reader: PartitionReader): void;
}

interface Prefetch {
  answer: Promise<Fetched>;
  from: StartPosition;
  epoch: number;
  cancelled: boolean;
  cancel(): void;
}

interface Fetched {
  /** Arrives after the headers: the fetch resolves at the headers. */
  data: Promise<Buffer>;
  nextOffset: number;
  highWatermark: number;
  /** A followed fetch that the broker is streaming (instead of `data`). */
  stream: AsyncIterable<Buffer> | null;
}

export class PartitionReader {
  /** The next offset to fetch: a number once known. */
  position: StartPosition;
  /** The offset after the last processed message: what a commit stores. */
  processed: number | null = null;
  /** What the group last stored for this partition: a commit is owed while it differs from `processed`. */
  committed: number | null = null;
  /** Bumped by seek: batches fetched or queued before it are dropped. */
  epoch = 0;
  private paused = false;
  private stopped = false;
  private resumeWaiters: Array<() => void> = [];
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  /** The fetch the loop waits on (its answer or its body): pause and seek cancel it. */
  private awaited: Prefetch | null = null;

  constructor(readonly topic: string, readonly partition: number, start: StartPosition, private readonly settings: ReaderSettings) {
    this.position = start;
    // Starting at a committed offset: nothing is owed until a message is handled.
    if (typeof start === 'number') this.processed = this.committed = start;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops fetching; resolves once the loop (and any batch being handled) has finished. */
  async stop(): Promise<void> {
    // No epoch bump: the message being handled still counts as handled (and is committed on
    // revoke); `stopped` alone keeps anything after it from being handed out.
    this.stopped = true;
    this.abort.abort();
    this.wake();
    await this.loop;
  }

  /** Pauses fetching; a fetch under way is cancelled (a long-poll would hold its slot for maxWaitMs). */
  pause(): void {
    this.paused = true;
    this.cancelAwaited();
  }

  resume(): void {
    this.paused = false;
    this.wake();
  }

  /** Moves the position; what was fetched or queued for the old position is dropped. */
  seek(offset: StartPosition): void {
    this.position = offset;
    this.epoch++;
    this.cancelAwaited();
    this.wake();
  }

  /** Starts over at a committed offset (a new assignment, or an admin reset): nothing is owed. */
  resumeAt(offset: number): void {
    this.seek(offset);
    this.processed = offset;
    this.committed = offset;
  }

  /** Marks messages up to `offset` as handled (auto-commit stores offset + 1). */
  markProcessed(offset: number): void {
    this.processed = offset + 1;
  }

  private cancelAwaited(): void {
    this.awaited?.cancel();
  }

  private wake(): void {
    const waiters = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const wake of waiters) wake();
  }

  private async run(): Promise<void> {
    let ahead: Prefetch | null = null;
    // A dropped prefetch is cancelled: at the end of the log it is a long-poll that would otherwise
    // hold a connection (and one of the broker's long-poll slots) for up to maxWaitMs.
    const dropAhead = () => {
      ahead?.cancel();
      ahead = null;
    };
    let failures = 0;
    while (!this.stopped) {
      if (this.paused) {
        dropAhead();
        await new Promise<void>((resolve) => this.resumeWaiters.push(resolve));
        continue;
      }
      if (ahead && this.isStale(ahead)) dropAhead();
      let next: Prefetch | null = null;
      const current: Prefetch = ahead ?? this.prefetch(this.position, this.epoch);
      ahead = null;
      this.awaited = current;
      try {
        const fetched = await current.answer;
        if (this.stopped) break;
        if (this.isStale(current)) {
          current.cancel(); // a followed fetch nobody reads would hold its connection (and the broker) forever
          continue;
        }
        if (fetched.stream) {
          await this.readStream(current, fetched);
          this.awaited = null;
          failures = 0;
          continue;
        }
        // The position moves only once the body is here: a body lost on the way is fetched again.
        const caughtUp = fetched.nextOffset >= fetched.highWatermark;
        next = this.paused ? null : this.prefetch(fetched.nextOffset, this.epoch, caughtUp && this.settings.follow);
        const data = await fetched.data;
        this.awaited = null;
        failures = 0;
        if (this.stopped) break;
        if (this.isStale(current)) {
          next?.cancel();
          continue;
        }
        const messages = decodeMessages(this.topic, this.partition, data, typeof current.from === 'number' ? current.from : 0, this.settings.decoding);
        this.position = fetched.nextOffset;
        ahead = next;
        next = null;
        if (messages.length > 0) {
          await this.settings.deliver(this, { topic: this.topic, partition: this.partition, messages, highWatermark: fetched.highWatermark }, current.epoch);
        }
      } catch (error) {
        this.awaited = null;
        next?.cancel();
        dropAhead();
        if (this.stopped) break;
        if (current.cancelled) continue; // by pause or seek: not a failure
        const failure = error instanceof SpoolClientError ? error : SpoolClientError.local('SPOOL_ERR_NETWORK', String(error), {}, error);
        if (this.resetAfterOutOfRange(failure)) continue;
        this.settings.onError(failure, this);
        if (!failure.retriable && failure.status === 404) {
          // The topic or partition is gone: nothing more will come from here.
          this.stopped = true;
          break;
        }
        await sleep(backoffDelayMs(failures++, defaultBackoff, Number(failure.context.retryAfterMs ?? 0)), this.abort.signal);
      }
    }
  }

  /**
   * Hands on the batches of a followed fetch as they arrive, moving the position with each. Ends
   * when the broker ends the answer (nothing for maxWaitMs, or an error its next fetch names), or
   * once a pause, seek or stop cancelled it.
   */
  private async readStream(current: Prefetch, fetched: Fetched): Promise<void> {
    const batches = new BatchStream();
    for await (const chunk of fetched.stream!) {
      if (this.stopped || current.cancelled || current.epoch !== this.epoch) break;
      const whole = batches.push(chunk, DECOMPRESSED_BYTES_MAX_DEFAULT);
      if (!whole) continue;
      const messages = decodeMessages(this.topic, this.partition, whole.data, this.position as number, this.settings.decoding);
      this.position = whole.nextOffset;
      if (messages.length === 0) continue;
      const highWatermark = Math.max(fetched.highWatermark, whole.nextOffset);
      await this.settings.deliver(this, { topic: this.topic, partition: this.partition, messages, highWatermark }, current.epoch);
    }
    current.cancel(); // a loop left early lets the broker go
  }

  /** Starts a fetch that can be cancelled on its own (stop() cancels every fetch of the reader). */
  private prefetch(from: StartPosition, epoch: number, follow = false): Prefetch {
    const controller = new AbortController();
    const answer = this.fetch(from, AbortSignal.any([this.abort.signal, controller.signal]), follow);
    // A prefetch may be dropped (pause, seek, stop, a failed body) and then fail: that is expected.
    answer.catch(() => undefined);
    const prefetch: Prefetch = {
      answer,
      from,
      epoch,
      cancelled: false,
      cancel: () => {
        prefetch.cancelled = true;
        controller.abort();
      },
    };
    return prefetch;
  }

  private resetAfterOutOfRange(error: SpoolClientError): boolean {
    if (error.code !== 'SPOOL_ERR_OFFSET_OUT_OF_RANGE') return false;
    const { logStartOffset, highWatermark } = error.context as { logStartOffset?: number; highWatermark?: number };
    const target = this.settings.offsetReset === 'earliest' ? logStartOffset : highWatermark;
    this.seek(typeof target === 'number' ? target : this.settings.offsetReset);
    return true;
  }

  /** A fetch asked for before a seek (or for a position since moved) answers nothing of use. */
  private isStale(fetch: Prefetch): boolean {
    return fetch.epoch !== this.epoch || fetch.from !== this.position;
  }

  private async fetch(from: StartPosition, signal: AbortSignal, follow: boolean): Promise<Fetched> {
    const request = {
      method: 'GET' as const,
      path: `/v1/topics/${urlPath(this.topic)}/partitions/${this.partition}/records`,
      query: { offset: from, format: 'batch', maxBytes: this.settings.maxBytes, maxWaitMs: this.settings.maxWaitMs, ...(follow ? { follow: true } : {}) },
      waitMs: this.settings.maxWaitMs,
      signal,
    };
    if (follow) return this.fetchFollowed(request);
    const answer: HttpAnswerHead = await this.settings.http.requestHead(request);
    if (answer.status !== 200) throw answerError({ ...answer, body: await answer.body }, `fetch ${this.topic}/${this.partition}`);
    return {
      data: answer.body,
      nextOffset: Number(answer.headers['spool-next-offset']),
      highWatermark: Number(answer.headers['spool-high-watermark']),
      stream: null,
    };
  }

  /**
   * A followed fetch: the broker streams when records came within maxWaitMs, and answers as an
   * ordinary fetch (no records) when none did. A stream starts at `from`, a number here: a reader
   * follows only once a fetch answered where the partition ends.
   */
  private async fetchFollowed(request: HttpRequest): Promise<Fetched> {
    const answer = await this.settings.http.requestStream(request);
    const nextOffset = Number(answer.headers['spool-next-offset']);
    const highWatermark = Number(answer.headers['spool-high-watermark']);
    if (answer.status === 200 && nextOffset > Number(request.query!.offset)) return { data: Promise.resolve(EMPTY), nextOffset, highWatermark, stream: answer.body };
    const chunks: Buffer[] = [];
    for await (const chunk of answer.body) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    if (answer.status !== 200) throw answerError({ status: answer.status, headers: answer.headers, body }, `fetch ${this.topic}/${this.partition}`);
    return { data: Promise.resolve(body), nextOffset, highWatermark, stream: null };
  }
}
