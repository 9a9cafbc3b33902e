/**
 * A queue's session, client side: one WebSocket to `GET .../queues/:queue/session` that receives
 * the messages the broker pushes (up to `prefetch` owed at once: AMQP's prefetch) and carries this
 * worker's acks, nacks and rejects as binary frames, a turn's worth per frame (docs/http-api.md
 * #queue-sessions). Credit goes back as messages are handed to the application, so at most
 * `prefetch` messages wait here unhandled.
 *
 * A broken connection is opened again with backoff; the messages it had pushed stay here (their
 * leases are the queue's, not the connection's) and settlements it had not answered are sent again
 * over HTTP (an ack applied just before the break is then refused as SPOOL_ERR_RECEIPT_EXPIRED).
 * A settlement the broker would refuse as a frame (a receipt not in its form, a delay or reason out
 * of range) goes over HTTP too, which answers it with the usual per-receipt or 400 error.
 * A broker without sessions (426 or 404 at the upgrade) makes next() throw SESSIONS_UNSUPPORTED:
 * the queue then receives over HTTP.
 */
import { channel } from 'node:diagnostics_channel';
import WebSocket from 'ws';
import { decodeBrokerFrame, type DecodedQueueMessage, encodeCredit, encodeSettle, type SessionReceipt, sessionReceiptOf } from '../../storage/codec/index.js';
import { backoffDelayMs, sleep } from '../backoff.js';
import { SpoolClientError } from '../errors.js';
import { answerError } from '../http.js';
import type { ClientTlsOptions } from '../tls.js';
import type { SettlementKind, Settlements } from './settlements.js';

/** Broker answers to the upgrade that say it has no queue sessions (an older broker): receive over HTTP. */
export const SESSIONS_UNSUPPORTED = new Set(['SPOOL_ERR_UPGRADE_REQUIRED', 'SPOOL_ERR_ROUTE_NOT_FOUND']);

/** The broker's bounds on a frame (broker/limits.ts): what is past them goes over HTTP instead. */
const RECEIPTS_PER_FRAME = 10_000;
const REASON_BYTES_MAX = 1000;
const DELAY_MS_MAX = 12 * 3_600_000;
export const PREFETCH_MAX = 10_000;
/** How long close() waits for the answers to settlements already sent. */
const CLOSE_WAIT_MS = 5000;

const RECONNECT = { baseMs: 100, maxMs: 5000, retries: Infinity };

/**
 * Every frame of every queue session, both ways, for benchmarks and debugging (frames and bytes per
 * message): `{ direction: 'in' | 'out', type, bytes, count }`, count being a MESSAGES frame's
 * messages, a settlement's receipts, a CREDIT's credit or a SETTLED's failures. Nothing is built
 * while nobody subscribes.
 */
export const sessionFrames = channel('spool:queue-session:frame');

export interface SessionFrameTrace {
  direction: 'in' | 'out';
  type: 'messages' | 'settled' | 'error' | 'credit' | SettlementKind;
  bytes: number;
  count: number;
}

function traceFrame(direction: SessionFrameTrace['direction'], type: SessionFrameTrace['type'], bytes: number, count: number): void {
  if (sessionFrames.hasSubscribers) sessionFrames.publish({ direction, type, bytes, count } satisfies SessionFrameTrace);
}

export interface SessionTarget {
  /** ws:// or wss:// URL of the session route. */
  url: string;
  headers: Record<string, string>;
  tls?: ClientTlsOptions;
}

interface Pending {
  receipt: SessionReceipt;
  text: string;
  resolve(): void;
  reject(error: unknown): void;
}

interface Group {
  kind: SettlementKind;
  options: { delayMs?: number; reason?: string };
  pending: Pending[];
}

