/**
 * A queue session: one worker's WebSocket carrying its receives and settlements without an HTTP
 * request each (after AMQP's consumer credit and Kafka share groups' ShareFetch/ShareAcknowledge).
 * The frames are storage/codec/queue-session-frames.ts's; docs/http-api.md#queue-sessions is the
 * contract.
 *
 * Credit-based push: the worker grants credit (CREDIT n), the broker leases and sends up to that
 * many messages as they become available (a receive that waits, as an HTTP long-poll does, holding
 * a quotaLongPollsPerPrincipal slot while it waits) and the credit goes down by what it sent. The
 * leases, visibility timeouts, redelivery, dead letters and orderedByKey are the queue service's,
 * exactly as over HTTP: a session only replaces the transport. A settlement frame is answered
 * (SETTLED, refusals only) once the queue service has committed it, so a synced-tier ack is answered
 * after the journal's fsync (group commit with every other session and HTTP request of the turn).
 *
 * A session that closes or breaks releases nothing early: its messages' leases run out as an HTTP
 * receiver's do, since its worker may still be handling them (and may settle them over HTTP or a
 * new session: receipts are the queue's, not the session's).
 *
 * Bounds: frames are decoded under queueSessionReceiptsPerFrameMax and queueSessionReasonBytesMax
 * (the WebSocket server refuses frames over queueSessionFrameBytesMax); credit past
 * queueSessionCreditMax, a visibilityMs or delayMs out of range, a text frame, or a frame that does
 * not decode closes the session with an ERROR frame and WebSocket status 4400. Nothing is pushed
 * while more than queueSessionBufferedBytesMax waits in the socket (a worker that does not read),
 * and a push leases queueSessionPushMessagesMax messages at most, so that bound holds within one push.
 * The socket is not read while queueSessionSettlesInFlightMax settlements are being committed or
 * while the socket's buffer is over that bound (SETTLED answers a worker does not read): a worker
 * flooding settlements is held back by TCP's flow control, not buffered in the broker's memory.
 * A session is pinged every queueSessionPingMs and closed when it missed a pong (a vanished worker).
 *
 * The upgrade's credentials and ACLs are checked again before each push, each settlement and each
 * ping: a revoked or expired token, a removed user or a changed password ends the session with
 * SPOOL_ERR_UNAUTHENTICATED (4401), ACLs that no longer allow a receive with SPOOL_ERR_FORBIDDEN
 * (4403); what it leased and did not send runs out like any unsettled lease.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebSocket } from 'ws';
import { decodeClientFrame, encodeErrorFrame, encodeMessagesFrame, encodeSettled, type ClientFrame, type SessionFailure, SessionFrameError, type SessionFrameBounds } from '../../storage/index.js';
import { SpoolError } from '../../storage/errors.js';
import { BrokerError } from '../errors.js';
import type { BrokerLimits } from '../limits.js';
import type { QueueService, ReceivedMessage } from './queue-service.js';

export type QueueSessionLimits = Pick<
  BrokerLimits,
  'queueSessionCreditMax' | 'queueSessionPushMessagesMax' | 'queueSessionReceiptsPerFrameMax' | 'queueSessionReasonBytesMax' | 'queueSessionBufferedBytesMax' | 'queueSessionSettlesInFlightMax' | 'queueVisibilityMsMin' | 'queueVisibilityMsMax' | 'queueDelayMsMax' | 'maxWaitMsMax'
>;

/** WebSocket close status for an error: 4000 + its HTTP status (4400 a bad frame, 4404 a queue deleted, 4503 shutting down). */
export function closeStatusOf(error: SpoolError): number {
  return 4000 + error.status;
}

