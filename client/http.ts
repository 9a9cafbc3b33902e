/**
 * The client's one HTTP path to the broker: an undici Pool (keep-alive connections, one request
 * each at a time), and lanes for requests that must arrive in the order they were sent (the
 * idempotent producer's pipelined produce requests: one connection per lane, HTTP pipelining),
 * answers turned into Buffers or JSON, and broker errors turned into SpoolClientErrors that keep the
 * broker's code, status and context. Retrying is the caller's choice (see retry.ts): a produce
 * retries differently from a long-poll.
 */
import { EventEmitter } from 'node:events';
import type { Client, Dispatcher, Pool } from 'undici';
import { loadUndici } from './undici.js';
import { SpoolClientError } from './errors.js';
import type { ClientTlsOptions } from './tls.js';

export interface HttpOptions {
  /** Connections kept open to the broker. */
  connections: number;
  /** Time without an answer after which a request fails with SPOOL_ERR_REQUEST_TIMEOUT. */
  requestTimeoutMs: number;
  /** The Authorization header of every request (client/credentials.ts), if any. */
  authorization?: string;
  /** CA and client certificate of an https:// broker (client/tls.ts). */
  tls?: ClientTlsOptions;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** An object is sent as JSON; a Buffer as `contentType`. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** Added to requestTimeoutMs for long-polls, which wait on purpose. */
  waitMs?: number;
  signal?: AbortSignal;
  /**
   * Requests of one lane go over one connection, pipelined, so they reach the broker in the
   * order they were sent (over the pool, one sent later on another connection may arrive first).
   * Only for requests safe to send again (undici re-sends the pipelined requests behind one whose
   * connection failed): the idempotent producer's, whose sequence numbers make a repeat harmless.
   */
  lane?: number;
}

/** Connections for lanes (a lane's number picks one), and requests pipelined on each. */
const LANES = 4;
const LANE_PIPELINING = 16;
/**
 * undici pipelines a request only when told it may be sent again (idempotent; a POST is not by
 * default) and that its answer will not hold up the connection (blocking; true by default for
 * all but HEAD, and produce answers come as soon as the append is acknowledged).
 */
const PIPELINED = { idempotent: true, blocking: false } as const;

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** An answer whose headers have arrived while its body may still be on the way. */
export interface HttpAnswerHead {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Rejects with a SpoolClientError if the connection fails before the body is complete. */
  body: Promise<Buffer>;
}

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT',
]);

/** Path segments, each URL-encoded (topic and group names may hold dots, never slashes). */
export const urlPath = (...parts: Array<string | number>): string => parts.map((part) => encodeURIComponent(String(part))).join('/');

function queryString(query: HttpRequest['query']): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** The error a broker answer stands for: its own `{error: {code, message, ...context}}` when present. */
export function answerError(answer: HttpAnswer, what: string): SpoolClientError {
  let code = `SPOOL_ERR_HTTP_${answer.status}`;
  let message = `${what}: HTTP ${answer.status}`;
  let context: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(answer.body.toString('utf8')) as { error?: { code?: string; message?: string } & Record<string, unknown> };
    if (parsed.error?.code) {
      const { code: brokerCode, message: brokerMessage, ...rest } = parsed.error;
      code = brokerCode;
      message = `${what}: ${brokerMessage ?? brokerCode}`;
      context = rest;
    }
  } catch {
    // not JSON: keep the status
  }
  const retryAfter = Number(answer.headers['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter >= 0) context = { ...context, retryAfterMs: retryAfter * 1000 };
  return new SpoolClientError(code, message, isRetriableStatus(answer.status), answer.status, context);
}

/** Broker answers worth retrying: backpressure, shutting down, timeouts, disk full, server faults. */
export function isRetriableStatus(status: number): boolean {
  return status === 429 || status === 503 || status === 408 || status === 507 || status === 500 || status === 502 || status === 504;
}

/**
 * The abort signal of one request (undici takes an EventEmitter as one): fires when its time is
 * up or when the caller's own signal aborts, and is cleared when the answer is in. It replaces
 * AbortSignal.timeout() (+ AbortSignal.any()), which cost 20-29 µs of CPU per request here (an
 * EventTarget, a FinalizationRegistry entry) against 0.7 µs, and left a timer of requestTimeoutMs
 * (30 s) behind every request: at hundreds of produce requests a second, thousands of live
 * timers that outlived the young generation and had to be collected by major GCs.
 */
class RequestDeadline extends EventEmitter {
  aborted = false;
  timedOut = false;
  reason: unknown = undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly onCallerAbort: (() => void) | null = null;

  constructor(timeoutMs: number, private readonly caller?: AbortSignal) {
    super();
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.abort(new DOMException('request timed out', 'TimeoutError'));
    }, timeoutMs);
    this.timer.unref();
    if (caller) {
      if (caller.aborted) this.abort(caller.reason);
      else {
        this.onCallerAbort = () => this.abort(caller.reason);
        caller.addEventListener('abort', this.onCallerAbort, { once: true });
      }
    }
  }

  /** The answer is in (or failed): nothing left to abort. */
  clear(): void {
    clearTimeout(this.timer);
    if (this.onCallerAbort) this.caller?.removeEventListener('abort', this.onCallerAbort);
  }

  private abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.clear();
    this.emit('abort');
  }
}

