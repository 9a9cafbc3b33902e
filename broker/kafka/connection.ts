/**
 * One Kafka client connection: size-prefixed frames in, answers out in request order.
 *
 * Clients pipeline (up to 5 requests in flight for most): each frame is handed to its handler as
 * soon as it is whole, so a later request is decoded and served while an earlier one waits (a
 * long-polling fetch, a produce waiting for its fdatasync); answers are queued in arrival order
 * and written when every earlier one is out. Bounds, from broker/limits.ts:
 *   - a frame larger than kafkaFrameBytesMax (or shorter than a header) closes the connection;
 *   - past kafkaInFlightBytesMax of unanswered request bytes, kafkaInFlightRequestsMax requests,
 *     or as many answer bytes the client is not reading, the socket is paused until they drain.
 * A frame that does not decode closes this connection with a log line; nothing else is touched.
 *
 * Quotas (security/quotas.ts), as Kafka since KIP-219: while the principal owes its produce or
 * fetch bucket, its connections are muted: no further frame is read or dispatched until the debt
 * is paid (acks=0 produces included, which get no answer to delay). Delaying answers alone let a
 * pipelining client write at any rate. When the broker requires credentials, a connection not
 * authenticated within kafkaAuthenticationTimeoutMs is closed.
 */
import type { Socket } from 'node:net';
import { ANONYMOUS } from '../security/request-principal.js';
import { PRODUCE_KEY } from './apis.js';
import type { KafkaServices } from './context.js';
import type { FrameBuffers } from './frame-buffers.js';
import { KafkaFrameError } from './protocol/frame-error.js';
import { handleFrame } from './router.js';
import { KafkaSession } from './session.js';

/** apiKey, apiVersion and correlationId: the shortest header there is. */
const HEADER_BYTES_MIN = 8;

interface Slot {
  bytes: number;
  done: boolean;
  answer: Buffer[] | null;
  /** The frame's buffer, given back to the listener's FrameBuffers once the answer is out. */
  reusable: Buffer | null;
}

/** A request frame's bytes after its size; `pooled`: the buffer was taken from FrameBuffers. */
interface Frame {
  body: Buffer;
  pooled: Buffer | null;
}

/** Frames at least this long, joined from several socket reads, go into a reused buffer (frame-buffers.ts). */
const POOLED_FRAME_BYTES_MIN = 64 * 1024;

