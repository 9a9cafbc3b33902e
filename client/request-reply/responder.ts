/**
 * The responder side of request/reply: a group consumer of the request topic (several responders
 * with the same group share the load, a partition each), which calls the handler for each request
 * and produces its result to the request's `reply-to` topic with the same `correlation-id`.
 *
 * - A request whose `deadline` has passed is skipped: its requester stopped waiting.
 * - A handler that throws is answered with an error reply (`spool-error` header, null value), so
 *   the requester fails at once instead of timing out; the request is not retried.
 * - A request without `reply-to` is handled and nothing is sent back.
 * - The group starts at the earliest retained request (offsetReset 'earliest'), so a request sent
 *   while responders start or restart is answered; the deadline keeps old ones from being handled.
 */
import { type Codec, type CodecName, CONTENT_TYPE_HEADER, jsonCodec, resolveCodec } from '../codecs.js';
import type { Consumer, ConsumerOptions } from '../consumer/consumer.js';
import type { Message } from '../consumer/message.js';
import type { Producer } from '../producer/producer.js';
import { CORRELATION_ID_HEADER, DEADLINE_HEADER, ERROR_HEADER, REPLY_TO_HEADER } from './headers.js';

export interface RespondOptions<Req = unknown, Res = unknown> {
  /** Responders sharing a group share the requests. Default `responders.<topic>`. */
  groupId?: string;
  /** Codec of the replies. Default json. */
  codec?: CodecName | Codec<Res>;
  /** Codec for requests that name none in a content-type header (default: bytes). */
  requestCodec?: CodecName | Codec<Req>;
  /** Told about handler errors and replies that could not be sent. */
  onError?: (error: unknown) => void;
  /** More options of the underlying group consumer (session timeout, heartbeat, ...). */
  consumer?: Omit<ConsumerOptions<Req>, 'groupId' | 'topics' | 'pattern' | 'codec' | 'onError'>;
}

export type RequestHandler<Req, Res> = (request: Message<Req>) => Res | Promise<Res>;

export interface ResponderDeps<Req> {
  consumer: (options: ConsumerOptions<Req>) => Consumer<Req>;
  producer: () => Producer<Buffer>;
}

export class Responder<Req = unknown, Res = unknown> {
  /** Resolves once the responder has joined its group and reads its partitions. */
  readonly ready: Promise<void>;
  private readonly consumer: Consumer<Req>;
  private readonly codec: Codec<Res>;

  constructor(
    readonly topic: string,
    private readonly handler: RequestHandler<Req, Res>,
    private readonly deps: ResponderDeps<Req>,
    private readonly options: RespondOptions<Req, Res> = {},
  ) {
    this.codec = (options.codec === undefined ? jsonCodec : resolveCodec(options.codec as CodecName | Codec)) as Codec<Res>;
    this.consumer = deps.consumer({
      offsetReset: 'earliest',
      ...options.consumer,
      groupId: options.groupId ?? `responders.${topic}`,
      topics: [topic],
      codec: options.requestCodec,
      onError: options.onError,
    });
    this.ready = this.consumer.run({ eachMessage: (message) => this.answer(message) });
    this.ready.catch(() => {});
  }

  /** Stops taking requests (one being handled finishes and is answered first) and leaves the group. */
  close(): Promise<void> {
    return this.consumer.close();
  }

  private async answer(request: Message<Req>): Promise<void> {
    const deadline = Number(request.headers[DEADLINE_HEADER]);
    if (Number.isFinite(deadline) && Date.now() > deadline) return;
    let result: Res | undefined;
    let failure: unknown = null;
    try {
      if (request.decodeError) throw request.decodeError;
      result = await this.handler(request);
    } catch (error) {
      failure = error ?? new Error('the handler threw');
      this.options.onError?.(failure);
    }
    const replyTo = request.headers[REPLY_TO_HEADER];
    if (!replyTo) return;
    const headers: Record<string, string> = { [CORRELATION_ID_HEADER]: request.headers[CORRELATION_ID_HEADER] ?? '' };
    if (failure !== null) headers[ERROR_HEADER] = String((failure as Error).message ?? failure).slice(0, 1000);
    else headers[CONTENT_TYPE_HEADER] = this.codec.contentType;
    try {
      await this.deps.producer().send(replyTo, [{ value: failure === null ? this.codec.encode(result as Res) : null, headers }]);
    } catch (error) {
      // The requester is gone (its reply topic deleted) or the broker refuses: it will time out.
      this.options.onError?.(error);
    }
  }
}