export class HttpClient {
  /** Made at the first request (see undici.ts). */
  private pool: Pool | null = null;
  private poolOpening: Promise<Pool> | null = null;
  private readonly lanes = new Map<number, Client>();
  private undiciClient: typeof Client | null = null;
  private closed = false;

  constructor(readonly url: string, private readonly options: HttpOptions) {}

  /** What a WebSocket to `path` needs to reach the broker as this client's requests do (a queue session): ws(s):// URL, Authorization, TLS. */
  webSocketTarget(path: string): { url: string; headers: Record<string, string>; tls?: ClientTlsOptions } {
    const headers: Record<string, string> = this.options.authorization === undefined ? {} : { authorization: this.options.authorization };
    return { url: this.url.replace(/^http/, 'ws').replace(/\/+$/, '') + path, headers, ...(this.options.tls ? { tls: this.options.tls } : {}) };
  }

  private openPool(): Promise<Pool> {
    this.poolOpening ??= loadUndici().then(({ Pool, Client }) => {
      this.undiciClient = Client;
      this.pool = new Pool(this.url, {
        connections: this.options.connections,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        // undici's own timeouts are per request below; these only bound a dead socket.
        headersTimeout: 0,
        bodyTimeout: 0,
        ...(this.options.tls ? { connect: this.options.tls } : {}),
      });
      return this.pool;
    });
    return this.poolOpening;
  }

  /** The dispatcher of a request: its lane's connection, or the pool. Synchronous once made, so a request goes out in the turn it is made. */
  private dispatcher(request: HttpRequest): Dispatcher | Promise<Dispatcher> {
    if (!this.pool) return this.openPool().then(() => this.dispatcher(request));
    if (request.lane === undefined) return this.pool;
    const index = Math.abs(request.lane) % LANES;
    let lane = this.lanes.get(index);
    if (!lane) {
      // undici is loaded: the pool was made from it.
      lane = new this.undiciClient!(this.url, { pipelining: LANE_PIPELINING, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0, ...(this.options.tls ? { connect: this.options.tls } : {}) });
      this.lanes.set(index, lane);
    }
    return lane;
  }

  /** Sends a request; throws SpoolClientError for network failures and timeouts, never for statuses. */
  async request(request: HttpRequest): Promise<HttpAnswer> {
    const head = await this.requestHead(request);
    return { status: head.status, headers: head.headers, body: await head.body };
  }