export class QueueSession {
  private credit = 0;
  private visibilityMs: number | undefined;
  private pumping = false;
  private closed = false;
  private readonly abort = new AbortController();
  /** The pump waiting for the socket's buffer to go down (a slow reader). */
  private drainWaiter: (() => void) | null = null;
  /** Settlement frames being committed (settle()), bounded by queueSessionSettlesInFlightMax. */
  private settling = 0;
  /** Answered the last ping (heartbeat()). */
  private alive = true;
  private readonly bounds: SessionFrameBounds;
  private readonly onSent = () => {
    if (this.drainWaiter && this.ws.bufferedAmount <= this.limits.queueSessionBufferedBytesMax) this.wake();
    this.throttleReading();
  };

  constructor(
    private readonly ws: WebSocket,
    private readonly queues: QueueService,
    private readonly topic: string,
    private readonly name: string,
    private readonly limits: QueueSessionLimits,
    /** Takes a slot of the principal's quotaLongPollsPerPrincipal while a receive waits (as HTTP's). */
    private readonly waitSlot: () => () => void,
    /** The upgrade's credentials and ACLs checked again (request-principal.ts's accessWatch): the error to close with, or null. */
    private readonly accessError: () => SpoolError | null,
    private readonly onClosed: (session: QueueSession) => void,
  ) {
    this.bounds = { receiptsPerFrameMax: limits.queueSessionReceiptsPerFrameMax, reasonBytesMax: limits.queueSessionReasonBytesMax };
    ws.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    ws.on('close', () => this.closeDown());
    ws.on('pong', () => (this.alive = true));
    // A protocol error (a frame over maxPayload, a bad opcode): ws closes the socket itself (1009, 1002).
    ws.on('error', () => this.closeDown());
  }

  /** Ends the session with `error` (an ERROR frame, then the close): the broker shutting down, say. */
  end(error: SpoolError): void {
    if (this.closed) return;
    // The field at fault first, when there is one (the close reason has room for the code only).
    const field = typeof error.context.field === 'string' ? `${error.context.field}: ` : '';
    this.ws.send(encodeErrorFrame(error.code, field + error.message));
    this.ws.close(closeStatusOf(error), error.code);
    this.closeDown();
  }