export class KafkaConnection {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private readonly queue: Slot[] = [];
  private inFlightBytes = 0;
  private readonly abort = new AbortController();
  private closed = false;
  private readonly session: KafkaSession;
  private readonly authenticationTimer: NodeJS.Timeout;
  /** Set while the connection is muted by a quota. */
  private muteTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly services: KafkaServices,
    /** The listener's reused buffers for large frames. */
    private readonly frames: FrameBuffers,
    certificate: ConstructorParameters<typeof KafkaSession>[1] = null,
  ) {
    socket.setNoDelay(true);
    this.session = new KafkaSession(socket.remoteAddress ?? '', certificate);
    // Kafka's connections.max.idle.ms: a connection silent this long is closed.
    socket.setTimeout(services.limits.kafkaConnectionIdleMs, () => this.close('idle'));
    this.authenticationTimer = setTimeout(() => this.closeUnauthenticated(), services.limits.kafkaAuthenticationTimeoutMs);
    this.authenticationTimer.unref();
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('drain', () => this.updateFlow());
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  /** kafkaAuthenticationTimeoutMs: a connection that could not yet do anything but authenticate, and has not. */
  private closeUnauthenticated(): void {
    if (this.session.principal === null && this.services.security.credentials.hasPrincipals()) this.close('not authenticated within kafkaAuthenticationTimeoutMs');
  }

  close(reason?: string): void {
    if (reason && !this.closed) this.services.log.warn({ remote: this.socket.remoteAddress, reason }, 'kafka: closing connection');
    this.closed = true;
    clearTimeout(this.authenticationTimer);
    if (this.muteTimer !== null) clearTimeout(this.muteTimer);
    this.session.releaseConnection();
    this.abort.abort();
    this.chunks = [];
    this.bufferedBytes = 0;
    this.socket.destroy();
  }

  private onData(data: Buffer): void {
    if (this.closed) return;
    this.chunks.push(data);
    this.bufferedBytes += data.length;
    this.pump();
  }

  /** Hands whole frames to their handlers while fewer than kafkaInFlightRequestsMax are in flight;
   *  the rest stay buffered until answers go out (one read may hold thousands of small frames). */
  private pump(): void {
    try {
      let frame: Frame | null;
      while (this.queue.length < this.services.limits.kafkaInFlightRequestsMax && !this.muted() && (frame = this.nextFrame()) !== null) this.dispatch(frame);
    } catch (error) {
      this.close((error as Error).message);
      return;
    }
    this.updateFlow();
  }

  /**
   * True while the principal is throttled by a quota: a timer pumps again once the debt is paid
   * (at most THROTTLE_MS_MAX later, when the debt is checked again).
   */
  private muted(): boolean {
    if (this.muteTimer !== null) return true;
    const { quotas } = this.services.security;
    const principal = this.session.principal ?? ANONYMOUS;
    const waitMs = Math.max(quotas.throttleMs('produce', principal), quotas.throttleMs('fetch', principal));
    if (waitMs === 0) return false;
    this.muteTimer = setTimeout(() => {
      this.muteTimer = null;
      this.pump();
    }, waitMs);
    return true;
  }

  /** The next whole frame, or null until it has arrived. */
  private nextFrame(): Frame | null {
    if (this.bufferedBytes < 4) return null;
    if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks, this.bufferedBytes)];
    const size = this.chunks[0]!.readInt32BE(0);
    const { kafkaFrameBytesMax } = this.services.limits;
    if (size < HEADER_BYTES_MIN || size > kafkaFrameBytesMax) throw new KafkaFrameError(`frame size ${size} is not in ${HEADER_BYTES_MIN}-${kafkaFrameBytesMax}`);
    if (this.bufferedBytes < 4 + size) return null;
    const first = this.chunks[0]!;
    if (first.length >= 4 + size) {
      const body = first.subarray(4, 4 + size);
      if (first.length === 4 + size) this.chunks.shift();
      else this.chunks[0] = first.subarray(4 + size);
      this.bufferedBytes -= 4 + size;
      return { body, pooled: null };
    }
    const pooled = 4 + size >= POOLED_FRAME_BYTES_MIN ? this.frames.take(4 + size) : null;
    return { body: this.join(pooled ?? Buffer.allocUnsafe(4 + size)).subarray(4), pooled };
  }

  /**
   * Moves the first `out.length` buffered bytes, which span several chunks, into `out`. Copies
   * only this frame's bytes: joining every buffered chunk (the pipelined frames behind it too)
   * copied the whole buffer once per frame, quadratic under a producer's pipeline.
   */
  private join(out: Buffer): Buffer {
    const count = out.length;
    for (let filled = 0; filled < count; ) {
      const chunk = this.chunks[0]!;
      const wanted = count - filled;
      if (chunk.length <= wanted) {
        chunk.copy(out, filled);
        filled += chunk.length;
        this.chunks.shift();
      } else {
        chunk.copy(out, filled, 0, wanted);
        this.chunks[0] = chunk.subarray(wanted);
        filled = count;
      }
    }
    this.bufferedBytes -= count;
    return out;
  }

  private dispatch({ body, pooled }: Frame): void {
    // Produce keeps nothing of its frame once answered (frame-buffers.ts); any other frame is left
    // to the garbage collector, since its handler may keep views into it (a group member's metadata).
    const reusable = pooled !== null && body.readInt16BE(0) === PRODUCE_KEY ? pooled : null;
    const slot: Slot = { bytes: body.length, done: false, answer: null, reusable };
    this.queue.push(slot);
    this.inFlightBytes += slot.bytes;
    handleFrame(body, this.services, this.abort.signal, this.session).then(
      (answer) => {
        slot.answer = answer;
        slot.done = true;
        this.flush();
      },
      (error: unknown) => {
        if (error instanceof KafkaFrameError) return this.close(error.message);
        this.services.log.error({ err: error }, 'kafka: request failed');
        this.close('a request failed');
      },
    );
  }

  private flush(): void {
    if (this.closed) return;
    this.socket.cork();
    while (this.queue.length > 0 && this.queue[0]!.done) {
      const slot = this.queue.shift()!;
      this.inFlightBytes -= slot.bytes;
      for (const chunk of slot.answer ?? []) this.socket.write(chunk);
      if (slot.reusable !== null) this.frames.give(slot.reusable);
    }
    this.socket.uncork();
    this.pump();
  }

  /** Pauses reading while this connection holds too much, resumes when it no longer does. */
  private updateFlow(): void {
    if (this.closed) return;
    const { kafkaInFlightBytesMax, kafkaInFlightRequestsMax } = this.services.limits;
    const full =
      this.muteTimer !== null ||
      this.inFlightBytes + this.bufferedBytes >= kafkaInFlightBytesMax ||
      this.queue.length >= kafkaInFlightRequestsMax ||
      this.socket.writableLength >= kafkaInFlightBytesMax;
    if (full && !this.socket.isPaused()) this.socket.pause();
    else if (!full && this.socket.isPaused()) this.socket.resume();
  }
}