  /**
   * Sends a request and resolves as soon as the answer's headers arrive, the body following: a
   * reader learns the next offset from the headers and can ask for it while this body is still
   * in transit. The body is read whether or not anyone awaits it, so the connection is freed.
   */
  async requestHead(request: HttpRequest): Promise<HttpAnswerHead> {
    const { headers, body } = this.prepare(request);
    const timeout = new RequestDeadline(this.options.requestTimeoutMs + (request.waitMs ?? 0), request.signal);
    try {
      const chosen = this.dispatcher(request);
      const dispatcher = chosen instanceof Promise ? await chosen : chosen;
      const answer = await dispatcher.request({ method: request.method, path: request.path + queryString(request.query), headers, body, signal: timeout, ...(request.lane !== undefined ? PIPELINED : {}) });
      const collected = (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of answer.body) chunks.push(chunk as Buffer);
        return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      })().catch((error: unknown) => {
        throw this.networkError(error, request, timeout.timedOut);
      });
      collected.catch(() => undefined); // a body nobody waits for may fail unobserved
      void collected.finally(() => timeout.clear()).catch(() => undefined);
      return { status: answer.statusCode, headers: answer.headers, body: collected };
    } catch (error) {
      timeout.clear();
      throw this.networkError(error, request, timeout.timedOut);
    }
  }

  /**
   * Sends a request whose answer streams for as long as the broker has something to say (a followed
   * fetch): resolves at the headers, the body's chunks following as they come. There is no deadline
   * on the whole answer, only on silence: no headers, or no byte of body, for requestTimeoutMs +
   * waitMs fails it (the broker ends a quiet stream itself after waitMs).
   */
  async requestStream(request: HttpRequest): Promise<{ status: number; headers: HttpAnswerHead['headers']; body: AsyncIterable<Buffer> }> {
    const { headers, body } = this.prepare(request);
    const silenceMs = this.options.requestTimeoutMs + (request.waitMs ?? 0);
    try {
      const pool = this.pool ?? (await this.openPool());
      const answer = await pool.request({ method: request.method, path: request.path + queryString(request.query), headers, body, signal: request.signal, headersTimeout: silenceMs, bodyTimeout: silenceMs });
      const chunks = answer.body as AsyncIterable<Buffer>;
      const networkError = (error: unknown) => this.networkError(error, request, (error as { code?: string }).code === 'UND_ERR_BODY_TIMEOUT');
      const iterate = async function* () {
        try {
          for await (const chunk of chunks) yield chunk;
        } catch (error) {
          throw networkError(error);
        }
      };
      return { status: answer.statusCode, headers: answer.headers, body: iterate() };
    } catch (error) {
      throw this.networkError(error, request, (error as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT');
    }
  }

  /** The headers and body of a request, in the form undici takes them. */
  private prepare(request: HttpRequest): { headers: Record<string, string>; body: Buffer | string | undefined } {
    if (this.closed) throw SpoolClientError.local('SPOOL_ERR_CLIENT_CLOSED', 'the Spool connection is closed');
    let body: Buffer | string | undefined;
    const headers: Record<string, string> = { ...request.headers };
    if (this.options.authorization !== undefined) headers.authorization = this.options.authorization;
    if (Buffer.isBuffer(request.body)) {
      body = request.body;
      headers['content-type'] = request.contentType ?? 'application/octet-stream';
    } else if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
    }
    return { headers, body };
  }

  /** Sends a request and parses a JSON answer; a non-2xx answer throws the broker's error. */
  async json<T>(request: HttpRequest, what = `${request.method} ${request.path}`): Promise<T> {
    const answer = await this.request(request);
    if (answer.status >= 300) throw answerError(answer, what);
    return (answer.body.length === 0 ? undefined : JSON.parse(answer.body.toString('utf8'))) as T;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.poolOpening) await (await this.poolOpening).close();
    await Promise.all([...this.lanes.values()].map((lane) => lane.close()));
  }

  private networkError(error: unknown, request: HttpRequest, timedOut: boolean): SpoolClientError {
    if (error instanceof SpoolClientError) return error;
    const what = `${request.method} ${request.path}`;
    if (timedOut) return SpoolClientError.local('SPOOL_ERR_REQUEST_TIMEOUT', `${what}: no answer within ${this.options.requestTimeoutMs} ms`, {}, error);
    if (request.signal?.aborted) return SpoolClientError.local('SPOOL_ERR_CLIENT_CLOSED', `${what}: aborted`, {}, error);
    const code = (error as { code?: string }).code ?? '';
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? '';
    if (NETWORK_ERROR_CODES.has(code) || NETWORK_ERROR_CODES.has(cause) || error instanceof TypeError) {
      return SpoolClientError.local('SPOOL_ERR_NETWORK', `${what}: ${(error as Error).message} (${this.url})`, { errno: code || cause }, error);
    }
    return SpoolClientError.local('SPOOL_ERR_NETWORK', `${what}: ${(error as Error).message ?? String(error)}`, {}, error);
  }
}
