/**
 * Receive buffers for large Kafka request frames, reused across the listener's connections.
 *
 * A frame longer than what one socket read brings (64 KiB) is joined into one buffer before it is
 * decoded: kcat's produce frames are 1 MB, sixteen reads each. A fresh buffer per frame paid for
 * its memory on first touch (page faults; 0.4-1.3 s of CPU per GB joined, measured, against 0.05-0.15 s
 * into a reused one) and, freed again at once, for the garbage collector's external-memory
 * scavenges. A buffer given back once its request is answered serves the next large frame.
 *
 * Only frames whose handler keeps no view into them once answered may be given back (Produce:
 * its records are written to the segment before the answer); others are left to the collector.
 * Bounded by `bytesMax` in all: a buffer given back past it is left to the collector too.
 */

/** Buffers are sized in steps of this, so frames of nearly the same length reuse one another's. */
const SIZE_STEP_BYTES = 64 * 1024;

export class FrameBuffers {
  private readonly free: ArrayBuffer[] = [];
  private freeBytes = 0;

  constructor(private readonly bytesMax: number) {}

  /** Bytes held for reuse. */
  get heldBytes(): number {
    return this.freeBytes;
  }

  /** A buffer of `size` bytes: a view of the smallest free one that is large enough, or a new one. */
  take(size: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const length = this.free[i]!.byteLength;
      if (length >= size && (best < 0 || length < this.free[best]!.byteLength)) best = i;
    }
    if (best < 0) return Buffer.from(Buffer.allocUnsafeSlow(Math.ceil(size / SIZE_STEP_BYTES) * SIZE_STEP_BYTES).buffer, 0, size);
    const backing = this.free[best]!;
    this.free.splice(best, 1);
    this.freeBytes -= backing.byteLength;
    return Buffer.from(backing, 0, size);
  }

  /** Takes back a buffer take() answered, once nothing reads it any more (at most once). */
  give(frame: Buffer): void {
    const backing = frame.buffer as ArrayBuffer;
    if (frame.byteOffset !== 0 || this.freeBytes + backing.byteLength > this.bytesMax) return;
    this.free.push(backing);
    this.freeBytes += backing.byteLength;
  }
}