  /** Pings the worker; one that did not answer the previous ping is gone: its connection is closed (its leases run out). */
  heartbeat(): void {
    if (this.closed || !this.stillAllowed()) return;
    if (!this.alive) {
      this.ws.terminate();
      this.closeDown();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    let frame: ClientFrame;
    try {
      if (!isBinary) throw new SessionFrameError('text frame: session frames are binary', 'type');
      frame = decodeClientFrame(data, this.bounds);
      if (frame.type === 'credit') this.grant(frame.credit, frame.visibilityMs);
      else {
        this.checkDelay(frame.delayMs);
        this.settling += 1;
        this.throttleReading();
        void this.settle(frame);
      }
    } catch (error) {
      this.end(asSpoolError(error));
    }
  }

  private grant(credit: number, visibilityMs: number): void {
    const max = this.limits.queueSessionCreditMax;
    if (credit < 1 || this.credit + credit > max) {
      throw frameError(`credit ${credit} would make ${this.credit + credit} outstanding (1 to ${max})`, 'credit', 'queueSessionCreditMax', max);
    }
    const { queueVisibilityMsMin: min, queueVisibilityMsMax: most } = this.limits;
    if (visibilityMs !== 0 && (visibilityMs < min || visibilityMs > most)) {
      throw frameError(`visibilityMs ${visibilityMs} (0 for the queue's, else ${min} to ${most})`, 'visibilityMs', 'queueVisibilityMsMax', most);
    }
    this.credit += credit;
    if (visibilityMs !== 0) this.visibilityMs = visibilityMs;
    void this.pump();
  }

  /** Leases and sends messages while there is credit; one loop per session. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && this.credit > 0) {
        if (this.ws.bufferedAmount > this.limits.queueSessionBufferedBytesMax) {
          await new Promise<void>((resolve) => (this.drainWaiter = resolve));
          continue;
        }
        const received = await this.receiveOrBackOff();
        // Closed meanwhile: what was just leased runs out like any unsettled lease.
        if (this.closed || received.length === 0 || !this.stillAllowed()) continue;
        this.credit -= received.length;
        this.ws.send(encodeMessagesFrame(received), this.onSent);
      }
    } catch (error) {
      this.end(asSpoolError(error));
    } finally {
      this.pumping = false;
    }
  }

  /**
   * A receive for the pump; a quota refusal (quotaLongPollsPerPrincipal: the principal's other
   * workers hold its waiting slots) waits its retryAfterMs and answers nothing, so the pump tries
   * again: an HTTP client retries such a 429 too, and closing would end the worker's `for await`.
   */
  private async receiveOrBackOff(): Promise<ReceivedMessage[]> {
    const options = { max: Math.min(this.credit, this.limits.queueSessionPushMessagesMax), visibilityMs: this.visibilityMs, waitMs: this.limits.maxWaitMsMax };
    try {
      return await this.queues.receive(this.topic, this.name, options, this.abort.signal, this.waitSlot);
    } catch (error) {
      if (!(error instanceof SpoolError) || error.code !== 'SPOOL_ERR_QUOTA_EXCEEDED') throw error;
      await sleep(Number(error.context.retryAfterMs ?? 1000), undefined, { signal: this.abort.signal }).catch(() => undefined);
      return [];
    }
  }

  private checkDelay(delayMs: number | undefined): void {
    if (delayMs !== undefined && delayMs > this.limits.queueDelayMsMax) {
      throw frameError(`delayMs ${delayMs} (at most ${this.limits.queueDelayMsMax})`, 'delayMs', 'queueDelayMsMax', this.limits.queueDelayMsMax);
    }
  }

  /** Settles a frame's receipts; answers SETTLED (refusals only, by index) once committed. */
  private async settle(frame: Exclude<ClientFrame, { type: 'credit' }>): Promise<void> {
    const options = { delayMs: frame.delayMs, reason: frame.reason === '' ? undefined : frame.reason };
    const failures: SessionFailure[] = [];
    try {
      if (!this.stillAllowed()) return;
      const refused = await this.queues.settleBinary(this.topic, this.name, frame.type, frame.receipts, options);
      for (const [index, { code, message }] of refused) failures.push({ index, code, message });
    } catch (error) {
      this.end(asSpoolError(error));
      return;
    } finally {
      this.settling -= 1;
    }
    if (this.closed) return;
    this.ws.send(encodeSettled(frame.id, failures), this.onSent);
    this.throttleReading();
  }

  /** Stops reading the socket while too much is in flight or unread by the worker; reads again once it is down. */
  private throttleReading(): void {
    if (this.closed) return;
    const busy = this.settling >= this.limits.queueSessionSettlesInFlightMax || this.ws.bufferedAmount > this.limits.queueSessionBufferedBytesMax;
    if (busy && !this.ws.isPaused) this.ws.pause();
    else if (!busy && this.ws.isPaused) this.ws.resume();
  }

  /** Ends the session (4401, 4403) once its token is revoked or expired, its user's password changed or its ACLs removed. */
  private stillAllowed(): boolean {
    const error = this.accessError();
    if (error !== null) this.end(error);
    return error === null;
  }

  private wake(): void {
    const waiter = this.drainWaiter;
    this.drainWaiter = null;
    waiter?.();
  }

  private closeDown(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.wake();
    this.onClosed(this);
  }
}

function frameError(message: string, field: string, limit: string, max: number): BrokerError {
  return new BrokerError('SPOOL_ERR_SESSION_FRAME', message, { field, limit, max });
}

function asSpoolError(error: unknown): SpoolError {
  if (error instanceof SessionFrameError) return new BrokerError('SPOOL_ERR_SESSION_FRAME', error.message, { field: error.field });
  if (error instanceof SpoolError) return error;
  return new BrokerError('SPOOL_ERR_INTERNAL', 'the session failed (the broker log has the details)', {}, error);
}