export class QueueSessionReader {
  private socket: WebSocket | null = null;
  private open = false;
  private readonly buffer: DecodedQueueMessage[] = [];
  private head = 0;
  private waiters: Array<() => void> = [];
  /** An error for the next next() call (a refusal that retrying will not cure). */
  private failure: SpoolClientError | null = null;
  /** Why the broker closed the session (its ERROR frame), to tell a retriable close from a failure. */
  private closeError: SpoolClientError | null = null;
  private owed = 0;
  private creditScheduled = false;
  private readonly groups = new Map<string, Group>();
  private settleScheduled = false;
  private readonly unanswered = new Map<number, Group>();
  private nextId = 1;
  private attempt = 0;
  private closed = false;
  private readonly stop = new AbortController();
  private drained: (() => void) | null = null;

  constructor(
    private readonly target: SessionTarget,
    private readonly options: { prefetch: number; visibilityMs?: number; onError?: (error: unknown) => void },
    private readonly fallback: Settlements,
  ) {}

  /** The next pushed message, or null once closed; throws a refusal that retrying will not cure. */
  async next(): Promise<DecodedQueueMessage | null> {
    for (;;) {
      if (this.head < this.buffer.length) return this.take();
      if (this.failure) {
        const failure = this.failure;
        this.failure = null;
        throw failure;
      }
      if (this.closed) return null;
      if (this.socket === null) this.connect();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  settle(kind: SettlementKind, text: string, options: { delayMs?: number; reason?: string } = {}): Promise<void> {
    const receipt = sessionReceiptOf(text);
    if (receipt === null || !this.open || !frameable(options)) return this.fallback.settle(kind, text, options);
    const id = `${kind}\u0000${options.delayMs ?? ''}\u0000${options.reason ?? ''}`;
    let group = this.groups.get(id);
    if (!group) this.groups.set(id, (group = { kind, options, pending: [] }));
    const entry = group;
    const done = new Promise<void>((resolve, reject) => entry.pending.push({ receipt, text, resolve, reject }));
    if (!this.settleScheduled) {
      this.settleScheduled = true;
      setImmediate(() => this.sendSettlements());
    }
    return done;
  }

  /** Stops receiving; settlements sent are answered first. Messages pushed and not handed out run out their leases. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeAll();
    if (this.open && (this.unanswered.size > 0 || this.groups.size > 0)) {
      // A broker that stopped answering does not hold close() up: what stays unanswered is in doubt, as after a break.
      await Promise.race([new Promise<void>((resolve) => (this.drained = resolve)), sleep(CLOSE_WAIT_MS, this.stop.signal)]);
    }
    this.stop.abort();
    this.socket?.close(1000);
  }

  private take(): DecodedQueueMessage {
    const message = this.buffer[this.head]!;
    this.head += 1;
    if (this.head === this.buffer.length) {
      this.buffer.length = 0;
      this.head = 0;
    }
    this.owed += 1;
    // Credit goes back in steps of a quarter of the prefetch, once per turn.
    if (!this.creditScheduled && this.owed >= Math.max(1, this.options.prefetch >> 2)) {
      this.creditScheduled = true;
      setImmediate(() => this.sendCredit());
    }
    return message;
  }

  private sendCredit(): void {
    this.creditScheduled = false;
    if (!this.open || this.closed || this.owed === 0) return;
    const frame = encodeCredit(this.owed, this.options.visibilityMs ?? 0);
    traceFrame('out', 'credit', frame.length, this.owed);
    this.socket!.send(frame);
    this.owed = 0;
  }

  private sendSettlements(): void {
    this.settleScheduled = false;
    const groups = [...this.groups.values()];
    this.groups.clear();
    for (const group of groups) {
      for (let start = 0; start < group.pending.length; start += RECEIPTS_PER_FRAME) {
        const part: Group = { ...group, pending: group.pending.slice(start, start + RECEIPTS_PER_FRAME) };
        if (!this.open) {
          this.viaHttp(part);
          continue;
        }
        const id = this.nextId;
        this.nextId = this.nextId === 0xffffffff ? 1 : this.nextId + 1;
        this.unanswered.set(id, part);
        const frame = encodeSettle(part.kind, id, part.pending.map((entry) => entry.receipt), part.options);
        traceFrame('out', part.kind, frame.length, part.pending.length);
        this.socket!.send(frame);
      }
    }
  }

  private viaHttp(group: Group): void {
    for (const entry of group.pending) this.fallback.settle(group.kind, entry.text, group.options).then(entry.resolve, entry.reject);
  }

  private connect(): void {
    const { tls } = this.target;
    const socket = new WebSocket(this.target.url, { headers: this.target.headers, perMessageDeflate: false, maxPayload: 1024 * 1024 * 1024, ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {}) } as WebSocket.ClientOptions);
    this.socket = socket;
    this.closeError = null;
    socket.on('open', () => {
      this.open = true;
      this.attempt = 0;
      // A new session owes nothing yet: all the room not taken by messages waiting here.
      this.owed = 0;
      const credit = this.options.prefetch - (this.buffer.length - this.head);
      if (credit > 0 && !this.closed) {
        const frame = encodeCredit(credit, this.options.visibilityMs ?? 0);
        traceFrame('out', 'credit', frame.length, credit);
        socket.send(frame);
      }
    });
    socket.on('message', (data) => this.onFrame(data as Buffer));
    socket.on('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        this.closeError = answerError({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }, 'queue session');
        socket.terminate();
      });
    });
    socket.on('error', (error) => {
      this.closeError ??= new SpoolClientError('SPOOL_ERR_NETWORK', `queue session: ${error.message}`, true, 0, {}, error);
    });
    socket.on('close', () => this.onClose());
  }

  private onFrame(data: Buffer): void {
    let frame;
    try {
      frame = decodeBrokerFrame(data);
    } catch (error) {
      this.closeError = error as SpoolClientError;
      this.socket?.terminate();
      return;
    }
    traceFrame('in', frame.type, data.length, frame.type === 'messages' ? frame.messages.length : frame.type === 'settled' ? frame.failures.length : 0);
    if (frame.type === 'messages') {
      for (const message of frame.messages) this.buffer.push(message);
      this.wakeAll();
    } else if (frame.type === 'settled') {
      const group = this.unanswered.get(frame.id);
      this.unanswered.delete(frame.id);
      for (const failure of frame.failures) {
        const entry = group?.pending[failure.index];
        entry?.reject(new SpoolClientError(failure.code, `${group!.kind} ${entry.text}: ${failure.message}`, false, 0, { receipt: entry.text }));
      }
      // A rejected promise stays rejected: resolving them all settles only the accepted ones.
      for (const entry of group?.pending ?? []) entry.resolve();
      if (this.drained && this.unanswered.size === 0 && this.groups.size === 0) this.drained();
    } else {
      const retriable = frame.code === 'SPOOL_ERR_SHUTTING_DOWN' || frame.code === 'SPOOL_ERR_INTERNAL' || frame.code === 'SPOOL_ERR_TOO_MANY_SUBSCRIBERS';
      this.closeError = new SpoolClientError(frame.code, `queue session: ${frame.message}`, retriable);
    }
  }

  private onClose(): void {
    this.socket = null;
    this.open = false;
    for (const group of this.unanswered.values()) this.viaHttp(group);
    this.unanswered.clear();
    this.drained?.();
    if (this.closed) return this.wakeAll();
    const error = this.closeError ?? new SpoolClientError('SPOOL_ERR_NETWORK', 'queue session closed by the broker', true);
    if (!error.retriable) {
      this.failure = error;
      return this.wakeAll();
    }
    this.options.onError?.(error);
    const waitMs = backoffDelayMs(this.attempt++, RECONNECT, Number(error.context.retryAfterMs ?? 0));
    void sleep(waitMs, this.stop.signal).then(() => {
      if (!this.closed && this.socket === null) this.connect();
    });
  }

  private wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Whether the broker takes these options in a frame (else the settlement goes over HTTP, which explains its refusal). */
function frameable(options: { delayMs?: number; reason?: string }): boolean {
  if (options.delayMs !== undefined && !(Number.isInteger(options.delayMs) && options.delayMs >= 0 && options.delayMs <= DELAY_MS_MAX)) return false;
  return options.reason === undefined || Buffer.byteLength(options.reason) <= REASON_BYTES_MAX;
}
